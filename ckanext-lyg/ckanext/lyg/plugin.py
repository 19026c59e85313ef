"""The lyg plugin: the Lianyungang catalog portal (theme, locale, CLI).

Thin on purpose: the interfaces are wired with toolkit blanket decorators
(``helpers.py``, ``cli.py``, ``config_declaration.yaml``); logic lives in
named modules.
"""

from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation
from ckanext.lyg import portal


@tk.blanket.config_declarations
@tk.blanket.helpers
@tk.blanket.cli
class LygPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)

    def update_config(self, config: tk.CKANConfig) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")
        portal.apply_site_title(config)
