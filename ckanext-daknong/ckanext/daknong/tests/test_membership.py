"""Roles come from membership; auth answers what the actions allow (issue 10: H1, M2, M3).

QĐ 43 Art. 20.1 and 21.1 name an agency's provider and consumer focal points; Art. 10.2 the
province approver; Art. 16 the provincial data administrator. All of them are decided by CKAN
membership rows that only agency admins and sysadmins change, never by what users edit about
their own account.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.daknong import membership
from ckanext.daknong.model.access import AccessGrant, AccessRequest
from ckanext.daknong.tests.factories import Agency, agency_member

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

FOCAL_EMAIL = "daumoi@socungcap.daknong.gov.vn"
RESTRICTED_TITLE = "Sổ địa chính chưa công bố của tỉnh"
ROLES = (
    "anonymous",
    "provider_admin",
    "provider_focal",
    "provider_member",
    "requester",
    "other_member",
    "approver",
    "data_admin",
    "sysadmin",
)


@pytest.fixture
def parties(ckan_config, monkeypatch) -> dict[str, Any]:
    """A provider whose focal point is named by account, a consumer, a third agency, the
    province approver's office and the data administrator's office."""
    provider = Agency(
        name="so-cung-cap",
        title="Sở cung cấp",
        provider_focal_name="Nguyễn Văn Đầu Mối",
        provider_focal_email=FOCAL_EMAIL,
    )
    consumer = Agency(name="so-su-dung", title="Sở sử dụng", agency_code="H16.77")
    other = Agency(name="so-khac", title="Sở khác")
    province = Agency(name="ubnd-tinh-kiem-thu")
    office = Agency(name="so-quan-tri-du-lieu")
    monkeypatch.setitem(
        ckan_config, "ckanext.daknong.province_approver_organization", province["name"]
    )
    monkeypatch.setitem(
        ckan_config, "ckanext.daknong.data_administrator_organization", office["name"]
    )
    sysadmin = factories.Sysadmin()
    sysadmin["token"] = factories.APIToken(user=sysadmin["name"])["token"]
    restricted = call_action(
        "package_create",
        context={"user": sysadmin["name"]},
        name="du-lieu-han-che",
        title=RESTRICTED_TITLE,
        owner_org=provider["id"],
        access_level="restricted",
        license_id="other-closed",
    )
    focal = agency_member(provider)
    call_action(
        "organization_patch",
        context={"user": sysadmin["name"]},
        id=provider["id"],
        provider_focal_user=focal["name"],
    )
    return {
        "provider": provider,
        "consumer": consumer,
        "other": other,
        "restricted": restricted,
        "sysadmin": sysadmin,
        "provider_admin": agency_member(provider, "admin"),
        "provider_focal": focal,
        "provider_member": agency_member(provider),
        "requester": agency_member(consumer),
        "other_member": agency_member(other),
        "approver": agency_member(province, "admin"),
        "data_admin": agency_member(office, "admin"),
    }


def _body(parties: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    today = dt.date.today()
    body = {
        "dataset_id": parties["restricted"]["name"],
        "requester_org_id": parties["consumer"]["id"],
        "application": "Hệ thống một cửa điện tử tỉnh",
        "purpose": "Giải quyết thủ tục hành chính về đất đai",
        "intended_use": "Tra cứu thông tin thửa đất",
        "requested_data": "Số thửa, diện tích",
        "access_frequency": "Hằng ngày",
        "period_start": today.isoformat(),
        "period_end": (today + dt.timedelta(days=30)).isoformat(),
    }
    body.update(overrides)
    return body


def _api(app, user: dict[str, Any] | None, action: str, code: int = 200, **body: Any):
    headers = {"Authorization": user["token"]} if user else {}
    response = app.post(f"/api/3/action/{action}", json=body, headers=headers)
    assert response.status_code == code, response.get_data(as_text=True)
    return response.json


def _user_name(parties: dict[str, Any], role: str) -> str:
    return "" if role == "anonymous" else parties[role]["name"]


def _allowed(parties: dict[str, Any], role: str, action: str, data: dict[str, Any]) -> bool:
    try:
        tk.check_access(action, {"user": _user_name(parties, role)}, dict(data))
    except tk.NotAuthorized:
        return False
    return True


def _runs(parties: dict[str, Any], role: str, action: str, data: dict[str, Any]) -> bool:
    """Whether the action lets the role through (a refusal for another reason counts as yes)."""
    context = {"user": _user_name(parties, role), "ignore_auth": False}
    try:
        tk.get_action(action)(context, dict(data))
    except tk.NotAuthorized:
        return False
    except (tk.ValidationError, tk.ObjectNotFound):
        pass
    finally:
        model.Session.rollback()
    return True


def _request_row(parties: dict[str, Any], status: str) -> AccessRequest:
    """A request of the consumer for the restricted dataset, put directly in ``status``."""
    now = dt.datetime.now(dt.timezone.utc)
    request = AccessRequest(
        id=str(uuid.uuid4()),
        dataset_id=parties["restricted"]["id"],
        provider_org_id=parties["provider"]["id"],
        requester_user_id=parties["requester"]["id"],
        requester_org_id=parties["consumer"]["id"],
        requester_agency_code="H16.77",
        requester_agency_name="Sở sử dụng",
        application="Một cửa",
        purpose="Tra cứu",
        intended_use="Tra cứu",
        requested_data="Số thửa",
        access_frequency="Hằng ngày",
        period_start=now.date(),
        period_end=now.date() + dt.timedelta(days=30),
        status=status,
        needs_province_approval=True,
        created_at=now,
        provider_due_at=now + dt.timedelta(days=2),
        history=[],
    )
    model.Session.add(request)
    model.Session.commit()
    return request


def _grant_row(parties: dict[str, Any], revoked: bool = False) -> AccessGrant:
    request = _request_row(parties, "granted")
    now = dt.datetime.now(dt.timezone.utc)
    grant = AccessGrant(
        id=str(uuid.uuid4()),
        request_id=request.id,
        dataset_id=request.dataset_id,
        org_id=request.requester_org_id,
        valid_from=now - dt.timedelta(days=1),
        valid_until=now + dt.timedelta(days=30),
        revoked_at=now if revoked else None,
    )
    model.Session.add(grant)
    model.Session.commit()
    return grant


# --- H1: the e-mail attack ---------------------------------------------------------------


def test_h1_a_member_with_the_focal_points_email_gets_no_provider_role(app, parties):
    """H1 (QĐ 43 Art. 20.1, Art. 10): a user who gives their own account the agency's public
    provider focal e-mail (user_patch asked no current password) cannot list, approve or
    revoke the agency's requests and grants, nor approve its own request."""
    attacker = agency_member(
        Agency(name="so-tan-cong", title="Sở tấn công", agency_code="H16.66"), "member"
    )
    call_action(
        "organization_member_create",
        id=parties["provider"]["id"],
        username=attacker["name"],
        role="member",
    )
    # The attack of the review; if the account rules now refuse it, the role must not follow
    # the e-mail whatever path set it.
    app.post(
        "/api/3/action/user_patch",
        json={"id": attacker["id"], "email": FOCAL_EMAIL},
        headers={"Authorization": attacker["token"]},
    )
    user = model.User.get(attacker["id"])
    user.email = FOCAL_EMAIL
    model.Session.commit()

    own = _api(
        app,
        attacker,
        "daknong_access_request_create",
        **_body(parties, requester_org_id="so-tan-cong"),
    )["result"]
    others = _api(app, parties["requester"], "daknong_access_request_create", **_body(parties))[
        "result"
    ]
    grant = _grant_row(parties)

    listed = _api(app, attacker, "daknong_access_request_list", role="provider")["result"]
    assert others["id"] not in [r["id"] for r in listed]
    _api(app, attacker, "daknong_access_request_show", code=403, id=others["id"])
    for request_id in (own["id"], others["id"]):
        _api(
            app,
            attacker,
            "daknong_access_request_decide",
            code=403,
            id=request_id,
            decision="approve",
        )
    _api(app, attacker, "daknong_access_grant_revoke", code=403, id=grant.id, reason="x")
    model.Session.expire_all()
    assert model.Session.get(AccessRequest, own["id"]).status == "submitted"
    assert model.Session.get(AccessRequest, others["id"]).status == "submitted"
    assert model.Session.get(AccessGrant, grant.id).revoked_at is None
    assert not membership.is_provider(model.User.get(attacker["id"]), parties["provider"]["id"])
    page = app.get(
        f"/en/access-requests/{own['id']}", headers={"Authorization": attacker["token"]}
    ).get_data(as_text=True)
    assert "daknong-approve" not in page


