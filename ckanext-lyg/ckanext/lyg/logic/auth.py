"""Auth functions of the lyg actions (registered with ``tk.blanket.auth_functions``)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

__all__ = ["lyg_catalog_show_by_code"]


@tk.auth_allow_anonymous_access
def lyg_catalog_show_by_code(context: Context, data_dict: DataDict) -> AuthResult:
    """Anyone may look a code up; the entry itself is checked by ``package_show``."""
    return {"success": True}


# the access rule and the workflows keep their auth in their own packages
from ckanext.lyg.access import auth as _access_auth  # noqa: E402
from ckanext.lyg.registry import merge as _merge  # noqa: E402
from ckanext.lyg.workflow import auth as _workflow_auth  # noqa: E402

_merge(globals(), __all__, _access_auth, _workflow_auth)
