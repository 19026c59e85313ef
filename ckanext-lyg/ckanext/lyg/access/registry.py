"""What the lyg plugin registers with the blanket decorators, plus what exists
only with another plugin loaded (DataStore auth, activity list filters)."""

from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk


def _datastore(chains: dict[str, Any]) -> dict[str, Any]:
    """The DataStore chains of what the datastore plugin offers here:
    ``datastore_search_sql`` exists only with SQL search switched on."""
    if not p.plugin_loaded("datastore"):
        return {}
    if tk.asbool(tk.config.get("ckan.datastore.sqlsearch.enabled")):
        return dict(chains)
    return {k: v for k, v in chains.items() if k != "datastore_search_sql"}


def _members(module: Any) -> dict[str, Any]:
    return {name: getattr(module, name) for name in module.__all__}


def helpers() -> dict[str, Any]:
    from ckanext.lyg import helpers as lyg_helpers
    from ckanext.lyg.access import helpers as access_helpers

    return {**_members(lyg_helpers), **_members(access_helpers)}


def actions() -> dict[str, Any]:
    from ckanext.lyg.access import actions as access_actions
    from ckanext.lyg.logic import action

    found = _members(action)
    if not p.plugin_loaded("activity"):
        for name in access_actions.ACTIVITY:
            found.pop(name, None)
    found.update(_datastore(access_actions.DATASTORE))
    return found


def auth_functions() -> dict[str, Any]:
    from ckanext.lyg.access import auth as access_auth
    from ckanext.lyg.logic import auth

    found = _members(auth)
    found.update(_datastore(access_auth.DATASTORE))
    if p.plugin_loaded("activity"):
        found.update(access_auth.ACTIVITY)
    return found
