"""The one place where the PostgreSQL engine is connected to CKAN.

Every caller of CKAN's search layer — ``package_search``, group and tag
dataset counts, ``package_show``'s index cache, the ``search-index`` CLI,
ckanext-harvest's source clear, ckanext-spatial's harvester — reaches the
index through ``ckan.lib.search.common.make_connection`` (directly, or through
a name imported from it). Installing the engine rebinds that function, in
``ckan.lib.search.common`` and wherever a module imported it by name, to one
that returns :class:`.engine.PostgresSolr`; the Solr schema-version check run
at start-up is answered without contacting Solr, and ``ckan.lib.search.rebuild``
becomes :func:`.rebuild.rebuild` (CKAN's per-dataset path, batched writes,
parallel workers). Uninstalling restores the
originals, so ``ckanext.lyg.search_backend = solr`` is CKAN's stock path.
No CKAN file on disk is changed.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import ckan.lib.search as search
import ckan.lib.search.common as common

from . import engine, rebuild

log = logging.getLogger(__name__)

PLACEHOLDER_SOLR_URL = "postgresql://lyg_search_doc (solr_url is not used by lyg_search)"

_ORIGINAL_MAKE_CONNECTION = common.make_connection
_ORIGINAL_CHECK_SCHEMA = search.check_solr_schema_version
ORIGINAL_REBUILD = search.rebuild


def postgres_connection(decode_dates: bool = True) -> engine.PostgresSolr:
    """Stands in for ``make_connection`` (this module must not have an
    attribute of that name, or rebinding would rebind it too)."""
    return engine.connection(decode_dates=decode_dates)


def check_schema_version(schema_file: str | None = None) -> bool:
    """There is no Solr schema to check: the index table is created and
    upgraded by this plugin's migrations."""
    return False


def _rebind(old: Any, new: Any) -> int:
    count = 0
    for module in list(sys.modules.values()):
        if module is None:
            continue
        try:
            if getattr(module, "make_connection", None) is old:
                module.make_connection = new
                count += 1
        except Exception:  # noqa: BLE001 - exotic modules refusing setattr
            continue
    return count


def install() -> None:
    """Route every search-layer call to the PostgreSQL engine."""
    current = common.make_connection
    if current is postgres_connection:
        return
    n = _rebind(current, postgres_connection)
    search.check_solr_schema_version = check_schema_version
    # ``ckan search-index rebuild`` imports it at call time: batched, parallel
    search.rebuild = rebuild.rebuild
    log.debug("PostgreSQL search engine installed (%d references)", n)


def uninstall() -> None:
    """Give the search layer back to Solr."""
    if common.make_connection is postgres_connection:
        _rebind(postgres_connection, _ORIGINAL_MAKE_CONNECTION)
    search.check_solr_schema_version = _ORIGINAL_CHECK_SCHEMA
    search.rebuild = ORIGINAL_REBUILD


def installed() -> bool:
    return common.make_connection is postgres_connection
