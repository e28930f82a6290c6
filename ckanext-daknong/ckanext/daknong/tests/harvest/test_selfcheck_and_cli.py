"""Agency self-check (page, action, CLI) and `ckan daknong harvest …` (QĐ 43 Art. 21.3).

The self-check reads and validates a catalogue and previews what a harvest would change,
without importing anything.
"""

from __future__ import annotations

import io
import json

import ckan.cli.cli
import ckan.plugins.toolkit as tk
import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.daknong.harvest.model import HarvestSecret
from ckanext.daknong.tests.factories import Agency, agency_member
from ckanext.daknong.tests.harvest.helpers import harvested, make_source, run_job, set_token
from ckanext.daknong.tests.harvest.servers import FakeCkan, LocalServer, Reply
from ckanext.daknong.tests.harvest.test_spreadsheet_harvester import ROWS, _csv, _row

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

BAD_ROW = _row(remote_id="TN-09", title="Sai lĩnh vực", sector="Không có")


def _run(cli, *args: str, input: str | None = None):
    return cli.invoke(ckan.cli.cli.ckan, ["daknong", "harvest", *args], input=input)


def _datasets() -> int:
    return model.Session.query(model.Package).filter(model.Package.type != "harvest").count()


@pytest.fixture
def server():
    with LocalServer() as running:
        yield running


class TestSelfCheck:
    def test_cli_reports_errors_by_row_and_imports_nothing(self, cli, tmp_path):
        agency = Agency()
        path = tmp_path / "danh-muc.csv"
        path.write_bytes(_csv([*ROWS, BAD_ROW]).encode("utf-8-sig"))

        result = _run(cli, "check", agency["name"], str(path), "--json")

        assert result.exit_code == 1, result.output
        report = json.loads(result.output)
        assert report["errors"] == [
            {
                "where": "dòng 4 / row 4",
                "message": "sector: giá trị không hợp lệ 'Không có' / "
                "sector: unknown value 'Không có'",
                "text": "dòng 4: sector: giá trị không hợp lệ 'Không có' / "
                "row 4: sector: unknown value 'Không có'",
            }
        ]
        assert len(report["new"]) == 2 and report["ok"] is False
        assert _datasets() == 0

    def test_the_scheming_schema_validates_without_writing(self, cli, tmp_path):
        """QĐ 43 Art. 9.1: a database entry needs its type; the schema, not the mapping, says so."""
        agency = Agency()
        rows = [
            ROWS[0],
            ROWS[1],
            _row(remote_id="CSDL-2", type="Cơ sở dữ liệu", title="Thiếu loại"),
        ]
        path = tmp_path / "danh-muc.csv"
        path.write_bytes(_csv(rows).encode("utf-8"))

        result = _run(cli, "check", agency["name"], str(path))

        assert result.exit_code == 1, result.output
        assert "error: dòng 3: database_type:" in result.output
        assert " / row 3: database_type:" in result.output
        assert "new 1, updated 0, unchanged 0, would be withdrawn 0" in result.output
        assert _datasets() == 0

    def test_preview_against_the_registered_source(self, server):
        agency = Agency()
        server.static("/danh-muc.csv", _csv(ROWS).encode("utf-8"), "text/csv")
        source = make_source(agency, server.url + "/danh-muc.csv", "daknong_spreadsheet")
        run_job(source["id"])
        changed = [
            ROWS[0],
            ROWS[1][:2] + ["Tên mới của bộ dữ liệu"] + ROWS[1][3:],
            _row(remote_id="TN-10", title="Bộ dữ liệu mới"),
        ]
        before = _datasets()

        report = call_action(
            "daknong_harvest_check",
            context={"ignore_auth": True},
            agency=agency["name"],
            source_type="daknong_spreadsheet",
            upload=_csv(changed).encode("utf-8"),
        )

        assert [x.split(" ")[0] for x in report["updated"]] == ["TN-01"]
        assert [x.split(" ")[0] for x in report["new"]] == ["TN-10"]
        assert report["withdrawn"] == ["TN-02"]
        assert _datasets() == before
        assert harvested(source["id"])["TN-01"]["title"].startswith("Danh sách")

    def test_the_token_goes_only_to_the_registered_address(self, ckan_config, monkeypatch):
        """An editor typing another address must not make the portal send the agency's token."""
        monkeypatch.setitem(
            ckan_config, "ckanext.daknong.harvest.allowed_networks", ["127.0.0.0/8"]
        )
        token = "bi-mat-khong-duoc-lo-77"
        agency = Agency()
        with LocalServer() as registered, LocalServer() as elsewhere:
            for server in (registered, elsewhere):
                FakeCkan(server, token=token).add(id="r-1", name="dan-cu", title="Dân cư")
            source = make_source(agency, registered.url, "daknong_ckan")
            set_token(source["id"], token)

            for url in (elsewhere.url, registered.url):
                call_action(
                    "daknong_harvest_check",
                    context={"ignore_auth": True},
                    agency=agency["name"],
                    source_type="daknong_ckan",
                    url=url,
                )

            sent_elsewhere = [h.get("authorization") for _, _, h in elsewhere.requests]
            sent_registered = [h.get("authorization") for _, _, h in registered.requests]
        assert sent_elsewhere and token not in sent_elsewhere
        assert token in sent_registered

    def test_page_upload_for_the_agency_editor_only(self, app):
        agency = Agency()
        editor = agency_member(agency, "editor")
        member = agency_member(agency, "member")
        body = _csv([*ROWS, BAD_ROW]).encode("utf-8")

        def post(user):
            return app.post(
                "/harvest-check",
                data={
                    "agency": agency["name"],
                    "source_type": "daknong_spreadsheet",
                    "upload": (io.BytesIO(body), "danh-muc.csv"),
                },
                headers={"Authorization": user["token"]},
                content_type="multipart/form-data",
            )

        page = post(editor)
        refused = post(member)

        assert page.status_code == 200
        assert "row 4: sector: unknown value" in page.body
        assert "dòng 4: sector: giá trị không hợp lệ" in page.body
        assert refused.status_code == 403
        assert _datasets() == 0


