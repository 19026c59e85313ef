"""Auth functions of the lyg actions (registered with ``tk.blanket.auth_functions``)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

__all__ = ["lyg_catalog_show_by_code"]


@tk.auth_allow_anonymous_access
def lyg_catalog_show_by_code(context: Context, data_dict: DataDict) -> AuthResult:
    """Anyone may look a code up; the entry itself is checked by ``package_show``."""
    return {"success": True}
