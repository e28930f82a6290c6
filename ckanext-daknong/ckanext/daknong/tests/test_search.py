"""Search on real Solr: our facets and filters, and Vietnamese search that ignores diacritics.

The corpus has three agencies, three datasets (one per access level, QĐ 43 Art. 10–11) and
three database entries (one per database type, NĐ 47 Art. 11.1, with foundation data of
QĐ 43 Art. 9.5).
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.daknong import search
from ckanext.daknong.tests import translations

DATASET_FACETS = ["access_level", "sector", "update_frequency", "agency_level"]
DATABASE_FACETS = ["database_type", "vocab_foundation_data", "update_frequency", "agency_level"]


def _dataset(user: dict, **fields: Any) -> dict:
    return call_action("package_create", context={"user": user["name"]}, **fields)


@pytest.fixture(scope="module")
def corpus(module_clean_db) -> dict[str, Any]:
    """Agencies, datasets and database entries with Vietnamese text (and one without marks).

    Built once for the module: the tests only read it.
    """
    admin = factories.Sysadmin()
    health = factories.Organization(
        image_url="",
        name="so-y-te",
        title="Sở Y tế tỉnh Đắk Nông",
        agency_level="department",
        agency_code="H16.19",
    )
    police = factories.Organization(
        image_url="",
        name="cong-an-tinh",
        title="Công an tỉnh Đắk Nông",
        agency_level="department",
        agency_code="H16.20",
    )
    district = factories.Organization(
        image_url="",
        name="ubnd-huyen-dak-glong",
        title="Ủy ban nhân dân huyện Đắk Glong",
        agency_level="district_committee",
        agency_code="H16.41",
    )
    _dataset(
        admin,
        name="du-lieu-dan-cu-2024",
        title="Dữ liệu dân cư năm 2024",
        notes="Số hộ và tỷ lệ hộ nghèo theo từng xã.",
        tags=[{"name": "nhân khẩu"}],
        owner_org=district["id"],
        access_level="open",
        license_id="cc-by",
        sector="population",
        update_frequency="annual",
    )
    _dataset(
        admin,
        name="co-so-kham-chua-benh",
        title="Danh sách cơ sở khám chữa bệnh",
        notes="Bệnh viện, trạm y tế xã và phòng khám tư nhân; số giường bệnh.",
        tags=[{"name": "y tế"}],
        owner_org=health["id"],
        access_level="shared",
        sector="health",
        update_frequency="monthly",
    )
    _dataset(
        admin,
        name="ho-so-benh-an",
        title="Ho so benh an dien tu",  # harvested without diacritics
        notes="Ho so benh an cua benh nhan tai cac benh vien.",
        owner_org=health["id"],
        access_level="restricted",
        sector="health",
        update_frequency="monthly",
    )
    _dataset(
        admin,
        type="database",
        name="csdl-dan-cu",
        title="Cơ sở dữ liệu quốc gia về dân cư",
        notes="Thông tin cơ bản của công dân trên địa bàn tỉnh.",
        owner_org=police["id"],
        purpose="Phục vụ cải cách thủ tục hành chính.",
        database_type="national",
        foundation_data=["population"],
        update_frequency="monthly",
        data_items=[
            {
                "item_name": "Số định danh cá nhân",
                "sharing_category": "restricted",
                "user_categories": ["state_agencies"],
            }
        ],
    )
    _dataset(
        admin,
        type="database",
        name="csdl-dat-dai-dak-glong",
        title="Cơ sở dữ liệu đất đai",
        notes="Thửa đất, quy hoạch và hệ thống thủy lợi của huyện.",
        owner_org=district["id"],
        database_type="shared",
        foundation_data=["land", "population"],
        update_frequency="annual",
    )
    _dataset(
        admin,
        type="database",
        name="csdl-kham-chua-benh",
        title="Cơ sở dữ liệu quản lý khám chữa bệnh",
        owner_org=health["id"],
        database_type="internal",
        update_frequency="monthly",
    )
    return {"admin": admin}


def _search(corpus: dict, **params: Any) -> dict:
    """package_search as the sysadmin, private datasets included (shared/restricted are)."""
    return call_action(
        "package_search",
        context={"user": corpus["admin"]["name"]},
        include_private=True,
        rows=100,
        **params,
    )


def _names(result: dict) -> set[str]:
    return {r["name"] for r in result["results"]}


def _facet_counts(result: dict, field: str) -> dict[str, int]:
    return {item["name"]: item["count"] for item in result["search_facets"][field]["items"]}


@pytest.mark.usefixtures("with_plugins")
class TestFacets:
    def test_dataset_facets_count_access_levels_sectors_frequencies_and_agency_levels(self, corpus):
        """QĐ 43 Art. 10–11 access levels and the agency level come back as facets."""
        result = _search(corpus, fq="dataset_type:dataset", **{"facet.field": DATASET_FACETS})

        assert _facet_counts(result, "access_level") == {"open": 1, "shared": 1, "restricted": 1}
        assert _facet_counts(result, "sector") == {"health": 2, "population": 1}
        assert _facet_counts(result, "update_frequency") == {"monthly": 2, "annual": 1}
        assert _facet_counts(result, "agency_level") == {
            "department": 2,
            "district_committee": 1,
        }

    def test_database_type_and_multi_valued_foundation_data_facets(self, corpus):
        """NĐ 47 Art. 11.1 types; QĐ 43 Art. 9.5 foundation data counts every listed value."""
        result = _search(corpus, fq="dataset_type:database", **{"facet.field": DATABASE_FACETS})

        assert _facet_counts(result, "database_type") == {
            "national": 1,
            "shared": 1,
            "internal": 1,
        }
        assert _facet_counts(result, "vocab_foundation_data") == {"population": 2, "land": 1}
        assert _facet_counts(result, "agency_level") == {
            "department": 2,
            "district_committee": 1,
        }

    def test_search_pages_offer_our_facets_per_dataset_type(self):
        dataset = search.dataset_facets({"organization": "Organizations"}, "dataset")
        database = search.dataset_facets({"organization": "Organizations"}, "database")

        assert list(dataset) == [*DATASET_FACETS, "organization"]
        assert list(database) == [*DATABASE_FACETS, "organization"]

    def test_agency_page_leaves_out_the_agency_level(self):
        facets = search.organization_facets({"tags": "Tags"}, "organization", None)

        assert "agency_level" not in facets
        assert list(facets) == ["access_level", "sector", "update_frequency", "tags"]

    @pytest.mark.usefixtures("with_request_context")
    def test_facet_titles_have_vietnamese_translations(self, monkeypatch):
        """The titles are English msgids; Vietnamese, the default language, must exist."""
        monkeypatch.setattr(search.tk, "_", lambda msgid: msgid)

        titles = set(search.dataset_facets({}, "dataset").values())
        titles |= set(search.dataset_facets({}, "database").values())

        assert titles - translations.vietnamese_msgids() == set()

    @pytest.mark.usefixtures("with_request_context")
    def test_facet_values_are_shown_with_their_schema_labels(self, corpus):
        result = _search(corpus, fq="dataset_type:dataset", **{"facet.field": ["access_level"]})

        labelled = search.after_dataset_search(result, {})

        labels = {
            item["name"]: item["display_name"]
            for item in labelled["search_facets"]["access_level"]["items"]
        }
        assert labels == {
            "open": "Dữ liệu mở",
            "shared": "Chia sẻ mặc định",
            "restricted": "Chia sẻ theo yêu cầu đặc thù",
        }

    def test_dataset_search_page_links_our_facets(self, corpus, app):
        page = app.get("/dataset/").get_data(as_text=True)

        assert "access_level=open" in page
        assert "sector=population" in page
        assert "agency_level=district_committee" in page

    def test_database_search_page_links_foundation_data(self, corpus, app):
        page = app.get("/database/").get_data(as_text=True)

        assert "vocab_foundation_data=land" in page
        assert "database_type=national" in page


@pytest.mark.usefixtures("with_plugins")
class TestFilters:
    @pytest.mark.parametrize(
        ("fq", "expected"),
        [
            ("access_level:open", {"du-lieu-dan-cu-2024"}),
            ("access_level:restricted", {"ho-so-benh-an"}),
            ("sector:health", {"co-so-kham-chua-benh", "ho-so-benh-an"}),
            ("update_frequency:annual", {"du-lieu-dan-cu-2024", "csdl-dat-dai-dak-glong"}),
            ("agency_level:district_committee", {"du-lieu-dan-cu-2024", "csdl-dat-dai-dak-glong"}),
            ("database_type:national", {"csdl-dan-cu"}),
            ("vocab_foundation_data:land", {"csdl-dat-dai-dak-glong"}),
            ("foundation_data:population", {"csdl-dan-cu", "csdl-dat-dai-dak-glong"}),
            ('agency_code:"H16.20"', {"csdl-dan-cu"}),
        ],
    )
    def test_fq_on_our_fields(self, corpus, fq, expected):
        assert _names(_search(corpus, fq=fq)) == expected

    def test_the_schema_name_of_a_list_field_works_inside_compound_filters(self, corpus):
        result = _search(corpus, fq="+dataset_type:database -foundation_data:land")

        assert _names(result) == {"csdl-dan-cu", "csdl-kham-chua-benh"}


@pytest.mark.usefixtures("with_plugins")
class TestDiacriticInsensitiveSearch:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            # title
            ("dan cu", {"du-lieu-dan-cu-2024", "csdl-dan-cu"}),
            ("dân cư", {"du-lieu-dan-cu-2024", "csdl-dan-cu"}),
            # description
            ("giuong benh", {"co-so-kham-chua-benh"}),
            ("giường bệnh", {"co-so-kham-chua-benh"}),
            # tag
            ("nhan khau", {"du-lieu-dan-cu-2024"}),
            ("nhân khẩu", {"du-lieu-dan-cu-2024"}),
            # organisation title (not indexed by CKAN itself)
            ("dak glong", {"du-lieu-dan-cu-2024", "csdl-dat-dai-dak-glong"}),
            ("Đắk Glong", {"du-lieu-dan-cu-2024", "csdl-dat-dai-dak-glong"}),
            ("cong an", {"csdl-dan-cu"}),
            # a database entry's purpose and its data items
            ("cai cach thu tuc", {"csdl-dan-cu"}),
            ("so dinh danh ca nhan", {"csdl-dan-cu"}),
            ("số định danh cá nhân", {"csdl-dan-cu"}),
        ],
    )
    def test_query_with_or_without_diacritics(self, corpus, query, expected):
        assert _names(_search(corpus, q=query)) == expected

    def test_dak_nong_finds_agencies_titled_with_dak_nong(self, corpus):
        result = _search(corpus, q="dak nong")

        assert _names(result) == {
            "co-so-kham-chua-benh",
            "ho-so-benh-an",
            "csdl-dan-cu",
            "csdl-kham-chua-benh",
        }

    def test_accented_y_that_the_english_stemmer_mangles(self, corpus):
        """Solr stems "thủy" to "thủi" before folding; our folded copy still meets "thuy"."""
        assert _names(_search(corpus, q="thuy loi")) == {"csdl-dat-dai-dak-glong"}
        assert _names(_search(corpus, q="thủy lợi")) == {"csdl-dat-dai-dak-glong"}

    def test_diacritic_query_finds_text_stored_without_diacritics(self, corpus):
        assert _names(_search(corpus, q="hồ sơ bệnh án")) == {"ho-so-benh-an"}

    def test_decomposed_unicode_query_matches(self, corpus):
        query = unicodedata.normalize("NFD", "giường bệnh")

        assert _names(_search(corpus, q=query)) == {"co-so-kham-chua-benh"}

    def test_unrelated_words_do_not_match(self, corpus):
        assert _names(_search(corpus, q="giao thong")) == set()

    def test_fielded_queries_are_left_alone(self, corpus):
        """Tags are exact strings: folding a fielded query would lose the tag."""
        assert _names(_search(corpus, q='tags:"nhân khẩu"')) == {"du-lieu-dan-cu-2024"}

    def test_anonymous_search_still_sees_only_open_datasets(self, corpus):
        result = call_action("package_search", q="dan cu", fq="dataset_type:dataset")

        assert _names(result) == {"du-lieu-dan-cu-2024"}


class TestIndexDocument:
    """The Solr document fits CKAN's stock schema.xml, whatever list fields a schema adds."""

    def _document(self, **fields: Any) -> dict[str, Any]:
        shown = {"foundation_data": ["land", "population"], "spatial_units": ["663"]}
        raw = {
            "title": "Cơ sở dữ liệu đất đai",
            "owner_org": None,
            "foundation_data": '["land", "population"]',  # scheming's stored form
            "extras_foundation_data": '["land", "population"]',
            "validated_data_dict": json.dumps(shown | fields.pop("shown", {})),
        }
        return search.before_dataset_index(raw | fields)

    def test_list_of_codes_becomes_a_multi_valued_field(self):
        document = self._document()

        assert document["vocab_foundation_data"] == ["land", "population"]
        assert document["vocab_spatial_units"] == ["663"]
        assert "foundation_data" not in document
        assert "extras_foundation_data" not in document

    def test_repeating_subfields_leave_only_their_text(self):
        items = [{"item_name": "Thửa đất", "user_categories": ["citizens"]}]

        document = self._document(data_items=items, shown={"data_items": items})

        assert "data_items" not in document
        assert {"Thửa đất", "Thua dat", "citizens"} <= set(document["text"])

    def test_an_undeclared_list_or_mapping_cannot_break_the_update(self):
        document = self._document(odd_list=[{"a": "Đắk Mil"}], odd_map={"b": "x"})

        assert "odd_list" not in document
        assert "odd_map" not in document
        assert "Dak Mil" in document["text"]

    def test_free_text_is_indexed_as_text_not_as_one_string_term(self):
        document = self._document(purpose="Quản lý", shown={"purpose": "Quản lý"})

        assert "purpose" not in document
        assert document["extras_purpose"] == "Quản lý"
        assert "Quan ly" in document["text"]

    def test_an_undeclared_long_string_is_indexed_as_text(self):
        long_text = "Quy trình thu thập dữ liệu. " * 300

        document = self._document(new_field=long_text)

        assert "new_field" not in document
        assert document["extras_new_field"] == long_text
        assert search.fold(long_text) in document["text"]


