"""The access-request pages over HTTP (QĐ 43 Art. 10.2; NĐ 47 Art. 35).

Users act with API tokens in the ``Authorization`` header, which CKAN accepts for pages too
(and which exempts the request from CSRF checks, as for any API client). Texts are asserted
on ``/en/`` pages so they hold once the Vietnamese catalogue is compiled.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.daknong.model.access import AccessRequest
from ckanext.daknong.tests import translations
from ckanext.daknong.tests.factories import Agency, agency_member

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

PACKAGE = Path(__file__).resolve().parents[2]
TEMPLATES = PACKAGE.parents[1] / "templates" / "access"
RESTRICTED_TITLE = "Hồ sơ địa chính chưa công bố"
RESTRICTED_NOTES = "Sổ mục kê đất đai của toàn tỉnh"
REQUEST_ID = re.compile(r"/access-requests/([0-9a-f-]{36})")


@pytest.fixture
def parties(ckan_config, monkeypatch) -> dict[str, Any]:
    """A provider with open, shared and restricted data; a consumer; the province approver."""
    provider = Agency(name="so-cung-cap", title="Sở cung cấp")
    consumer = Agency(name="so-su-dung", title="Sở sử dụng", agency_code="H16.77")
    other = Agency(name="so-khac", title="Sở khác")
    province = Agency(name="ubnd-tinh-kiem-thu")
    monkeypatch.setitem(
        ckan_config, "ckanext.daknong.province_approver_organization", province["name"]
    )
    sysadmin = factories.Sysadmin()
    datasets = {
        level: call_action(
            "package_create",
            context={"user": sysadmin["name"]},
            name=f"du-lieu-{level}",
            title=RESTRICTED_TITLE if level == "restricted" else f"Dữ liệu {level}",
            notes=RESTRICTED_NOTES if level == "restricted" else f"Mô tả {level}",
            owner_org=provider["id"],
            access_level=level,
            license_id="cc-by" if level == "open" else "other-closed",
        )
        for level in ("open", "shared", "restricted")
    }
    return {
        "consumer": consumer,
        "provider_admin": agency_member(provider, "admin"),
        "provider_member": agency_member(provider),
        "consumer_member": agency_member(consumer),
        "other_member": agency_member(other),
        "approver": agency_member(province, "admin"),
        "no_agency": factories.UserWithToken(),
        "datasets": datasets,
    }


def _form(parties: dict[str, Any], **overrides: str) -> dict[str, str]:
    today = dt.date.today()
    form = {
        "dataset_id": "du-lieu-restricted",
        "requester_org_id": parties["consumer"]["id"],
        "application": "Hệ thống một cửa điện tử tỉnh",
        "purpose": "Giải quyết thủ tục hành chính về đất đai",
        "intended_use": "Tra cứu thông tin thửa đất khi tiếp nhận hồ sơ",
        "requested_data": "Số thửa, số tờ bản đồ, diện tích",
        "access_frequency": "Hằng ngày",
        "period_start": today.isoformat(),
        "period_end": (today + dt.timedelta(days=90)).isoformat(),
    }
    form.update(overrides)
    return form


def _headers(user: dict[str, Any] | None) -> dict[str, str]:
    return {"Authorization": user["token"]} if user else {}


def _get(app, user: dict[str, Any] | None, url: str, status: int = 200) -> str:
    response = app.get(url, headers=_headers(user), follow_redirects=False)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def _post(app, user: dict[str, Any], url: str, data: dict[str, str]):
    return app.post(url, data=data, headers=_headers(user), follow_redirects=False)


def _submit(app, parties: dict[str, Any]) -> str:
    """The consumer sends the form; returns the new request's id."""
    response = _post(app, parties["consumer_member"], "/en/access-requests/new", _form(parties))
    assert response.status_code == 302, response.get_data(as_text=True)
    (request_id,) = REQUEST_ID.findall(response.headers["Location"])
    return request_id


def _decide(app, user: dict[str, Any], request_id: str, decision: str, reason: str = "") -> str:
    """Post a decision and return the page it redirects to, with its flash message.

    One test client for both requests: flash messages live in the session cookie.
    """
    client = app.test_client()
    url = f"/en/access-requests/{request_id}/decide"
    form = {"decision": decision, "reason": reason}
    response = client.post(url, data=form, headers=_headers(user), follow_redirects=False)
    assert response.status_code == 302
    page = client.get(f"/en/access-requests/{request_id}", headers=_headers(user))
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _status(request_id: str) -> str:
    model.Session.expire_all()
    return model.Session.get(AccessRequest, request_id).status


