"""Benchmark: ``package_search`` under the portal's access levels, and how soon a grant shows.

Issue 4 sets the budget: ``package_search`` p50 for an agency member on 10,000 datasets at
most 1.15× plain CKAN's, and a new grant visible in search within 2 s.

Both sides run in the same invocation, on the same PostgreSQL, Solr and Redis, in their own
database (``ckan_bench``, made by ``bench/run.sh``) and Redis database; each side has its own
Solr site id, so each searches only its own 10,000 datasets. Each side is a separate process
(CKAN's plugin registry is global): *plain* loads ``activity`` only with CKAN's default schema
and ``private`` flags; the *portal* loads every plugin of the portal, so its
``IPermissionLabels`` (open / shared / restricted, grants read per request) decides.

Seeding (not measured): one dataset is made per side through ``package_create``; its rows
(package, extras, tags, resources, organisation membership) are copied 10,000 times in bulk
through SQLAlchemy with varied names, titles, agencies, sectors and access levels (``private``
derived as the portal derives it: only open data is public), and the template is purged.
The copies are then indexed by CKAN's own indexer (``search.rebuild(package_ids=…)``, as
``ckan search-index rebuild`` does, one Solr commit at the end), each side in parallel.

Measured: ``package_search`` (``include_private=True``, ``rows=20``; all datasets, a word,
a filter on the sector) as a member of one agency / organisation, alternating the sides over
rounds; then, on the portal, the time from the province approver's decision (the last step
of the request workflow, which writes the grant) until a separate process searching as the
requesting agency's member sees the dataset, and the same for a revocation.

    python bench/bench_access.py [--datasets 10000] [--iterations 200] [--rounds 4]
                                 [--warmup 5] [--grants 5]

writes ``bench/results/access.md`` and prints it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import (
    PLAIN_PLUGINS,
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
    run_workers,
    site_context,
    write_configs,
    write_result,
)

SITE_IDS = {variant: f"daknong-bench-access-{variant}" for variant in VARIANTS}
APPROVER = "bench-portal-approver"
NO_MAIL = {"smtp.server": "127.0.0.1:9"}  # a closed port: notifications fail fast, recorded
EXTRA_SETTINGS = {
    "plain": NO_MAIL,
    # the province approver of the request workflow (QĐ 43 Art. 10.2)
    "portal": NO_MAIL | {"ckanext.daknong.province_approvers": APPROVER},
}

# Issue 4, Performance.
TARGET_SEARCH = 1.15  # portal p50 ÷ plain p50
TARGET_GRANT_SECONDS = 2.0
POLL_INTERVAL = 0.02
POLL_TIMEOUT = 30.0

AGENCIES = (
    "Sở Tài nguyên và Môi trường",
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Sở Nông nghiệp và Phát triển nông thôn",
    "Ủy ban nhân dân thành phố Gia Nghĩa",
    "Ủy ban nhân dân huyện Đắk Mil",
    "Ủy ban nhân dân huyện Krông Nô",
    "Ủy ban nhân dân huyện Cư Jút",
)
AGENCY_LEVELS = ("department",) * 4 + ("district_committee",) * 4
MEMBER_AGENCY = 0  # the measured user is a member of this agency
TOPICS = (
    ("Dân số", "population"),
    ("Đất đai", "land"),
    ("Chất lượng môi trường", "environment"),
    ("Khoáng sản", "natural_resources"),
    ("Cơ sở y tế", "health"),
    ("Trường học", "education"),
    ("Cây trồng", "agriculture"),
    ("Doanh nghiệp", "enterprise"),
    ("Điểm du lịch", "culture_tourism"),
    ("Niên giám thống kê", "statistics"),
)
PLACES = (
    "thành phố Gia Nghĩa",
    "huyện Đắk Mil",
    "huyện Krông Nô",
    "huyện Cư Jút",
    "huyện Đắk Song",
    "huyện Đắk R'Lấp",
    "huyện Đắk Glong",
    "huyện Tuy Đức",
)
LEVEL_WEIGHTS = {"open": 4, "shared": 4, "restricted": 2}

WORD = "khoáng sản"
FQ_SECTOR = "education"
QUERIES = {
    "all": {"q": "*:*"},
    "word": {"q": WORD},
    "fq": {"q": "*:*", "fq": f"sector:{FQ_SECTOR}"},
}
QUERY_LABELS = {
    "all": "`q=*:*`",
    "word": f"`q={WORD}`",
    "fq": f"`q=*:*` `fq=sector:{FQ_SECTOR}`",
}
COMMON_PARAMS = {"rows": 20, "include_private": True}


# --- what is seeded ------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One seeded dataset: the same list on both sides."""

    index: int
    agency: int
    level: str
    topic: int
    place: int
    year: int

    @property
    def sector(self) -> str:
        return TOPICS[self.topic][1]

    @property
    def private(self) -> bool:
        return self.level != "open"  # as the portal derives it (access.private_for)

    def name(self, variant: str) -> str:
        return f"bench-{variant}-{self.index:05d}"

    def title(self) -> str:
        return f"{TOPICS[self.topic][0]} {PLACES[self.place]} năm {self.year}"

    def notes(self, template_notes: str) -> str:
        return f"{self.title()}. {template_notes}"


