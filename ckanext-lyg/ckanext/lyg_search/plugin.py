"""lyg_search: CKAN's dataset search on PostgreSQL instead of Solr.

Works on any CKAN 2.12 site: list ``lyg_search`` first in ``ckan.plugins``,
run ``ckan db upgrade -p lyg_search`` and ``ckan search-index rebuild``.
"""

from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from . import wiring


@tk.blanket.config_declarations
@tk.blanket.cli
class LygSearchPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)

    def update_config(self, config: tk.CKANConfig) -> None:
        if config.get("ckanext.lyg.search_backend") == "solr":
            wiring.uninstall()
        else:
            wiring.install()
            # CKAN declares solr_url as required; with this engine it is unused.
            if not config.get("solr_url"):
                config["solr_url"] = wiring.PLACEHOLDER_SOLR_URL