class TestRequestFormNd47Art35:
    def test_form_offers_the_users_agencies_with_code_and_name(self, app, parties):
        page = _get(
            app, parties["consumer_member"], "/en/access-requests/new?dataset=du-lieu-restricted"
        )

        assert "H16.77 — Sở sử dụng" in page
        assert f'value="{parties["consumer"]["id"]}"' in page
        assert "Sở cung cấp" not in page  # not the user's agency
        assert 'value="du-lieu-restricted"' in page
        assert 'name="_csrf_token"' in page
        for field in ("application", "purpose", "intended_use", "requested_data"):
            assert f'name="{field}"' in page

    def test_form_names_the_dataset_without_its_title(self, app, parties):
        page = _get(
            app, parties["consumer_member"], "/access-requests/new?dataset=du-lieu-restricted"
        )

        assert RESTRICTED_TITLE not in page
        assert RESTRICTED_NOTES not in page

    def test_post_creates_the_request_which_reaches_the_provider(self, app, parties):
        client = app.test_client()
        response = client.post(
            "/en/access-requests/new",
            data=_form(parties),
            headers=_headers(parties["consumer_member"]),
            follow_redirects=True,
        )

        page = response.get_data(as_text=True)
        (request_id,) = set(REQUEST_ID.findall(response.request.path))
        assert "Your access request has been sent to the providing agency." in page
        assert "Giải quyết thủ tục hành chính về đất đai" in page
        provider_tab = _get(app, parties["provider_admin"], "/en/access-requests?tab=provider")
        assert f"/access-requests/{request_id}" in provider_tab
        mine = _get(app, parties["consumer_member"], "/en/access-requests?tab=requester")
        assert f"/access-requests/{request_id}" in mine
        assert RESTRICTED_TITLE not in mine  # the requester has no grant yet

    def test_bad_input_re_renders_with_field_errors_and_keeps_the_input(self, app, parties):
        yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
        form = _form(parties, purpose="", period_start=yesterday, period_end=yesterday)

        response = _post(app, parties["consumer_member"], "/en/access-requests/new", form)

        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Missing value" in page
        assert "Hệ thống một cửa điện tử tỉnh" in page  # the input is kept
        assert model.Session.query(AccessRequest).count() == 0

    def test_end_date_in_the_past_is_shown_at_its_field(self, app, parties):
        yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
        form = _form(parties, period_start=yesterday, period_end=yesterday)

        page = _post(app, parties["consumer_member"], "/en/access-requests/new", form).get_data(
            as_text=True
        )

        field = page[page.index('id="field-period-end"') :]
        assert "The end of the period is in the past" in field[: field.index("</div>") + 200]
        assert model.Session.query(AccessRequest).count() == 0

    def test_own_agency_data_is_refused_at_the_agency_field(self, app, parties):
        """Art. 10.2: an agency reads its own data without asking."""
        provider_org = parties["datasets"]["restricted"]["owner_org"]
        form = _form(parties, requester_org_id=provider_org)

        page = _post(app, parties["provider_member"], "/en/access-requests/new", form).get_data(
            as_text=True
        )

        assert "Your agency owns this dataset: no request is needed" in page
        assert model.Session.query(AccessRequest).count() == 0

    def test_user_in_no_agency_cannot_open_the_form(self, app, parties):
        _get(app, parties["no_agency"], "/access-requests/new", status=403)