class TestCommands:
    def test_harvest_joins_the_daknong_group_next_to_agencies(self, cli):
        result = cli.invoke(ckan.cli.cli.ckan, ["daknong", "--help"])

        assert result.exit_code == 0
        assert "harvest" in result.output and "agencies" in result.output

    def test_token_is_read_from_stdin_and_kept_out_of_the_config(self, cli):
        source = make_source(Agency(), "http://127.0.0.1:9/", "daknong_ckan")

        result = _run(cli, "token", source["name"], input="bi-mat-123\n")

        assert result.exit_code == 0, result.output
        assert "bi-mat-123" not in result.output
        assert model.Session.get(HarvestSecret, source["id"]).token == "bi-mat-123"
        shown = call_action("harvest_source_show", context={"ignore_auth": True}, id=source["id"])
        assert "bi-mat-123" not in json.dumps(shown)
        removed = _run(cli, "token", source["name"], "--remove")
        assert removed.exit_code == 0
        model.Session.expire_all()
        assert model.Session.get(HarvestSecret, source["id"]) is None

    def test_schedule_and_status_commands(self, cli):
        agency = Agency(title="Sở Công Thương")
        make_source(agency, "http://127.0.0.1:9/danh-muc.csv", "daknong_spreadsheet")

        scheduled = _run(cli, "schedule", "--today", "2026-10-02")
        status = _run(cli, "status", "--quarter", "2026Q4")

        assert scheduled.exit_code == 0, scheduled.output
        assert "1 started" in scheduled.output
        assert agency["name"] in status.output and "running" in status.output

    def test_status_action_is_refused_to_users_without_agency(self):
        user = factories.User()
        with pytest.raises(Exception, match="harvest status|Only agency users|trạng thái"):
            call_action(
                "daknong_harvest_status", context={"user": user["name"], "ignore_auth": False}
            )


ALLOWED_NETWORKS = "ckanext.daknong.harvest.allowed_networks"


def _check_url(agency, url: str, user: str | None = None, source_type: str = "daknong_dcat"):
    context = {"user": user} if user else {"ignore_auth": True}
    return call_action(
        "daknong_harvest_check",
        context=context,
        agency=agency["name"],
        source_type=source_type,
        url=url,
    )


@pytest.fixture
def no_allow_list(ckan_config, monkeypatch):
    """test.ini allow-lists loopback for the fake portals; these tests need it refused."""
    monkeypatch.setitem(ckan_config, ALLOWED_NETWORKS, [])


