"""Every step of an access request is in the sharing log (NĐ 47 Art. 45.1; Art. 35–38).

Submitted, decided by the provider, approved by the province, granted, refused, revoked and
expired: one entry each, with the request id, the purpose and both agencies.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ckanext.daknong import grants
from ckanext.daknong.tests.factories import Agency, agency_member

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def approver(world, ckan_config, monkeypatch) -> dict[str, Any]:
    province = Agency(name="ubnd-tinh-nhat-ky")
    monkeypatch.setitem(
        ckan_config, "ckanext.daknong.province_approver_organization", province["name"]
    )
    return agency_member(province, "admin")


def _call(app, user, action: str, **body: Any) -> dict[str, Any]:
    response = app.post(
        f"/api/3/action/{action}", json=body, headers={"Authorization": user["token"]}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["result"]


def _submit(app, world) -> dict[str, Any]:
    today = dt.date.today()
    return _call(
        app,
        world.users["consumer_admin"],
        "daknong_access_request_create",
        dataset_id=world.datasets["restricted"]["name"],
        requester_org_id=world.consumer["id"],
        application="Hệ thống một cửa điện tử",
        purpose="Giải quyết thủ tục đất đai",
        intended_use="Tra cứu",
        requested_data="Số thửa, diện tích",
        access_frequency="Hằng ngày",
        period_start=today.isoformat(),
        period_end=(today + dt.timedelta(days=10)).isoformat(),
    )


def test_request_decisions_grant_revocation_are_each_logged(app, world, approver, new_entries):
    request = _submit(app, world)
    _call(
        app,
        world.users["provider_admin"],
        "daknong_access_request_decide",
        id=request["id"],
        decision="approve",
    )
    granted = _call(
        app, approver, "daknong_access_request_decide", id=request["id"], decision="approve"
    )
    _call(
        app,
        world.users["provider_admin"],
        "daknong_access_grant_revoke",
        id=granted["grant"]["id"],
        reason="Hết nhu cầu sử dụng",
    )

    steps = [e for e in new_entries() if e["access_request_id"] == request["id"]]
    assert [e["event"] for e in steps] == [
        "request_submitted",
        "request_provider_approved",
        "request_approver_approved",
        "request_granted",
        "request_revoked",
    ]
    assert {e["channel"] for e in steps} == {"api"}
    assert all(e["purpose"] == "Giải quyết thủ tục đất đai" for e in steps)
    assert all(e["requester_org_id"] == world.consumer["id"] for e in steps)
    assert all(e["provider_org_ids"] == [world.provider["id"]] for e in steps)
    assert all(e["dataset_ids"] == [world.datasets["restricted"]["id"]] for e in steps)
    assert steps[0]["user_name"] == world.users["consumer_admin"]["name"]
    assert steps[1]["user_name"] == world.users["provider_admin"]["name"]
    assert steps[2]["user_name"] == approver["name"]
    assert steps[3]["grant_id"] == granted["grant"]["id"]
    assert steps[4]["grant_id"] == granted["grant"]["id"]


def test_a_refusal_is_logged(app, world, new_entries):
    request = _submit(app, world)
    _call(
        app,
        world.users["provider_admin"],
        "daknong_access_request_decide",
        id=request["id"],
        decision="refuse",
        reason="Dữ liệu đang rà soát",
    )
    events = [e["event"] for e in new_entries() if e["access_request_id"] == request["id"]]
    assert events == ["request_submitted", "request_refused"]


def test_expiry_is_logged_once_by_the_scheduled_command(
    app, world, ckan_config, monkeypatch, new_entries, cli
):
    import ckan.cli.cli

    monkeypatch.setitem(ckan_config, "ckanext.daknong.province_approval_rule", "never")
    request = _submit(app, world)
    granted = _call(
        app,
        world.users["provider_admin"],
        "daknong_access_request_decide",
        id=request["id"],
        decision="approve",
    )
    after_end = dt.datetime.fromisoformat(granted["grant"]["valid_until"]) + dt.timedelta(days=1)
    assert grants.record_expiries(at=after_end) >= 1
    assert grants.record_expiries(at=after_end) == 0  # recorded once
    expired = [
        e
        for e in new_entries()
        if e["access_request_id"] == request["id"] and e["event"] == "request_expired"
    ]
    assert len(expired) == 1
    assert expired[0]["channel"] == "system"
    assert expired[0]["grant_id"] == granted["grant"]["id"]
    result = cli.invoke(ckan.cli.cli.ckan, ["daknong", "access", "record-expiries"])
    assert result.exit_code == 0, result.output
    assert "expired grants recorded" in result.output


def test_m2_forged_agency_fields_never_reach_the_logged_request_event(app, world, new_entries):
    """M2 (NĐ 47 Art. 45.1): the log names the requesting agency by its own record's code,
    whatever code and name the caller sent."""
    today = dt.date.today()
    request = _call(
        app,
        world.users["consumer_admin"],
        "daknong_access_request_create",
        dataset_id=world.datasets["restricted"]["name"],
        requester_org_id=world.consumer["id"],
        requester_agency_code="H16.01",
        requester_agency_name="Ủy ban nhân dân tỉnh (giả mạo)",
        application="Hệ thống một cửa điện tử",
        purpose="Giải quyết thủ tục đất đai",
        intended_use="Tra cứu",
        requested_data="Số thửa",
        access_frequency="Hằng ngày",
        period_start=today.isoformat(),
        period_end=(today + dt.timedelta(days=10)).isoformat(),
    )

    (submitted,) = [e for e in new_entries() if e["access_request_id"] == request["id"]]
    assert submitted["event"] == "request_submitted"
    assert submitted["requester_agency_code"] == "H16.77"
    assert submitted["requester_org_id"] == world.consumer["id"]
    assert request["requester_agency_name"] == "Sở sử dụng"
