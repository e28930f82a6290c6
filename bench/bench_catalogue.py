"""Benchmark: ``package_create`` and ``package_show`` of our ``dataset`` against plain CKAN.

Issue 3 sets the budget: a portal ``dataset`` may cost at most 1.3× plain CKAN's
``package_create`` and 1.2× its ``package_show`` (CKAN's default schema, no scheming).

Both sides run in the same invocation, on the same PostgreSQL, Solr and Redis, in their own
database (``ckan_bench``, made by ``bench/run.sh``), Solr site id and Redis database, so
nothing here touches the portal's or the tests' data. Each side is a separate process (CKAN's
plugin registry is global): the *plain* config loads ``activity`` only, as ``ckan generate
config`` does; the *portal* config is ``deployment/ckan.ini.in`` with every plugin of the
portal. The processes alternate over several rounds so that drift (cache warm-up, table
growth) hits both sides alike. Both store the same information: the portal through its
schema fields, plain CKAN as extras.

    python bench/bench_catalogue.py [--iterations 150] [--rounds 6] [--warmup 5]

writes ``bench/results/catalogue.md`` and prints it.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import (
    PLAIN_PLUGINS,
    PORTAL_FIELDS,
    PORTAL_PLUGINS,
    VARIANTS,
    check_side,
    ckan,
    ckan_app,
    dataset_payload,
    environment_line,
    percentile,
    prepare_database,
    run_worker,
    site_context,
    write_configs,
    write_result,
)

SITE_ID = "daknong-bench"

# Issue 3, Performance: the portal's p50 over plain CKAN's p50.
TARGETS = {"create": 1.3, "show": 1.2}

# --- the measuring process -----------------------------------------------------------------


def worker(variant: str, config: Path, iterations: int, warmup: int, tag: str) -> dict:
    """Load CKAN with ``config`` in this process and time the two actions."""
    with ckan_app(config) as tk:
        user, org, database = _setup(tk, variant, tag)
        create, show, ids = [], [], []
        for i in range(warmup + iterations):
            payload = dataset_payload(variant, org, database, f"{tag}-{i}")
            started = time.perf_counter()
            created = tk.get_action("package_create")({"user": user}, payload)
            if i == 0:
                check_side(variant, created)
            if i >= warmup:
                create.append(time.perf_counter() - started)
            ids.append(created["id"])
        for i in range(warmup + iterations):
            started = time.perf_counter()
            tk.get_action("package_show")({"user": user}, {"id": ids[i % len(ids)]})
            if i >= warmup:
                show.append(time.perf_counter() - started)
    return {"variant": variant, "create": create, "show": show}


def _setup(tk: Any, variant: str, tag: str) -> tuple[str, str, str | None]:
    """An agency admin (not a sysadmin: authorisation is part of the cost), its agency and,
    on the portal, a database entry for datasets to reference."""
    site = site_context(tk)
    account = {
        "name": f"bench-{tag}",
        "email": f"bench-{tag}@example.org",
        "password": secrets.token_urlsafe(16),
    }
    user = tk.get_action("user_create")(dict(site), account)["name"]
    org_fields = {"name": f"bench-agency-{tag}", "title": "Ủy ban nhân dân huyện Đắk Mil"}
    if variant == "portal":
        code = "H16.B" + tag.replace("-", "")[:20].upper()
        org_fields |= {"agency_code": code, "agency_level": "district_committee"}
    org = tk.get_action("organization_create")(dict(site), org_fields)["id"]
    tk.get_action("organization_member_create")(
        dict(site), {"id": org, "username": user, "role": "admin"}
    )
    database = None
    if variant == "portal":
        database = tk.get_action("package_create")(
            {"user": user},
            {
                "type": "database",
                "name": f"bench-csdl-{tag}",
                "title": "Cơ sở dữ liệu dân cư huyện Đắk Mil",
                "owner_org": org,
                "database_type": "shared",
            },
        )["name"]
    return user, org, database


# --- the driver ----------------------------------------------------------------------------


def run_rounds(configs: dict[str, Path], args: argparse.Namespace) -> dict[str, dict]:
    """Alternate the two sides, in swapped order each round, each in a fresh process."""
    samples: dict[str, dict[str, list[float]]] = {v: {"create": [], "show": []} for v in VARIANTS}
    per_round = max(1, args.iterations // args.rounds)
    for round_no in range(args.rounds):
        order = VARIANTS if round_no % 2 == 0 else tuple(reversed(VARIANTS))
        for variant in order:
            print(f"round {round_no + 1}/{args.rounds}: {variant}", file=sys.stderr)
            result = run_worker(
                __file__, "worker", variant, str(configs[variant]),
                "--iterations", str(per_round), "--warmup", str(args.warmup),
                "--tag", f"{variant}-{round_no}-{secrets.token_hex(3)}",
                label=f"{variant} worker",
            )  # fmt: skip
            for action in ("create", "show"):
                samples[variant][action] += result[action]
    return samples


def report(samples: dict[str, dict[str, list[float]]], args: argparse.Namespace) -> str:
    lines = [
        "# Benchmark: portal `dataset` vs plain CKAN",
        "",
        f"{environment_line()} · {args.rounds} alternating rounds, "
        f"{len(samples['plain']['create'])} measured calls per action and side "
        f"(after {args.warmup} warm-up calls per round)",
        "",
        "| action | plain p50 (ms) | plain p95 (ms) | portal p50 (ms) | portal p95 (ms) "
        "| ratio p50 | ratio p95 | target (p50) | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for action in ("create", "show"):
        plain, portal = samples["plain"][action], samples["portal"][action]
        p50 = (percentile(plain, 50), percentile(portal, 50))
        p95 = (percentile(plain, 95), percentile(portal, 95))
        ratio50, ratio95 = p50[1] / p50[0], p95[1] / p95[0]
        verdict = "pass" if ratio50 <= TARGETS[action] else "**over budget**"
        lines.append(
            f"| `package_{action}` | {p50[0]:.1f} | {p95[0]:.1f} | {p50[1]:.1f} | {p95[1]:.1f} "
            f"| {ratio50:.2f}× | {ratio95:.2f}× | ≤ {TARGETS[action]}× | {verdict} |"
        )
    lines += [
        "",
        f"- plain: `ckan.plugins = {PLAIN_PLUGINS}`, CKAN's default schema; the portal's fields "
        "stored as extras.",
        f"- portal: `ckan.plugins = {PORTAL_PLUGINS}` with the daknong scheming schemas.",
        "- Same payload on both sides: title, Vietnamese description, 3 tags, 2 resources, "
        "licence, and " + ", ".join(f"`{k}`" for k in PORTAL_FIELDS) + " (plus the `database` "
        "reference on the portal).",
        "- Calls go through `toolkit.get_action` in-process as an agency admin (not a "
        "sysadmin), with a fresh context each call; `package_show` reads back the created "
        "datasets. Mean ms — plain create "
        f"{statistics.mean(samples['plain']['create']) * 1000:.1f}, portal create "
        f"{statistics.mean(samples['portal']['create']) * 1000:.1f}, plain show "
        f"{statistics.mean(samples['plain']['show']) * 1000:.1f}, portal show "
        f"{statistics.mean(samples['portal']['show']) * 1000:.1f}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    work = sub.add_parser("worker", help="internal: measure one side in this process")
    work.add_argument("variant", choices=VARIANTS)
    work.add_argument("config", type=Path)
    work.add_argument("--iterations", type=int, required=True)
    work.add_argument("--warmup", type=int, default=5)
    work.add_argument("--tag", required=True)
    parser.add_argument("--iterations", type=int, default=150, help="measured calls per side")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured calls per round")
    args = parser.parse_args()

    if args.command == "worker":
        result = worker(args.variant, args.config, args.iterations, args.warmup, args.tag)
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory(prefix="daknong-bench-") as tmp:
        configs = write_configs(Path(tmp), dict.fromkeys(VARIANTS, SITE_ID))
        prepare_database(configs["portal"])
        try:
            samples = run_rounds(configs, args)
        finally:
            ckan(configs["portal"], "search-index", "clear")
    write_result("catalogue.md", report(samples, args))


if __name__ == "__main__":
    main()
