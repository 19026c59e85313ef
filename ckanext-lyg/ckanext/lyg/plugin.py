"""The lyg plugin: the Lianyungang catalog portal (theme, locale, catalog, CLI).

Thin on purpose: the interfaces are wired with toolkit blanket decorators
(``helpers.py``, ``cli.py``, ``views.py``, ``logic/action.py``,
``logic/auth.py``, ``logic/validators.py``, ``config_declaration.yaml``);
logic lives in named modules (``portal.py``, ``catalog/``, ``access/``).
Who sees what is decided by ``access/rule.py``: this plugin hands its
permission labels to CKAN's search (IPermissionLabels). The dataset and
organization forms are ckanext-scheming schemas (``schemas/``).
"""

from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultPermissionLabels, DefaultTranslation
from ckanext.lyg import portal
from ckanext.lyg.access import labels as access_labels
from ckanext.lyg.access import registry as access_registry
from ckanext.lyg.catalog import facets, groups, indexing


@tk.blanket.config_declarations
@tk.blanket.helpers(access_registry.helpers)
@tk.blanket.cli
@tk.blanket.actions(access_registry.actions)
@tk.blanket.auth_functions(access_registry.auth_functions)
@tk.blanket.validators
@tk.blanket.blueprints
class LygPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IPermissionLabels)
    p.implements(p.IMiddleware, inherit=True)

    # IConfigurer

    def update_config(self, config: tk.CKANConfig) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")
        portal.apply_site_title(config)

    # ITranslation: the .mo files are build products (gitignored); build a
    # missing or stale one when CKAN asks, so a fresh checkout speaks Chinese

    def i18n_directory(self) -> str:
        from ckanext.lyg import translations

        translations.compile_catalogs()
        return str(translations.I18N_DIR)

    # IMiddleware (the download views ask the access rule first)

    def make_middleware(self, app: Any, config: Any) -> Any:
        from ckanext.lyg.access import views as access_views

        if hasattr(app, "view_functions"):
            access_views.wrap_download_views(app)
        return app

    # IFacets

    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str) -> dict[str, Any]:
        return facets.dataset_facets(facets_dict)

    # IPackageController

    def after_dataset_create(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        if pkg_dict.get("id"):
            groups.sync(pkg_dict["id"], pkg_dict)

    def after_dataset_update(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        if pkg_dict.get("id"):
            groups.sync(pkg_dict["id"], pkg_dict, groups.previous_class(context.get("package")))

    def after_dataset_search(self, search_results: dict[str, Any], search_params: dict[str, Any]):
        facets.label_items(search_results.get("search_facets") or {})
        return search_results

    def before_dataset_search(self, search_params: dict[str, Any]) -> dict[str, Any]:
        return access_labels.before_dataset_search(search_params)

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        text = indexing.info_item_text(pkg_dict.get("extras_info_items") or pkg_dict.get("info_items"))
        if text:
            pkg_dict["extras_info_item_text"] = text
        return pkg_dict

    # IPermissionLabels (the access rule as labels; CKAN's own without the catalog schema)

    def get_dataset_labels(self, dataset_obj: Any) -> list[str]:
        found = access_labels.dataset_labels(dataset_obj)
        return found if found is not None else DefaultPermissionLabels().get_dataset_labels(dataset_obj)

    def get_user_dataset_labels(self, user_obj: Any) -> list[str]:
        found = access_labels.user_labels(user_obj)
        return found if found is not None else DefaultPermissionLabels().get_user_dataset_labels(user_obj)
