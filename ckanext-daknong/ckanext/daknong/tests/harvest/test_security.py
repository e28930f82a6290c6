"""Harvest security: who may register and run sources (C2), the one address guard (M4, C2),
the token kept at the source's origin (M6), the harvest object pages (C1), and the
ckanext-harvest actions that answered 500 or with no auth (Low).

QĐ 43 Art. 10 (access levels), Art. 12.3 (protecting the shared database) and NĐ 47 Art. 45
(security of shared data): none of these paths may read or change what the caller may not.
"""

from __future__ import annotations

import json
import socket

import ckan.plugins as p
import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.harvest.interfaces import IHarvester
from ckanext.harvest.model import HarvestObject, HarvestSource

from ckanext.daknong.harvest import fetch, netguard, selfcheck
from ckanext.daknong.harvest.engine import DaknongHarvester
from ckanext.daknong.tests.factories import Agency, agency_member
from ckanext.daknong.tests.harvest.helpers import make_source, run_job, set_token
from ckanext.daknong.tests.harvest.servers import FakeCkan, LocalServer, Reply
from ckanext.daknong.tests.harvest.test_dcat_harvester import PREFIXES, _dataset_ttl
from ckanext.daknong.tests.harvest.test_spreadsheet_harvester import ROWS, _csv

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

ALLOWED = "ckanext.daknong.harvest.allowed_networks"
TOKEN = "bi-mat-cua-nguon-42"


@pytest.fixture
def no_allow_list(ckan_config, monkeypatch):
    """The test configuration allow-lists loopback for the fake portals; not here."""
    monkeypatch.setitem(ckan_config, ALLOWED, [])


def _count(table: str) -> int:
    model.Session.remove()
    return model.Session.execute(sa.text(f"select count(*) from {table}")).scalar()


def _api(app, action: str, user=None, **data):
    headers = {"Authorization": user["token"]} if user else {}
    return app.post(f"/api/3/action/{action}", json=data, headers=headers)


class TestSourcesAreForSysadmins:
    """C2: an agency admin registered a source pointing at the portal's Solr and read every
    agency's restricted titles through the self-check; refusals came after the commit."""

    def test_source_create_refused_leaves_no_row(self, app):
        agency = Agency()
        admin = agency_member(agency, "admin")
        packages, sources = _count("package"), _count("harvest_source")

        answer = _api(
            app,
            "harvest_source_create",
            admin,
            name="nguon-solr",
            title="Solr",
            url="http://127.0.0.1:8983/solr/ckan/select?q=*:*&wt=csv&fl=remote_id:id,title:notes",
            source_type="daknong_spreadsheet",
            frequency="MANUAL",
            owner_org=agency["id"],
            config="{}",
        )
        direct = _api(
            app, "package_create", admin, name="nguon-2", type="harvest", owner_org=agency["id"]
        )

        assert answer.status_code == 403 and direct.status_code == 403
        assert _count("package") == packages and _count("harvest_source") == sources

    def test_job_create_refused_leaves_no_row(self, app):
        agency = Agency()
        admin = agency_member(agency, "admin")
        source = make_source(agency, "http://127.0.0.1:9/danh-muc.csv", "daknong_spreadsheet")
        jobs = _count("harvest_job")

        answer = _api(app, "harvest_job_create", admin, source_id=source["id"])

        assert answer.status_code == 403
        assert _count("harvest_job") == jobs

    @pytest.mark.parametrize("action", ["harvest_source_update", "harvest_source_patch"])
    def test_update_and_patch_refused_on_a_sysadmins_source(self, app, action):
        agency = Agency()
        admin = agency_member(agency, "admin")
        source = make_source(agency, "http://127.0.0.1:9/danh-muc.csv", "daknong_spreadsheet")
        solr = "http://127.0.0.1:8983/solr/ckan/select?q=*:*&wt=csv"

        answer = _api(
            app,
            action,
            admin,
            id=source["id"],
            name=source["name"],
            url=solr,
            source_type="daknong_spreadsheet",
            owner_org=agency["id"],
        )
        patched = _api(app, "package_patch", admin, id=source["id"], url=solr)

        assert answer.status_code == 403 and patched.status_code == 403
        model.Session.remove()
        stored = model.Session.execute(
            sa.text("select url from harvest_source where id = :id"), {"id": source["id"]}
        ).scalar()
        assert stored == "http://127.0.0.1:9/danh-muc.csv"

    @pytest.mark.usefixtures("no_allow_list")
    def test_a_registered_loopback_source_is_refused_by_check_and_job(self):
        """The registered address skipped the guard; now it is checked like a typed one."""
        agency = Agency()
        with LocalServer() as solr:
            solr.static("/solr/ckan/select", _csv(ROWS).encode("utf-8"), "text/csv")
            url = solr.url + "/solr/ckan/select"
            model.Session.add(model.Session.merge(model.Session.get(model.Group, agency["id"])))
            with pytest.MonkeyPatch.context() as patch:
                patch.setitem(tk.config, ALLOWED, ["127.0.0.0/8"])
                source = make_source(agency, url, "daknong_spreadsheet")
            editor = agency_member(agency, "editor")

            with pytest.raises(tk.ValidationError) as refused:
                call_action(
                    "daknong_harvest_check",
                    context={"user": editor["name"]},
                    agency=agency["name"],
                    source_type="daknong_spreadsheet",
                    url=url,
                )
            result = run_job(source["id"])

            assert solr.requests == []
        assert "127.0.0.1 is a loopback, link-local or private address" in str(
            refused.value.error_dict
        )
        assert any("127.0.0.1 là địa chỉ nội bộ" in e for e in result["gather_errors"])


