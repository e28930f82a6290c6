"""Code lists under data/codelists/: well formed, bilingual, and the ones the brief names."""

from __future__ import annotations

import pytest

from ckanext.daknong import codelists, resources

ALL_LISTS = sorted(p.stem for p in (resources.DATA / "codelists").glob("*.yaml"))


@pytest.mark.parametrize("name", ALL_LISTS)
def test_values_are_unique_and_labels_bilingual(name):
    entries = codelists.entries(name)

    values = [entry["value"] for entry in entries]
    assert entries
    assert len(values) == len(set(values))
    assert all(set(entry["label"]) == {"vi", "en"} for entry in entries)
    assert all(entry["label"]["vi"] and entry["label"]["en"] for entry in entries)


def test_admin_units_are_the_province_gia_nghia_and_the_seven_districts():
    labels = [codelists.label("admin_units", v, "vi") for v in codelists.values("admin_units")]

    assert codelists.values("admin_units")[0] == "67"
    assert labels[1] == "Thành phố Gia Nghĩa"
    districts = {label.removeprefix("Huyện ") for label in labels[2:]}
    assert districts == {
        "Cư Jút",
        "Đắk Glong",
        "Đắk Mil",
        "Đắk R'Lấp",
        "Đắk Song",
        "Krông Nô",
        "Tuy Đức",
    }


def test_numeric_codes_are_strings_as_scheming_compares_strings():
    assert all(isinstance(v, str) for v in codelists.values("admin_units"))


def test_choices_have_value_and_label_only():
    (first, *_) = codelists.choices("update_frequencies")

    assert set(first) == {"value", "label"}


def test_label_falls_back_to_vietnamese_then_to_the_value():
    assert codelists.label("sectors", "land", "fr") == "Đất đai"
    assert codelists.label("sectors", "land", "en") == "Land"
    assert codelists.label("sectors", "unknown", "en") == "unknown"


def test_update_frequencies_map_to_dcat_terms():
    entries = codelists.entries("update_frequencies")

    assert all(entry["dcat"].startswith("http://publications.europa.eu/") for entry in entries)
    assert "quarterly" in codelists.values("update_frequencies")
