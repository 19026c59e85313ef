"""Catalog pages: ``/catalog/<code>`` (entry by resource code) and the catalog
download (registered with ``tk.blanket.blueprints``)."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint

__all__ = ["catalog"]

catalog = Blueprint("lyg_catalog", __name__)


def by_code(code: str) -> Any:
    """Redirect a resource code (信息资源代码) to its entry."""
    try:
        pkg = tk.get_action("lyg_catalog_show_by_code")({}, {"code": code})
    except (tk.ObjectNotFound, tk.ValidationError):
        return tk.abort(404, tk._("No entry has the resource code {code}").format(code=code))
    except tk.NotAuthorized:
        return tk.abort(404, tk._("No entry has the resource code {code}").format(code=code))
    return tk.redirect_to("dataset.read", id=pkg["name"])


catalog.add_url_rule("/catalog/<path:code>", view_func=by_code, endpoint="by_code")
