"""A small published catalogue shared by the catalogue tests (builder, action and page).

Three agencies own four database entries of all three types (NĐ 47 Art. 11.1) with data items
of every sharing category (Art. 11.4(d)) and services of every method (Art. 23); a fourth
agency owns nothing; two datasets exist that the catalogue must never show.
"""

from __future__ import annotations

from typing import Any

from ckan.tests import factories
from ckan.tests.helpers import call_action

DATABASES = ("csdl-dat-dai", "csdl-quan-trac-moi-truong", "csdl-dan-cu", "csdl-ho-kinh-doanh")
DATASETS = ("du-lieu-mo-ve-dat-dai", "ho-so-dia-chinh")


def build() -> dict[str, Any]:
    admin = factories.Sysadmin()
    environment = factories.Organization(
        image_url="",
        name="so-tai-nguyen-va-moi-truong",
        title="Sở Tài nguyên và Môi trường",
        agency_code="H16.10",
        agency_level="department",
    )
    police = factories.Organization(
        image_url="",
        name="cong-an-tinh",
        title="Công an tỉnh Đắk Nông",
        agency_code="H16.20",
        agency_level="department",
    )
    district = factories.Organization(
        image_url="",
        name="ubnd-huyen-dak-mil",
        title="Ủy ban nhân dân huyện Đắk Mil",
        agency_code="H16.43",
        agency_level="district_committee",
    )
    factories.Organization(image_url="", name="so-y-te", title="Sở Y tế", agency_code="H16.11")

    def create(**fields: Any) -> dict[str, Any]:
        return call_action("package_create", context={"user": admin["name"]}, **fields)

    create(
        type="database",
        name="csdl-dat-dai",
        title="Cơ sở dữ liệu đất đai",
        owner_org=environment["id"],
        notes="Thửa đất, chủ sử dụng và biến động đất đai của toàn tỉnh.",
        purpose="Quản lý đất đai thống nhất; phục vụ thủ tục hành chính về đất đai.",
        scope="Toàn tỉnh Đắk Nông.",
        database_type="shared",
        foundation_data=["land"],
        collection_mechanism="Số hóa hồ sơ địa chính và đo đạc bản đồ.",
        update_mechanism="Cập nhật khi đăng ký biến động.",
        update_frequency="on_change",
        data_sources="Văn phòng đăng ký đất đai.",
        legal_basis="Luật Đất đai 2024.",
        last_reviewed="2024-12-15",
        data_items=[
            {
                "item_name": "Bản đồ địa chính",
                "item_description": "Ranh giới thửa đất",
                "sharing_category": "open",
                "user_categories": ["citizens", "businesses"],
            },
            {
                "item_name": "Thông tin chủ sử dụng đất",
                "sharing_category": "shared",
                "user_categories": ["state_agencies"],
            },
        ],
        sharing_services=[
            {
                "service_id": "H16.10.DV01",
                "service_name": "Tra cứu thông tin thửa đất",
                "method": "online_query",
                "endpoint": "https://lgsp.daknong.gov.vn/dat-dai",
            }
        ],
    )
    create(
        type="database",
        name="csdl-quan-trac-moi-truong",
        title="Cơ sở dữ liệu quan trắc môi trường",
        owner_org=environment["id"],
        database_type="internal",
        update_frequency="monthly",
    )
    create(
        type="database",
        name="csdl-dan-cu",
        title="Cơ sở dữ liệu quốc gia về dân cư",
        owner_org=police["id"],
        notes="Thông tin cơ bản của công dân.",
        database_type="national",
        foundation_data=["population"],
        update_frequency="continuous",
        data_items=[
            {
                "item_name": "Số định danh cá nhân",
                "sharing_category": "restricted",
                "user_categories": ["state_agencies"],
            }
        ],
        sharing_services=[
            {"service_name": "Đồng bộ dân cư", "method": "online_sync"},
            {"service_name": "Bản sao dữ liệu", "method": "packaged_media"},
        ],
    )
    create(
        type="database",
        name="csdl-ho-kinh-doanh",
        title="Cơ sở dữ liệu hộ kinh doanh",
        owner_org=district["id"],
        database_type="shared",
        foundation_data=["enterprise"],
        update_frequency="quarterly",
    )
    create(
        name="du-lieu-mo-ve-dat-dai",
        title="Dữ liệu mở về đất đai",
        notes="Dữ liệu mở.",
        owner_org=environment["id"],
        access_level="open",
        license_id="cc-by",
    )
    create(
        name="ho-so-dia-chinh",
        title="Hồ sơ địa chính",
        owner_org=environment["id"],
        access_level="restricted",
    )
    return {"admin": admin}
