"""End to end over HTTP: the portal under gunicorn (the production WSGI server), 2 workers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from ckan.tests import factories

from ckanext.daknong.tests.factories import Agency

REPO_ROOT = Path(__file__).resolve().parents[4]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_portal(ckan_config, tmp_path) -> Iterator[str]:
    """Start gunicorn on a free port with the test configuration; yield its base URL."""
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = dict(os.environ, CKAN_INI=str(REPO_ROOT / "test.ini"))
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(gunicorn), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:application"],
            cwd=REPO_ROOT / "deployment",
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                requests.get(f"{base}/api/3/action/status_show", timeout=2)
                break
            except (requests.ConnectionError, requests.Timeout):  # workers still loading
                time.sleep(0.3)
        else:
            pytest.fail("gunicorn did not answer within 90 s")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestPortalOverHttp:
    def test_status_lists_the_portal_plugins(self, live_portal):
        status = requests.get(f"{live_portal}/api/3/action/status_show", timeout=10).json()

        extensions = status["result"]["extensions"]
        for plugin in ("daknong", "scheming_datasets", "harvest", "dcat"):
            assert plugin in extensions
        assert status["result"]["ckan_version"] == "2.11.6"

    def test_dataset_created_over_http_is_served_by_every_worker(self, live_portal):
        sysadmin = factories.SysadminWithToken()
        org = Agency()
        created = requests.post(
            f"{live_portal}/api/3/action/package_create",
            json={
                "name": "du-lieu-qua-http",
                "title": "Dữ liệu tạo qua HTTP",
                "owner_org": org["id"],
                "access_level": "open",
                "license_id": "cc-by",
            },
            headers={"Authorization": sysadmin["token"]},
            timeout=30,
        )
        assert created.status_code == 200, created.text

        # Several requests so that both workers answer at least once with high probability.
        pages = [
            requests.get(f"{live_portal}/dataset/du-lieu-qua-http", timeout=30) for _ in range(6)
        ]
        found = requests.get(
            f"{live_portal}/api/3/action/package_search", params={"q": "HTTP"}, timeout=30
        ).json()

        assert all(page.status_code == 200 for page in pages)
        assert all("Dữ liệu tạo qua HTTP" in page.text for page in pages)
        assert [r["name"] for r in found["result"]["results"]] == ["du-lieu-qua-http"]

    def test_unknown_dataset_is_a_404(self, live_portal):
        response = requests.get(f"{live_portal}/dataset/khong-ton-tai", timeout=30)

        assert response.status_code == 404