class TestDecisionsQd43Art10_2:
    def test_provider_then_province_approve_and_the_grant_is_shown(self, app, parties):
        request_id = _submit(app, parties)
        consumer_page = _get(app, parties["consumer_member"], f"/en/access-requests/{request_id}")
        assert "daknong-decision" not in consumer_page  # the requester does not decide

        provider_page = _get(app, parties["provider_admin"], f"/en/access-requests/{request_id}")
        assert "daknong-decision" in provider_page
        _decide(app, parties["provider_admin"], request_id, "approve")
        assert _status(request_id) == "awaiting_approval"

        waiting = _get(app, parties["approver"], "/en/access-requests?tab=approver")
        assert f"/access-requests/{request_id}" in waiting
        page = _decide(app, parties["approver"], request_id, "approve")

        assert _status(request_id) == "granted"
        assert "Your decision has been recorded." in page
        assert "daknong-grant" in page
        grants = _get(app, parties["consumer_member"], "/en/access-requests?tab=grants")
        assert "du-lieu-restricted" in grants
        assert "Sở sử dụng" in grants
        history = page[page.index("daknong-history") :]
        for event in ("Request submitted", "Approved by the providing agency", "Access granted"):
            assert event in history

    def test_refusal_without_a_reason_shows_the_error_and_changes_nothing(self, app, parties):
        request_id = _submit(app, parties)

        page = _decide(app, parties["provider_admin"], request_id, "refuse", reason="  ")

        assert "A refusal must give its reason" in page
        assert _status(request_id) == "submitted"

    def test_refusal_with_a_reason_is_shown_to_the_requester(self, app, parties):
        request_id = _submit(app, parties)
        _decide(app, parties["provider_admin"], request_id, "refuse", "Dữ liệu đang chuẩn hóa")

        page = _get(app, parties["consumer_member"], f"/en/access-requests/{request_id}")

        assert _status(request_id) == "refused"
        assert "Dữ liệu đang chuẩn hóa" in page

    def test_a_decision_posted_by_the_requester_is_refused_with_a_message(self, app, parties):
        request_id = _submit(app, parties)

        page = _decide(app, parties["consumer_member"], request_id, "approve")

        assert "Only the providing agency decides on this request" in page
        assert _status(request_id) == "submitted"

    def test_approver_tab_is_only_for_province_approvers(self, app, parties):
        page = _get(app, parties["consumer_member"], "/en/access-requests")

        assert "tab=approver" not in page
        assert "tab=approver" in _get(app, parties["approver"], "/en/access-requests")

    def test_provider_revokes_an_active_grant(self, app, parties, ckan_config, monkeypatch):
        monkeypatch.setitem(ckan_config, "ckanext.daknong.province_approval_rule", "never")
        request_id = _submit(app, parties)
        _decide(app, parties["provider_admin"], request_id, "approve")
        assert "daknong-revoke" in _get(
            app, parties["provider_admin"], f"/en/access-requests/{request_id}"
        )
        assert "daknong-revoke" not in _get(
            app, parties["consumer_member"], f"/en/access-requests/{request_id}"
        )

        url = f"/en/access-requests/{request_id}/revoke"
        _post(app, parties["provider_admin"], url, {"reason": "Hết nhu cầu sử dụng"})

        page = _get(app, parties["consumer_member"], f"/en/access-requests/{request_id}")
        assert "Hết nhu cầu sử dụng" in page
        assert "daknong-status-revoked" in page


class TestDeadlineNd47Art35_3:
    def test_deadline_is_shown_in_vietnam_time(self, app, parties):
        request_id = _submit(app, parties)
        due = model.Session.get(AccessRequest, request_id).provider_due_at
        local = due.astimezone(zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))

        page = _get(app, parties["provider_admin"], f"/en/access-requests/{request_id}")

        assert local.strftime("%d/%m/%Y %H:%M (GMT+7)") in page
        assert "daknong-overdue" not in page

    def test_overdue_request_is_flagged(self, app, parties):
        request_id = _submit(app, parties)
        stored = model.Session.get(AccessRequest, request_id)
        stored.provider_due_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
        model.Session.commit()

        page = _get(app, parties["provider_admin"], f"/en/access-requests/{request_id}")
        listing = _get(app, parties["provider_admin"], "/en/access-requests?tab=provider")

        assert "daknong-overdue" in page
        assert "daknong-overdue" in listing