@pytest.mark.usefixtures("no_allow_list")
class TestSelfCheckAddresses:
    """QĐ 43 Art. 21.3 asks agencies to check their catalogue, not to reach into the portal's
    network: a typed address must be public http(s), or in the allowed networks (SSRF)."""

    @pytest.mark.parametrize(
        "address",
        [
            "http://127.0.0.1:{port}/catalog.ttl",
            "http://localhost:{port}/catalog.ttl",
            "http://[::1]:{port}/catalog.ttl",
            "http://[::ffff:127.0.0.1]:{port}/catalog.ttl",
            "http://2130706433:{port}/catalog.ttl",  # 127.0.0.1 as one number
            "http://169.254.169.254/latest/meta-data/",  # cloud metadata
            "http://10.20.30.40/catalog.ttl",
            "http://172.16.0.1/catalog.ttl",
            "http://192.168.1.1/catalog.ttl",
            "http://0.0.0.0:{port}/catalog.ttl",
        ],
    )
    def test_loopback_link_local_and_private_addresses_are_refused(self, server, address):
        agency = Agency()
        server.static("/catalog.ttl", b"", "text/turtle")
        url = address.format(port=server.httpd.server_address[1])

        with pytest.raises(tk.ValidationError) as refused:
            _check_url(agency, url)

        [message] = refused.value.error_dict["url"]
        assert "địa chỉ nội bộ" in message  # Vietnamese …
        assert "loopback, link-local or private address" in message  # … and English
        assert server.requests == []  # nothing was fetched

    @pytest.mark.parametrize(
        "url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:6379/_INFO"]
    )
    def test_only_http_and_https(self, url):
        with pytest.raises(tk.ValidationError) as refused:
            _check_url(Agency(), url)

        [message] = refused.value.error_dict["url"]
        assert "chỉ kiểm tra được địa chỉ http và https" in message
        assert "only http and https addresses can be checked" in message

    def test_an_unresolvable_host_is_refused(self):
        with pytest.raises(tk.ValidationError, match="cannot be resolved"):
            _check_url(Agency(), "http://khong-ton-tai.invalid/catalog.ttl")

    def test_the_allowed_networks_let_a_listed_range_through(
        self, server, ckan_config, monkeypatch
    ):
        agency = Agency()
        server.static("/danh-muc.csv", _csv(ROWS).encode("utf-8"), "text/csv")
        monkeypatch.setitem(ckan_config, ALLOWED_NETWORKS, ["127.0.0.0/8"])

        report = _check_url(agency, server.url + "/danh-muc.csv", source_type="daknong_spreadsheet")

        assert report["ok"] is True and len(report["new"]) == 2
        assert [path for path, _, _ in server.requests] == ["/danh-muc.csv"]

    def test_a_registered_source_address_gets_no_exemption(self, server, ckan_config):
        """C2: a registered address skipped the guard; it is now checked like a typed one."""
        agency = Agency()
        server.static("/danh-muc.csv", _csv(ROWS).encode("utf-8"), "text/csv")
        ckan_config[ALLOWED_NETWORKS] = ["127.0.0.0/8"]
        make_source(agency, server.url + "/danh-muc.csv", "daknong_spreadsheet")
        ckan_config[ALLOWED_NETWORKS] = []

        with pytest.raises(tk.ValidationError):
            _check_url(agency, server.url + "/danh-muc.csv", source_type="daknong_spreadsheet")
        assert server.requests == []

    def test_a_redirect_to_a_refused_address_is_not_followed(self, ckan_config, monkeypatch):
        """Allowed 127.0.0.1 answers with a redirect to 127.0.0.2, which is not allowed."""
        monkeypatch.setitem(ckan_config, ALLOWED_NETWORKS, ["127.0.0.1/32"])
        with LocalServer() as outer, LocalServer("127.0.0.2") as inner:
            inner.static("/secret.csv", _csv(ROWS).encode("utf-8"), "text/csv")
            target = inner.url + "/secret.csv"
            outer.route("/danh-muc.csv", lambda *_: Reply(302, b"", {"Location": target}))

            report = _check_url(
                Agency(), outer.url + "/danh-muc.csv", source_type="daknong_spreadsheet"
            )

            assert inner.requests == []
        assert report["ok"] is False
        assert "127.0.0.2 is a loopback, link-local or private address" in report["fatal"]
        assert "127.0.0.2 là địa chỉ nội bộ" in report["fatal"]

    def test_page_and_cli_refuse_the_metadata_address(self, app, cli):
        agency = Agency()
        editor = agency_member(agency, "editor")

        page = app.post(
            "/harvest-check",
            data={
                "agency": agency["name"],
                "source_type": "daknong_dcat",
                "url": "http://169.254.169.254/latest/meta-data/",
            },
            headers={"Authorization": editor["token"]},
        )
        result = _run(
            cli, "check", agency["name"], "http://169.254.169.254/latest/", "--type", "daknong_dcat"
        )

        assert page.status_code == 200
        assert "169.254.169.254 là địa chỉ nội bộ" in page.body
        assert "169.254.169.254 is a loopback, link-local or private address" in page.body
        assert result.exit_code != 0
        assert "169.254.169.254 is a loopback, link-local or private address" in result.output