def specs(count: int) -> list[Spec]:
    rng = random.Random(4)  # issue 4: the same datasets on both sides and in every run
    levels, weights = zip(*LEVEL_WEIGHTS.items(), strict=True)
    return [
        Spec(
            index=i,
            agency=rng.randrange(len(AGENCIES)),
            level=rng.choices(levels, weights)[0],
            topic=rng.randrange(len(TOPICS)),
            place=rng.randrange(len(PLACES)),
            year=rng.randrange(2015, 2026),
        )
        for i in range(count)
    ]


def visible_to_member(variant: str, spec: Spec) -> bool:
    """What a member of ``MEMBER_AGENCY`` may read (before any grant)."""
    if variant == "portal":
        return spec.level in ("open", "shared") or spec.agency == MEMBER_AGENCY
    return not spec.private or spec.agency == MEMBER_AGENCY


def expected_counts(variant: str, count: int) -> dict[str, int]:
    """Hits of the checked queries (the word query depends on Solr's analysis: reported)."""
    seen = [s for s in specs(count) if visible_to_member(variant, s)]
    return {"all": len(seen), "fq": sum(s.sector == FQ_SECTOR for s in seen)}


def agency_name(variant: str, k: int) -> str:
    return f"bench-{variant}-agency-{k}"


def member_name(variant: str) -> str:
    return f"bench-{variant}-member"


def admin_name(variant: str, k: int) -> str:
    return f"bench-{variant}-admin-{k}"


# --- seeding (not measured) ----------------------------------------------------------------


def seed(variant: str, config: Path, count: int) -> dict[str, Any]:
    """Agencies, users, a template dataset through the real action, then bulk copies."""
    started = time.perf_counter()
    with ckan_app(config) as tk:
        from ckan import model
        from ckan.lib import search

        site = site_context(tk)
        org_ids = []
        for k, title in enumerate(AGENCIES):
            fields = {"name": agency_name(variant, k), "title": title}
            if variant == "portal":
                fields |= {"agency_code": f"H16.BA{k:02d}", "agency_level": AGENCY_LEVELS[k]}
            org_ids.append(tk.get_action("organization_create")(dict(site), fields)["id"])

        def user(name: str) -> str:
            account = {
                "name": name,
                "email": f"{name}@example.org",
                "password": secrets.token_urlsafe(16),
            }
            return tk.get_action("user_create")(dict(site), account)["name"]

        def join(k: int, name: str, role: str) -> None:
            tk.get_action("organization_member_create")(
                dict(site), {"id": org_ids[k], "username": name, "role": role}
            )

        join(MEMBER_AGENCY, user(member_name(variant)), "member")
        for k in range(len(AGENCIES)):
            join(k, user(admin_name(variant, k)), "admin")
        if variant == "portal":
            user(APPROVER)

        payload = dataset_payload(variant, org_ids[0], None, f"{variant}-template")
        template = tk.get_action("package_create")({"user": admin_name(variant, 0)}, payload)
        check_side(variant, template)
        _copy(model, template["id"], variant, org_ids, count)
        tk.get_action("dataset_purge")(dict(site), {"id": template["id"]})
        search.index_for(model.Package).delete_package({"id": template["id"]})
    return {"variant": variant, "seconds": time.perf_counter() - started}