@pytest.mark.usefixtures("no_allow_list")
class TestAddressGuard:
    """M4: the guard parsed URLs unlike requests; open and closed ports answered differently."""

    @pytest.mark.parametrize(
        "address",
        [
            "http://127.0.0.1:{port}\\@example.org/danh-muc.csv",
            "http://user:pass@127.0.0.1:{port}/danh-muc.csv",
            "http://example.org@127.0.0.1:{port}/danh-muc.csv",
            "http://0177.0.0.1:{port}/danh-muc.csv",
            "http://0x7f000001:{port}/danh-muc.csv",
            "http://[::ffff:7f00:1]:{port}/danh-muc.csv",
            "http://[64:ff9b::7f00:1]:{port}/danh-muc.csv",
            "http://LOCALHOST.:{port}/danh-muc.csv",
        ],
    )
    def test_parser_tricks_are_judged_as_the_client_sends_them(self, address):
        with LocalServer() as server:
            server.static("/danh-muc.csv", _csv(ROWS).encode("utf-8"), "text/csv")
            url = address.format(port=server.httpd.server_address[1])

            with pytest.raises(netguard.UnsafeAddress) as refused:
                fetch.get(url)

            assert server.requests == []
        message = str(refused.value)
        assert "loopback, link-local or private" in message or "backslash" in message
        assert " / " in message  # Vietnamese / English

    def test_the_connection_goes_to_the_checked_address(self, ckan_config, monkeypatch):
        """DNS rebinding: the name answers an allowed address first, a refused one next."""
        monkeypatch.setitem(ckan_config, ALLOWED, ["127.0.0.1/32"])
        with LocalServer() as allowed:
            port = allowed.httpd.server_address[1]
            with _server_on("127.0.0.2", port) as refused:
                for server in (allowed, refused):
                    server.static("/danh-muc.csv", b"ok", "text/csv")
                answers = iter(["127.0.0.1"] + ["127.0.0.2"] * 10)
                real = socket.getaddrinfo

                def rebinding(host, *args, **kwargs):
                    if host == "doi-ten.test":
                        address = next(answers)
                        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
                    return real(host, *args, **kwargs)

                monkeypatch.setattr(socket, "getaddrinfo", rebinding)

                body = fetch.get(f"http://doi-ten.test:{port}/danh-muc.csv")

                assert refused.requests == []
        assert body == b"ok"
        [(_, _, headers)] = allowed.requests
        assert headers["host"] == f"doi-ten.test:{port}"

    def test_closed_and_silent_ports_give_one_message(self, ckan_config, monkeypatch):
        monkeypatch.setitem(ckan_config, ALLOWED, ["127.0.0.0/8"])
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        closed_port = closed.getsockname()[1]
        closed.close()
        limits = fetch.Limits(timeout=1, max_bytes=1000, max_redirects=1, deadline=5)
        with LocalServer() as slow:
            slow.static("/x", b"x", delay=3)
            messages = []
            for url in (f"http://127.0.0.1:{closed_port}/x", slow.url + "/x"):
                with pytest.raises(fetch.FetchError) as failed:
                    fetch.get(url, limits=limits)
                messages.append(str(failed.value).replace(url, "URL"))
        assert messages[0] == messages[1] == "URL: không kết nối được / URL: cannot connect"


