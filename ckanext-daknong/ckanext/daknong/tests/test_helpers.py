"""Template helpers: code-list choices for scheming, public focal points (NĐ 47 Art. 7)."""

from __future__ import annotations

from ckanext.daknong import helpers


def test_codelist_choices_come_from_the_list_named_by_the_field():
    choices = helpers.daknong_codelist_choices({"field_name": "x", "codelist": "agency_levels"})

    assert [c["value"] for c in choices][:2] == ["provincial_committee", "department"]
    assert choices[0]["label"] == {
        "vi": "Ủy ban nhân dân tỉnh",
        "en": "Provincial People's Committee",
    }


def test_focal_points_list_only_the_roles_that_are_filled_in():
    organization = {
        "provider_focal_name": "Nguyễn Văn An",
        "provider_focal_phone": "0912345678",
        "consumer_focal_name": "",
    }

    assert helpers.daknong_focal_points(organization) == [
        {
            "role": "provider",
            "name": "Nguyễn Văn An",
            "position": None,
            "email": None,
            "phone": "0912345678",
        }
    ]


def test_no_focal_points_gives_an_empty_list():
    assert helpers.daknong_focal_points({"name": "x"}) == []
