"""Pages: an agency's focal points are public (NĐ 47 Art. 7); our snippets render."""

from __future__ import annotations

import pytest

from ckanext.daknong.tests.factories import Agency, DaknongDataset, Database

FOCAL_POINT = {
    "provider_focal_name": "Nguyễn Văn An",
    "provider_focal_position": "Phó Giám đốc Sở",
    "provider_focal_email": "an@demo.daknong.invalid",
    "provider_focal_phone": "0912 345 678",
    "consumer_focal_name": "Trần Thị Bình",
}


@pytest.mark.usefixtures("with_plugins", "clean_db")
class TestAgencyPagesNd47Art7:
    def test_agency_page_shows_its_focal_points_to_anonymous_visitors(self, app):
        agency = Agency(**FOCAL_POINT)

        page = app.get(f"/organization/{agency['name']}").body

        assert "Nguyễn Văn An, Phó Giám đốc Sở" in page
        assert "an@demo.daknong.invalid" in page
        assert 'href="tel:0912345678"' in page
        assert "Trần Thị Bình" in page

    def test_agency_without_focal_points_has_no_empty_section(self, app):
        agency = Agency()

        page = app.get(f"/organization/{agency['name']}").body

        assert "daknong-focal-points" not in page

    def test_about_page_shows_fields_with_their_labels_not_codes(self, app):
        parent = Agency(title="UBND tỉnh")
        agency = Agency(agency_code="H16.09", agency_level="department", parent=parent["name"])

        vietnamese = app.get(f"/organization/about/{agency['name']}").body
        english = app.get(f"/en/organization/about/{agency['name']}").body

        assert "Mã định danh điện tử" in vietnamese
        assert "H16.09" in vietnamese
        assert "Sở, ban, ngành" in vietnamese
        assert f'href="/organization/{parent["name"]}"' in vietnamese
        assert "Department or sector agency" in english


@pytest.mark.usefixtures("with_plugins", "clean_db")
class TestDatasetPages:
    def test_database_page_renders_its_items_and_services(self, app, agency):
        database = Database(
            owner_org=agency["id"],
            data_items=[{"item_name": "Thông tin thửa đất", "sharing_category": "shared"}],
            sharing_services=[{"service_name": "Tra cứu thửa đất", "method": "online_query"}],
        )

        page = app.get(f"/database/{database['name']}").body

        assert "Thông tin thửa đất" in page
        assert "Tra cứu thửa đất" in page

    def test_dataset_page_links_its_database_by_title(self, app, agency):
        database = Database(owner_org=agency["id"], title="Cơ sở dữ liệu đất đai")
        dataset = DaknongDataset(owner_org=agency["id"], database=database["name"])

        page = app.get(f"/dataset/{dataset['name']}").body

        assert f'href="/database/{database["name"]}">Cơ sở dữ liệu đất đai</a>' in page

    def test_dataset_form_offers_the_code_lists_and_the_state_secret_declaration(self, app, agency):
        from ckan.tests import factories

        sysadmin = factories.SysadminWithToken()

        page = app.get("/dataset/new", headers={"Authorization": sysadmin["token"]}).body

        assert 'name="state_secret"' in page
        assert "Thành phố Gia Nghĩa" in page
        assert "Điều khoản sử dụng dữ liệu mở" in page

    def test_agency_form_suggests_leadership_titles(self, app):
        from ckan.tests import factories

        sysadmin = factories.SysadminWithToken()

        page = app.get("/organization/new", headers={"Authorization": sysadmin["token"]}).body

        assert 'list="datalist-provider_focal_position"' in page
        assert '<option value="Giám đốc Sở">' in page

    def test_database_form_offers_data_items_and_sharing_services(self, app, agency):
        from ckan.tests import factories

        sysadmin = factories.SysadminWithToken()

        page = app.get("/database/new", headers={"Authorization": sysadmin["token"]}).body

        assert 'name="data_items-0-sharing_category"' in page
        assert 'name="sharing_services-0-method"' in page
        assert "Truy vấn trực tuyến giữa các hệ thống" in page

    def test_agency_form_shows_bad_input_per_field_instead_of_failing(self, app):
        from ckan.tests import factories

        sysadmin = factories.SysadminWithToken()

        response = app.post(
            "/organization/new",
            data={
                "name": "so-x",
                "title": "Sở X",
                "agency_code": "X1",
                "provider_focal_phone": "1",
            },
            headers={"Authorization": sysadmin["token"]},
        )

        assert response.status_code == 200
        assert 'data-field-label="agency_code"' in response.body
        assert 'data-field-label="provider_focal_phone"' in response.body


