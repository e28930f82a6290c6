"""The page types every kind of visitor reaches, for the tests that read every page (no
third-party loads, every string translated): one list, so a new page type is added once."""

from __future__ import annotations


def public_pages(dataset: dict, agency: dict) -> list[str]:
    """The pages anyone may open, for a dataset with a resource and its agency."""
    return [
        "/",
        "/dataset/",
        f"/dataset/{dataset['name']}",
        f"/dataset/{dataset['name']}/resource/{dataset['resources'][0]['id']}",
        "/organization/",
        f"/organization/{agency['name']}",
        f"/organization/about/{agency['name']}",
        "/catalogue",
        "/open-data-terms",
        "/request-data",
        "/api-guide",
        "/about",
        "/harvest-status",
        "/user/login",
        "/user/register",
    ]


def account_pages(user: dict, restricted: dict) -> list[str]:
    """The pages of a signed-in user, with the access-request form for a restricted dataset."""
    return [
        f"/user/{user['name']}",
        "/dashboard/datasets",
        "/user/edit",
        "/access-requests",
        f"/access-requests/new?dataset={restricted['name']}",
        "/sharing-log",
    ]
