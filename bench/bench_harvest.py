"""Harvest benchmark (issues 6, 11): a first harvest of 5,000 datasets from a local CKAN API.

Reports datasets per second for the portal's CKAN harvester (``daknong_ckan``: scheming
validation, content hashes) beside ckanext-harvest's stock CKAN harvester (``ckan``) on the
same source (budget, issue 11 §3: at least 3× the stock harvester's rate), the time of a
second harvest with nothing changed (budget: at least 10× faster than the first), and the
peak memory of the process that runs the fetch and import stages (budget: under 300 MB; the
process also gathers, so this is an upper bound).

The remote portal is a local HTTP server in this process, answering ``package_search`` with
5,000 Vietnamese datasets (two resources, three tags each). Each harvester runs in its own
worker process on the portal's configuration, in the bench database made by ``run.sh``; the
stages run in-process, as the gather and fetch consumers would run them, without the queues.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

# The portal does not enable ckanext-harvest's stock CKAN harvester (it fetches outside the
# address guard); the benchmark loads it to measure against it, and registers its source with
# the internal context key that lets the portal accept an unguarded source type.
HARVEST_PLUGINS = (
    "daknong_harvest daknong_ckan_harvester daknong_dcat_harvester daknong_spreadsheet_harvester "
    "ckan_harvester"
)
SITE_ID = "daknong-bench-harvest"
TARGET_SPEEDUP = 10.0
TARGET_FIRST_RATIO = 3.0  # first harvest, datasets/s against the stock harvester (issue 11 §3)
TARGET_MEMORY_MB = 300
SIDES = {"daknong": "daknong_ckan", "stock": "ckan"}


def remote_datasets(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"00000000-0000-4000-8000-{i:012d}",
            "name": f"so-lieu-dan-so-xa-{i}",
            "title": f"Số liệu dân số và lao động xã số {i}, huyện Đắk Mil",
            "notes": common.NOTES,
            "type": "dataset",
            "private": False,
            "license_id": "cc-by",
            "metadata_modified": "2026-10-01T00:00:00",
            "tags": [{"name": "dân số"}, {"name": "lao động"}, {"name": "thống kê"}],
            "resources": [
                {"name": "Bảng tổng hợp", "url": f"https://example.org/{i}.csv", "format": "CSV"},
                {"name": "Bảng chi tiết", "url": f"https://example.org/{i}.xlsx", "format": "XLSX"},
            ],
            "extras": [],
        }
        for i in range(count)
    ]


def serve(datasets: list[dict[str, Any]]) -> ThreadingHTTPServer:
    """A CKAN Action API answering package_search (any prefix, any page size)."""
    ordered = sorted(datasets, key=lambda d: d["id"])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            if not parsed.path.endswith("/package_search"):
                self.send_error(404)
                return
            query = parse_qs(parsed.query)
            start = int(query.get("start", ["0"])[0])
            rows = int(query.get("rows", ["10"])[0])
            result = {"count": len(ordered), "results": ordered[start : start + rows]}
            body = json.dumps({"success": True, "result": result}, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_job(tk: Any, source_id: str) -> tuple[float, int, int]:
    """One job through gather, fetch and import; (seconds, objects, errored objects)."""
    from ckanext.harvest import queue
    from ckanext.harvest.model import HarvestJob, HarvestObject

    site = common.site_context(tk)
    started = time.perf_counter()
    job_dict = tk.get_action("harvest_job_create")(
        dict(site), {"source_id": source_id, "run": False}
    )
    job = HarvestJob.get(job_dict["id"])
    job.status = "Running"
    job.save()
    harvester = queue.get_harvester(job.source.type)
    object_ids = queue.gather_stage(harvester, job) or []
    errored = 0
    for object_id in object_ids:
        harvest_object = HarvestObject.get(object_id)
        queue.fetch_and_import_stages(harvester, harvest_object)
        errored += harvest_object.state == "ERROR"
    tk.get_action("harvest_jobs_run")(dict(site), {"source_id": source_id})
    return time.perf_counter() - started, len(object_ids), errored


def worker(side: str, config: Path, url: str) -> dict[str, Any]:
    with common.ckan_app(config) as tk:
        site = common.site_context(tk)
        org = tk.get_action("organization_create")(
            dict(site),
            {
                "name": f"bench-harvest-{side}",
                "title": "Ủy ban nhân dân huyện Đắk Mil",
                "agency_code": f"H16.BH{side.upper()[:6]}",
                "agency_level": "district_committee",
            },
        )
        source = tk.get_action("harvest_source_create")(
            {**site, "daknong_unguarded_harvester": side == "stock"},
            {
                "name": f"bench-source-{side}",
                "title": f"Nguồn {side}",
                "url": f"{url}/{side}",
                "source_type": SIDES[side],
                "frequency": "MANUAL",
                "owner_org": org["id"],
                "config": json.dumps({"public_access_level": "open"} if side == "daknong" else {}),
            },
        )
        first, first_objects, first_errors = run_job(tk, source["id"])
        second, second_objects, _ = run_job(tk, source["id"])
        imported = tk.get_action("package_search")(
            dict(site), {"fq": f"owner_org:{org['id']}", "rows": 0, "include_private": True}
        )["count"]
    return {
        "side": side,
        "first_seconds": first,
        "first_objects": first_objects,
        "first_errors": first_errors,
        "imported": imported,
        "second_seconds": second,
        "second_objects": second_objects,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def report(results: dict[str, dict[str, Any]], count: int) -> str:
    lines = [
        "# Harvest benchmark (issues 6 and 11)",
        "",
        common.environment_line(),
        "",
        f"First harvest of {count} datasets from a local CKAN API, then a second with nothing "
        "changed.",
        "",
        "| harvester | imported | errored | first harvest (s) | datasets/s | second harvest (s) "
        "| speed-up | peak memory (MB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for side, label in (("daknong", "portal `daknong_ckan`"), ("stock", "stock `ckan`")):
        r = results[side]
        speedup = r["first_seconds"] / r["second_seconds"] if r["second_seconds"] else 0
        lines.append(
            f"| {label} | {r['imported']} | {r['first_errors']} | {r['first_seconds']:.1f} | "
            f"{r['imported'] / r['first_seconds']:.1f} | {r['second_seconds']:.2f} | "
            f"{speedup:.1f}× | {r['peak_rss_mb']:.0f} |"
        )
    ours = results["daknong"]
    speedup = ours["first_seconds"] / max(ours["second_seconds"], 1e-9)
    stock = results["stock"]
    ratio = (ours["imported"] / ours["first_seconds"]) / max(
        stock["imported"] / stock["first_seconds"], 1e-9
    )
    lines += [
        "",
        f"- First harvest at least {TARGET_FIRST_RATIO:g}× the stock harvester's datasets/s: "
        f"{'met' if ratio >= TARGET_FIRST_RATIO else 'NOT met'} ({ratio:.2f}×).",
        f"- Second harvest at least {TARGET_SPEEDUP:g}× faster: "
        f"{'met' if speedup >= TARGET_SPEEDUP else 'NOT met'} ({speedup:.1f}×).",
        f"- Peak memory under {TARGET_MEMORY_MB} MB: "
        f"{'met' if ours['peak_rss_mb'] < TARGET_MEMORY_MB else 'NOT met'} "
        f"({ours['peak_rss_mb']:.0f} MB, whole worker process).",
        f"- All {count} datasets imported by the portal harvester: "
        f"{'yes' if ours['imported'] == count else 'NO'}.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=5000)
    parser.add_argument("--worker", choices=sorted(SIDES))
    parser.add_argument("--config", type=Path)
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.config, args.url)))
        return
    with tempfile.TemporaryDirectory() as directory:
        plugins = f"{common.PORTAL_PLUGINS} {HARVEST_PLUGINS}"
        configs = common.write_configs(
            Path(directory),
            {"plain": SITE_ID + "-unused", "portal": SITE_ID},
            {
                "portal": {
                    "ckan.plugins": " ".join(dict.fromkeys(plugins.split())),
                    # The remote portal is this process's server on loopback, which the
                    # harvest address guard refuses unless allow-listed (as test.ini does).
                    "ckanext.daknong.harvest.allowed_networks": "127.0.0.1/32",
                }
            },
        )
        config = configs["portal"]
        common.prepare_database(config)
        common.ckan(config, "db", "upgrade", "-p", "daknong_harvest")
        server = serve(remote_datasets(args.datasets))
        url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            results = {
                side: common.run_worker(
                    __file__,
                    "--worker",
                    side,
                    "--config",
                    str(config),
                    "--url",
                    url,
                    label=f"{side} harvester",
                )
                for side in ("daknong", "stock")
            }
        finally:
            server.shutdown()
            common.ckan(config, "search-index", "clear")
    common.write_result("harvest.md", report(results, args.datasets))


if __name__ == "__main__":
    main()
