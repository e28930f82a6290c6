"""The Vietnamese catalogue is complete, compiled and used (Vietnamese is the default locale)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

REPO_ROOT = Path(__file__).resolve().parents[4]
I18N = REPO_ROOT / "ckanext-daknong" / "ckanext" / "daknong" / "i18n"
PO = I18N / "vi" / "LC_MESSAGES" / "ckanext-daknong.po"
I18N_SCRIPT = REPO_ROOT / "deployment" / "scripts" / "i18n.py"


@pytest.fixture(scope="module")
def extracted():
    """The messages of the code and templates, extracted as `make i18n` does."""
    spec = importlib.util.spec_from_file_location("i18n_script", I18N_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.extracted_catalog()


def _translated(message) -> bool:
    if message is None:
        return False
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return bool(strings) and all(strings)


def _catalog():
    with PO.open("rb") as stream:
        return read_po(stream, locale="vi")


def test_every_message_in_the_code_has_a_vietnamese_translation(extracted):
    catalog = _catalog()
    missing = [m.id for m in extracted if m.id and not _translated(catalog.get(m.id))]

    assert not missing, f"untranslated (run make i18n, then translate): {missing}"


def test_compiled_catalogue_matches_its_source():
    with PO.with_suffix(".mo").open("rb") as stream:
        compiled = read_mo(stream)

    def as_key(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    source = {as_key(m.id): as_key(m.string) for m in _catalog() if m.id and _translated(m)}

    assert {as_key(m.id): as_key(m.string) for m in compiled if m.id} == source


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_api_errors_come_in_vietnamese_by_default_and_english_on_request(app):
    from ckan.tests import factories

    user = factories.UserWithToken()
    headers = {"Authorization": user["token"]}
    vietnamese = app.post("/api/3/action/daknong_access_request_list", json={})
    english = app.post(
        "/en/api/3/action/daknong_access_grant_revoke", json={"id": "x"}, headers=headers
    )
    default = app.post(
        "/api/3/action/daknong_access_grant_revoke", json={"id": "x"}, headers=headers
    )

    assert vietnamese.status_code == 403
    assert "Access grant not found" in english.json["error"]["message"]
    assert "Không tìm thấy quyền truy cập" in default.json["error"]["message"]


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_portal_corrects_core_vietnamese_where_it_is_wrong(app):
    """Core calls organisations "Tổ chức"; on this portal they are agencies ("Cơ quan")."""
    page = app.get("/").get_data(as_text=True)

    assert ">Cơ quan<" in page.replace("\n", "").replace("  ", "")


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_dataset_form_has_no_visibility_control(app):
    """QĐ 43 Art. 10–11: visibility follows the access level, so the form offers no other."""
    from ckan.tests import factories

    from ckanext.daknong.tests.factories import Agency

    sysadmin = factories.SysadminWithToken()
    Agency()
    page = app.get("/dataset/new", headers={"Authorization": sysadmin["token"]})

    assert page.status_code == 200
    assert 'name="access_level"' in page.get_data(as_text=True)
    assert 'name="private"' not in page.get_data(as_text=True)
