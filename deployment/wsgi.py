"""WSGI entry point of the portal for gunicorn (or uWSGI): ``wsgi:application``.

The configuration file is named by the CKAN_INI environment variable.
"""

import os

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

application = make_app(CKANConfigLoader(os.environ["CKAN_INI"]).get_config())
