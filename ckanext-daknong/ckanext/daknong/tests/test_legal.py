"""Legal references shown to users come from data, in the user's language."""

from __future__ import annotations

import pytest

from ckanext.daknong import legal, resources


def test_reference_in_each_language():
    assert legal.reference("state_secret", "en") == "Decision 43/2022/QĐ-UBND, Art. 1.2"
    assert legal.reference("state_secret", "vi").endswith("Quyết định số 43/2022/QĐ-UBND")


def test_unknown_language_falls_back_to_vietnamese():
    assert legal.reference("agency_code", "fr") == legal.reference("agency_code", "vi")


@pytest.mark.parametrize("key", sorted(resources.load_yaml("legal_references.yaml")))
def test_every_reference_exists_in_vietnamese_and_english(key):
    texts = resources.load_yaml("legal_references.yaml")[key]

    assert texts["vi"] and texts["en"]
