"""Input schemas of the portal's own actions."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk


@tk.validator_args
def agency_merge_schema(
    not_empty: Any, unicode_safe: Any, ignore_missing: Any, isodate: Any, daknong_agency_ref: Any
) -> dict[str, Any]:
    """``daknong_agency_merge``: the retiring agency, its successor, the retirement date."""
    return {
        "old": [not_empty, unicode_safe, daknong_agency_ref],
        "new": [not_empty, unicode_safe, daknong_agency_ref],
        "effective_until": [ignore_missing, isodate],
    }


@tk.validator_args
def catalogue_show_schema(ignore_missing: Any, unicode_safe: Any) -> dict[str, Any]:
    """``daknong_catalogue_show``: optional filters; unknown codes simply match nothing."""
    return {
        "agency": [ignore_missing, unicode_safe],
        "database_type": [ignore_missing, unicode_safe],
        "foundation_data": [ignore_missing, unicode_safe],
        "q": [ignore_missing, unicode_safe],
    }


# --- access requests and grants (QĐ 43 Art. 10.2; NĐ 47 Art. 35) ----------------------------
# Unknown keys are dropped (``__extras``/``__junk``): the actions use only what is declared
# here, so a caller cannot slip in fields the workflow takes from records (M2: the requesting
# agency's code and name come from the agency, not the caller).


@tk.validator_args
def access_request_create_schema(
    not_empty: Any, unicode_safe: Any, strip_value: Any, ignore: Any, daknong_iso_date: Any
) -> dict[str, Any]:
    """``daknong_access_request_create``: the NĐ 47 Art. 35.1 content of a request."""
    text = [unicode_safe, strip_value, not_empty]
    return {
        "dataset_id": text,
        "requester_org_id": text,
        "application": text,
        "purpose": text,
        "intended_use": text,
        "requested_data": text,
        "access_frequency": text,
        "period_start": [*text, daknong_iso_date],
        "period_end": [*text, daknong_iso_date],
        "__extras": [ignore],
        "__junk": [ignore],
    }


@tk.validator_args
def access_request_decide_schema(
    not_empty: Any,
    unicode_safe: Any,
    strip_value: Any,
    default: Any,
    ignore: Any,
    daknong_access_decision: Any,
) -> dict[str, Any]:
    """``daknong_access_request_decide``: the decision; the workflow requires a refusal's reason."""
    return {
        "id": [unicode_safe, strip_value, not_empty],
        "decision": [unicode_safe, strip_value, not_empty, daknong_access_decision],
        "reason": [default(""), unicode_safe, strip_value],
        "__extras": [ignore],
        "__junk": [ignore],
    }


@tk.validator_args
def access_grant_revoke_schema(
    not_empty: Any, unicode_safe: Any, strip_value: Any, default: Any, ignore: Any
) -> dict[str, Any]:
    """``daknong_access_grant_revoke``: the grant; the workflow requires the reason."""
    return {
        "id": [unicode_safe, strip_value, not_empty],
        "reason": [default(""), unicode_safe, strip_value],
        "__extras": [ignore],
        "__junk": [ignore],
    }


@tk.validator_args
def access_request_list_schema(
    ignore_empty: Any,
    unicode_safe: Any,
    strip_value: Any,
    ignore: Any,
    daknong_access_list_role: Any,
    daknong_access_status: Any,
) -> dict[str, Any]:
    """``daknong_access_request_list``: optional role, status and dataset filters."""
    return {
        "role": [ignore_empty, unicode_safe, strip_value, daknong_access_list_role],
        "status": [ignore_empty, unicode_safe, strip_value, daknong_access_status],
        "dataset_id": [ignore_empty, unicode_safe, strip_value],
        "__extras": [ignore],
        "__junk": [ignore],
    }


@tk.validator_args
def access_grant_list_schema(
    ignore_empty: Any,
    unicode_safe: Any,
    strip_value: Any,
    default: Any,
    ignore: Any,
    boolean_validator: Any,
) -> dict[str, Any]:
    """``daknong_access_grant_list``: optional dataset filter and ``active_only``."""
    return {
        "dataset_id": [ignore_empty, unicode_safe, strip_value],
        "active_only": [default(False), boolean_validator],
        "__extras": [ignore],
        "__junk": [ignore],
    }


# --- CKAN actions that read required keys unchecked ------------------------------------------
# Upstream answers a missing key with an uncaught KeyError (a 500, found by the policy matrix);
# the portal's chained actions check these first and answer a validation error.


@tk.validator_args
def autocomplete_schema(not_missing: Any, unicode_safe: Any) -> dict[str, Any]:
    """``group_autocomplete`` and ``organization_autocomplete``: the text to complete."""
    return {"q": [not_missing, unicode_safe]}


@tk.validator_args
def member_create_schema(not_empty: Any, unicode_safe: Any) -> dict[str, Any]:
    """``group_member_create`` and ``organization_member_create``."""
    return {
        "id": [not_empty, unicode_safe],
        "username": [not_empty, unicode_safe],
        "role": [not_empty, unicode_safe],
    }


@tk.validator_args
def member_delete_schema(not_empty: Any, unicode_safe: Any) -> dict[str, Any]:
    """``group_member_delete`` and ``organization_member_delete``."""
    return {"id": [not_empty, unicode_safe], "username": [not_empty, unicode_safe]}


@tk.validator_args
def user_invite_schema(not_empty: Any, unicode_safe: Any) -> dict[str, Any]:
    """``user_invite``: upstream validates e-mail and role, then reads ``group_id`` unchecked."""
    return {
        "email": [not_empty, unicode_safe],
        "group_id": [not_empty, unicode_safe],
        "role": [not_empty, unicode_safe],
    }
