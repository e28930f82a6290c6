"""The screenshots in docs/screenshots/ (issue 12): home, search, dataset and the published
catalogue of shared databases, at 1366 px (a desktop) and 375 px (a phone), from a running
portal with the demo corpus. Run by `make screenshots` after `make up`.

The pages are taken whole (the window is made as tall as the page), in Vietnamese, as an
anonymous visitor: what a citizen sees.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "ckanext-daknong"))

from ckanext.daknong.tests.browser import chromium  # noqa: E402

WIDTHS = (1366, 375)
MAX_HEIGHT = 6000
# a data set of the demo corpus with an uploaded file (data/seed/demo.yaml)
DATASET = "danh-sach-co-so-kham-chua-benh"
PAGES = {
    "home": "/",
    "search": "/dataset/?q=dan+so",
    "dataset": f"/dataset/{DATASET}",
    "catalogue": "/catalogue",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portal", default="http://127.0.0.1:5000", help="the portal's address")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    try:
        requests.get(f"{args.portal}/api/3/action/status_show", timeout=10).raise_for_status()
    except requests.RequestException as error:
        print(f"the portal at {args.portal} does not answer ({error}): run `make up` first")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        with chromium.browser((width, 900)) as window:
            for name, path in PAGES.items():
                window.get(args.portal + path)
                chromium.wait_for_page(window)
                time.sleep(0.5)  # the page's scripts (Select2, the facets) settle
                height = window.execute_script("return document.documentElement.scrollHeight;")
                window.set_window_size(width, min(int(height) + 140, MAX_HEIGHT))
                target = args.out / f"{name}-{width}.png"
                window.save_screenshot(str(target))
                window.set_window_size(width, 900)
                print(f"{target.relative_to(ROOT)}  ({name}, {width} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
