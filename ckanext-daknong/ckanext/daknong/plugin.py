"""Plugin wiring for the Đắk Nông portal. Only interface plumbing lives here."""

from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation

from ckanext.daknong import (
    access,
    contracts,
    identity,
    licenses,
    policy,
    resources,
    search,
    security,
)
from ckanext.daknong.accounts import actions as accounts_actions
from ckanext.daknong.accounts import hooks as accounts_hooks
from ckanext.daknong.accounts import passwords as accounts_passwords
from ckanext.daknong.accounts import sessions as accounts_sessions


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
    p.implements(p.IAuthenticator, inherit=True)
    p.implements(p.IApiToken, inherit=True)
    p.implements(p.IMiddleware, inherit=True)

    # IConfigurer

    def update_config(self, config: Any) -> None:
        contracts.require("daknong")
        tk.add_template_directory(config, str(resources.TEMPLATES))
        tk.add_public_directory(config, str(resources.PUBLIC))
        tk.add_resource(str(resources.ASSETS), "daknong")
        identity.configure(config)
        licenses.configure(config)
        accounts_sessions.configure(config)
        accounts_passwords.install_listeners()
        security.configure(config)

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
            ],
            **accounts_hooks.signal_subscriptions(),
        }

    # IPermissionLabels: the access levels of QĐ 43 Art. 10–11

    def get_dataset_labels(self, dataset_obj: Any) -> list[str]:
        return access.dataset_labels(dataset_obj)

    def get_user_dataset_labels(self, user_obj: Any) -> list[str]:
        return access.user_labels(user_obj)

    # IAuthenticator, IApiToken: accounts rules (QĐ 43 Art. 12.3)

    def identify(self) -> Any:
        return accounts_hooks.identify()

    def login(self) -> Any:
        return accounts_hooks.login()

    def logout(self) -> Any:
        return accounts_hooks.logout()

    def postprocess_api_token(self, data: dict[str, Any], jti: str, data_dict: dict[str, Any]):
        return accounts_actions.cap_token_expiry(data)

    def preprocess_api_token(self, data: dict[str, Any]) -> Any:
        return accounts_actions.refuse_old_token(data)

    # IMiddleware: the application-wide hooks, here rather than as side effects of importing a
    # views module: the action policy's gate for every web request (data/action_policy.yaml);
    # DCAT content negotiation on dataset pages (docs/dcat.md);
    # "Request access" in place of a restricted dataset's page (NĐ 47 Art. 35.1);
    # sessions ended at logout and password change (QĐ 43 Art. 12.3); security headers on every
    # answer and inert downloads (QĐ 43 Art. 12)

    def make_middleware(self, app: Any, config: Any) -> Any:
        from ckanext.daknong.views import access as access_views
        from ckanext.daknong.views import dcat as dcat_views

        app = policy.register_request_gate(app)
        app.before_request(dcat_views.negotiate_dataset_page)
        app.before_request(access_views.restricted_dataset_page)
        app.after_request(accounts_sessions.after_request)
        return security.install(app)