class TestWhoSeesWhat:
    def test_outsiders_get_403_and_unknown_ids_404(self, app, parties):
        request_id = _submit(app, parties)

        _get(app, parties["other_member"], f"/access-requests/{request_id}", status=403)
        _get(app, parties["no_agency"], f"/access-requests/{request_id}", status=403)
        _get(app, parties["consumer_member"], "/access-requests/no-such-request", status=404)

    def test_outsiders_cannot_decide(self, app, parties):
        request_id = _submit(app, parties)

        response = _post(
            app,
            parties["other_member"],
            f"/access-requests/{request_id}/decide",
            {"decision": "approve"},
        )

        assert response.status_code == 302
        assert _status(request_id) == "submitted"

    @pytest.mark.parametrize("url", ["/access-requests", "/access-requests/new"])
    def test_anonymous_visitors_are_sent_to_log_in(self, app, parties, url):
        response = app.get(url, follow_redirects=False)

        assert response.status_code == 302
        assert "/user/login" in response.headers["Location"]

    def test_anonymous_visitors_of_a_request_page_are_sent_to_log_in(self, app, parties):
        request_id = _submit(app, parties)

        response = app.get(f"/access-requests/{request_id}", follow_redirects=False)

        assert response.status_code == 302
        assert "/user/login" in response.headers["Location"]

    def test_dashboard_links_to_the_access_requests(self, app, parties):
        page = _get(app, parties["consumer_member"], "/dashboard/datasets")

        assert 'href="/access-requests"' in page


class TestRestrictedDatasetPage:
    """NĐ 47 Art. 35.1: agencies without a grant can ask, but learn nothing but the name."""

    def test_agency_without_grant_is_offered_a_request_and_sees_no_title(self, app, parties):
        page = _get(app, parties["consumer_member"], "/en/dataset/du-lieu-restricted", status=403)

        assert "This dataset is shared on special request" in page
        assert "/access-requests/new?dataset=du-lieu-restricted" in page
        assert RESTRICTED_TITLE not in page
        assert RESTRICTED_NOTES not in page
        assert parties["datasets"]["restricted"]["id"] not in page
        assert "Sở cung cấp" not in page  # nor its owner

    def test_the_owner_agency_reads_the_dataset_as_usual(self, app, parties):
        page = _get(app, parties["provider_member"], "/dataset/du-lieu-restricted")

        assert RESTRICTED_TITLE in page
        assert "shared on special request" not in page

    def test_after_the_grant_the_dataset_page_is_the_usual_one(
        self, app, parties, ckan_config, monkeypatch
    ):
        monkeypatch.setitem(ckan_config, "ckanext.daknong.province_approval_rule", "never")
        request_id = _submit(app, parties)
        _decide(app, parties["provider_admin"], request_id, "approve")

        page = _get(app, parties["consumer_member"], "/en/dataset/du-lieu-restricted")

        assert RESTRICTED_TITLE in page

    @pytest.mark.parametrize(
        ("user", "url"),
        [
            ("consumer_member", "/en/dataset/no-such-dataset"),
            ("no_agency", "/en/dataset/du-lieu-restricted"),  # no agency to request for
            ("no_agency", "/en/dataset/du-lieu-shared"),
            (None, "/en/dataset/du-lieu-restricted"),
        ],
    )
    def test_other_missing_datasets_keep_the_usual_404(self, app, parties, user, url):
        response = app.get(url, headers=_headers(parties.get(user) if user else None))

        page = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "shared on special request" not in page
        assert RESTRICTED_TITLE not in page

    def test_deleted_restricted_dataset_keeps_the_usual_404(self, app, parties):
        admin = parties["provider_admin"]["name"]
        call_action("package_delete", context={"user": admin}, id="du-lieu-restricted")

        response = app.get(
            "/en/dataset/du-lieu-restricted", headers=_headers(parties["consumer_member"])
        )

        assert response.status_code == 404
        assert "shared on special request" not in response.get_data(as_text=True)

    def test_resource_pages_keep_the_usual_404(self, app, parties):
        response = app.get(
            "/en/dataset/du-lieu-restricted/resource/x",
            headers=_headers(parties["consumer_member"]),
        )

        assert response.status_code == 404
        assert "shared on special request" not in response.get_data(as_text=True)


def _template_msgids() -> set[str]:
    found: set[str] = set()
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"_\('([^']+)'\)", text))
        found |= set(re.findall(r'_\("([^"]+)"\)', text))
    return found


def _python_msgids() -> set[str]:
    text = (PACKAGE / "views" / "access.py").read_text(encoding="utf-8")
    return set(re.findall(r'tk\._\("([^"]+)"\)', text))


def test_every_message_of_the_pages_has_a_vietnamese_translation():
    translated = translations.vietnamese_msgids()
    msgids = _template_msgids() | _python_msgids()

    assert len(msgids) > 40
    assert sorted(msgids - translated) == []
