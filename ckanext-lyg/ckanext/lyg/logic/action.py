"""Actions of the lyg plugin (registered with ``tk.blanket.actions``)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import ActionResult, Context, DataDict
from ckanext.lyg.catalog import codes
from ckanext.lyg.logic import schema

__all__ = ["lyg_catalog_show_by_code"]


@tk.side_effect_free
def lyg_catalog_show_by_code(context: Context, data_dict: DataDict) -> ActionResult.PackageShow:
    """The catalog entry with a resource code (信息资源代码).

    :param code: the resource code, e.g. ``101001001/000123``
    :returns: the entry, as ``package_show`` returns it (and with its checks)
    """
    tk.check_access("lyg_catalog_show_by_code", context, data_dict)
    data, errors = tk.navl_validate(data_dict, schema.catalog_show_by_code(), context)
    if errors:
        raise tk.ValidationError(errors)
    package_id = codes.owner(data["code"])
    if package_id is None:
        raise tk.ObjectNotFound(tk._("No entry has the resource code {code}").format(code=data["code"]))
    return tk.get_action("package_show")(context, {"id": package_id})