def test_h1_the_named_focal_account_decides_and_loses_the_role_on_leaving(app, parties):
    """H1 (QĐ 43 Art. 20.1): the focal point is the account the agency names, while it is a
    member; removed from the agency, it loses the role at once."""
    focal = parties["provider_focal"]
    first = _api(app, parties["requester"], "daknong_access_request_create", **_body(parties))
    request_id = first["result"]["id"]

    listed = _api(app, focal, "daknong_access_request_list", role="provider")["result"]
    assert [r["id"] for r in listed] == [request_id]
    page = app.get(
        f"/en/access-requests/{request_id}", headers={"Authorization": focal["token"]}
    ).get_data(as_text=True)
    assert "daknong-approve" in page and RESTRICTED_TITLE not in page

    call_action(
        "organization_member_delete",
        context={"user": parties["sysadmin"]["name"]},
        id=parties["provider"]["id"],
        username=focal["name"],
    )

    assert _api(app, focal, "daknong_access_request_list", role="provider")["result"] == []
    _api(
        app,
        focal,
        "daknong_access_request_decide",
        code=403,
        id=request_id,
        decision="approve",
    )


def test_h1_approving_is_refused_to_the_focal_point_of_another_agency(app, parties):
    """H1: naming an account gives a role in that agency only."""
    created = _api(app, parties["requester"], "daknong_access_request_create", **_body(parties))
    other_focal = agency_member(parties["other"])
    call_action(
        "organization_patch",
        context={"user": parties["sysadmin"]["name"]},
        id=parties["other"]["id"],
        provider_focal_user=other_focal["name"],
    )

    _api(
        app,
        other_focal,
        "daknong_access_request_decide",
        code=403,
        id=created["result"]["id"],
        decision="approve",
    )


