"""Validators of the core portal, registered with CKAN under their function names.

Messages are English msgids passed through ``toolkit._`` so that they come out in the
request's language; their Vietnamese translations wait in ``i18n/vi-pending.yaml`` until they
are compiled into the catalogue. Legal references inside messages come from
``data/legal_references.yaml`` (see ``ckanext.daknong.legal``), in the request's language.

Validators that compare two fields read the other field from ``data`` whatever its state:
navl runs fields in alphabetical order, so the other one may still be raw input.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib import i18n
from ckan.logic.validators import email_pattern
from ckanext.scheming.helpers import scheming_field_choices, scheming_language_text
from ckanext.scheming.validation import scheming_validator

from ckanext.daknong import (
    access,
    agencies,
    grants,
    legal,
    licenses,
    log_retention,
    membership,
    security,
)

__all__ = [
    "daknong_access_decision",
    "daknong_access_list_role",
    "daknong_access_status",
    "daknong_agency_code",
    "daknong_agency_ref",
    "daknong_choice",
    "daknong_database_ref",
    "daknong_default_from_agency",
    "daknong_derive_private",
    "daknong_email",
    "daknong_focal_account",
    "daknong_focal_account_name",
    "daknong_iso_date",
    "daknong_log_retention_floor",
    "daknong_multiple_choice",
    "daknong_no_parent_loop",
    "daknong_no_state_secret",
    "daknong_not_before",
    "daknong_open_description",
    "daknong_open_license",
    "daknong_own_image",
    "daknong_phone",
    "daknong_public_metadata",
]

Key = tuple[Any, ...]
Data = dict[Key, Any]
Errors = dict[Key, list[str]]
Context = dict[str, Any]
FieldValidator = Callable[[Key, Data, Errors, Context], None]

# One literal _() per reason, so message extraction finds every msgid.
_AGENCY_CODE_MESSAGES: dict[str, Callable[..., str]] = {
    agencies.CODE_TOO_LONG: lambda **kw: tk._(
        "An agency code has at most %(max)s characters (%(reference)s).", **kw
    ),
    agencies.CODE_CHARACTERS: lambda **kw: tk._(
        "An agency code contains only the letters A–Z, the digits 0–9 and dots (%(reference)s).",
        **kw,
    ),
    agencies.CODE_EMPTY_GROUP: lambda **kw: tk._(
        "An agency code must not start or end with a dot or contain two dots in a row "
        "(%(reference)s).",
        **kw,
    ),
    agencies.CODE_LEVEL1: lambda **kw: tk._(
        "An agency code starts with a letter A–Y and two digits, such as H16 for the province, "
        "or with Z and two digits for other organisations (%(reference)s).",
        **kw,
    ),
    agencies.CODE_OTHER_WITHOUT_GROUP: lambda **kw: tk._(
        "The code of another organisation (Z and two digits) must be followed by the "
        "organisation's own code group, such as Z01.01 (%(reference)s).",
        **kw,
    ),
}


def _agency_code_message(reason: str, lang: str) -> str:
    return _AGENCY_CODE_MESSAGES[reason](
        max=agencies.code_rules().max_length,
        reference=legal.reference("agency_code", lang),
    )


def _lang() -> str:
    """The request's language; the portal's default language outside a request."""
    try:
        return i18n.get_lang()
    except RuntimeError:
        return tk.config.get("ckan.locale_default") or "vi"


def _is_empty(value: Any) -> bool:
    return value is tk.missing or value is None or value == ""


# Schema-level after-validators ---------------------------------------------------------------


def daknong_derive_private(key: Any, data: Data, errors: Errors, context: Context) -> None:
    """Dataset-level after-validator: ``private`` always follows ``access_level``.

    Whatever a form or API client sends as ``private`` is overwritten, so code that reads the
    raw column (package_list, the DCAT catalogue) can never publish shared or restricted data.
    """
    data[("private",)] = access.private_for(data.get(("access_level",)))


def daknong_public_metadata(key: Any, data: Data, errors: Errors, context: Context) -> None:
    """Database-level after-validator: a database catalogue entry is never private.

    QĐ 43 Art. 9.2 requires the catalogue of shared databases to be published; the entries are
    metadata about databases, open to everyone, whatever their data items' sharing categories.
    """
    data[("private",)] = False


# Choices from the schema or a code list ---------------------------------------------------------


def _allowed_values(field: dict[str, Any]) -> list[str]:
    return [str(choice["value"]) for choice in scheming_field_choices(field) or []]


def _unknown_choice(value: Any, allowed: list[str]) -> str:
    return tk._(
        'Unknown value "%(value)s"; allowed values: %(allowed)s',
        value=value,
        allowed=", ".join(allowed),
    )


@scheming_validator
def daknong_choice(field: dict[str, Any], schema: dict[str, Any]) -> FieldValidator:
    """One value of the field's ``choices`` or of its code list (``choices_helper``).

    Replaces scheming's validators to name the allowed values in the message, so an API client
    sending an unknown code learns the right ones.
    """

    def validator(key: Key, data: Data, errors: Errors, context: Context) -> None:
        value = data.get(key)
        if _is_empty(value):
            return
        allowed = _allowed_values(field)
        if not isinstance(value, str) or value not in allowed:
            errors[key].append(_unknown_choice(value, allowed))

    return validator


def _as_list(value: Any) -> list[Any] | None:
    """The values of a multiple choice: a list, one string, or a JSON list; None if neither."""
    if _is_empty(value):
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        if value.startswith("["):
            try:
                loaded = json.loads(value)
            except ValueError:
                return None
            return loaded if isinstance(loaded, list) else None
        return [value]
    return None


@scheming_validator
def daknong_multiple_choice(field: dict[str, Any], schema: dict[str, Any]) -> FieldValidator:
    """Zero or more values of the field's choices, stored as a JSON list in choice order."""

    def validator(key: Key, data: Data, errors: Errors, context: Context) -> None:
        if errors.get(key):
            return
        selected = _as_list(data.get(key))
        if selected is None:
            errors[key].append(tk._("Expecting a list of values"))
            return
        allowed = _allowed_values(field)
        unknown = [value for value in selected if value not in allowed]
        if unknown:
            errors[key].extend(_unknown_choice(value, allowed) for value in unknown)
            return
        if field.get("required") and not selected:
            errors[key].append(tk._("Missing value"))
            return
        data[key] = json.dumps([value for value in allowed if value in selected])

    return validator


