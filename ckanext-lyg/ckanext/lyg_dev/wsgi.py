"""WSGI entry point for gunicorn: ``ckanext.lyg_dev.wsgi:application``.

The same as CKAN's own ``wsgi.py`` (which the PyPI wheel does not ship): the
ini comes from ``CKAN_INI``.

    CKAN_INI=var/public.ini gunicorn ckanext.lyg_dev.wsgi:application
"""

from __future__ import annotations

import os

from ckan.cli import load_config
from ckan.config.middleware import make_app

_ini = os.environ.get("CKAN_INI")
if not _ini:
    raise RuntimeError("set CKAN_INI to the portal's ini file (e.g. var/public.ini)")

application = make_app(load_config(os.path.abspath(_ini)))


def _warm_up_search() -> None:
    """Load the Chinese segmentation dictionary before gunicorn forks."""
    import ckan.plugins as plugins

    if plugins.plugin_loaded("lyg_search"):
        from ckanext.lyg_search import text

        text.warm_up()


_warm_up_search()


def _dispose_connections() -> None:
    """Close connections opened while loading, so forked workers open their own."""
    try:
        from ckan import model

        model.Session.remove()
        model.meta.engine.dispose()
    except Exception:  # pragma: no cover - best effort
        pass


_dispose_connections()