def _plugins_with_the_stock_harvester() -> str:
    plugins = tk.config.get("ckan.plugins") or ""
    names = plugins.split() if isinstance(plugins, str) else list(plugins)
    assert "daknong_harvest" in names, "the test configuration is loaded at collection"
    return " ".join([*names, "ckan_harvester"])


class TestOnlyGuardedHarvestersFetch:
    """Every harvest fetch passes one address guard: ckanext-harvest's stock CKAN harvester and
    ckanext-dcat's RDF harvester fetch with their own HTTP code, so they are not enabled, and a
    source of their type is refused should one be (QĐ 43 Art. 12.3)."""

    def test_every_enabled_harvester_is_one_of_the_portals(self):
        harvesters = list(p.PluginImplementations(IHarvester))

        assert all(isinstance(harvester, DaknongHarvester) for harvester in harvesters)
        assert {h.info()["name"] for h in harvesters} == set(selfcheck.SOURCE_TYPES)

    @pytest.mark.ckan_config("ckan.plugins", _plugins_with_the_stock_harvester())
    def test_a_stock_source_is_refused_even_to_a_sysadmin(self, app):
        agency = Agency()
        admin = factories.SysadminWithToken()
        sources = _count("harvest_source")

        answer = _api(
            app,
            "harvest_source_create",
            admin,
            name="nguon-ckan-goc",
            title="Nguồn CKAN gốc",
            url="http://127.0.0.1:8983/solr/ckan/select?q=*:*&wt=csv",
            source_type="ckan",
            frequency="MANUAL",
            owner_org=agency["id"],
            config="{}",
        )

        assert answer.status_code == 409, answer.body
        [message] = answer.json["error"]["source_type"]
        assert message.startswith("Loại nguồn này không tải qua bộ kiểm tra địa chỉ")
        assert "daknong_ckan, daknong_dcat, daknong_spreadsheet" in message
        assert _count("harvest_source") == sources

    @pytest.mark.ckan_config("ckan.plugins", _plugins_with_the_stock_harvester())
    def test_a_stock_source_already_registered_cannot_be_changed(self, app):
        agency = Agency()
        admin = factories.SysadminWithToken()
        source = call_action(
            "harvest_source_create",
            context={"user": admin["name"], "daknong_unguarded_harvester": True},
            name="nguon-ckan-cu",
            title="Nguồn CKAN cũ",
            url="http://example.org/ckan",
            source_type="ckan",
            frequency="MANUAL",
            owner_org=agency["id"],
            config="{}",
        )

        answer = _api(
            app,
            "harvest_source_patch",
            admin,
            id=source["id"],
            url="http://127.0.0.1:8983/solr/ckan/select?q=*:*&wt=csv",
        )

        assert answer.status_code == 409, answer.body
        assert "source_type" in answer.json["error"]
        model.Session.remove()
        assert HarvestSource.get(source["id"]).url == "http://example.org/ckan"


def _server_on(host: str, port: int) -> LocalServer:
    server = LocalServer.__new__(LocalServer)
    from ckanext.daknong.tests.harvest import servers

    server.host = host
    server.httpd = servers._Server((host, port), servers._Handler)
    server.httpd.routes, server.httpd.requests = {}, []
    import threading

    server.thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    return server


class TestTokenStaysAtTheSourcesOrigin:
    """M6: the DCAT harvester sent the source's token to whatever host hydra:nextPage named."""

    def test_a_dcat_next_page_on_another_site_is_refused(self):
        agency = Agency()
        with LocalServer() as home, LocalServer("127.0.0.2") as elsewhere:
            elsewhere.static("/trang-2.ttl", PREFIXES.encode(), "text/turtle")
            first = f"""{PREFIXES}
<{home.url}/catalog.ttl> a hydra:PagedCollection ;
    hydra:next <{elsewhere.url}/trang-2.ttl> ;
    hydra:totalItems "2" .
{_dataset_ttl("DS-1", "Bộ dữ liệu một")}"""
            home.static("/catalog.ttl", first.encode("utf-8"), "text/turtle")
            source = make_source(agency, home.url + "/catalog.ttl", "daknong_dcat")
            set_token(source["id"], TOKEN)

            result = run_job(source["id"])

            assert elsewhere.requests == []
            assert [h.get("authorization") for _, _, h in home.requests] == [TOKEN]
        assert any(
            "on another site than the registered source" in e for e in result["gather_errors"]
        )
        assert result["objects"] == 0

    def test_a_ckan_redirect_to_another_site_gets_no_token(self):
        agency = Agency()
        with LocalServer() as home, LocalServer("127.0.0.2") as elsewhere:
            FakeCkan(elsewhere, token=TOKEN).add(id="r-1", name="dan-cu", title="Dân cư")

            def moved(path, query, headers):
                target = (
                    elsewhere.url + path + "?" + "&".join(f"{k}={v[0]}" for k, v in query.items())
                )
                return Reply(302, b"", {"Location": target})

            home.route("/api/3/action/package_search", moved)
            source = make_source(agency, home.url, "daknong_ckan")
            set_token(source["id"], TOKEN)

            run_job(source["id"])

            assert home.requests and all(
                h.get("authorization") == TOKEN for _, _, h in home.requests
            )
            assert elsewhere.requests
            assert all("authorization" not in h for _, _, h in elsewhere.requests)


