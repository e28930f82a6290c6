"""Plugin wiring for the Đắk Nông portal. Only interface plumbing lives here."""

from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation

from ckanext.daknong import access, licenses, policy, resources, search


@tk.blanket.actions(policy.plugin_actions)
@tk.blanket.auth_functions(policy.plugin_auth_functions)
@tk.blanket.blueprints
@tk.blanket.cli
@tk.blanket.config_declarations
@tk.blanket.helpers
@tk.blanket.validators
class DaknongPlugin(p.SingletonPlugin, DefaultTranslation):
    """The core portal: schemas, agencies, access levels, the published catalogue."""

    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IPermissionLabels)
    p.implements(p.ISignal)
    p.implements(p.IMiddleware, inherit=True)

    # IConfigurer

    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, str(resources.TEMPLATES))
        licenses.configure(config)

    # IFacets

    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str) -> dict[str, Any]:
        return search.dataset_facets(facets_dict, package_type)

    def organization_facets(
        self, facets_dict: dict[str, Any], organization_type: str, package_type: str | None
    ) -> dict[str, Any]:
        return search.organization_facets(facets_dict, organization_type, package_type)

    # IPackageController

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        return search.before_dataset_index(pkg_dict)

    def before_dataset_search(self, search_params: dict[str, Any]) -> dict[str, Any]:
        return search.before_dataset_search(search_params)

    def after_dataset_search(
        self, search_results: dict[str, Any], search_params: dict[str, Any]
    ) -> dict[str, Any]:
        return search.after_dataset_search(search_results, search_params)

    # ISignal: an agency's new name or level must reach its datasets' index entries

    def get_signal_subscriptions(self) -> dict[Any, Any]:
        return {
            tk.signals.action_succeeded: [
                {"sender": "organization_update", "receiver": search.reindex_updated_agency}
            ]
        }

    # IMiddleware: the action policy's gate for every web request (data/action_policy.yaml)

    def make_middleware(self, app: Any, config: Any) -> Any:
        return policy.register_request_gate(app)

    # IPermissionLabels: the access levels of QĐ 43 Art. 10–11

    def get_dataset_labels(self, dataset_obj: Any) -> list[str]:
        return access.dataset_labels(dataset_obj)

    def get_user_dataset_labels(self, user_obj: Any) -> list[str]:
        return access.user_labels(user_obj)