class TestFocalAccountField:
    """H1: the organisation schema accepts only an active member of the agency."""

    def _patch(self, app, parties, value: str, code: int = 200):
        return _api(
            app,
            parties["sysadmin"],
            "organization_patch",
            code=code,
            id=parties["provider"]["id"],
            provider_focal_user=value,
        )

    def test_unknown_account_is_refused(self, app, parties):
        error = self._patch(app, parties, "khong-ton-tai", code=409)["error"]
        assert "khong-ton-tai" in error["provider_focal_user"][0]

    def test_account_outside_the_agency_is_refused(self, app, parties):
        outsider = parties["other_member"]["name"]
        error = self._patch(app, parties, outsider, code=409)["error"]
        assert outsider in error["provider_focal_user"][0]

    def test_deleted_account_is_refused(self, app, parties):
        member = agency_member(parties["provider"])
        call_action("user_delete", id=member["id"])
        self._patch(app, parties, member["name"], code=409)

    def test_new_agency_cannot_name_an_account_before_it_has_members(self, app, parties):
        response = _api(
            app,
            parties["sysadmin"],
            "organization_create",
            code=409,
            name="so-moi",
            agency_code="H16.99",
            consumer_focal_user=parties["requester"]["name"],
        )
        assert "consumer_focal_user" in response["error"]

    def test_member_is_stored_by_id_and_shown_by_name_to_members_only(self, app, parties):
        member = agency_member(parties["provider"])
        self._patch(app, parties, member["name"])

        org = model.Group.get(parties["provider"]["id"])
        assert org.extras["provider_focal_user"] == member["id"]
        shown = _api(app, parties["provider_member"], "organization_show", id="so-cung-cap")
        assert shown["result"]["provider_focal_user"] == member["name"]
        outside = _api(app, parties["other_member"], "organization_show", id="so-cung-cap")
        assert not outside["result"].get("provider_focal_user")
        anonymous = _api(app, None, "organization_show", id="so-cung-cap")
        assert not anonymous["result"].get("provider_focal_user")
        assert anonymous["result"]["provider_focal_email"] == FOCAL_EMAIL  # public (NĐ 47 Art. 7)

    def test_an_empty_value_clears_the_focal_account(self, app, parties):
        self._patch(app, parties, "")
        assert membership.focal_user(parties["provider"]["id"], "provider") is None