@pytest.mark.usefixtures("with_plugins", "clean_db")
class TestDatasetFormOffersTheAgencysDatabases:
    """Issue 12 §4; NĐ 47 Art. 11.4: a data set is catalogued under a database of its own
    agency. The form offers those databases by title instead of asking for a typed name."""

    def _form(self, app, user, url="/dataset/new"):
        response = app.get(url, headers={"Authorization": user["token"]})
        assert response.status_code == 200
        select = response.body.split('<select id="field-database"', 1)[1].split("</select>")[0]
        return select

    def test_an_editor_chooses_among_its_own_agency_s_databases(self, app):
        from ckanext.daknong.tests.factories import agency_member

        own = Agency(title="Sở Tài chính")
        other = Agency(title="Sở Xây dựng")
        land = Database(owner_org=own["id"], title="Cơ sở dữ liệu giá đất")
        budget = Database(owner_org=own["id"], title="Cơ sở dữ liệu ngân sách")
        foreign = Database(owner_org=other["id"], title="Cơ sở dữ liệu quy hoạch")
        editor = agency_member(own, "editor")

        select = self._form(app, editor)

        assert '<optgroup label="Sở Tài chính">' in select
        assert f'<option value="{land["name"]}">Cơ sở dữ liệu giá đất</option>' in select
        assert f'<option value="{budget["name"]}">Cơ sở dữ liệu ngân sách</option>' in select
        assert foreign["name"] not in select and "Sở Xây dựng" not in select
        assert "Không thuộc cơ sở dữ liệu nào trong danh mục" in select

    def test_the_edit_form_shows_the_database_already_chosen(self, app):
        from ckanext.daknong.tests.factories import agency_member

        own = Agency(title="Sở Y tế")
        database = Database(owner_org=own["id"], title="Cơ sở dữ liệu y tế")
        Database(owner_org=own["id"], title="Cơ sở dữ liệu dược")
        dataset = DaknongDataset(owner_org=own["id"], database=database["name"])
        editor = agency_member(own, "editor")

        select = self._form(app, editor, f"/dataset/edit/{dataset['name']}")

        assert f'<option value="{database["name"]}" selected>Cơ sở dữ liệu y tế</option>' in select
        assert select.count(" selected>") == 1


@pytest.mark.usefixtures("with_plugins", "clean_db")
class TestNothingOfCkansDemoOnSearchAndDatasetPages:
    """Issue 12: the portal does not use CKAN's groups, and its API guide is its own."""

    FACET_HEADING = r'fa-filter"></i>\s*{}\s*</h2>'

    def test_search_has_no_groups_facet_and_points_to_the_portal_s_api_guide(self, app):
        import re

        DaknongDataset(title="Bảng giá đất năm 2026")

        page = app.get("/dataset/").body

        assert re.search(self.FACET_HEADING.format("Cơ quan"), page)  # the facets are there
        assert not re.search(self.FACET_HEADING.format("Nhóm"), page)
        assert 'href="/api-guide"' in page
        assert "docs.ckan.org" not in page

    def test_a_dataset_page_has_no_groups_tab_and_keeps_its_activity(self, app):
        dataset = DaknongDataset()

        page = app.get(f"/dataset/{dataset['name']}").body

        assert f'href="/dataset/groups/{dataset["name"]}"' not in page
        assert f'href="/dataset/activity/{dataset["name"]}"' in page
        assert f'href="/dataset/{dataset["name"]}"' in page