def _copy(model: Any, template_id: str, variant: str, org_ids: list[str], count: int) -> None:
    """Copy the template's rows ``count`` times, in batches, in one transaction."""
    import sqlalchemy as sa
    from ckan.model import meta

    tables = meta.metadata.tables
    package, extra, tag = tables["package"], tables["package_extra"], tables["package_tag"]
    resource, view, member = tables["resource"], tables["resource_view"], tables["member"]
    conn = model.Session.connection()

    def rows(table: sa.Table, *where: Any) -> list[dict[str, Any]]:
        return [dict(row) for row in conn.execute(sa.select(table).where(*where)).mappings()]

    template = rows(package, package.c.id == template_id)[0]
    extras = rows(extra, extra.c.package_id == template_id)
    tags = rows(tag, tag.c.package_id == template_id)
    resources = rows(resource, resource.c.package_id == template_id)
    views = {r["id"]: rows(view, view.c.resource_id == r["id"]) for r in resources}
    members = rows(member, member.c.table_id == template_id, member.c.table_name == "package")
    assert {e["key"] for e in extras} >= {"access_level", "sector"}, "template lacks fields"

    now = dt.datetime.utcnow()
    batch: dict[sa.Table, list[dict[str, Any]]] = {t: [] for t in (package, extra, tag)}
    batch |= {resource: [], view: [], member: []}

    def flush() -> None:
        for table, values in batch.items():  # parents first
            if values:
                conn.execute(table.insert(), values)
                values.clear()

    def new_id() -> str:
        return str(uuid.uuid4())

    for spec in specs(count):
        pid = new_id()
        stamp = now - dt.timedelta(minutes=spec.index)
        batch[package].append(
            template
            | {
                "id": pid,
                "name": spec.name(variant),
                "title": spec.title(),
                "notes": spec.notes(template["notes"]),
                "owner_org": org_ids[spec.agency],
                "private": spec.private,
                "metadata_created": stamp,
                "metadata_modified": stamp,
            }
        )
        overrides = {"access_level": spec.level, "sector": spec.sector}
        batch[extra] += [
            e | {"id": new_id(), "package_id": pid, "value": overrides.get(e["key"], e["value"])}
            for e in extras
        ]
        batch[tag] += [t | {"id": new_id(), "package_id": pid} for t in tags]
        for r in resources:
            rid = new_id()
            batch[resource].append(r | {"id": rid, "package_id": pid})
            batch[view] += [v | {"id": new_id(), "resource_id": rid} for v in views[r["id"]]]
        batch[member] += [
            m | {"id": new_id(), "table_id": pid, "group_id": org_ids[spec.agency]} for m in members
        ]
        if len(batch[package]) >= 1000:
            flush()
    flush()
    model.Session.commit()


def index(variant: str, config: Path, part: int, parts: int) -> dict[str, Any]:
    """Index one share of a side's copies with CKAN's indexer; one Solr commit at the end."""
    started = time.perf_counter()
    with ckan_app(config):
        from ckan import model
        from ckan.lib import search

        ids = [
            row.id
            for row in model.Session.query(model.Package.id)
            .filter(model.Package.name.like(f"bench-{variant}-%"))
            .order_by(model.Package.name)
        ]
        mine = ids[part::parts]
        search.rebuild(package_ids=mine, quiet=True)
        search.commit()
    return {"indexed": len(mine), "seconds": time.perf_counter() - started}


# --- measuring package_search --------------------------------------------------------------


def search_worker(variant: str, config: Path, iterations: int, warmup: int, count: int) -> dict:
    """Time the queries as the agency member, after checking that the side is complete."""
    user = member_name(variant)
    expected = expected_counts(variant, count)
    with ckan_app(config) as tk:
        _wait_for_index(tk, user, expected["all"])
        samples: dict[str, list[float]] = {key: [] for key in QUERIES}
        counts: dict[str, int] = {}
        for i in range(warmup + iterations):
            for key, params in QUERIES.items():
                started = time.perf_counter()
                result = tk.get_action("package_search")(
                    {"user": user}, {**params, **COMMON_PARAMS}
                )
                elapsed = time.perf_counter() - started
                if i == 0:
                    counts[key] = result["count"]
                    assert len(result["results"]) == min(20, result["count"])
                if i >= warmup:
                    samples[key].append(elapsed)
    for key, hits in expected.items():
        if counts[key] != hits:
            sys.exit(f"{variant}: {key} found {counts[key]} datasets, expected {hits}")
    return {"variant": variant, "samples": samples, "counts": counts}


