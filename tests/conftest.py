"""Shared fixtures for the whole suite.

CKAN's ``clean_db`` drops (first use) or empties (later uses) the tables in
CKAN's metadata. Plugin tables live outside it and are created by alembic
migrations, so after every reset the migrations of our plugins are applied
again and the search index is emptied.
"""

from __future__ import annotations

import pytest

MIGRATED_PLUGINS = ("lyg_search", "activity", "harvest")


@pytest.fixture(autouse=True)
def _lyg_plugins(with_plugins):
    """Every test runs with the plugins of test.ini loaded (CKAN's pytest
    plugin loads none by default); tests narrow them with ``ckan_config``."""


@pytest.fixture
def clean_db(reset_db, migrate_db_for, with_plugins):
    from ckan.lib import search

    reset_db()
    for plugin in MIGRATED_PLUGINS:
        migrate_db_for(plugin)
    search.clear_all()