# --- M2: the requesting agency comes from the agency record ---------------------------------


def test_m2_forged_agency_code_and_name_never_reach_the_request_or_the_emails(
    app, parties, smtp_server
):
    """M2 (NĐ 47 Art. 35.1, Art. 45): the requesting agency's code and name are the agency's
    own; values the caller sends are ignored (the response, the stored request, the
    providers' e-mails)."""
    created = _api(
        app,
        parties["requester"],
        "daknong_access_request_create",
        **_body(
            parties,
            requester_agency_code="H16.01",
            requester_agency_name="Ủy ban nhân dân tỉnh (giả mạo)",
        ),
    )["result"]

    assert created["requester_agency_code"] == "H16.77"
    assert created["requester_agency_name"] == "Sở sử dụng"
    stored = model.Session.get(AccessRequest, created["id"])
    assert (stored.requester_agency_code, stored.requester_agency_name) == ("H16.77", "Sở sử dụng")
    mails = smtp_server.to(parties["provider_admin"]["email"]) + smtp_server.to(FOCAL_EMAIL)
    assert mails
    for mail in mails:
        text = mail.get_payload(decode=True).decode()
        assert "giả mạo" not in text and "Sở sử dụng" in text
    listed = _api(app, parties["provider_admin"], "daknong_access_request_list")["result"]
    assert "giả mạo" not in str(listed)


# --- M3: an id never turns into a name ---------------------------------------------------


def test_m3_an_unreadable_datasets_id_is_answered_like_an_unknown_dataset(app, parties):
    """M3 (QĐ 43 Art. 10): a caller who may not read a restricted dataset and types its id
    learns neither its name nor its title; by its name, the request is made as usual."""
    restricted = parties["restricted"]

    by_id = app.post(
        "/api/3/action/daknong_access_request_create",
        json=_body(parties, dataset_id=restricted["id"]),
        headers={"Authorization": parties["requester"]["token"]},
    )
    unknown = app.post(
        "/api/3/action/daknong_access_request_create",
        json=_body(parties, dataset_id=str(uuid.uuid4())),
        headers={"Authorization": parties["requester"]["token"]},
    )

    assert by_id.status_code == unknown.status_code == 404
    assert by_id.json["error"]["message"] == unknown.json["error"]["message"]
    assert restricted["name"] not in by_id.get_data(as_text=True)
    assert model.Session.query(AccessRequest).count() == 0
    page = app.get(
        f"/en/dataset/{restricted['id']}", headers={"Authorization": parties["requester"]["token"]}
    )
    assert page.status_code == 404
    assert restricted["name"] not in page.get_data(as_text=True)
    by_name = _api(app, parties["requester"], "daknong_access_request_create", **_body(parties))
    assert by_name["result"]["dataset_name"] == restricted["name"]
    assert by_name["result"]["dataset_title"] is None


def test_m3_who_may_read_the_dataset_may_still_use_its_id(app, parties):
    """Who may read the dataset already knows its name: ids work for them."""
    error = _api(
        app,
        parties["provider_admin"],
        "daknong_access_request_create",
        code=409,
        **_body(parties, dataset_id=parties["restricted"]["id"], requester_org_id="so-cung-cap"),
    )["error"]
    assert "requester_org_id" in error  # past the dataset: its own agency needs no request


