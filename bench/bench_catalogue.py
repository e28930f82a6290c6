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
import configparser
import json
import os
import platform
import secrets
import statistics
import string
import subprocess
import sys
import tempfile
import time
from copy import deepcopy
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TEMPLATE = ROOT / "deployment" / "ckan.ini.in"

SITE_ID = "daknong-bench"
DB_NAME = os.environ.get("DAKNONG_BENCH_DB", "ckan_bench")
REDIS_DB = os.environ.get("DAKNONG_BENCH_REDIS_DB", "2")
PORTAL_PLUGINS = os.environ.get(
    "DAKNONG_PLUGINS",
    "activity daknong scheming_datasets scheming_organizations harvest ckan_harvester "
    "dcat dcat_rdf_harvester",
)
PLAIN_PLUGINS = "activity"
VARIANTS = ("plain", "portal")

# Issue 3, Performance: the portal's p50 over plain CKAN's p50.
TARGETS = {"create": 1.3, "show": 1.2}

NOTES = (
    "Số hộ, nhân khẩu, lao động và tỷ lệ hộ nghèo của từng xã, thị trấn huyện Đắk Mil, tổng "
    "hợp từ kết quả điều tra dân số và nhà ở giữa kỳ, cập nhật hằng năm. Dữ liệu dùng cho "
    "quy hoạch, bố trí dân cư và các chương trình giảm nghèo bền vững của tỉnh Đắk Nông."
)
# What both sides store: the portal as schema fields, plain CKAN as extras.
PORTAL_FIELDS = {
    "access_level": "open",
    "sector": "population",
    "update_frequency": "annual",
    "spatial_coverage": ["663"],
    "temporal_start": "2023-01-01",
    "temporal_end": "2023-12-31",
    "data_sources": "Chi cục Thống kê huyện Đắk Mil",
    "contact_name": "Nguyễn Văn An",
    "contact_email": "thongke@daknong.gov.vn",
}


# --- configuration -------------------------------------------------------------------------


def write_configs(directory: Path) -> dict[str, Path]:
    """The two ini files: the portal's own template, bent to the bench's database and ids."""
    env = {
        "DAKNONG_SECRET_KEY": secrets.token_urlsafe(32),
        "DAKNONG_WEB_PORT": os.environ.get("DAKNONG_WEB_PORT", "5000"),
        "DAKNONG_DB_USER": os.environ.get("DAKNONG_DB_USER", "ckan_default"),
        "DAKNONG_DB_PASSWORD": os.environ.get("DAKNONG_DB_PASSWORD", "pass"),
        "DAKNONG_PG_PORT": os.environ.get("DAKNONG_PG_PORT", "5432"),
        "DAKNONG_DB_NAME": DB_NAME,
        "DAKNONG_SOLR_PORT": os.environ.get("DAKNONG_SOLR_PORT", "8983"),
        "DAKNONG_REDIS_PORT": os.environ.get("DAKNONG_REDIS_PORT", "6379"),
        "DAKNONG_LOCAL": str(directory),
        "DAKNONG_PLUGINS": PORTAL_PLUGINS,
    }
    text = string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(env)
    paths = {}
    for variant in VARIANTS:
        parser = configparser.ConfigParser(interpolation=None)
        parser.optionxform = str  # keep the keys' case
        parser.read_string(text)
        main = parser["app:main"]
        main["ckan.site_id"] = SITE_ID
        main["ckan.redis.url"] = f"redis://127.0.0.1:{env['DAKNONG_REDIS_PORT']}/{REDIS_DB}"
        main["ckanext.daknong.demo_accounts_file"] = ""
        if variant == "plain":
            main["ckan.plugins"] = PLAIN_PLUGINS
            for key in [k for k in main if k.startswith(("scheming.", "ckanext.", "ckan.harvest"))]:
                del main[key]
        for section in parser.sections():
            if section.startswith("logger_"):
                parser[section]["level"] = "WARNING"
        paths[variant] = directory / f"{variant}.ini"
        with paths[variant].open("w", encoding="utf-8") as out:
            parser.write(out)
    return paths


def ckan(config: Path, *args: str) -> None:
    """Run a ``ckan`` CLI command, failing loudly with its output."""
    command = [str(Path(sys.executable).with_name("ckan")), "-c", str(config), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"{' '.join(command[2:])} failed:\n{done.stdout}\n{done.stderr}")


def prepare_database(config: Path) -> None:
    """CKAN's tables plus the migrations of the portal's plugins (a superset of plain's)."""
    ckan(config, "db", "init")
    ckan(config, "db", "upgrade", "-p", "harvest")
    if (ROOT / "ckanext-daknong/ckanext/daknong/migration").is_dir():
        ckan(config, "db", "upgrade", "-p", "daknong")
    ckan(config, "search-index", "clear")


