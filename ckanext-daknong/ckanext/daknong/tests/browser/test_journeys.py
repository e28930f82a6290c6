"""The portal's main journeys in a real headless Chromium (issue 12 §8).

A citizen searches with and without diacritics and opens an open dataset (NĐ 47 Art. 17); an
agency admin publishes a dataset with an uploaded file through the form (QĐ 43 Art. 9, 20);
another agency asks for a restricted dataset, the provider decides and the province approves
(QĐ 43 Art. 10.2; NĐ 47 Art. 35). The portal runs under gunicorn on loopback with the test
database; the people are Selenium sessions that type, choose and click.

Not yet here: the table preview of an uploaded file, which comes with the DataStore (issue 13).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import requests
from ckan.tests import factories
from ckan.tests.helpers import call_action
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from ckanext.daknong.tests import live_portal
from ckanext.daknong.tests.browser import chromium
from ckanext.daknong.tests.factories import Agency, DaknongDataset, Database

PASSWORD = "Ho-Ta-Dung-Gia-Nghia-2026!"
OPEN_TITLE = "Chất lượng nước mặt sông Đồng Nai năm 2025"
RESTRICTED_TITLE = "Hồ sơ địa chính thửa đất Gia Nghĩa"
UPLOADED_ROWS = (
    "Xã/phường,Số hộ,Ngày cập nhật\nNghĩa Đức,1.204,15/03/2025\nQuảng Khê,987,16/03/2025\n"
)


def _user(org: dict, role: str, name: str) -> dict:
    user = factories.User(name=name, password=PASSWORD, image_url="")
    call_action("organization_member_create", id=org["id"], username=user["name"], role=role)
    return user


@pytest.fixture(scope="module")
def portal(module_clean_db, tmp_path_factory) -> Iterator[dict]:
    """Two agencies and the province, their admins, an open and a restricted dataset; the
    portal under gunicorn (2 workers, as deployed) with the province's approvers configured."""
    provider = Agency(name="so-tai-nguyen-moi-truong", title="Sở Tài nguyên và Môi trường")
    consumer = Agency(name="so-y-te", title="Sở Y tế")
    province = Agency(name="ubnd-tinh", title="Ủy ban nhân dân tỉnh")
    people = {
        "provider": _user(provider, "admin", "stnmt-quantri"),
        "consumer": _user(consumer, "admin", "syt-quantri"),
        "approver": _user(province, "admin", "ubnd-pheduyet"),
    }
    Database(owner_org=provider["id"], name="csdl-tai-nguyen-nuoc", title="CSDL tài nguyên nước")
    open_dataset = DaknongDataset(
        owner_org=provider["id"],
        name="chat-luong-nuoc-mat-2025",
        title=OPEN_TITLE,
        notes="Kết quả quan trắc chất lượng nước mặt tại 12 điểm trên sông Đồng Nai.",
        resources=[{"url": "https://example.org/nuoc.csv", "format": "CSV", "name": "Số liệu"}],
    )
    restricted = DaknongDataset(
        owner_org=provider["id"],
        name="ho-so-dia-chinh-gia-nghia",
        title=RESTRICTED_TITLE,
        access_level="restricted",
        license_id="other-closed",
    )
    log_dir = tmp_path_factory.mktemp("journeys")
    options = {"ckanext.daknong.province_approver_organization": province["name"]}
    with live_portal.gunicorn(log_dir, workers=2, own_site_url=True, **options) as base:
        yield {
            "base": base,
            "people": people,
            "open": open_dataset,
            "restricted": restricted,
            "provider": provider,
            "consumer": consumer,
            "log_dir": log_dir,
        }


def _result_titles(window) -> list[str]:
    chromium.wait_for(window, ".dataset-list, .search-form")
    return [link.text for link in window.find_elements(By.CSS_SELECTOR, ".dataset-heading a")]


