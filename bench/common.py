"""What the benchmarks share: configurations, the CLI, worker processes, percentiles.

Every benchmark compares the portal with plain CKAN in the same run, on the same PostgreSQL,
Solr and Redis, in a database of its own (``ckan_bench``, made by ``bench/run.sh``), with its
own Solr site ids and Redis database, so nothing here touches the portal's or the tests'
data. Each side runs in its own process (CKAN's plugin registry is global).
"""

from __future__ import annotations

import configparser
import json
import os
import platform
import secrets
import socket
import string
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from copy import deepcopy
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TEMPLATE = ROOT / "deployment" / "ckan.ini.in"

DB_NAME = os.environ.get("DAKNONG_BENCH_DB", "ckan_bench")
REDIS_DB = os.environ.get("DAKNONG_BENCH_REDIS_DB", "2")


def _suite_plugins() -> str:
    """The portal's plugin list as the tests and ``make up`` load it (test.ini): all of them."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "test.ini", encoding="utf-8")
    return " ".join(parser["app:main"]["ckan.plugins"].split())


PORTAL_PLUGINS = os.environ.get("DAKNONG_PLUGINS") or _suite_plugins()
PLAIN_PLUGINS = "activity"
VARIANTS = ("plain", "portal")

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
    "spatial_units": ["663"],
    "temporal_start": "2023-01-01",
    "temporal_end": "2023-12-31",
    "data_sources": "Chi cục Thống kê huyện Đắk Mil",
    "contact_name": "Nguyễn Văn An",
    "contact_email": "thongke@daknong.gov.vn",
}


def write_configs(
    directory: Path,
    site_ids: Mapping[str, str],
    extra: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Path]:
    """The two ini files: the portal's own template, bent to the bench's database and ids.

    *plain* loads ``activity`` only (what ``ckan generate config`` enables) and drops the
    portal's settings; *portal* keeps every plugin of the portal. ``site_ids`` gives each
    side its Solr site id; ``extra`` adds settings per side.
    """
    env = {
        "DAKNONG_SECRET_KEY": secrets.token_urlsafe(32),
        "DAKNONG_SHARING_LOG_SIGNING_KEY": secrets.token_urlsafe(32),
        "DAKNONG_SHARING_LOG_PREVIOUS_KEYS": "",
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
        main["ckan.site_id"] = site_ids[variant]
        main["ckan.redis.url"] = f"redis://127.0.0.1:{env['DAKNONG_REDIS_PORT']}/{REDIS_DB}"
        main["ckanext.daknong.demo_accounts_file"] = ""
        if variant == "plain":
            main["ckan.plugins"] = PLAIN_PLUGINS
            for key in [k for k in main if k.startswith(("scheming.", "ckanext.", "ckan.harvest"))]:
                del main[key]
        for key, value in ((extra or {}).get(variant) or {}).items():
            main[key] = value
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
    plugins = set(PORTAL_PLUGINS.split())
    for migrated in ("daknong", "daknong_harvest", "daknong_sharing_log"):
        if migrated in plugins:
            ckan(config, "db", "upgrade", "-p", migrated)
    if "daknong_sharing_log" in plugins:
        # as in production and `make test`: the application role may only read and append
        ckan(config, "daknong", "sharing-log", "harden", "--admin-url", admin_url())
    ckan(config, "search-index", "clear")


def run_worker(script: str, *args: str, label: str) -> dict[str, Any]:
    """Run ``script`` as a worker process; its last line of output is a JSON result."""
    command = [sys.executable, script, *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"{label} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_workers(jobs: Mapping[str, list[str]], script: str) -> dict[str, dict[str, Any]]:
    """Run several workers of ``script`` at once (label → arguments); their JSON results."""
    running = {
        label: subprocess.Popen(
            [sys.executable, script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )
        for label, args in jobs.items()
    }  # fmt: skip
    results, failed = {}, []
    for label, process in running.items():
        out, err = process.communicate()
        if process.returncode:
            failed.append(f"{label} failed:\n{out}\n{err}")
        else:
            results[label] = json.loads(out.strip().splitlines()[-1])
    if failed:
        sys.exit("\n".join(failed))
    return results


@contextmanager
def ckan_app(config: Path) -> Iterator[Any]:
    """Load CKAN with ``config`` in this process; yields the toolkit inside a request."""
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(str(config)))
    with app._wsgi_app.test_request_context():
        import ckan.plugins.toolkit as tk

        yield tk


def site_context(tk: Any) -> dict[str, Any]:
    """A context that acts as the site user, for setting up (never measured)."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True})["name"]
    return {"ignore_auth": True, "user": site_user}


def check_side(variant: str, created: dict[str, Any]) -> None:
    """Make sure each side really is what the report says it is."""
    if variant == "portal":
        assert created.get("access_level") == "open", "the portal schema did not apply"
        assert created.get("spatial_units") == ["663"], "the portal schema did not apply"
    else:
        assert "access_level" not in created, "plain CKAN ran with a schema plugin"
        assert {e["key"] for e in created["extras"]} == set(PORTAL_FIELDS)


def dataset_payload(variant: str, org: str, database: str | None, suffix: str) -> dict[str, Any]:
    """The dataset both sides store: on the portal as schema fields, on plain CKAN as
    extras (``database`` is the portal's reference to a database entry, or None)."""
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


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank] * 1000


def environment_line() -> str:
    """When and on what the numbers were taken."""
    import ckan

    return (
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · CKAN {ckan.__version__} · Python "
        f"{platform.python_version()} · {os.cpu_count()} CPU"
    )


def write_result(name: str, text: str) -> None:
    """Store the report under ``bench/results`` (git-ignored) and print it."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / name).write_text(text, encoding="utf-8")
    print(text)


# --- PostgreSQL as superuser, and other databases (bench_sharing_log.py) --------------------


def pg_socket() -> str:
    """The directory of the stack's PostgreSQL socket (``run.sh`` passes it on)."""
    socket_dir = os.environ.get("DAKNONG_BENCH_PG_SOCKET")
    if socket_dir:
        return socket_dir
    local = Path(os.environ.get("DAKNONG_LOCAL", ROOT / "deployment" / "local"))
    return (local / "run" / "pg.started").read_text(encoding="utf-8").strip() + "/socket"


def admin_url(database: str = "postgres") -> str:
    """The cluster's ``postgres`` superuser over the socket (the stack trusts it locally)."""
    port = os.environ.get("DAKNONG_PG_PORT", "5432")
    return f"postgresql://postgres@/{database}?host={pg_socket()}&port={port}"


def admin_connection(database: str = "postgres") -> Any:
    """An autocommit psycopg2 connection as the superuser (CREATE / DROP DATABASE)."""
    import psycopg2

    connection = psycopg2.connect(admin_url(database))
    connection.autocommit = True
    return connection


def app_url(database: str) -> str:
    """``sqlalchemy.url`` of the CKAN role for another database (as the template writes it)."""
    user = os.environ.get("DAKNONG_DB_USER", "ckan_default")
    password = os.environ.get("DAKNONG_DB_PASSWORD", "pass")
    port = os.environ.get("DAKNONG_PG_PORT", "5432")
    return f"postgresql://{user}:{password}@127.0.0.1:{port}/{database}"


def port_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:``port``."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0
