"""What each plugin of this distribution needs loaded beside it, checked when CKAN starts.

The distribution ships six plugins (``setup.py``). The core ``daknong`` plugin stands on
ckanext-scheming alone; the sharing log and the harvest plugins build on it, and the
harvesters on ``daknong_harvest`` and ckanext-harvest. A portal configured with a sub-plugin
but without what it builds on would start and then fail on the first request, far from the
cause (a missing action, an unlabelled dataset served to the wrong reader): each sub-plugin
checks its contract at start-up instead and stops CKAN with a message naming what to add.

Start-up runs before any request or locale, so the message carries both languages itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import ckan.plugins as p

REQUIRES: dict[str, tuple[str, ...]] = {
    "daknong": ("scheming_datasets", "scheming_organizations"),
    "daknong_sharing_log": ("daknong",),
    "daknong_harvest": ("daknong", "harvest"),
    "daknong_ckan_harvester": ("daknong_harvest",),
    "daknong_dcat_harvester": ("daknong_harvest", "dcat"),
    "daknong_spreadsheet_harvester": ("daknong_harvest",),
}


class PluginContractError(RuntimeError):
    """A plugin of the distribution is enabled without a plugin it builds on."""


def missing_plugins(name: str, loaded: Callable[[str], bool] = p.plugin_loaded) -> list[str]:
    """The plugins ``name`` builds on that are not loaded, in the order ``REQUIRES`` names."""
    return [required for required in REQUIRES[name] if not loaded(required)]


def message(name: str, missing: Iterable[str]) -> str:
    names = " ".join(missing)
    return (
        f"Plugin {name} cần các plugin: {names} — thêm chúng vào ckan.plugins. / "
        f"The plugin {name} needs the plugins: {names} — add them to ckan.plugins."
    )


def require(name: str) -> None:
    """Stop start-up when a plugin that ``name`` builds on is not loaded."""
    missing = missing_plugins(name)
    if missing:
        raise PluginContractError(message(name, missing))
