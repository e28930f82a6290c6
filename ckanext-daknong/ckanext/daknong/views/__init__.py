"""Flask blueprints of the core portal, collected by ``toolkit.blanket.blueprints``.

The blanket registers the Blueprint objects named in ``__all__``.
"""

from __future__ import annotations

from ckanext.daknong.views.access import access_requests
from ckanext.daknong.views.catalogue import catalogue
from ckanext.daknong.views.dcat import dcat_pages
from ckanext.daknong.views.pages import pages

__all__ = ["access_requests", "catalogue", "dcat_pages", "pages"]