# Data sets -------------------------------------------------------------------------------------


def daknong_no_state_secret(value: Any, context: Context) -> Any:
    """Refuse a data set or database declared to contain state secrets (QĐ 43 Art. 1.2).

    State secrets are outside the shared database; the portal must not hold them at all, so
    the declaration is refused rather than stored as a restricted access level.
    """
    if value is True:
        raise tk.Invalid(
            tk._(
                "Data containing state secrets cannot be registered on this portal: state "
                "secrets are outside the shared database (%(reference)s).",
                reference=legal.reference("state_secret", _lang()),
            )
        )
    return value


def daknong_log_retention_floor(value: Any, context: Context) -> Any:
    """A database may lengthen how long its sharing log is kept, never go below the province's
    floor (NĐ 47 Art. 45). The providing agency edits its database entry, and the log is the
    evidence about its own sharing: it must not be able to shorten that evidence's life.
    """
    if _is_empty(value):
        return value
    floor = log_retention.retention_floor_months()
    try:
        months = int(str(value))
    except ValueError:
        return value  # is_positive_integer, before this one, says what is wrong
    if months < floor:
        raise tk.Invalid(
            tk._(
                "The sharing log is kept at least %(floor)s months, the provincial minimum: a "
                "database may set a longer period, not a shorter one.",
                floor=floor,
            )
        )
    return value


def daknong_open_license(key: Key, data: Data, errors: Errors, context: Context) -> None:
    """Open data must carry an open licence (QĐ 43 Art. 11; NĐ 47 Art. 17–18).

    Runs on ``license_id`` and reads ``access_level`` (validated before it, alphabetically).
    """
    if data.get(("access_level",)) != access.OPEN:
        return
    license_id = data.get(key)
    if not _is_empty(license_id) and licenses.is_open(str(license_id)):
        return
    errors[key].append(
        tk._(
            "Open data must carry an open licence (%(reference)s); choose one of: %(licences)s.",
            reference=legal.reference("open_data_licence", _lang()),
            licences=", ".join(licenses.open_license_ids()),
        )
    )


def daknong_open_description(key: Key, data: Data, errors: Errors, context: Context) -> None:
    """Open data must have a description (NĐ 47 Art. 17–19; DCAT-AP requires dct:description).

    The national portal harvests open data as DCAT-AP, where a dataset without a description
    is invalid; shared and restricted data are never published, so they may go without. Runs
    on ``notes`` and reads ``access_level`` (validated before it, alphabetically).
    """
    notes = data.get(key)
    if data.get(("access_level",)) != access.OPEN or not (
        _is_empty(notes) or not str(notes).strip()
    ):
        return
    errors[key].append(
        tk._(
            "Open data must have a description: the open-data catalogue (DCAT-AP) that the "
            "national portal harvests refuses a data set without one."
        )
    )


