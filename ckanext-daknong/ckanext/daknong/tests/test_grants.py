"""Access requests and grants through the API (QĐ 43 Art. 10.2; NĐ 47 Art. 35)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.daknong.model.access import AccessGrant, AccessRequest
from ckanext.daknong.tests.factories import Agency, agency_member

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def parties(ckan_config, monkeypatch) -> dict[str, Any]:
    provider = Agency(
        name="so-cung-cap",
        title="Sở cung cấp",
        provider_focal_name="Nguyễn Văn Đầu Mối",
        provider_focal_email="daumoi@socungcap.daknong.gov.vn",
    )
    consumer = Agency(name="so-su-dung", title="Sở sử dụng", agency_code="H16.77")
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
            notes=f"Mô tả {level}",
            owner_org=provider["id"],
            access_level=level,
            license_id="cc-by" if level == "open" else "other-closed",
        )
        for level in ("open", "shared", "restricted")
    }
    return {
        "provider": provider,
        "consumer": consumer,
        "provider_admin": agency_member(provider, "admin"),
        "provider_member": agency_member(provider),
        "consumer_member": agency_member(consumer),
        "consumer_admin": agency_member(consumer, "admin"),
        "approver": agency_member(province, "admin"),
        "datasets": datasets,
    }


def _request_body(parties: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    today = dt.date.today()
    body = {
        "dataset_id": parties["datasets"]["restricted"]["name"],
        "requester_org_id": parties["consumer"]["name"],
        "application": "Hệ thống một cửa điện tử tỉnh",
        "purpose": "Giải quyết thủ tục hành chính về đất đai",
        "intended_use": "Tra cứu thông tin thửa đất khi tiếp nhận hồ sơ",
        "requested_data": "Số thửa, số tờ bản đồ, diện tích",
        "access_frequency": "Hằng ngày",
        "period_start": today.isoformat(),
        "period_end": (today + dt.timedelta(days=90)).isoformat(),
    }
    body.update(overrides)
    return body


def _call(app, user: dict[str, Any] | None, action: str, status: int = 200, **body: Any):
    headers = {"Authorization": user["token"]} if user else {}
    response = app.post(f"/api/3/action/{action}", json=body, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.json


def _can_read(app, user: dict[str, Any], dataset: dict[str, Any]) -> bool:
    response = app.post(
        "/api/3/action/package_show",
        json={"id": dataset["id"]},
        headers={"Authorization": user["token"]},
    )
    return response.status_code == 200


class TestFlow:
    def test_request_decision_approval_grant_and_expiry(self, app, parties, smtp_server):
        """Art. 10.2: another agency's request needs the provider, then the province."""
        restricted = parties["datasets"]["restricted"]
        consumer = parties["consumer_member"]

        created = _call(app, consumer, "daknong_access_request_create", **_request_body(parties))[
            "result"
        ]
        # QĐ 43 Art. 20.1: the provider's focal point and admins hear of the request
        assert len(smtp_server.to("daumoi@socungcap.daknong.gov.vn")) == 1
        assert len(smtp_server.to(parties["provider_admin"]["email"])) == 1
        assert smtp_server.to(consumer["email"]) == []
        assert created["status"] == "submitted"
        assert created["needs_province_approval"] is True
        assert created["requester_agency_code"] == "H16.77"
        assert not _can_read(app, consumer, restricted)

        provider_step = _call(
            app,
            parties["provider_admin"],
            "daknong_access_request_decide",
            id=created["id"],
            decision="approve",
        )["result"]
        assert provider_step["status"] == "awaiting_approval"
        assert not _can_read(app, consumer, restricted)
        assert len(smtp_server.to(parties["approver"]["email"])) == 1

        approved = _call(
            app,
            parties["approver"],
            "daknong_access_request_decide",
            id=created["id"],
            decision="approve",
        )["result"]
        assert approved["status"] == "granted"
        assert _can_read(app, consumer, restricted)  # at once, no reindex
        (granted_mail,) = smtp_server.to(consumer["email"])
        assert created["id"] in granted_mail.get_payload(decode=True).decode()

        grant = model.Session.query(AccessGrant).filter_by(request_id=created["id"]).one()
        grant.valid_until = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
        model.Session.commit()
        shown = _call(app, consumer, "daknong_access_request_show", id=created["id"])["result"]
        assert shown["status"] == "expired"
        assert not _can_read(app, consumer, restricted)
        events = [entry["event"] for entry in shown["history"]]
        assert events == ["submitted", "provider_approved", "approver_approved", "granted"]

    def test_mail_server_down_is_recorded_and_the_request_still_stands(
        self, app, parties, ckan_config, monkeypatch
    ):
        from ckanext.daknong.tests.smtp_server import free_port

        monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{free_port()}")
        created = _call(
            app,
            parties["consumer_member"],
            "daknong_access_request_create",
            **_request_body(parties),
        )["result"]

        assert created["status"] == "submitted"
        events = [entry["event"] for entry in created["history"]]
        assert events == ["submitted", "notification_failed"]

    def test_refusal_needs_a_reason_and_is_final(self, app, parties):
        created = _call(
            app,
            parties["consumer_member"],
            "daknong_access_request_create",
            **_request_body(parties),
        )["result"]

        _call(
            app,
            parties["provider_admin"],
            "daknong_access_request_decide",
            status=409,
            id=created["id"],
            decision="refuse",
            reason="  ",
        )
        refused = _call(
            app,
            parties["provider_admin"],
            "daknong_access_request_decide",
            id=created["id"],
            decision="refuse",
            reason="Dữ liệu đang được chuẩn hóa",
        )["result"]

        assert refused["status"] == "refused"
        assert refused["refusal_reason"] == "Dữ liệu đang được chuẩn hóa"
        # a decided request is decided by nobody: refused by its auth function (design 3)
        _call(
            app,
            parties["approver"],
            "daknong_access_request_decide",
            status=403,
            id=created["id"],
            decision="approve",
        )

    def test_without_province_rule_the_provider_grants_directly(
        self, app, parties, ckan_config, monkeypatch
    ):
        monkeypatch.setitem(ckan_config, "ckanext.daknong.province_approval_rule", "never")
        created = _call(
            app,
            parties["consumer_member"],
            "daknong_access_request_create",
            **_request_body(parties),
        )["result"]

        decided = _call(
            app,
            parties["provider_admin"],
            "daknong_access_request_decide",
            id=created["id"],
            decision="approve",
        )["result"]

        assert decided["status"] == "granted"
        assert _can_read(app, parties["consumer_member"], parties["datasets"]["restricted"])

    def test_revoked_grant_stops_access(self, app, parties, ckan_config, monkeypatch):
        monkeypatch.setitem(ckan_config, "ckanext.daknong.province_approval_rule", "never")
        created = _call(
            app,
            parties["consumer_member"],
            "daknong_access_request_create",
            **_request_body(parties),
        )["result"]
        decided = _call(
            app,
            parties["provider_admin"],
            "daknong_access_request_decide",
            id=created["id"],
            decision="approve",
        )["result"]
        grant_id = decided["grant"]["id"]

        _call(
            app,
            parties["consumer_admin"],
            "daknong_access_grant_revoke",
            status=403,
            id=grant_id,
            reason="không có quyền",
        )
        revoked = _call(
            app,
            parties["provider_admin"],
            "daknong_access_grant_revoke",
            id=grant_id,
            reason="Hết nhu cầu sử dụng",
        )["result"]

        assert revoked["status"] == "revoked"
        assert not _can_read(app, parties["consumer_member"], parties["datasets"]["restricted"])
        grants = _call(app, parties["consumer_member"], "daknong_access_grant_list")["result"]
        assert [g["status"] for g in grants] == ["revoked"]

    def test_deadline_is_two_working_days_and_overdue_is_flagged(self, app, parties):
        """NĐ 47 Art. 35.3 (as amended): the provider answers within 2 working days."""
        created = _call(
            app,
            parties["consumer_member"],
            "daknong_access_request_create",
            **_request_body(parties),
        )["result"]
        request = model.Session.get(AccessRequest, created["id"])
        due = dt.datetime.fromisoformat(created["provider_due_at"])

        assert due > dt.datetime.fromisoformat(created["created_at"]) + dt.timedelta(days=1)
        assert created["overdue"] is False
        request.provider_due_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
        model.Session.commit()
        shown = _call(
            app, parties["provider_admin"], "daknong_access_request_show", id=created["id"]
        )["result"]
        assert shown["overdue"] is True

    def test_lists_by_role(self, app, parties):
        created = _call(
            app,
            parties["consumer_member"],
            "daknong_access_request_create",
            **_request_body(parties),
        )["result"]

        def ids(user, role):
            result = _call(app, user, "daknong_access_request_list", role=role)["result"]
            return [r["id"] for r in result]

        assert ids(parties["consumer_member"], "requester") == [created["id"]]
        assert ids(parties["provider_admin"], "provider") == [created["id"]]
        assert ids(parties["provider_member"], "provider") == []
        assert ids(parties["approver"], "approver") == []  # not yet past the provider


