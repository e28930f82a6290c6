"""Plugin contracts (issue 10, design change 4): each plugin names what it builds on."""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

import pytest

from ckanext.daknong import contracts

REPO_ROOT = Path(__file__).resolve().parents[4]


def _entry_point_plugins() -> list[str]:
    import importlib.metadata

    return sorted(
        ep.name
        for ep in importlib.metadata.entry_points(group="ckan.plugins")
        if ep.value.startswith("ckanext.daknong.")
    )


def test_every_plugin_of_the_distribution_declares_its_contract():
    """A new plugin in setup.py must say what it builds on, or this test names it."""
    assert _entry_point_plugins() == sorted(contracts.REQUIRES)


def test_missing_plugins_are_named_in_order():
    loaded = {"daknong", "scheming_datasets"}.__contains__
    assert contracts.missing_plugins("daknong_harvest", loaded) == ["harvest"]
    assert contracts.missing_plugins("daknong_sharing_log", loaded) == []
    assert contracts.missing_plugins("daknong_dcat_harvester", loaded) == [
        "daknong_harvest",
        "dcat",
    ]


def test_readme_lists_every_plugin_with_what_it_requires():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for name, required in contracts.REQUIRES.items():
        rows = [line for line in readme.splitlines() if line.startswith(f"| `{name}` |")]
        assert rows, f"README.md has no row for the plugin {name}"
        for dependency in required:
            assert f"`{dependency}`" in rows[0], (name, dependency)


def _start(tmp_path: Path, plugins: str) -> subprocess.CompletedProcess[str]:
    """Build the CKAN app in a fresh process with this plugin list (as gunicorn would)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keep option names as written
    parser.read(REPO_ROOT / "test.ini", encoding="utf-8")
    parser["app:main"]["ckan.plugins"] = plugins
    ini = tmp_path / "contract.ini"
    with ini.open("w", encoding="utf-8") as out:
        parser.write(out)
    code = (
        "import sys; from ckan.cli import load_config; "
        "from ckan.config.middleware import make_app; make_app(load_config(sys.argv[1]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, str(ini)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.parametrize(
    ("plugins", "missing"),
    [
        ("activity daknong_sharing_log scheming_datasets scheming_organizations", "daknong"),
        (
            "activity daknong scheming_datasets scheming_organizations daknong_harvest",
            "harvest",
        ),
    ],
)
def test_a_sub_plugin_without_its_base_stops_start_up_with_a_clear_message(
    tmp_path, plugins, missing
):
    done = _start(tmp_path, plugins)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "PluginContractError" in output
    assert f"needs the plugins: {missing}" in output
    assert f"cần các plugin: {missing}" in output
