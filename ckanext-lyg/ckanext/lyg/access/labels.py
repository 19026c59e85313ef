"""The access rule as CKAN permission labels (IPermissionLabels) for search,
counts, facets, autocomplete and activity; see :func:`rule.dataset_labels`.

Returns None when the rule is off (no catalog schema): the plugin then uses
CKAN's default labels.
"""

from __future__ import annotations

from typing import Any

from ckan import authz
from ckanext.lyg import portal
from ckanext.lyg.access import rule


def dataset_labels(dataset_obj: Any) -> list[str] | None:
    if not rule.active():
        return None
    entry = rule.entry(dataset_obj)
    if not entry.catalog:
        return None  # harvest sources and other types: CKAN's labels
    return rule.dataset_labels(entry)


def user_labels(user_obj: Any) -> list[str] | None:
    if not rule.active():
        return None
    return rule.user_labels(rule.viewer(user_obj))


def before_dataset_search(search_params: dict[str, Any]) -> dict[str, Any]:
    """CKAN searches without labels for sysadmins; on the public portal a
    sysadmin is limited to the public column like every other user."""
    if not rule.active() or portal.current() != "public":
        return search_params
    from ckan.common import current_user

    try:
        name = current_user.name if current_user and current_user.is_authenticated else ""
    except (AttributeError, RuntimeError):  # no request (CLI, jobs): the site user
        return search_params
    if name and authz.is_sysadmin(name):
        fq = search_params.get("fq") or ""
        search_params["fq"] = f"{fq} +permission_labels:{rule.PUBLIC}".strip()
    return search_params
