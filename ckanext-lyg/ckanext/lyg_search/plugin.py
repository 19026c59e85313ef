"""lyg_search: CKAN's dataset search on PostgreSQL instead of Solr.

Works on any CKAN 2.12 site: list ``lyg_search`` first in ``ckan.plugins``,
run ``ckan db upgrade -p lyg_search`` and ``ckan search-index rebuild``.
"""

from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from . import spatial, wiring


@tk.blanket.config_declarations
@tk.blanket.cli
class LygSearchPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IPackageController, inherit=True)

    def update_config(self, config: tk.CKANConfig) -> None:
        if config.get("ckanext.lyg.search_backend") == "solr":
            wiring.uninstall()
        else:
            wiring.install()
            # CKAN declares solr_url as required; with this engine it is unused.
            if not config.get("solr_url"):
                config["solr_url"] = wiring.PLACEHOLDER_SOLR_URL
            # ext_bbox arrives as a function range query (see spatial.py)
            parsers = config.get("ckan.search.solr_allowed_query_parsers") or []
            if "frange" not in parsers:
                config["ckan.search.solr_allowed_query_parsers"] = [*parsers, "frange"]

    def before_dataset_search(self, search_params: dict) -> dict:
        """Bounding-box search on sites without ckanext-spatial's
        ``spatial_query`` plugin (with it, that plugin does the same)."""
        if p.plugin_loaded("spatial_query"):
            return search_params
        return spatial.search_params(search_params)
