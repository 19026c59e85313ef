"""Auth functions of ``ckanext.lyg.access`` (re-exported by ``logic/auth.py``).

The chained ones put :mod:`.rule` in front of CKAN's own checks:

* ``package_show`` / ``resource_show`` — an entry the rule hides raises
  ``ObjectNotFound`` (a 404 in the API and on pages, never a 403) with a
  message that does not name it; everything reading an entry or a resource
  (pages, API, activity of an entry, DataStore metadata) goes through them;
* ``datastore_search`` / ``datastore_search_sql`` (when the ``datastore``
  plugin is loaded, see :data:`DATASTORE`) — rows only with the ``data`` level;
* ``user_create`` — no self-registration on the internal portal.

They are also checked for sysadmins (``auth_sysadmins_check``): on the public
portal a sysadmin gets the public column like anyone else.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import AuthFunction, AuthResult, Context, DataDict
from ckanext.lyg import portal
from ckanext.lyg.access import roles, rule

__all__ = ["package_show", "resource_show", "user_create",
           "lyg_roles_show", "lyg_roles_update", "lyg_audit_list"]


def not_found() -> tk.ObjectNotFound:
    return tk.ObjectNotFound(tk._("Dataset not found"))


def refusal(package_id: str) -> str:
    """The message for data refused on a visible entry: how to apply."""
    path = tk.h.url_for("/catalog/request/new") if _has_request() else "/catalog/request/new"
    url = f"{path}?package={package_id}"
    return tk._("The data of this entry is available on request. Apply at {url}").format(url=url)


def _has_request() -> bool:
    from flask import has_request_context

    return has_request_context()


def _user(context: Context) -> Any:
    return context.get("auth_user_obj") or context.get("user") or ""


def _package(context: Context, data_dict: DataDict) -> model.Package:
    pkg = context.get("package")
    if not isinstance(pkg, model.Package):
        pkg = model.Package.get(data_dict.get("id") or data_dict.get("name") or "")
    if pkg is None:
        raise not_found()
    return pkg


def _resource_package(resource_id: str) -> model.Package:
    res = model.Resource.get(resource_id or "")
    if res is None or res.state == "deleted":
        raise tk.ObjectNotFound(tk._("Resource not found"))
    pkg = model.Package.get(res.package_id)
    if pkg is None:
        raise tk.ObjectNotFound(tk._("Resource not found"))
    return pkg


def _ckan(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    """CKAN's own check, with its sysadmin bypass (our functions turn it off)."""
    if roles.is_sysadmin(context.get("user") or ""):
        return {"success": True}
    return next_auth(context, data_dict)


def _may_update(context: Context, pkg: model.Package) -> bool:
    from ckan import authz

    return bool(authz.is_authorized("package_update", dict(context), {"id": pkg.id}).get("success"))


def _after_rule(next_auth: AuthFunction, context: Context, data_dict: DataDict,
                v: rule.Viewer) -> AuthResult:
    if v.sysadmin or (v.portal == "internal" and v.authority):
        return {"success": True}  # the authority reads every entry (CKAN would ask for membership)
    return next_auth(context, data_dict)


