#!/usr/bin/env python3
"""Build-time sanity check of the portal image (run by the Dockerfile, standard library only).

CKAN itself cannot be started during `docker build` (it needs PostgreSQL), so this checks what
would otherwise only fail at the first `docker compose up`:

* ckan.plugins in the ini equals $CKAN__PLUGINS, which the ckan-base start script writes back
  into the ini of the web container (consumers and scheduler keep the ini as built);
* every plugin has a `ckan.plugins` entry point whose module imports (a missing extension or a
  namespace-package clash between editable CKAN and wheel-installed extensions shows here);
* every `module:file` schema or preset referenced by ckanext-scheming options exists.

Usage: check_image.py [INI]   (default: $CKAN_INI)
"""

from __future__ import annotations

import configparser
import importlib
import importlib.resources
import os
import sys
from importlib.metadata import entry_points

SCHEMING_OPTIONS = ("scheming.dataset_schemas", "scheming.organization_schemas", "scheming.presets")


def read_app_main(path: str) -> configparser.SectionProxy:
    # Raw parser: secrets are %(CKAN_...)s references to variables absent at build time.
    parser = configparser.RawConfigParser(strict=True)
    parser.optionxform = str  # CKAN keys are case-sensitive (SECRET_KEY)
    if not parser.read(path, encoding="utf-8"):
        raise SystemExit(f"check_image: cannot read {path}")
    return parser["app:main"]


def problems(app_main: configparser.SectionProxy, env_plugins: str | None) -> list[str]:
    found: list[str] = []
    plugins = app_main.get("ckan.plugins", "").split()
    if env_plugins is None:
        found.append("CKAN__PLUGINS is not set in the image")
    elif env_plugins.split() != plugins:
        found.append(f"CKAN__PLUGINS ({env_plugins!r}) differs from ckan.plugins ({plugins!r})")

    available = {ep.name: ep for ep in entry_points(group="ckan.plugins")}
    for name in plugins:
        ep = available.get(name)
        if ep is None:
            found.append(f"plugin {name!r}: no ckan.plugins entry point installed")
            continue
        try:
            importlib.import_module(ep.module)
        except Exception as error:  # report every broken plugin, not only the first
            found.append(f"plugin {name!r}: cannot import {ep.module}: {error!r}")

    for option in SCHEMING_OPTIONS:
        for reference in app_main.get(option, "").split():
            package, _, filename = reference.partition(":")
            try:
                exists = importlib.resources.files(package).joinpath(filename).is_file()
            except ModuleNotFoundError:
                exists = False
            if not exists:
                found.append(f"{option}: {reference} does not exist")
    return found


def main(argv: list[str]) -> int:
    path = argv[0] if argv else os.environ.get("CKAN_INI", "/srv/app/ckan.ini")
    found = problems(read_app_main(path), os.environ.get("CKAN__PLUGINS"))
    for problem in found:
        print(f"check_image: {problem}", file=sys.stderr)
    if not found:
        print(f"check_image: {path} ok")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
