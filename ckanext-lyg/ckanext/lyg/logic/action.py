"""Actions of the lyg plugin (registered with ``tk.blanket.actions``)."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Action, ActionResult, Context, DataDict
from ckanext.lyg.catalog import codes, subfields
from ckanext.lyg.logic import schema

__all__ = ["lyg_catalog_show_by_code", "package_create", "package_update"]

STRUCTURED = ("info_items",)


def _nul_fields(value: Any, path: str) -> list[str]:
    """The fields of ``value`` whose text holds a NUL character."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _nul_fields(v, str(k) if not path else path)]
    if isinstance(value, (list, tuple)):
        return [f for v in value for f in _nul_fields(v, path)]
    return []


def _check_structure(data_dict: DataDict) -> None:
    """Repeating fields must be lists of records: CKAN's validation would
    otherwise stop with a DataError instead of a field error. Form rows
    (``info_items-<n>-name``) become a list in row order first. Text with a
    NUL character (which PostgreSQL cannot store) is a field error too."""
    bad = sorted(set(_nul_fields(data_dict, "")))
    if bad:
        raise tk.ValidationError({f: [tk._("Text must not contain a NUL character")] for f in bad})
    subfields.expand(data_dict)
    for key in STRUCTURED:
        value = data_dict.get(key)
        if value is None and key in data_dict:
            data_dict[key] = []
        elif value is not None and not (
            isinstance(value, list) and all(isinstance(row, dict) for row in value)
        ):
            raise tk.ValidationError({key: [tk._("Info items must be a list")]})


@tk.chained_action
def package_create(up_func: Action, context: Context, data_dict: DataDict) -> ActionResult.PackageCreate:
    _check_structure(data_dict)
    return up_func(context, data_dict)


@tk.chained_action
def package_update(up_func: Action, context: Context, data_dict: DataDict) -> ActionResult.PackageUpdate:
    _check_structure(data_dict)
    return up_func(context, data_dict)


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


# the access rule and the workflows keep their actions in their own packages
from ckanext.lyg.access import actions as _access_actions  # noqa: E402
from ckanext.lyg.registry import merge as _merge  # noqa: E402
from ckanext.lyg.workflow import actions as _workflow_actions  # noqa: E402

_merge(globals(), __all__, _access_actions, _workflow_actions)
