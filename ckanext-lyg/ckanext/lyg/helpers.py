"""Template helpers of the lyg plugin (registered with ``tk.blanket.helpers``)."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckanext.lyg import portal, reference

__all__ = ["lyg_site_title", "lyg_site_logo", "lyg_site_tagline", "lyg_portal", "lyg_icp", "lyg_host_org",
           "lyg_databases"]  # fmt: skip


def lyg_site_title() -> str:
    """The portal's title in the request's language."""
    return portal.site_title()


def lyg_site_logo() -> str:
    """A logo configured by the operator, or "" (CKAN's own logo is not shown)."""
    logo = tk.config.get("ckan.site_logo") or ""
    return "" if logo.endswith("/base/images/ckan-logo.png") else logo


def lyg_site_tagline() -> str:
    """One line under the title saying what the portal is for."""
    return tk._(portal.DESCRIPTIONS[portal.current()])


def lyg_portal() -> str:
    """``public`` or ``internal``."""
    return portal.current()


def lyg_icp() -> str:
    """The ICP filing number shown in the footer (may be empty)."""
    return tk.config.get("ckanext.lyg.icp")


def lyg_host_org() -> str:
    """The organisation running the portal (主办单位)."""
    return tk.config.get("ckanext.lyg.host_org")


def lyg_databases(catalog_class: str) -> list[dict[str, Any]]:
    """The basic (``"1"``) or thematic (``"2"``) databases: group name and title."""
    chinese = tk.h.lang().startswith("zh")
    return [
        {"name": item["group"],
         "title": item["group_title"] if chinese else item.get("group_title_en") or item["group_title"]}
        for item in reference.group_items()
        if item["catalog_class"] == catalog_class
    ]  # fmt: skip
