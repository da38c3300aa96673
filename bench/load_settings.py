"""Settings of the load test: the production settings, with the bare view's urlconf.

Only ``bench/load.py`` uses them (``DJANGO_SETTINGS_MODULE=load_settings``, ``bench/`` on the path):
the platform itself never serves ``/__bare__/``.
"""

from cite_emploi.settings import *  # noqa: F403

ROOT_URLCONF = "load_urls"
