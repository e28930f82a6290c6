"""End to end over HTTP: the portal under gunicorn (the production WSGI server), 2 workers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from ckan.tests import factories

from ckanext.daknong.tests.factories import Agency
from ckanext.daknong.tests.live_portal import gunicorn


@pytest.fixture
def live_portal(ckan_config, tmp_path) -> Iterator[str]:
    """gunicorn (2 workers) on a free port with the test configuration; yields its base URL."""
    with gunicorn(tmp_path, workers=2) as base:
        yield base


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
                "notes": "Dữ liệu kiểm tra.",
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