@pytest.mark.usefixtures("with_plugins")
def test_a_very_long_purpose_is_still_indexed_and_found(corpus):
    """Solr refuses string terms over 32 KB; free text must never be indexed as one."""
    purpose = "Phục vụ quản lý thống nhất dữ liệu đất đai của tỉnh. " * 800
    admin = {"user": corpus["admin"]["name"]}
    created = call_action(
        "package_create",
        context=dict(admin),
        type="database",
        name="csdl-muc-dich-dai",
        title="Cơ sở dữ liệu có mục đích dài",
        owner_org="so-y-te",
        database_type="shared",
        purpose=purpose,
    )
    try:
        assert len(purpose.encode()) > 32766
        assert _names(_search(corpus, q="quan ly thong nhat")) == {"csdl-muc-dich-dai"}
    finally:
        call_action("dataset_purge", context=dict(admin), id=created["id"])


@pytest.mark.usefixtures("with_plugins")
def test_reindexing_an_agency_follows_its_new_title_and_level(corpus):
    """Agencies are renamed and re-levelled (2025 reorganisation); search must follow."""
    admin = {"user": corpus["admin"]["name"]}
    agency = factories.Organization(
        image_url="",
        title="Sở Thông tin và Truyền thông",
        agency_code="H16.02",
        agency_level="department",
    )
    dataset = _dataset(
        corpus["admin"],
        name="bao-cao-chuyen-doi-so",
        title="Báo cáo chuyển đổi số",
        notes="Báo cáo.",
        owner_org=agency["id"],
        access_level="open",
        license_id="cc-by",
    )
    try:
        call_action(
            "organization_patch",
            context=dict(admin),
            id=agency["id"],
            title="Sở Khoa học và Công nghệ",
            agency_level="other",
        )

        # the action_succeeded subscription reindexed the agency's datasets by itself
        assert _names(_search(corpus, q="khoa hoc cong nghe")) == {"bao-cao-chuyen-doi-so"}
        assert _names(_search(corpus, fq="agency_level:other")) == {"bao-cao-chuyen-doi-so"}
        assert search.reindex_agency(agency["id"]) == 1
    finally:
        call_action("dataset_purge", context=dict(admin), id=dataset["id"])
        call_action("organization_purge", context=dict(admin), id=agency["id"])


class TestFold:
    @pytest.mark.parametrize(
        ("text", "folded"),
        [
            ("Đắk Nông", "Dak Nong"),
            ("đường", "duong"),
            ("Thủy lợi", "Thuy loi"),
            (unicodedata.normalize("NFD", "Dân cư"), "Dan cu"),
            ("Gia Nghia", "Gia Nghia"),
        ],
    )
    def test_fold(self, text, folded):
        assert search.fold(text) == folded
