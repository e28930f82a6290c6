"""The harvesters registered with ckanext-harvest (entry points in setup.py)."""

from __future__ import annotations

from ckanext.daknong.harvest.ckan_source import DaknongCkanHarvester
from ckanext.daknong.harvest.dcat_source import DaknongDcatHarvester
from ckanext.daknong.harvest.spreadsheet import DaknongSpreadsheetHarvester

__all__ = ["DaknongCkanHarvester", "DaknongDcatHarvester", "DaknongSpreadsheetHarvester"]
