"""Extract, update, translate and compile the portal's message catalogues (`make i18n`).

Engineers add Vietnamese translations either straight into
``i18n/vi/LC_MESSAGES/ckanext-daknong.po`` or, while a feature is in flight, into
``i18n/vi-pending*.yaml`` (``msgid: translation``); this script merges those files into the
catalogue, removes them, and compiles every catalogue to ``.mo``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
I18N = ROOT / "ckanext-daknong" / "ckanext" / "daknong" / "i18n"
DOMAIN = "ckanext-daknong"
POT = I18N / f"{DOMAIN}.pot"


METHOD_MAP = [("ckanext/**.py", "python"), ("templates/**.html", "ckan")]


def extracted_catalog() -> Catalog:
    """Every message of the package's Python code and Jinja templates."""
    from ckan.lib.extract import extract_ckan

    catalog = Catalog(project=DOMAIN, charset="utf-8")
    source = ROOT / "ckanext-daknong"
    methods = {"python": "python", "ckan": extract_ckan}
    for filename, lineno, message, comments, context in extract_from_dir(
        str(source), [(pattern, methods[m]) for pattern, m in METHOD_MAP]
    ):
        if "/tests/" in f"/{filename}":
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def extract() -> None:
    with POT.open("wb") as stream:
        write_po(stream, extracted_catalog(), width=100, no_location=True, sort_output=True)


def update(locale: str) -> Path:
    po = I18N / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    command = "update" if po.exists() else "init"
    po.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            command,
            "-i",
            str(POT),
            "-d",
            str(I18N),
            "-l",
            locale,
            "-D",
            DOMAIN,
            *(["--no-fuzzy-matching"] if command == "update" else []),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return po


def merge_pending(po: Path) -> int:
    pending = {}
    files = sorted(I18N.glob("vi-pending*.yaml"))
    for path in files:
        pending.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    with po.open("rb") as stream:
        catalog = read_po(stream, locale="vi")
    filled = 0
    for message in catalog:
        singular = message.id[0] if isinstance(message.id, tuple) else message.id
        translation = pending.get(singular)
        if not singular or not translation or _translated(message):
            continue
        # Vietnamese has one plural form: the same text serves every count
        message.string = (translation,) if isinstance(message.id, tuple) else translation
        filled += 1
    with po.open("wb") as stream:
        write_po(stream, catalog, width=100, omit_header=False)
    for path in files:
        path.unlink()
    return filled


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return bool(strings) and all(strings)


def compile_all() -> None:
    for po in I18N.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        with po.open("rb") as stream:
            catalog = read_po(stream)
        with po.with_suffix(".mo").open("wb") as stream:
            write_mo(stream, catalog)


def main() -> None:
    extract()
    po = update("vi")
    filled = merge_pending(po)
    compile_all()
    with po.open("rb") as stream:
        catalog = read_po(stream, locale="vi")
    missing = [m.id for m in catalog if m.id and not _translated(m)]
    print(f"i18n: {filled} translations merged; {len(missing)} messages untranslated")
    for msgid in missing:
        print(f"  untranslated: {msgid!r}")


if __name__ == "__main__":
    main()