# --- design 3: check_access answers what the action allows -------------------------------


def _agree(parties: dict[str, Any], action: str, data_for: Any) -> set[str]:
    """Roles check_access lets through; asserts the action lets through exactly the same."""
    allowed = set()
    for role in ROLES:
        data = data_for()
        said = _allowed(parties, role, action, data)
        did = _runs(parties, role, action, data)
        assert said == did, (action, role, said, did)
        if said:
            allowed.add(role)
    return allowed


LOGGED_IN = set(ROLES) - {"anonymous"}


def test_auth_agrees_with_create(parties):
    """Design 3: request creation, for any agency member (the workflow checks the rest)."""
    assert _agree(parties, "daknong_access_request_create", lambda: _body(parties)) == LOGGED_IN


def test_auth_agrees_with_show(parties):
    request = _request_row(parties, "submitted")
    assert _agree(parties, "daknong_access_request_show", lambda: {"id": request.id}) == {
        "provider_admin",
        "provider_focal",
        "requester",
        "approver",
        "data_admin",
        "sysadmin",
    }


@pytest.mark.parametrize("role_filter", ["", "requester", "provider"])
def test_auth_agrees_with_list(parties, role_filter):
    _request_row(parties, "submitted")
    allowed = _agree(parties, "daknong_access_request_list", lambda: {"role": role_filter})
    assert allowed == LOGGED_IN


def test_auth_agrees_with_the_approver_list(parties):
    """The approver tab is shown from check_access: only approvers (and sysadmins) get it."""
    allowed = _agree(parties, "daknong_access_request_list", lambda: {"role": "approver"})
    assert allowed == {"approver", "sysadmin"}


def test_auth_agrees_with_grant_list(parties):
    _grant_row(parties)
    assert _agree(parties, "daknong_access_grant_list", lambda: {}) == LOGGED_IN


@pytest.mark.parametrize(
    ("stage", "deciders"),
    [
        ("submitted", {"provider_admin", "provider_focal", "sysadmin"}),
        ("awaiting_approval", {"approver", "sysadmin"}),
        ("refused", set()),
        ("granted", set()),
    ],
)
def test_auth_agrees_with_decide_at_each_stage(parties, stage, deciders):
    """Design 3: the decide auth knows the stage; nobody decides a decided request, not even
    a sysadmin."""

    def data() -> dict[str, Any]:
        return {"id": _request_row(parties, stage).id, "decision": "refuse", "reason": "Lý do"}

    assert _agree(parties, "daknong_access_request_decide", data) == deciders


@pytest.mark.parametrize(
    ("revoked", "revokers"),
    [(False, {"provider_admin", "provider_focal", "sysadmin"}), (True, set())],
)
def test_auth_agrees_with_revoke(parties, revoked, revokers):
    def data() -> dict[str, Any]:
        return {"id": _grant_row(parties, revoked=revoked).id, "reason": "Hết nhu cầu"}

    assert _agree(parties, "daknong_access_grant_revoke", data) == revokers


# --- schemas ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("daknong_access_request_list", {"role": "owner"}, "role"),
        ("daknong_access_request_list", {"status": "any"}, "status"),
    ],
)
def test_list_filters_are_validated(app, parties, action, body, field):
    error = _api(app, parties["requester"], action, code=409, **body)["error"]
    assert field in error


def test_decision_and_dates_are_validated(app, parties):
    request = _request_row(parties, "submitted")
    error = _api(
        app,
        parties["provider_admin"],
        "daknong_access_request_decide",
        code=409,
        id=request.id,
        decision="maybe",
    )["error"]
    assert "decision" in error
    error = _api(
        app,
        parties["requester"],
        "daknong_access_request_create",
        code=409,
        **_body(parties, period_start="01/02/2026", purpose="   "),
    )["error"]
    assert set(error) >= {"period_start", "purpose"}
