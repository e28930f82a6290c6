"""ckanext-daknong: Đắk Nông's shared-database catalogue and open-data portal for CKAN 2.11.

The Python package lives under ``ckanext-daknong/ckanext/daknong``; the scheming schemas,
Jinja templates, data files, web assets and public files live beside it
(``ckanext-daknong/{schemas,templates,data,assets,public}``) and are installed as the
sub-packages ``ckanext.daknong.{schemas,templates,data,assets,public}`` so that
both ``pip install .`` and ``pip install -e .`` carry them.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

ROOT = Path(__file__).parent
SRC = "ckanext-daknong"
RESOURCE_DIRS = ("schemas", "templates", "data", "assets", "public")

packages = find_namespace_packages(where=SRC, include=["ckanext.daknong*"])
package_dir = {"": SRC}
for name in RESOURCE_DIRS:
    package_dir[f"ckanext.daknong.{name}"] = f"{SRC}/{name}"
    for sub in sorted(p for p in (ROOT / SRC / name).rglob("*") if p.is_dir()):
        if "__pycache__" in sub.parts:
            continue
        dotted = ".".join(sub.relative_to(ROOT / SRC / name).parts)
        package_dir[f"ckanext.daknong.{name}.{dotted}"] = sub.relative_to(ROOT).as_posix()
        packages.append(f"ckanext.daknong.{name}.{dotted}")
    packages.append(f"ckanext.daknong.{name}")

setup(
    name="ckanext-daknong",
    version="0.1.0",
    description="Đắk Nông shared-database catalogue and open-data portal (QĐ 43/2022/QĐ-UBND)",
    long_description=(ROOT / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="AGPL-3.0-or-later",
    python_requires=">=3.10",
    packages=sorted(set(packages)),
    package_dir=package_dir,
    include_package_data=False,
    package_data={
        "ckanext.daknong": [
            "config_declaration.yaml",
            "i18n/*/LC_MESSAGES/*.po",
            "i18n/*/LC_MESSAGES/*.mo",
            "i18n/*.pot",
            "migration/*/alembic.ini",
            "migration/*/script.py.mako",
            "sharing_log/config_declaration.yaml",
            "sharing_log/harden.sql",
            "harvest/config_declaration.yaml",
        ],
        **{f"ckanext.daknong.{name}": ["*", "**/*"] for name in RESOURCE_DIRS},
    },
    install_requires=[
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "-"))
    ],
    entry_points={
        "ckan.plugins": [
            "daknong = ckanext.daknong.plugin:DaknongPlugin",
            "daknong_sharing_log = ckanext.daknong.sharing_log.plugin:DaknongSharingLogPlugin",
            "daknong_harvest = ckanext.daknong.harvest.plugin:DaknongHarvestPlugin",
            "daknong_ckan_harvester = ckanext.daknong.harvest.harvesters:DaknongCkanHarvester",
            "daknong_dcat_harvester = ckanext.daknong.harvest.harvesters:DaknongDcatHarvester",
            "daknong_spreadsheet_harvester = "
            "ckanext.daknong.harvest.harvesters:DaknongSpreadsheetHarvester",
        ],
        "ckan.rdf.profiles": [
            "daknong = ckanext.daknong.dcat.profile:DaknongProfile",
        ],
    },
)