def _owner_agency(data: Data, context: Context) -> model.Group | None:
    """The data set's owner agency, looked up once per validation: several fields use it."""
    reference = data.get(("owner_org",))
    found = context.setdefault("daknong_owner_agencies", {})
    if reference not in found:
        found[reference] = agencies.find_agency(reference)
    return found[reference]


def daknong_database_ref(key: Key, data: Data, errors: Errors, context: Context) -> None:
    """The ``database`` of a data set: an existing database entry of the same agency.

    NĐ 47 Art. 11.4 catalogues data per database and the providing agency answers for it, so a
    data set may only belong to a database of its own agency. Stores the database's name.
    """
    value = data.get(key)
    if _is_empty(value):
        return
    package = model.Package.get(str(value).strip())
    if package is None or package.state != "active":
        errors[key].append(tk._('There is no database catalogue entry "%(value)s".', value=value))
        return
    if package.type != "database":
        errors[key].append(
            tk._('"%(value)s" is a data set, not a database catalogue entry.', value=value)
        )
        return
    owner = _owner_agency(data, context)
    if package.owner_org != (owner.id if owner else None):
        errors[key].append(
            tk._(
                'The database "%(value)s" belongs to another agency: a data set can only be '
                "linked to a database of its own agency.",
                value=value,
            )
        )
        return
    data[key] = package.name


def daknong_default_from_agency(agency_field: str) -> FieldValidator:
    """Fill an empty field from the owner agency's ``agency_field``.

    Used for a data set's contact, which defaults to the agency's provider focal point
    (QĐ 43 Art. 20.1), so every data set names someone to ask without retyping it.
    """

    def validator(key: Key, data: Data, errors: Errors, context: Context) -> None:
        if not _is_empty(data.get(key)):
            return
        owner = _owner_agency(data, context)
        value = owner.extras.get(agency_field) if owner else None
        if value:
            data[key] = value

    return validator


# Dates ---------------------------------------------------------------------------------------


def _as_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _field_label(schema: dict[str, Any], field_name: str) -> Any:
    for group in ("dataset_fields", "fields"):
        for field in schema.get(group) or []:
            if field["field_name"] == field_name:
                return field.get("label", field_name)
    return field_name


def daknong_not_before(other_field: str) -> Callable[..., FieldValidator]:
    """This date must not be earlier than the date in ``other_field`` (an end after a start).

    A scheming validator factory: it reads the other field's label from the schema so the
    message names it in the user's language.
    """

    @scheming_validator
    def build(field: dict[str, Any], schema: dict[str, Any]) -> FieldValidator:
        other_label = _field_label(schema, other_field)

        def validator(key: Key, data: Data, errors: Errors, context: Context) -> None:
            end = _as_date(data.get(key))
            start = _as_date(data.get(key[:-1] + (other_field,)))
            if end is None or start is None or end >= start:
                return
            errors[key].append(
                tk._(
                    'Must not be earlier than "%(field)s" (%(date)s).',
                    field=scheming_language_text(other_label, _lang()),
                    date=start.isoformat(),
                )
            )

        return validator

    return build


# Agencies --------------------------------------------------------------------------------------


def _current_agency_id(data: Data, context: Context) -> str | None:
    """The id of the organisation being updated; None when it is being created."""
    group = context.get("group")
    if group is not None:
        return group.id
    reference = data.get(("id",))
    existing = model.Group.get(reference) if isinstance(reference, str) and reference else None
    return existing.id if existing else None


def daknong_agency_code(key: Key, data: Data, errors: Errors, context: Context) -> None:
    """A QĐ 20/2020/QĐ-TTg agency code, upper-cased, used by no other agency."""
    value = data.get(key)
    if _is_empty(value):
        return
    code = agencies.normalise_code(str(value))
    reason = agencies.check_code(code)
    if reason:
        errors[key].append(_agency_code_message(reason, _lang()))
        return
    other = agencies.agency_with_code(code, exclude_id=_current_agency_id(data, context))
    if other is not None:
        errors[key].append(
            tk._(
                'The agency code %(code)s is already used by "%(agency)s".',
                code=code,
                agency=other.title or other.name,
            )
        )
        return
    data[key] = code


def daknong_agency_ref(key: Key, data: Data, errors: Errors, context: Context) -> None:
    """Another existing agency (parent, successor), stored by name."""
    value = data.get(key)
    if _is_empty(value):
        return
    agency = agencies.find_agency(str(value).strip())
    if agency is None:
        errors[key].append(tk._('There is no agency "%(value)s".', value=value))
        return
    current = _current_agency_id(data, context)
    if agency.id == current or agency.name == data.get(("name",)):
        errors[key].append(tk._("Name another agency, not this agency itself."))
        return
    data[key] = agency.name