def test_a_citizen_finds_open_data_with_and_without_diacritics(portal, window):
    """NĐ 47 Art. 17: the home page's search finds open data however the citizen types it,
    and never lists what is not open (the restricted dataset of the same words)."""
    base = portal["base"]
    window.get(f"{base}/")
    box = chromium.wait_for(window, ".daknong-hero-search input[name=q]")
    box.send_keys("chất lượng nước", Keys.ENTER)
    with_marks = _result_titles(window)
    assert OPEN_TITLE in with_marks

    header_box = chromium.wait_for(window, "#field-sitewide-search")
    header_box.clear()
    header_box.send_keys("chat luong nuoc song dong nai", Keys.ENTER)
    without_marks = _result_titles(window)
    assert OPEN_TITLE in without_marks
    window.get(f"{base}/dataset/?q=dia+chinh+gia+nghia")
    assert RESTRICTED_TITLE not in _result_titles(window)

    window.get(f"{base}/dataset/?q=chat+luong+nuoc")
    chromium.click(window, window.find_element(By.LINK_TEXT, OPEN_TITLE))
    heading = chromium.wait_for(window, "h1")
    assert OPEN_TITLE in heading.text
    assert "Sở Tài nguyên và Môi trường" in window.page_source
    resource = window.find_element(By.CSS_SELECTOR, ".resource-item a.heading")
    assert "Số liệu" in resource.text
    chromium.click(window, resource)
    chromium.wait_for(window, ".resource-read, .module-resource")
    assert "/resource/" in window.current_url


def _choose(window, select_id: str, value: str) -> None:
    """Choose an option of a plain or a Select2-enhanced <select>, as the page's scripts see it."""
    element = window.find_element(By.ID, select_id)
    if element.is_displayed():
        Select(element).select_by_value(value)
    else:  # Select2 hides the <select>; its change event is what the page listens to
        window.execute_script(
            "jQuery(arguments[0]).val(arguments[1]).trigger('change');", element, value
        )


def _type(window, field_id: str, text: str) -> None:
    field = window.find_element(By.ID, field_id)
    field.clear()
    field.send_keys(text)


def _set_date(window, field_id: str, value: dt.date) -> None:
    """A date input's value as its picker would set it (typing depends on the browser locale)."""
    window.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
        window.find_element(By.ID, field_id),
        value.isoformat(),
    )


def test_an_agency_admin_publishes_a_dataset_with_an_uploaded_file(portal, window, tmp_path):
    """QĐ 43 Art. 9, 20: the agency's admin fills the form in Vietnamese, picks the agency's
    database entry by its title, uploads a CSV file and the public sees it; the file is served
    back byte for byte, sandboxed (never active content from the portal's origin)."""
    base, admin = portal["base"], portal["people"]["provider"]
    upload = tmp_path / "so-ho-theo-xa.csv"
    upload.write_bytes(UPLOADED_ROWS.encode("utf-8"))
    chromium.log_in(window, base, admin["name"], PASSWORD)

    window.get(f"{base}/dataset/new")
    chromium.wait_for(window, "#field-title").send_keys("Số hộ dân theo xã, phường năm 2025")
    WebDriverWait(window, chromium.WAIT_SECONDS).until(
        lambda d: d.find_element(By.ID, "field-name").get_attribute("value")
    )
    _type(window, "field-notes", "Số hộ dân cư trú theo từng xã, phường của thành phố Gia Nghĩa.")
    _choose(window, "field-access_level", "open")
    _choose(window, "field-license_id", "cc-by")
    database = Select(window.find_element(By.ID, "field-database"))
    assert "CSDL tài nguyên nước" in [option.text for option in database.options]
    database.select_by_visible_text("CSDL tài nguyên nước")
    _choose(
        window,
        "field-sector",
        Select(window.find_element(By.ID, "field-sector")).options[1].get_attribute("value"),
    )
    _choose(
        window,
        "field-update_frequency",
        Select(window.find_element(By.ID, "field-update_frequency"))
        .options[1]
        .get_attribute("value"),
    )
    _set_date(window, "field-temporal_start", dt.date(2025, 1, 1))
    _set_date(window, "field-temporal_end", dt.date(2025, 12, 31))
    Select(window.find_element(By.ID, "field-spatial_units")).select_by_index(0)
    _type(window, "field-data_sources", "Công an tỉnh, Cục Thống kê")
    _type(window, "field-contact_name", "Phòng Quản lý đất đai")
    _type(window, "field-contact_email", "qldd@stnmt.daknong.gov.vn")
    chromium.click(
        window, window.find_element(By.CSS_SELECTOR, "form#dataset-edit button[name=save]")
    )

    # the resource stage: the file from the computer
    chromium.wait_for(window, "#resource-edit, form.resource-form, #field-resource-upload")
    upload_button = window.find_elements(
        By.CSS_SELECTOR, "#resource-url-upload, a[title*='Tải'], label[for='field-resource-upload']"
    )
    if upload_button and upload_button[0].is_displayed():
        chromium.click(window, upload_button[0])
    window.find_element(By.ID, "field-resource-upload").send_keys(str(upload))
    WebDriverWait(window, chromium.WAIT_SECONDS).until(
        lambda d: d.find_element(By.ID, "field-name").get_attribute("value")
    )
    _type(window, "field-name", "Số hộ theo xã")
    chromium.click(
        window, window.find_element(By.CSS_SELECTOR, "button[name=save][value=go-metadata]")
    )

    heading = chromium.wait_for(window, "h1")
    assert "Số hộ dân theo xã, phường năm 2025" in heading.text, window.current_url
    link = window.find_element(By.CSS_SELECTOR, ".resource-item a.heading")
    assert "Số hộ theo xã" in link.text
    dataset_url = window.current_url

    # what the public gets: the page without logging in, the very file, as a download
    chromium.log_out(window)
    window.get(dataset_url)
    assert "Số hộ dân theo xã, phường năm 2025" in chromium.wait_for(window, "h1").text
    chromium.click(window, window.find_element(By.CSS_SELECTOR, ".resource-item a.heading"))
    download = chromium.wait_for(
        window, "a.resource-url-analytics, .resource-url a, a[href*='/download/']"
    )
    answer = requests.get(download.get_attribute("href"), timeout=30)
    assert answer.status_code == 200
    assert answer.content == UPLOADED_ROWS.encode("utf-8")
    # a safe type may show in the browser, but never as active content of the portal (H3)
    assert answer.headers["Content-Security-Policy"].startswith("sandbox")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def _open_request_as(window, portal: dict, person: str, tab: str) -> None:
    base = portal["base"]
    chromium.log_out(window)
    chromium.log_in(window, base, portal["people"][person]["name"], PASSWORD)
    window.get(f"{base}/access-requests?tab={tab}")
    chromium.wait_for(window, ".daknong-access-requests, main")
    chromium.click(window, window.find_element(By.PARTIAL_LINK_TEXT, portal["restricted"]["name"]))
    chromium.wait_for(window, ".daknong-decision")