class TestHarvestObjectsAndLogs:
    """C1: the stored harvest object (title, notes, resources of shared and restricted
    datasets) was served to anyone at /harvest/object/<id> and /dataset/harvest_object/<id>."""

    def test_object_pages_and_actions_only_for_sysadmins(self, app):
        owner = Agency()
        other = Agency()
        with LocalServer() as portal, LocalServer("127.0.0.2") as portal2:
            shared = FakeCkan(portal, token=TOKEN)
            shared.add(id="r-1", name="chia-se", title="Dấu hiệu SHARED-MARK-7731", private=True)
            restricted = FakeCkan(portal2, token=TOKEN)
            restricted.add(
                id="r-2", name="han-che", title="Dấu hiệu RESTRICTED-MARK-7732", private=True
            )
            source = make_source(owner, portal.url, "daknong_ckan")
            source2 = make_source(
                owner,
                portal2.url,
                "daknong_ckan",
                config={"private_access_level": "restricted"},
                name="nguon-han-che",
            )
            for harvested_source in (source, source2):
                set_token(harvested_source["id"], TOKEN)
                run_job(harvested_source["id"])
        model.Session.remove()
        objects = model.Session.query(HarvestObject).filter(HarvestObject.current.is_(True)).all()
        levels = {model.Package.get(o.package_id).extras.get("access_level") for o in objects}
        assert len(objects) == 2, levels
        member = agency_member(owner, "member")
        outsider = agency_member(other, "admin")
        sysadmin = factories.SysadminWithToken()
        markers = ("SHARED-MARK-7731", "RESTRICTED-MARK-7732")
        for obj in objects:
            for path in (f"/harvest/object/{obj.id}", f"/dataset/harvest_object/{obj.package_id}"):
                for user in (None, member, outsider):
                    headers = {"Authorization": user["token"]} if user else {}
                    page = app.get(path, headers=headers, follow_redirects=False)
                    # anonymous visitors are sent to log in; agency users are refused
                    assert page.status_code == (403 if user else 302), (path, user and user["name"])
                    assert not any(m in page.get_data(as_text=True) for m in markers)
                shown = app.get(path, headers={"Authorization": sysadmin["token"]})
                assert shown.status_code == 200
                assert any(m in shown.get_data(as_text=True) for m in markers)
        for user in (None, member, outsider):
            assert _api(app, "harvest_object_show", user, id=objects[0].id).status_code == 403
            listed = _api(app, "harvest_object_list", user, source_id=source["id"])
            assert listed.status_code == 403

    def test_harvest_log_list_is_sysadmin_only_and_no_longer_500(self, app):
        user = factories.UserWithToken()
        sysadmin = factories.SysadminWithToken()

        assert _api(app, "harvest_log_list").status_code == 403
        assert _api(app, "harvest_log_list", user).status_code == 403
        answer = _api(app, "harvest_log_list", sysadmin)
        assert answer.status_code == 200 and isinstance(answer.json["result"], list)

    @pytest.mark.parametrize(
        "action",
        [
            "send_mail",
            "send_error_email",
            "send_summary_email",
            "prepare_error_mail",
            "prepare_summary_mail",
            "get_mail_extra_vars",
        ],
    )
    def test_mail_helpers_refuse_everyone_over_the_api(self, app, action):
        sysadmin = factories.SysadminWithToken()
        for user in (None, factories.UserWithToken(), sysadmin):
            answer = _api(app, action, user, source_id="x", status={})
            assert answer.status_code == 403, json.dumps(answer.json)

    def test_abort_failed_jobs_needs_a_sysadmin(self, app):
        assert _api(app, "harvest_abort_failed_jobs", life_span=1).status_code == 403