# --- the measuring process -----------------------------------------------------------------


def worker(variant: str, config: Path, iterations: int, warmup: int, tag: str) -> dict:
    """Load CKAN with ``config`` in this process and time the two actions."""
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(str(config)))
    with app._wsgi_app.test_request_context():
        import ckan.plugins.toolkit as tk

        user, org, database = _setup(tk, variant, tag)
        create, show, ids = [], [], []
        for i in range(warmup + iterations):
            payload = _payload(variant, org, database, f"{tag}-{i}")
            started = time.perf_counter()
            created = tk.get_action("package_create")({"user": user}, payload)
            if i == 0:
                _check_side(variant, created)
            if i >= warmup:
                create.append(time.perf_counter() - started)
            ids.append(created["id"])
        for i in range(warmup + iterations):
            started = time.perf_counter()
            tk.get_action("package_show")({"user": user}, {"id": ids[i % len(ids)]})
            if i >= warmup:
                show.append(time.perf_counter() - started)
    return {"variant": variant, "create": create, "show": show}


def _check_side(variant: str, created: dict[str, Any]) -> None:
    """Make sure each side really is what the report says it is."""
    if variant == "portal":
        assert created.get("access_level") == "open", "the portal schema did not apply"
        assert created.get("spatial_coverage") == ["663"], "the portal schema did not apply"
    else:
        assert "access_level" not in created, "plain CKAN ran with a schema plugin"
        assert {e["key"] for e in created["extras"]} == set(PORTAL_FIELDS)


def _setup(tk: Any, variant: str, tag: str) -> tuple[str, str, str | None]:
    """An agency admin (not a sysadmin: authorisation is part of the cost), its agency and,
    on the portal, a database entry for datasets to reference."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True})["name"]
    site = {"ignore_auth": True, "user": site_user}
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


def _payload(variant: str, org: str, database: str | None, suffix: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": f"so-lieu-dan-so-dak-mil-{suffix}",
        "title": "Số liệu dân số và lao động huyện Đắk Mil",
        "notes": NOTES,
        "owner_org": org,
        "license_id": "cc-by",
        "tags": [{"name": "dân số"}, {"name": "lao động"}, {"name": "thống kê"}],
        "resources": [
            {"name": "Bảng tổng hợp", "url": "https://example.org/dan-so.csv", "format": "CSV"},
            {"name": "Bảng chi tiết", "url": "https://example.org/dan-so.xlsx", "format": "XLSX"},
        ],
    }
    fields = deepcopy(PORTAL_FIELDS)
    if variant == "portal":
        return payload | fields | {"database": database}
    extras = [
        {"key": key, "value": json.dumps(value) if isinstance(value, list) else value}
        for key, value in fields.items()
    ]
    return payload | {"extras": extras}


# --- the driver ----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank] * 1000


def run_rounds(configs: dict[str, Path], args: argparse.Namespace) -> dict[str, dict]:
    """Alternate the two sides, in swapped order each round, each in a fresh process."""
    samples: dict[str, dict[str, list[float]]] = {v: {"create": [], "show": []} for v in VARIANTS}
    per_round = max(1, args.iterations // args.rounds)
    for round_no in range(args.rounds):
        order = VARIANTS if round_no % 2 == 0 else tuple(reversed(VARIANTS))
        for variant in order:
            command = [
                sys.executable, __file__, "worker", variant, str(configs[variant]),
                "--iterations", str(per_round), "--warmup", str(args.warmup),
                "--tag", f"{variant}-{round_no}-{secrets.token_hex(3)}",
            ]  # fmt: skip
            print(f"round {round_no + 1}/{args.rounds}: {variant}", file=sys.stderr)
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode:
                sys.exit(f"{variant} worker failed:\n{done.stdout}\n{done.stderr}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            for action in ("create", "show"):
                samples[variant][action] += result[action]
    return samples


def report(samples: dict[str, dict[str, list[float]]], args: argparse.Namespace) -> str:
    import ckan

    lines = [
        "# Benchmark: portal `dataset` vs plain CKAN",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · CKAN {ckan.__version__} · Python "
        f"{platform.python_version()} · {os.cpu_count()} CPU · {args.rounds} alternating rounds, "
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
        configs = write_configs(Path(tmp))
        prepare_database(configs["portal"])
        try:
            samples = run_rounds(configs, args)
        finally:
            ckan(configs["portal"], "search-index", "clear")
    text = report(samples, args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "catalogue.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