def test_another_agency_asks_for_restricted_data_and_the_provider_and_province_decide(
    portal, window
):
    """QĐ 43 Art. 10.2, NĐ 47 Art. 35: the restricted dataset's page offers a request, not its
    content; the request goes to the provider, then to the province; once granted, the
    requesting agency reads the dataset."""
    base, restricted = portal["base"], portal["restricted"]
    requester = portal["people"]["consumer"]
    chromium.log_in(window, base, requester["name"], PASSWORD)
    window.get(f"{base}/dataset/{restricted['name']}")
    assert RESTRICTED_TITLE not in window.page_source
    chromium.click(window, chromium.wait_for(window, ".daknong-restricted-dataset a.btn-primary"))

    chromium.wait_for(window, "#field-dataset")
    assert window.find_element(By.ID, "field-dataset").get_attribute("value") == restricted["name"]
    Select(window.find_element(By.ID, "field-requester-org")).select_by_value(
        portal["consumer"]["id"]
    )
    _type(window, "field-application", "Hệ thống thông tin y tế cơ sở")
    _type(window, "field-purpose", "Xác minh địa chỉ cơ sở khám chữa bệnh")
    _type(window, "field-intended-use", "Đối chiếu khi cấp phép hoạt động")
    _type(window, "field-requested-data", "Số thửa, địa chỉ, diện tích")
    _type(window, "field-access-frequency", "Hằng tháng")
    today = dt.date.today()
    _set_date(window, "field-period-start", today)
    _set_date(window, "field-period-end", today + dt.timedelta(days=90))
    chromium.click(
        window, window.find_element(By.CSS_SELECTOR, ".daknong-access-form button[type=submit]")
    )
    chromium.wait_for(window, ".alert-success, .flash-messages .alert")
    request_url = window.current_url
    assert "/access-requests/" in request_url

    _open_request_as(window, portal, "provider", "provider")
    chromium.click(window, window.find_element(By.CSS_SELECTOR, ".daknong-approve button"))
    chromium.wait_for(window, ".alert-success, .flash-messages .alert")

    _open_request_as(window, portal, "approver", "approver")
    chromium.click(window, window.find_element(By.CSS_SELECTOR, ".daknong-approve button"))
    chromium.wait_for(window, ".alert-success, .flash-messages .alert")

    chromium.log_out(window)
    chromium.log_in(window, base, requester["name"], PASSWORD)
    window.get(f"{base}/dataset/{restricted['name']}")
    assert RESTRICTED_TITLE in chromium.wait_for(window, "h1").text