class TestBadInput:
    @pytest.mark.parametrize("level", ["open", "shared"])
    def test_open_or_shared_data_needs_no_request(self, app, parties, level):
        body = _request_body(parties, dataset_id=parties["datasets"][level]["id"])

        error = _call(
            app, parties["consumer_member"], "daknong_access_request_create", status=409, **body
        )["error"]

        assert "dataset_id" in error
        assert model.Session.query(AccessRequest).count() == 0

    def test_own_agency_data_needs_no_request(self, app, parties):
        body = _request_body(parties, requester_org_id=parties["provider"]["id"])

        error = _call(
            app, parties["provider_member"], "daknong_access_request_create", status=409, **body
        )["error"]

        assert "requester_org_id" in error
        assert model.Session.query(AccessRequest).count() == 0

    def test_agency_the_user_does_not_belong_to_is_refused(self, app, parties):
        body = _request_body(parties)

        error = _call(
            app, parties["provider_member"], "daknong_access_request_create", status=409, **body
        )["error"]

        assert "requester_org_id" in error

    def test_duplicate_pending_request_is_refused(self, app, parties):
        _call(
            app,
            parties["consumer_member"],
            "daknong_access_request_create",
            **_request_body(parties),
        )

        error = _call(
            app,
            parties["consumer_admin"],
            "daknong_access_request_create",
            status=409,
            **_request_body(parties),
        )["error"]

        assert "dataset_id" in error
        assert model.Session.query(AccessRequest).count() == 1

    def test_end_date_in_the_past_is_refused(self, app, parties):
        past = (dt.date.today() - dt.timedelta(days=1)).isoformat()
        body = _request_body(parties, period_start="2020-01-01", period_end=past)

        error = _call(
            app, parties["consumer_member"], "daknong_access_request_create", status=409, **body
        )["error"]

        assert "period_end" in error
        assert model.Session.query(AccessRequest).count() == 0

    def test_missing_fields_are_named(self, app, parties):
        body = _request_body(parties, purpose="", application=None)

        error = _call(
            app, parties["consumer_member"], "daknong_access_request_create", status=409, **body
        )["error"]

        assert {"purpose", "application"} <= set(error)

    def test_users_in_no_agency_and_anonymous_cannot_request(self, app, parties):
        outsider = factories.UserWithToken()

        _call(app, outsider, "daknong_access_request_create", status=403, **_request_body(parties))
        _call(app, None, "daknong_access_request_create", status=403, **_request_body(parties))

    def test_decision_by_the_wrong_agency_or_role_is_refused(self, app, parties):
        created = _call(
            app,
            parties["consumer_member"],
            "daknong_access_request_create",
            **_request_body(parties),
        )["result"]

        for user in ("consumer_admin", "provider_member", "approver"):
            _call(
                app,
                parties[user],
                "daknong_access_request_decide",
                status=403,
                id=created["id"],
                decision="approve",
            )
        outsider = factories.UserWithToken()
        _call(
            app,
            outsider,
            "daknong_access_request_decide",
            status=403,
            id=created["id"],
            decision="approve",
        )

        assert model.Session.get(AccessRequest, created["id"]).status == "submitted"

    def test_request_is_hidden_from_unrelated_users(self, app, parties):
        created = _call(
            app,
            parties["consumer_member"],
            "daknong_access_request_create",
            **_request_body(parties),
        )["result"]
        outsider = factories.UserWithToken()

        _call(app, outsider, "daknong_access_request_show", status=403, id=created["id"])


def test_requester_does_not_learn_the_title_before_a_grant(app, parties, ckan_config, monkeypatch):
    """QĐ 43 Art. 10: a restricted dataset's title reaches only those entitled to it."""
    monkeypatch.setitem(ckan_config, "ckanext.daknong.province_approval_rule", "never")
    title = "Tiêu đề bí mật của dữ liệu hạn chế"
    call_action(
        "package_patch",
        context={"user": parties["provider_admin"]["name"]},
        id=parties["datasets"]["restricted"]["id"],
        title=title,
    )
    created = _call(
        app, parties["consumer_member"], "daknong_access_request_create", **_request_body(parties)
    )
    listed = _call(app, parties["consumer_member"], "daknong_access_request_list")
    provider_view = _call(
        app, parties["provider_admin"], "daknong_access_request_show", id=created["result"]["id"]
    )

    assert title not in str(created) + str(listed)
    assert provider_view["result"]["dataset_title"] == title
    _call(
        app,
        parties["provider_admin"],
        "daknong_access_request_decide",
        id=created["result"]["id"],
        decision="approve",
    )
    after = _call(
        app, parties["consumer_member"], "daknong_access_request_show", id=created["result"]["id"]
    )
    assert after["result"]["dataset_title"] == title