def daknong_no_parent_loop(key: Key, data: Data, errors: Errors, context: Context) -> None:
    """The chain of parent agencies must end: no agency may be its own ancestor."""
    if errors.get(key) or _is_empty(data.get(key)):
        return
    current = _current_agency_id(data, context)
    parent = agencies.find_agency(data[key])
    if current and parent is not None and agencies.parent_chain_reaches(parent, current):
        errors[key].append(
            tk._(
                'The parent agencies would form a loop: "%(value)s" is already below this '
                "agency.",
                value=data[key],
            )
        )


def daknong_phone(value: Any, context: Context) -> Any:
    """A Vietnamese phone number, normalised to national form (focal points, QĐ 43 Art. 20)."""
    if _is_empty(value):
        return value
    number = agencies.normalise_phone(str(value))
    if number is None:
        raise tk.Invalid(
            tk._(
                'Not a Vietnamese phone number: "%(value)s". Use a 10-digit mobile number '
                "(03x, 05x, 07x, 08x, 09x), an 11-digit landline number starting with 02, or "
                "the same with +84.",
                value=value,
            )
        )
    return number


def daknong_email(value: Any, context: Context) -> Any:
    """An e-mail address with a domain name (``name@agency.gov.vn``)."""
    if _is_empty(value):
        return value
    text = str(value).strip()
    domain = text.rpartition("@")[2]
    if not email_pattern.match(text) or "." not in domain:
        raise tk.Invalid(tk._('Invalid e-mail address: "%(value)s".', value=value))
    return text


def daknong_own_image(value: Any, context: Context) -> Any:
    """An image the portal serves itself: an uploaded file, or a URL on the portal's own site.

    An agency's emblem given as a link to another host would make every visitor's browser ask
    that host for it, telling it who reads the portal (issue 12, no third-party requests); the
    Content-Security-Policy refuses such images anyway, so they would only show broken.
    """
    if _is_empty(value):
        return value
    text = str(value).strip()
    if security.served_by_portal(text):
        return text
    raise tk.Invalid(
        tk._(
            "Upload the image to the portal: images from other sites are not shown "
            '("%(value)s").',
            value=text[:200],
        )
    )


# Focal points named by account (QĐ 43 Art. 20.1, 21.1; issue 10, H1) -----------------------


def daknong_focal_account(key: Key, data: Data, errors: Errors, context: Context) -> None:
    """An active user account that is an active member of this agency, stored by its id.

    The focal point's role in the workflow comes from this account and its membership, never
    from the public e-mail field beside it (which anyone could give their own account).
    """
    value = data.get(key)
    if _is_empty(value):
        data[key] = ""
        return
    typed = str(value).strip()
    user = model.User.get(typed)
    if user is None or user.state != model.State.ACTIVE:
        errors[key].append(tk._('There is no active user account "%(value)s".', value=typed))
        return
    if not membership.is_member(user.id, _current_agency_id(data, context)):
        errors[key].append(
            tk._(
                'The account "%(value)s" is not an active member of this agency: add it to the '
                "agency's members first.",
                value=typed,
            )
        )
        return
    data[key] = user.id


def daknong_focal_account_name(key: Key, data: Data, errors: Errors, context: Context) -> None:
    """Show a stored focal account by its user name, as the form expects it back.

    Only to the agency's members and sysadmins: outsiders need the public name and e-mail,
    not the account an attacker would try to take over.
    """
    value = data.get(key)
    if _is_empty(value):
        return
    viewer = context.get("auth_user_obj")
    if viewer is None or getattr(viewer, "is_anonymous", False):
        viewer = model.User.get(context["user"]) if context.get("user") else None
    org_id = _current_agency_id(data, context)
    if viewer is None or not (viewer.sysadmin or membership.is_member(viewer.id, org_id)):
        data[key] = ""
        return
    user = model.User.get(str(value))
    data[key] = user.name if user is not None else value


# Access-request input (logic/schema.py) -----------------------------------------------------


def daknong_iso_date(value: Any, context: Context) -> Any:
    """A calendar date written YYYY-MM-DD, returned as a date."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise tk.Invalid(tk._("Enter a date as YYYY-MM-DD")) from None


def daknong_access_decision(value: Any, context: Context) -> Any:
    if value not in grants.DECISIONS:
        raise tk.Invalid(tk._("Decision must be approve or refuse"))
    return value


def daknong_access_list_role(value: Any, context: Context) -> Any:
    if value not in grants.LIST_ROLES:
        raise tk.Invalid(tk._("Role must be requester, provider or approver"))
    return value


def daknong_access_status(value: Any, context: Context) -> Any:
    if value not in grants.STATUSES:
        raise tk.Invalid(
            tk._(
                "Status must be one of: submitted, awaiting_approval, granted, refused, "
                "expired, revoked"
            )
        )
    return value
