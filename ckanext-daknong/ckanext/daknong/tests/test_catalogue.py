"""The published catalogue builder and its action (QĐ 43 Art. 9.2–9.3, NĐ 47 Art. 11.4)."""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests.helpers import call_action
from openpyxl import load_workbook

from ckanext.daknong import catalogue
from ckanext.daknong.catalogue import Filters
from ckanext.daknong.tests import catalogue_corpus

ENVIRONMENT = "so-tai-nguyen-va-moi-truong"
CSV_HEADERS = [
    "Cơ quan chủ quản",
    "Mã định danh điện tử",
    "Loại cơ sở dữ liệu",
    "Tên cơ sở dữ liệu",
    "Đường dẫn",
    "Mục đích",
    "Phạm vi",
    "Mô tả nội dung",
    "Dữ liệu nền tảng",
    "Cơ chế thu thập",
    "Cơ chế cập nhật",
    "Tần suất cập nhật",
    "Nguồn dữ liệu",
    "Tên hạng mục dữ liệu",
    "Mô tả",
    "Phân loại chia sẻ",
    "Đối tượng được sử dụng",
    "Dịch vụ chia sẻ dữ liệu",
    "Căn cứ pháp lý",
    "Quy chế khai thác, sử dụng dữ liệu",
    "Ngày rà soát gần nhất",
]


@pytest.fixture(scope="module")
def corpus(module_clean_db) -> dict[str, Any]:
    """Built once: every test here only reads it."""
    return catalogue_corpus.build()


def _entries(content: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        entry["name"]: entry
        for agency in content["agencies"]
        for group in agency["database_types"]
        for entry in group["databases"]
    }


def _show(**filters: Any) -> dict[str, Any]:
    return call_action("daknong_catalogue_show", context={"user": ""}, **filters)


@pytest.mark.usefixtures("with_plugins", "corpus")
class TestContent:
    def test_art_9_lists_every_database_entry_and_no_dataset(self, corpus):
        """Even for a sysadmin the catalogue holds database entries only, never datasets."""
        content = call_action("daknong_catalogue_show", context={"user": corpus["admin"]["name"]})

        assert content["count"] == 4
        assert set(_entries(content)) == set(catalogue_corpus.DATABASES)
        assert not set(_entries(content)) & set(catalogue_corpus.DATASETS)

    def test_art_9_groups_by_agency_in_agency_code_order(self):
        content = _show()

        assert [(a["name"], a["agency_code"]) for a in content["agencies"]] == [
            ("so-tai-nguyen-va-moi-truong", "H16.10"),
            ("cong-an-tinh", "H16.20"),
            ("ubnd-huyen-dak-mil", "H16.43"),
        ]

    def test_nd47_art_11_1_types_grouped_in_legal_order_with_labels(self):
        environment = _show()["agencies"][0]

        assert [g["database_type"] for g in environment["database_types"]] == [
            "shared",
            "internal",
        ]
        assert environment["database_types"][0]["label"] == (
            "Cơ sở dữ liệu dùng chung của sở, ngành, địa phương"
        )
        assert [d["name"] for d in environment["database_types"][1]["databases"]] == [
            "csdl-quan-trac-moi-truong"
        ]

    def test_nd47_art_11_4_a_to_c_name_purpose_scope_content_mechanisms_sources(self):
        entry = _entries(_show())["csdl-dat-dai"]

        assert entry["title"] == "Cơ sở dữ liệu đất đai"
        assert entry["url"].endswith("/database/csdl-dat-dai")
        assert entry["purpose"].startswith("Quản lý đất đai thống nhất")
        assert entry["scope"] == "Toàn tỉnh Đắk Nông."
        assert entry["content"].startswith("Thửa đất, chủ sử dụng")
        assert entry["collection_mechanism"] == "Số hóa hồ sơ địa chính và đo đạc bản đồ."
        assert entry["update_mechanism"] == "Cập nhật khi đăng ký biến động."
        assert entry["update_frequency"] == "on_change"
        assert entry["data_sources"] == "Văn phòng đăng ký đất đai."
        assert entry["foundation_data"] == ["land"]
        assert entry["legal_basis"] == "Luật Đất đai 2024."
        assert entry["last_reviewed"].startswith("2024-12-15")

    def test_nd47_art_11_4_d_data_items_with_sharing_category_and_users(self):
        entry = _entries(_show())["csdl-dat-dai"]

        assert entry["data_items"] == [
            {
                "item_name": "Bản đồ địa chính",
                "item_description": "Ranh giới thửa đất",
                "sharing_category": "open",
                "user_categories": ["businesses", "citizens"],  # in code-list order
            },
            {
                "item_name": "Thông tin chủ sử dụng đất",
                "item_description": "",
                "sharing_category": "shared",
                "user_categories": ["state_agencies"],
            },
        ]

    def test_nd47_art_23_sharing_services_with_their_method(self):
        entries = _entries(_show())

        assert [
            (s["service_name"], s["method"]) for s in entries["csdl-dan-cu"]["sharing_services"]
        ] == [
            ("Đồng bộ dân cư", "online_sync"),
            ("Bản sao dữ liệu", "packaged_media"),
        ]
        assert entries["csdl-dat-dai"]["sharing_services"][0]["endpoint"] == (
            "https://lgsp.daknong.gov.vn/dat-dai"
        )

    def test_labels_of_codes_come_from_the_schemas(self):
        labels = _show()["labels"]

        assert labels["database_type"]["national"] == "Cơ sở dữ liệu quốc gia"
        assert labels["sharing_category"]["restricted"] == "Chia sẻ theo yêu cầu đặc thù"
        assert labels["method"]["online_sync"] == "Đồng bộ trực tuyến"
        assert labels["user_categories"]["state_agencies"] == "Cơ quan nhà nước"
        assert labels["foundation_data"]["land"] == "Đất đai"