def _wait_for_index(tk: Any, user: str, hits: int, timeout: float = 120.0) -> None:
    """Solr opens its new searcher after the seeding commit in the background."""
    deadline = time.monotonic() + timeout
    while True:
        found = tk.get_action("package_search")(
            {"user": user}, {"q": "*:*", "rows": 0, "include_private": True}
        )["count"]
        if found == hits:
            return
        if time.monotonic() > deadline:
            sys.exit(f"the index holds {found} datasets for {user}, expected {hits}")
        time.sleep(0.5)


def run_rounds(configs: dict[str, Path], args: argparse.Namespace) -> dict[str, dict]:
    """Alternate the two sides, in swapped order each round, each in a fresh process."""
    samples = {v: {key: [] for key in QUERIES} for v in VARIANTS}
    counts: dict[str, dict[str, int]] = {}
    per_round = max(1, args.iterations // args.rounds)
    for round_no in range(args.rounds):
        order = VARIANTS if round_no % 2 == 0 else tuple(reversed(VARIANTS))
        for variant in order:
            print(f"search round {round_no + 1}/{args.rounds}: {variant}", file=sys.stderr)
            result = run_worker(
                __file__, "search", variant, str(configs[variant]),
                "--iterations", str(per_round), "--warmup", str(args.warmup),
                "--datasets", str(args.datasets),
                label=f"{variant} search worker",
            )  # fmt: skip
            counts[variant] = result["counts"]
            for key in QUERIES:
                samples[variant][key] += result["samples"][key]
    return {"samples": samples, "counts": counts}


# --- measuring grant visibility ------------------------------------------------------------


def grant_worker(config: Path, trials: int, count: int) -> dict[str, Any]:
    """Run the request workflow to a grant and time until a separate process sees it."""
    member = member_name("portal")
    picks = _grant_picks(count, trials)
    poller = subprocess.Popen(
        [sys.executable, __file__, "poll", str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )

    def send(line: str) -> None:
        assert poller.stdin
        poller.stdin.write(line + "\n")
        poller.stdin.flush()

    def answer() -> list[str]:
        assert poller.stdout
        words = poller.stdout.readline().split()
        if not words:
            sys.exit("the poller process stopped")
        return words

    def ask(line: str) -> list[str]:
        send(line)
        return answer()

    assert answer() == ["ready"]
    results = []
    with ckan_app(config) as tk:
        from ckan import model

        member_org = model.Group.get(agency_name("portal", MEMBER_AGENCY)).id
        today = dt.date.today()
        for spec in picks:
            name = spec.name("portal")
            assert ask(f"absent {name}") == ["ok"], f"{name} is visible before any grant"
            request = tk.get_action("daknong_access_request_create")(
                {"user": member},
                {
                    "dataset_id": name,
                    "requester_org_id": member_org,
                    "application": "Hệ thống thông tin quy hoạch tỉnh",
                    "purpose": "Lập quy hoạch sử dụng đất",
                    "intended_use": "Tra cứu, tổng hợp",
                    "requested_data": "Toàn bộ tài nguyên",
                    "access_frequency": "Hằng tuần",
                    "period_start": today.isoformat(),
                    "period_end": (today + dt.timedelta(days=90)).isoformat(),
                },
            )
            provider = admin_name("portal", spec.agency)
            decide = tk.get_action("daknong_access_request_decide")
            decided = decide({"user": provider}, {"id": request["id"], "decision": "approve"})
            assert decided["status"] == "awaiting_approval", decided["status"]
            assert ask(f"absent {name}") == ["ok"], f"{name} is visible before the approval"

            # the approver's decision writes the grant; the poller starts as it is sent
            granted, seen, polls, call = _timed(
                send,
                answer,
                f"watch present {name}",
                functools.partial(
                    decide, {"user": APPROVER}, {"id": request["id"], "decision": "approve"}
                ),
            )
            assert granted["status"] == "granted", granted["status"]
            revoked, gone, gone_polls, revoke_call = _timed(
                send,
                answer,
                f"watch absent {name}",
                functools.partial(
                    tk.get_action("daknong_access_grant_revoke"),
                    {"user": provider},
                    {"id": granted["grant"]["id"], "reason": "Kết thúc thử nghiệm hiệu năng"},
                ),
            )
            assert revoked["status"] == "revoked", revoked["status"]
            results.append(
                {
                    "dataset": name,
                    "agency": spec.agency,
                    "approve_call": call,
                    "visible_after": seen,
                    "polls": polls,
                    "revoke_call": revoke_call,
                    "gone_after": gone,
                    "gone_polls": gone_polls,
                }
            )
    send("quit")
    poller.wait(timeout=30)
    return {"trials": results}


def _timed(send: Any, answer: Any, watch: str, action: Any) -> tuple[Any, float, int, float]:
    """Have the poller watch from now on while ``action`` runs in this process; returns the
    action's result, the seconds until the poller saw the change, its searches, the call's
    seconds."""
    started = time.time()  # wall clock: compared with the poller process's
    send(f"{watch} {started!r}")
    result = action()
    call = time.time() - started
    words = answer()
    if words[0] != "seen":
        sys.exit(f"the change was not seen within {POLL_TIMEOUT} s: {' '.join(words)}")
    return result, float(words[1]), int(words[2]), call


def _grant_picks(count: int, trials: int) -> list[Spec]:
    """Restricted datasets of other agencies, one agency after another."""
    by_agency: dict[int, list[Spec]] = {}
    for spec in specs(count):
        if spec.level == "restricted" and spec.agency != MEMBER_AGENCY:
            by_agency.setdefault(spec.agency, []).append(spec)
    picks: list[Spec] = []
    while len(picks) < trials and any(by_agency.values()):
        for pending in by_agency.values():
            if pending and len(picks) < trials:
                picks.append(pending.pop(0))
    return picks


def poll_worker(config: Path) -> None:
    """Search as the member in its own process, like another web worker would.

    Commands on stdin: ``absent NAME`` (check once); ``watch present|absent NAME STARTED``
    (poll until the dataset is or is not found; answer the seconds since STARTED, a wall-clock
    time from the other process, and the number of searches).
    """
    member = member_name("portal")
    with ckan_app(config) as tk:
        from ckan import model

        def found(name: str) -> bool:
            result = tk.get_action("package_search")(
                {"user": member},
                {"q": "*:*", "fq": f'name:"{name}"', "rows": 1, **{"include_private": True}},
            )
            model.Session.remove()  # as at the end of each web request
            return result["count"] == 1

        found("warm-up")
        print("ready", flush=True)
        while line := sys.stdin.readline():
            words = line.split()
            if not words or words[0] == "quit":
                break
            if words[0] == "absent":
                print("ok" if not found(words[1]) else "visible", flush=True)
            elif words[0] == "watch":
                want, name, started = words[1] == "present", words[2], float(words[3])
                polls = 0
                while True:
                    polls += 1
                    state = found(name)
                    now = time.time()
                    if state == want:
                        print(f"seen {now - started!r} {polls}", flush=True)
                        break
                    if now - started > POLL_TIMEOUT:
                        print(f"timeout {now - started!r} {polls}", flush=True)
                        break
                    time.sleep(POLL_INTERVAL)


# --- the driver ----------------------------------------------------------------------------


def seed_both(configs: dict[str, Path], args: argparse.Namespace) -> dict[str, float]:
    """Seed and index both sides at once (two cores: one process per side and step)."""
    started = time.perf_counter()
    print(f"seeding {args.datasets} datasets per side", file=sys.stderr)
    run_workers(
        {v: ["seed", v, str(configs[v]), "--datasets", str(args.datasets)] for v in VARIANTS},
        __file__,
    )
    copied = time.perf_counter() - started
    print(f"indexing ({copied:.0f} s so far)", file=sys.stderr)
    jobs = {
        f"{v}-{part}": ["index", v, str(configs[v]), "--part", str(part), "--parts", str(args.jobs)]
        for v in VARIANTS
        for part in range(args.jobs)
    }
    run_workers(jobs, __file__)
    return {"copy": copied, "total": time.perf_counter() - started}


def report(
    measured: dict[str, Any], grants: dict[str, Any], seeding: dict[str, float], args: Any
) -> str:
    samples, counts = measured["samples"], measured["counts"]
    calls = len(samples["plain"]["all"])
    lines = [
        "# Benchmark: `package_search` under access levels, and grant visibility",
        "",
        f"{environment_line()} · {args.datasets:,} datasets per side (seeded and indexed in "
        f"{seeding['total']:.0f} s, not measured) · {args.rounds} alternating rounds, {calls} "
        f"measured calls per query and side (after {args.warmup} warm-up calls per round)",
        "",
        "## `package_search` as a member of one agency (`rows=20`, `include_private=True`)",
        "",
        "| query | hits plain | hits portal | plain p50 (ms) | plain p95 (ms) | portal p50 (ms) "
        "| portal p95 (ms) | ratio p50 | ratio p95 | target (p50) | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    rows = [(QUERY_LABELS[key], [key]) for key in QUERIES] + [("all three", list(QUERIES))]
    for label, keys in rows:
        plain = [x for key in keys for x in samples["plain"][key]]
        portal = [x for key in keys for x in samples["portal"][key]]
        p50 = (percentile(plain, 50), percentile(portal, 50))
        p95 = (percentile(plain, 95), percentile(portal, 95))
        ratio50, ratio95 = p50[1] / p50[0], p95[1] / p95[0]
        verdict = "pass" if ratio50 <= TARGET_SEARCH else "**over budget**"
        hits = (
            (f"{counts['plain'][keys[0]]:,}", f"{counts['portal'][keys[0]]:,}")
            if len(keys) == 1
            else ("", "")
        )
        lines.append(
            f"| {label} | {hits[0]} | {hits[1]} | {p50[0]:.1f} | {p95[0]:.1f} | {p50[1]:.1f} "
            f"| {p95[1]:.1f} | {ratio50:.2f}× | {ratio95:.2f}× | ≤ {TARGET_SEARCH}× | {verdict} |"
        )

    trials = grants["trials"]
    worst = max(t["visible_after"] for t in trials)
    verdict = "pass" if worst <= TARGET_GRANT_SECONDS else "**over budget**"
    lines += [
        "",
        "## A new grant in search (portal)",
        "",
        "| dataset | approval call (ms) | approval → visible (ms) | searches | revocation call "
        "(ms) | revocation → gone (ms) | searches |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for t in trials:
        lines.append(
            f"| `{t['dataset']}` (agency {t['agency']}) | {t['approve_call'] * 1000:.0f} "
            f"| {t['visible_after'] * 1000:.0f} | {t['polls']} | {t['revoke_call'] * 1000:.0f} "
            f"| {t['gone_after'] * 1000:.0f} | {t['gone_polls']} |"
        )
    lines += [
        "",
        f"Worst approval → visible: **{worst * 1000:.0f} ms** (median "
        f"{statistics.median(t['visible_after'] for t in trials) * 1000:.0f} ms) against a "
        f"target of {TARGET_GRANT_SECONDS:.0f} s: {verdict}. Worst revocation → gone: "
        f"{max(t['gone_after'] for t in trials) * 1000:.0f} ms.",
        "",
        "## How",
        "",
        f"- plain: `ckan.plugins = {PLAIN_PLUGINS}`, CKAN's default schema and its "
        "`DefaultPermissionLabels`; the portal's fields stored as extras. portal: "
        f"`ckan.plugins = {PORTAL_PLUGINS}`, the daknong schemas and `access.AccessLabels`.",
        f"- The same {args.datasets:,} datasets on both sides (fixed random seed): "
        f"{len(AGENCIES)} agencies, access levels open / shared / restricted weighted "
        + " / ".join(str(w) for w in LEVEL_WEIGHTS.values())
        + f", {len(TOPICS)} sectors, titles by topic, place and year; `private` = not open. "
        "Seeded as bulk copies of one dataset made by `package_create` (its package, extra, "
        "tag, resource and membership rows), indexed by `search.rebuild(package_ids=…)` "
        f"in {args.jobs} process(es) per side, both sides at once.",
        "- The member belongs to one agency (organisation) with capacity `member`. Hits are "
        "`count` as that member: plain CKAN shows it public datasets and its organisation's "
        "private ones; the portal open and shared datasets and its agency's restricted ones. "
        "The `q=*:*` and `fq` hits are checked against the seeded list before measuring.",
        "- Searches go through `toolkit.get_action('package_search')` in-process with a fresh "
        "context per call, so the user's labels (on the portal: agencies, collaborations and "
        "active grants, read from PostgreSQL) are computed on every call; each round is a "
        "fresh process per side. Solr's caches warm up alike on both sides.",
        "- Grants: the member's agency requests a restricted dataset of another agency "
        "(`daknong_access_request_create`), its owner agency's admin approves, then the "
        "province approver approves (`daknong_access_request_decide`), which writes the "
        "`AccessGrant`. A separate process searching as the member "
        f"(`fq=name:…`, every {POLL_INTERVAL * 1000:.0f} ms, a new database session per "
        "search) starts polling as the approval is sent; the time is until its first search "
        "that finds the dataset. Then the owner revokes the grant "
        "(`daknong_access_grant_revoke`) and the poller waits for the dataset to disappear. "
        "Nothing is reindexed: the dataset's labels never change, the member's are read per "
        "request. E-mail notifications fail fast (no mail server) and are recorded, as the "
        "workflow does.",
        "- Mean ms — "
        + ", ".join(
            f"{v} {key} {statistics.mean(samples[v][key]) * 1000:.1f}"
            for key in QUERIES
            for v in VARIANTS
        )
        + ".",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    seed_cmd = sub.add_parser("seed", help="internal: seed one side")
    seed_cmd.add_argument("variant", choices=VARIANTS)
    seed_cmd.add_argument("config", type=Path)
    seed_cmd.add_argument("--datasets", type=int, required=True)
    index_cmd = sub.add_parser("index", help="internal: index a share of one side")
    index_cmd.add_argument("variant", choices=VARIANTS)
    index_cmd.add_argument("config", type=Path)
    index_cmd.add_argument("--part", type=int, required=True)
    index_cmd.add_argument("--parts", type=int, required=True)
    search_cmd = sub.add_parser("search", help="internal: measure one side in this process")
    search_cmd.add_argument("variant", choices=VARIANTS)
    search_cmd.add_argument("config", type=Path)
    search_cmd.add_argument("--iterations", type=int, required=True)
    search_cmd.add_argument("--warmup", type=int, default=5)
    search_cmd.add_argument("--datasets", type=int, required=True)
    grant_cmd = sub.add_parser("grant", help="internal: time grants on the portal")
    grant_cmd.add_argument("config", type=Path)
    grant_cmd.add_argument("--grants", type=int, required=True)
    grant_cmd.add_argument("--datasets", type=int, required=True)
    poll_cmd = sub.add_parser("poll", help="internal: search as the member on request")
    poll_cmd.add_argument("config", type=Path)
    parser.add_argument("--datasets", type=int, default=10_000, help="datasets per side")
    parser.add_argument("--iterations", type=int, default=200, help="measured calls per query")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured calls per round")
    parser.add_argument("--grants", type=int, default=5, help="grant trials")
    parser.add_argument("--jobs", type=int, default=1, help="indexing processes per side")
    args = parser.parse_args()

    if args.command == "seed":
        print(json.dumps(seed(args.variant, args.config, args.datasets)))
    elif args.command == "index":
        print(json.dumps(index(args.variant, args.config, args.part, args.parts)))
    elif args.command == "search":
        result = search_worker(
            args.variant, args.config, args.iterations, args.warmup, args.datasets
        )
        print(json.dumps(result))
    elif args.command == "grant":
        print(json.dumps(grant_worker(args.config, args.grants, args.datasets)))
    elif args.command == "poll":
        poll_worker(args.config)
    else:
        with tempfile.TemporaryDirectory(prefix="daknong-bench-") as tmp:
            configs = write_configs(Path(tmp), SITE_IDS, EXTRA_SETTINGS)
            prepare_database(configs["portal"])
            ckan(configs["plain"], "search-index", "clear")
            try:
                seeding = seed_both(configs, args)
                measured = run_rounds(configs, args)
                print("grant visibility: portal", file=sys.stderr)
                grants = run_worker(
                    __file__, "grant", str(configs["portal"]), "--grants", str(args.grants),
                    "--datasets", str(args.datasets), label="grant worker",
                )  # fmt: skip
            finally:
                for variant in VARIANTS:
                    ckan(configs[variant], "search-index", "clear")
        write_result("access.md", report(measured, grants, seeding, args))


if __name__ == "__main__":
    main()
