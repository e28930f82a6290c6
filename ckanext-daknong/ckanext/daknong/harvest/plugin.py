"""Wiring of the harvest plugin (``daknong_harvest``). Only interface plumbing lives here."""

from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.daknong import contracts


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.blueprints
@tk.blanket.config_declarations
class DaknongHarvestPlugin(p.SingletonPlugin):
    """Quarterly harvesting: schedule, per-agency status, self-check (QĐ 43 Art. 20.3, 21.3)."""

    p.implements(p.IClick)
    p.implements(p.IConfigurable, inherit=True)

    # IConfigurable: the hardening of ckanext-harvest's actions lives here, so this plugin
    # needs ckanext-harvest (and the core portal) loaded; say so instead of failing later.
    # Also where the imports' deferred indexing is installed.

    def configure(self, config: Any) -> None:
        contracts.require("daknong_harvest")
        from ckanext.daknong.harvest import indexing

        indexing.install()  # imports index each dataset once (harvest/indexing.py)

    # IClick: `ckan daknong harvest …` joins the core plugin's `daknong` group.

    def get_commands(self) -> list[Any]:
        from ckanext.daknong.harvest import cli

        return cli.get_commands()
