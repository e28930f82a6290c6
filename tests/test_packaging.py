"""The distribution carries its schemas, templates and data files in a regular wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    # setuptools copies into build/lib and reuses what an earlier build left there, files moved
    # or deleted since included; the wheel must show the tree as it is.
    shutil.rmtree(REPO_ROOT / "build", ignore_errors=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(REPO_ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("ckanext_daknong-*.whl")
    return zipfile.ZipFile(path)


def _source_files(folder: str) -> set[str]:
    base = REPO_ROOT / "ckanext-daknong" / folder
    return {
        f"ckanext/daknong/{folder}/{p.relative_to(base).as_posix()}"
        for p in base.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.mark.parametrize("folder", ["schemas", "templates", "data"])
def test_wheel_carries_every_resource_file(wheel, folder):
    expected = _source_files(folder)

    assert expected, f"no files under {folder}"
    assert expected <= set(wheel.namelist())


def test_wheel_carries_the_plugin_and_its_declarations(wheel):
    names = set(wheel.namelist())

    assert "ckanext/daknong/plugin.py" in names
    assert "ckanext/daknong/config_declaration.yaml" in names
    assert "ckanext/daknong/migration/daknong/alembic.ini" in names
    assert "ckanext/daknong/migration/daknong/env.py" in names
    versions = REPO_ROOT / "ckanext-daknong/ckanext/daknong/migration/daknong/versions"
    for migration in versions.glob("*.py"):
        assert f"ckanext/daknong/migration/daknong/versions/{migration.name}" in names


def test_wheel_carries_the_compiled_translations(wheel):
    names = set(wheel.namelist())
    catalogues = REPO_ROOT / "ckanext-daknong/ckanext/daknong/i18n"
    compiled = sorted(catalogues.glob("*/LC_MESSAGES/ckanext-daknong.mo"))

    assert compiled, "no compiled catalogue: run make i18n"
    for mo in compiled:
        assert f"ckanext/daknong/i18n/{mo.relative_to(catalogues).as_posix()}" in names
    assert "ckanext/__init__.py" not in names  # ckanext stays a namespace package


def test_wheel_registers_the_ckan_plugins(wheel):
    (entry_points,) = [n for n in wheel.namelist() if n.endswith("entry_points.txt")]
    text = wheel.read(entry_points).decode()

    assert "[ckan.plugins]" in text
    assert "daknong = ckanext.daknong.plugin:DaknongPlugin" in text


def test_wheel_does_not_carry_tests_data_of_the_repository(wheel):
    assert not [n for n in wheel.namelist() if n.startswith(("deployment/", ".venv/"))]


def test_repository_tests_stay_out_of_the_wheel(wheel):
    """Tests of the repository (deployment, docs, packaging) live in tests/ at the root."""
    names = set(wheel.namelist())
    repository_tests = sorted(p.name for p in (REPO_ROOT / "tests").glob("test_*.py"))

    assert "test_packaging.py" in repository_tests
    assert not [name for name in names if name.rsplit("/", 1)[-1] in repository_tests]
    assert "ckanext/daknong/tests/test_policy.py" in names  # the package's own tests ship
