"""Where the distribution's data files are, whether installed as a wheel or in editable mode.

The schemas, templates, data, assets (webassets) and public folders sit beside the Python
package in the source tree and are installed as the sub-packages
``ckanext.daknong.{schemas,templates,data,assets,public}``; importing them is the one reliable
way to find them.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

import ckanext.daknong.assets as _assets
import ckanext.daknong.data as _data
import ckanext.daknong.public as _public
import ckanext.daknong.schemas as _schemas
import ckanext.daknong.templates as _templates

SCHEMAS = Path(_schemas.__file__).parent
TEMPLATES = Path(_templates.__file__).parent
DATA = Path(_data.__file__).parent
ASSETS = Path(_assets.__file__).parent
PUBLIC = Path(_public.__file__).parent


@functools.cache
def load_yaml(relative_path: str) -> Any:
    """Parse a YAML file of the ``data`` folder once per process."""
    with (DATA / relative_path).open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)