@tk.chained_auth_function
@tk.auth_sysadmins_check
@tk.auth_allow_anonymous_access
def package_show(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    """The entry exists for this user (the rule does not answer ``none``)."""
    if not rule.active():
        return _ckan(next_auth, context, data_dict)
    pkg = _package(context, data_dict)
    if context.get("for_update") and _may_update(context, pkg):
        return {"success": True}  # writers read what they write (package_create/update/resource_*)
    v = rule.viewer(_user(context))
    if rule.decide(rule.entry(pkg), v) == rule.NONE:
        raise not_found()
    return _after_rule(next_auth, context, data_dict, v)


@tk.chained_auth_function
@tk.auth_sysadmins_check
@tk.auth_allow_anonymous_access
def resource_show(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    """A resource's description is metadata: shown when its entry is."""
    if not rule.active():
        return _ckan(next_auth, context, data_dict)
    pkg = _resource_package(data_dict.get("id") or data_dict.get("resource_id") or "")
    if context.get("for_update") and _may_update(context, pkg):
        return {"success": True}
    v = rule.viewer(_user(context))
    if rule.decide(rule.entry(pkg), v) == rule.NONE:
        raise tk.ObjectNotFound(tk._("Resource not found"))
    return _after_rule(next_auth, context, data_dict, v)


def _data(resource_id: str, context: Context) -> AuthResult:
    pkg = _resource_package(resource_id)
    lvl = rule.decide(rule.entry(pkg), rule.viewer(_user(context)))
    if lvl == rule.NONE:
        raise tk.ObjectNotFound(tk._("Resource not found"))
    if lvl == rule.METADATA:
        return {"success": False, "msg": refusal(pkg.id)}
    return {"success": True}


@tk.chained_auth_function
@tk.auth_sysadmins_check
@tk.auth_allow_anonymous_access
def datastore_search(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    """DataStore rows are data."""
    if rule.active():
        result = _data(data_dict.get("resource_id") or data_dict.get("id") or "", context)
        if not result["success"]:
            return result
    return _ckan(next_auth, context, data_dict)


@tk.chained_auth_function
@tk.auth_sysadmins_check
@tk.auth_allow_anonymous_access
def datastore_search_sql(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    """Every table an SQL query reads must be data for this user."""
    if rule.active():
        for name in context.get("table_names") or []:
            if model.Resource.get(name) is None:
                continue  # not a resource table: CKAN's own check refuses it
            result = _data(name, context)
            if not result["success"]:
                return result
    return _ckan(next_auth, context, data_dict)


DATASTORE = {"datastore_search": datastore_search, "datastore_search_sql": datastore_search_sql}


# --- activity (registered when the activity plugin is loaded) ---


def _activity_package_check(context: Context, activity_id: str) -> None:
    """An activity of an entry the rule hides (now, whatever its labels said
    when it was written) does not exist."""
    from ckanext.activity.model import Activity

    act = model.Session.get(Activity, activity_id or "")
    if act is None or "package" not in (act.activity_type or ""):
        return  # CKAN's own function answers
    pkg = model.Package.get(act.object_id)
    if pkg is not None and rule.decide(rule.entry(pkg), rule.viewer(_user(context))) == rule.NONE:
        raise tk.ObjectNotFound(tk._("Activity not found"))


def _activity_chain(name: str, key: str) -> AuthFunction:
    @tk.chained_auth_function
    @tk.auth_sysadmins_check
    @tk.auth_allow_anonymous_access
    def chained(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
        if rule.active():
            if key == "package":
                package_show(lambda c, d: {"success": True}, context, {"id": data_dict.get("id")})
            else:
                _activity_package_check(context, data_dict.get(key) or data_dict.get("id") or "")
        return _ckan(next_auth, context, data_dict)

    chained.__name__ = name
    return chained


ACTIVITY = {
    "package_activity_list": _activity_chain("package_activity_list", "package"),
    "activity_show": _activity_chain("activity_show", "id"),
    "activity_data_show": _activity_chain("activity_data_show", "id"),
    "activity_diff": _activity_chain("activity_diff", "id"),
}


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def user_create(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    """No self-registration on the internal portal (sysadmins still create users)."""
    if portal.current() == "internal":
        return {"success": False,
                "msg": tk._("Accounts of the sharing portal are created by the administrator")}
    return next_auth(context, data_dict)


def lyg_roles_show(context: Context, data_dict: DataDict) -> AuthResult:
    """The data authority sees who holds the roles."""
    return {"success": roles.is_data_authority(context.get("user") or "")}


def lyg_roles_update(context: Context, data_dict: DataDict) -> AuthResult:
    """Only sysadmins give or take roles."""
    return {"success": False, "msg": tk._("Only a sysadmin can change roles")}


def lyg_audit_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Only the data authority (and sysadmins) read the audit log."""
    if roles.is_data_authority(context.get("user") or ""):
        return {"success": True}
    return {"success": False, "msg": tk._("Only the data authority can read the audit log")}
