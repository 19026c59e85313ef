"""Roles of ``spec/access.md``: data authority, secrecy reviewer, department staff.

The data authority (数据主管部门) is every sysadmin plus the users named in
``ckanext.lyg.data_authority_users`` or added on the admin page
(``/ckan-admin/lyg-roles``); the secrecy reviewer (保密审查) is the users named in
``ckanext.lyg.secrecy_reviewer_users`` or added on that page. Users added on
the page are kept in CKAN's ``system_info`` table (keys :data:`SYSTEM_INFO_KEYS`,
a JSON list of user names), so roles change without code or config changes;
every change made there is written to the audit log (:mod:`.audit`).

``user`` is everywhere a user name, a ``model.User`` or None/"" (anonymous).
"""

from __future__ import annotations

import json
from typing import Any, Union

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import authz, model

UserLike = Union[str, "model.User", None]

DATA_AUTHORITY = "data_authority"
SECRECY_REVIEWER = "secrecy_reviewer"
ROLES = (DATA_AUTHORITY, SECRECY_REVIEWER)
CONFIG_KEYS = {
    DATA_AUTHORITY: "ckanext.lyg.data_authority_users",
    SECRECY_REVIEWER: "ckanext.lyg.secrecy_reviewer_users",
}
SYSTEM_INFO_KEYS = {
    DATA_AUTHORITY: "lyg.roles.data_authority",
    SECRECY_REVIEWER: "lyg.roles.secrecy_reviewer",
}


def user_name(user: UserLike) -> str:
    """The user name of ``user`` ("" for anonymous)."""
    if user is None:
        return ""
    if isinstance(user, str):
        return user
    if getattr(user, "is_anonymous", False) is True:
        return ""  # flask-login's anonymous user (current_user)
    return getattr(user, "name", "") or ""


def _user_obj(user: UserLike) -> model.User | None:
    if isinstance(user, model.User):
        return user
    name = user_name(user)
    return model.User.get(name) if name else None


def configured_users(role: str) -> list[str]:
    """The users the config file gives ``role`` (not changeable on the page)."""
    return list(tk.config.get(CONFIG_KEYS[role]) or [])


def page_users(role: str) -> list[str]:
    """The users the admin page gave ``role`` (``system_info``)."""
    cache = _request_cache()
    key = "page:" + role
    if cache is not None and key in cache:
        return cache[key]
    raw = model.Session.execute(
        sa.text("SELECT value FROM system_info WHERE key = :key AND state = 'active'"),
        {"key": SYSTEM_INFO_KEYS[role]},
    ).scalar()
    try:
        users = [str(u) for u in json.loads(raw)] if raw else []
    except ValueError:
        users = []
    if cache is not None:
        cache[key] = users
    return users


def role_users(role: str) -> list[str]:
    """Everyone holding ``role`` by config or by the admin page (not sysadmins)."""
    seen: dict[str, None] = {}
    for name in configured_users(role) + page_users(role):
        seen.setdefault(name, None)
    return list(seen)


def set_page_users(role: str, users: list[str]) -> tuple[list[str], list[str]]:
    """Store the page's list of ``role``; returns (added, removed).

    Writes in the caller's transaction; the caller audits and commits.
    """
    before = page_users(role)
    clean = list(dict.fromkeys(u.strip() for u in users if u and u.strip()))
    model.set_system_info(SYSTEM_INFO_KEYS[role], json.dumps(clean, ensure_ascii=False))
    cache = _request_cache()
    if cache is not None:
        cache.pop("page:" + role, None)
    return [u for u in clean if u not in before], [u for u in before if u not in clean]


def is_sysadmin(user: UserLike) -> bool:
    obj = user if isinstance(user, model.User) else None
    if obj is not None:
        return bool(obj.sysadmin) and obj.state == "active"
    name = user_name(user)
    return bool(name) and authz.is_sysadmin(name)


def is_data_authority(user: UserLike) -> bool:
    """Sysadmins and the users of the data-authority role."""
    name = user_name(user)
    if not name:
        return False
    return is_sysadmin(user) or name in role_users(DATA_AUTHORITY)


def is_secrecy_reviewer(user: UserLike) -> bool:
    """The users of the secrecy-reviewer role (sysadmins are not, by themselves)."""
    name = user_name(user)
    return bool(name) and name in role_users(SECRECY_REVIEWER)


def departments(user: UserLike) -> list[str]:
    """Ids of the active organizations ``user`` is a member, editor or admin of."""
    name = user_name(user)
    if not name:
        return []
    obj = _user_obj(user)
    if obj is None:
        return []
    ids = model.Session.execute(
        sa.text(
            "SELECT DISTINCT m.group_id FROM member m JOIN \"group\" g ON g.id = m.group_id"
            " WHERE m.table_name = 'user' AND m.table_id = :uid AND m.state = 'active'"
            " AND g.is_organization AND g.state = 'active' ORDER BY m.group_id"
        ),
        {"uid": obj.id},
    ).scalars().all()
    return list(ids)


def is_staff(user: UserLike) -> bool:
    """Department staff: a member of at least one department."""
    return bool(departments(user))


def may_use_internal(user: UserLike) -> bool:
    """Who may use the internal portal: department staff, the data authority
    (sysadmins included) and the secrecy reviewer."""
    return is_data_authority(user) or is_secrecy_reviewer(user) or is_staff(user)


def _request_cache() -> dict[str, Any] | None:
    """A dict living as long as the current request (None outside one)."""
    try:
        from flask import g, has_request_context
    except ImportError:  # pragma: no cover
        return None
    if not has_request_context():
        return None
    cache = getattr(g, "_lyg_roles", None)
    if cache is None:
        cache = {}
        g._lyg_roles = cache
    return cache


def forget() -> None:
    """Drop what this request cached (after a membership or role change)."""
    cache = _request_cache()
    if cache is not None:
        cache.clear()
