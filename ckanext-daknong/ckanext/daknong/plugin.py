"""Plugin wiring for the Đắk Nông portal. Only interface plumbing lives here."""

from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation

from ckanext.daknong import resources


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.blueprints
@tk.blanket.cli
@tk.blanket.config_declarations
@tk.blanket.helpers
@tk.blanket.validators
class DaknongPlugin(p.SingletonPlugin, DefaultTranslation):
    """The core portal: schemas, agencies, the published catalogue, translations."""

    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)

    # IConfigurer

    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, str(resources.TEMPLATES))
