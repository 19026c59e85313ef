"""Template helpers of the access rule (merged into the lyg helpers by ``plugin.py``)."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckanext.lyg import portal
from ckanext.lyg.access import roles, rule

__all__ = ["lyg_access_level", "lyg_data_allowed", "lyg_request_url", "lyg_is_secrecy_reviewer",
           "lyg_may_read_audit", "lyg_is_staff"]


def _user() -> Any:
    return tk.current_user if tk.current_user.is_authenticated else None


def lyg_access_level(pkg: dict[str, Any] | str) -> str:
    """``none`` / ``metadata`` / ``data`` of the current user for an entry."""
    return rule.level(pkg, _user())


def lyg_data_allowed(pkg: dict[str, Any] | str) -> bool:
    """True when the current user may get the entry's data (files, previews, API rows)."""
    return lyg_access_level(pkg) == rule.DATA


def lyg_request_url(pkg: dict[str, Any]) -> str:
    """Where to apply for an entry's data (the workflow's request page)."""
    return tk.h.url_for("/catalog/request/new") + "?package=" + str(pkg.get("id") or "")


def lyg_is_secrecy_reviewer() -> bool:
    return roles.is_secrecy_reviewer(_user())


def lyg_may_read_audit() -> bool:
    """The data authority, on the internal portal (the admin pages are not on the public one)."""
    return portal.current() == "internal" and roles.is_data_authority(_user())


def lyg_is_staff() -> bool:
    """Department staff (a member of at least one department)."""
    return roles.is_staff(_user())
