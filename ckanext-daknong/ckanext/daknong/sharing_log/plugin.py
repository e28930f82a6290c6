"""The sharing-log plugin (NĐ 47 Art. 45; QĐ 43 Art. 7.4). Only interface plumbing lives here.

Enable it beside ``daknong``: ``ckan.plugins = … daknong daknong_sharing_log …``.
"""

from __future__ import annotations

import logging
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.daknong import contracts, grants
from ckanext.daknong.sharing_log import capture, cli, entries, events
from ckanext.daknong.sharing_log.logic.action import get_actions
from ckanext.daknong.sharing_log.logic.auth import get_auth_functions


@tk.blanket.actions(get_actions)
@tk.blanket.auth_functions(get_auth_functions)
@tk.blanket.blueprints
@tk.blanket.cli(cli.get_commands)
@tk.blanket.config_declarations
@tk.blanket.helpers
class DaknongSharingLogPlugin(p.SingletonPlugin):
    """Every read of shared and restricted data, recorded in a tamper-evident log."""

    p.implements(p.IConfigurable)
    p.implements(p.IMiddleware, inherit=True)
    p.implements(p.ISignal)

    def configure(self, config: Any) -> None:
        contracts.require("daknong_sharing_log")
        if entries.using_derived_key():
            logging.getLogger(__name__).warning("sharing log: %s", entries.DERIVED_KEY_WARNING)

    def get_signal_subscriptions(self) -> dict[Any, Any]:
        return {grants.access_request_event: [events.record_request_event]}

    # IMiddleware: the two application-wide hooks of the log, on the Flask app itself

    def make_middleware(self, app: Any, config: Any) -> Any:
        """Write each request's entries before its response leaves; 503 when they cannot be.

        Registered here, not by importing the views module, so that the hooks exist exactly
        when the plugin is loaded.
        """
        if hasattr(app, "after_request"):  # the Flask app, not a WSGI wrapper
            app.after_request(capture.after_request)
            app.register_error_handler(entries.SharingLogUnavailable, _unavailable)
        return app


def _unavailable(error: entries.SharingLogUnavailable) -> Any:
    return capture.unavailable_response()