@pytest.mark.usefixtures("with_plugins", "corpus")
class TestFilters:
    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            (
                {"agency": "so-tai-nguyen-va-moi-truong"},
                {"csdl-dat-dai", "csdl-quan-trac-moi-truong"},
            ),
            ({"database_type": "national"}, {"csdl-dan-cu"}),
            ({"database_type": "shared"}, {"csdl-dat-dai", "csdl-ho-kinh-doanh"}),
            ({"foundation_data": "enterprise"}, {"csdl-ho-kinh-doanh"}),
            ({"q": "dan cu"}, {"csdl-dan-cu"}),
            ({"q": "đất đai"}, {"csdl-dat-dai"}),
            (
                {"agency": "so-tai-nguyen-va-moi-truong", "database_type": "internal"},
                {"csdl-quan-trac-moi-truong"},
            ),
            ({"database_type": "no-such-type"}, set()),
            ({"agency": 'x" OR dataset_type:dataset OR "'}, set()),
        ],
    )
    def test_filters(self, filters, expected):
        content = _show(**filters)

        assert set(_entries(content)) == expected
        assert content["count"] == len(expected)
        assert content["filters"] == dataclasses.asdict(Filters(**filters))

    def test_an_agency_without_entries_is_not_listed(self):
        assert "so-y-te" not in {a["name"] for a in _show()["agencies"]}

    def test_filter_options_offer_agencies_with_entries_types_and_foundation_data(self):
        options = catalogue.filter_options()

        assert {o["value"] for o in options["agency"]} == {
            "so-tai-nguyen-va-moi-truong",
            "cong-an-tinh",
            "ubnd-huyen-dak-mil",
        }
        assert [o["value"] for o in options["database_type"]] == ["national", "shared", "internal"]
        assert [o["value"] for o in options["foundation_data"]] == [
            "population",
            "land",
            "enterprise",
        ]


@pytest.mark.usefixtures("with_plugins")
class TestAccess:
    def test_art_9_2_anyone_may_read_the_published_catalogue(self):
        assert tk.check_access("daknong_catalogue_show", {"user": ""}, {})

    def test_the_action_is_readable_over_get(self):
        assert getattr(tk.get_action("daknong_catalogue_show"), "side_effect_free", False)


@pytest.mark.usefixtures("with_plugins", "corpus")
class TestDownloads:
    def test_rows_one_per_data_item_and_one_for_a_database_without_items(self):
        rows = list(catalogue.rows(_show()))

        assert [(r["title"], r["item_name"]) for r in rows] == [
            ("Cơ sở dữ liệu đất đai", "Bản đồ địa chính"),
            ("Cơ sở dữ liệu đất đai", "Thông tin chủ sử dụng đất"),
            ("Cơ sở dữ liệu quan trắc môi trường", ""),
            ("Cơ sở dữ liệu quốc gia về dân cư", "Số định danh cá nhân"),
            ("Cơ sở dữ liệu hộ kinh doanh", ""),
        ]

    def test_rows_show_labels_not_codes(self):
        row = next(catalogue.rows(_show(database_type="national")))

        assert row["agency"] == "Công an tỉnh Đắk Nông"
        assert row["database_type"] == "Cơ sở dữ liệu quốc gia"
        assert row["foundation_data"] == "Dân cư"
        assert row["sharing_category"] == "Chia sẻ theo yêu cầu đặc thù"
        assert row["user_categories"] == "Cơ quan nhà nước"
        assert row["sharing_services"] == (
            "Đồng bộ dân cư — Đồng bộ trực tuyến; "
            "Bản sao dữ liệu — Đóng gói dữ liệu trên phương tiện lưu trữ"
        )

    def test_csv_is_utf8_with_bom_and_vietnamese_headers(self):
        body = catalogue.to_csv(_show())

        assert body.startswith(b"\xef\xbb\xbf")
        table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert table[0] == CSV_HEADERS
        assert len(table) == 1 + 5
        assert table[1][0] == "Sở Tài nguyên và Môi trường"
        assert table[1][13] == "Bản đồ địa chính"
        assert table[1][16] == "Doanh nghiệp; Người dân"

    def test_xlsx_has_the_rows_and_a_sheet_of_sharing_services(self):
        workbook = load_workbook(io.BytesIO(catalogue.to_xlsx(_show())))

        items, services = workbook.worksheets
        assert items.title == catalogue.SHEET_ITEMS
        assert [c.value for c in items[1]] == CSV_HEADERS
        assert items.max_row == 1 + 5
        assert services.title == catalogue.SHEET_SERVICES
        assert [c.value for c in services[1]][:4] == [
            "Cơ quan chủ quản",
            "Tên cơ sở dữ liệu",
            "Mã dịch vụ",
            "Tên dịch vụ",
        ]
        assert [row[3] for row in services.iter_rows(min_row=2, values_only=True)] == [
            "Tra cứu thông tin thửa đất",
            "Đồng bộ dân cư",
            "Bản sao dữ liệu",
        ]
