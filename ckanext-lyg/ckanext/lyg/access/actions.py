"""Actions of ``ckanext.lyg.access`` (re-exported by ``logic/action.py``).

* ``lyg_roles_show`` / ``lyg_roles_update`` — the data-authority and
  secrecy-reviewer roles (config lists are fixed, page lists are editable by
  sysadmins; every change audited);
* ``lyg_audit_list`` — the audit log, for the data authority;
* chained ``package_autocomplete``, ``group_list``, ``organization_list``:
  CKAN skips permission labels for sysadmins there; on the public portal a
  sysadmin is shown the public column like everyone else;
* chained activity lists: activities of entries the rule hides *now* are
  dropped (CKAN keeps the labels an activity had when it was written);
* chained ``tag_list``, ``tag_autocomplete``, ``format_autocomplete``: only
  the tags and formats of entries the user may see (CKAN lists those of every
  entry, hidden ones included).
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import authz, model
from ckan.lib.dictization import model_dictize
from ckan.types import Action, Context, DataDict
from ckanext.lyg import portal
from ckanext.lyg.access import audit, roles, rule

__all__ = ["lyg_roles_show", "lyg_roles_update", "lyg_audit_list",
           "package_autocomplete", "group_list", "organization_list", "package_list", "member_list",
           "resource_search", "tag_list", "tag_autocomplete", "format_autocomplete",
           "user_activity_list", "organization_activity_list", "group_activity_list",
           "recently_changed_packages_activity_list", "dashboard_activity_list"]


@tk.side_effect_free
def lyg_roles_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Who holds the roles of ``spec/access.md``.

    :returns: ``{role: {"config": [names], "page": [names]}}`` for the roles
        ``data_authority`` and ``secrecy_reviewer`` (sysadmins are the data
        authority too and are not listed)
    """
    tk.check_access("lyg_roles_show", context, data_dict)
    return {role: {"config": roles.configured_users(role), "page": roles.page_users(role)}
            for role in roles.ROLES}


def lyg_roles_update(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Set the users a role is given on the admin page (sysadmins only; audited).

    :param role: ``data_authority`` or ``secrecy_reviewer``
    :param users: user names (a list, or a string of names separated by spaces,
        commas or new lines); every name must be an existing user
    :returns: ``{"role", "users", "added", "removed"}``
    """
    tk.check_access("lyg_roles_update", context, data_dict)
    role = data_dict.get("role")
    if role not in roles.ROLES:
        raise tk.ValidationError({"role": [tk._("Unknown role: use data_authority or secrecy_reviewer")]})
    users = data_dict.get("users") or []
    if isinstance(users, str):
        users = users.replace(",", " ").split()
    if not isinstance(users, list) or not all(isinstance(u, str) for u in users):
        raise tk.ValidationError({"users": [tk._("Give a list of user names")]})
    unknown = [u for u in users if model.User.get(u) is None]
    if unknown:
        raise tk.ValidationError({"users": [tk._("No such user: {names}").format(names=", ".join(unknown))]})
    names = [model.User.get(u).name for u in users]
    added, removed = roles.set_page_users(role, names)
    actor = context.get("user")
    for name, event in [(n, audit.ROLE_GRANT) for n in added] + [(n, audit.ROLE_REVOKE) for n in removed]:
        audit.record(event, actor=actor, object_type="user", object_id=model.User.get(name).id
                     if model.User.get(name) else name, detail={"role": role, "user": name})
    if not context.get("defer_commit"):
        model.Session.commit()
    roles.forget()
    return {"role": role, "users": roles.page_users(role), "added": added, "removed": removed}


@tk.side_effect_free
def lyg_audit_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The audit log, newest first (data authority only).

    :param event, actor, portal, object_type, object_id, package_id: exact filters
    :param since, until: ISO dates (``until`` excluded)
    :param limit: rows per page (default 100, at most 1000); :param offset:
    :returns: ``{"count": total, "results": [rows]}``
    """
    tk.check_access("lyg_audit_list", context, data_dict)
    try:
        limit = min(int(data_dict.get("limit", 100)), 1000)
        offset = max(int(data_dict.get("offset", 0)), 0)
    except (TypeError, ValueError):
        raise tk.ValidationError({"limit": [tk._("Must be a whole number")]}) from None
    filters = _filters(data_dict)
    total, rows = audit.query(filters, limit=limit, offset=offset)
    return {"count": total, "results": rows}


def _filters(data_dict: DataDict) -> dict[str, Any]:
    import datetime as dt

    filters = {k: data_dict.get(k) for k in ("event", "actor", "portal", "object_type",
                                              "object_id", "package_id") if data_dict.get(k)}
    for key in ("since", "until"):
        value = data_dict.get(key)
        if value:
            try:
                filters[key] = dt.date.fromisoformat(str(value)[:10])
            except ValueError:
                raise tk.ValidationError({key: [tk._("Use a date like 2026-01-31")]}) from None
    return filters


# --- the public column for sysadmins on the public portal ---


def _public_sysadmin(context: Context) -> bool:
    if context.get("ignore_auth") or not rule.active() or portal.current() != "public":
        return False
    user = context.get("user")
    return bool(user) and authz.is_sysadmin(user)


@tk.chained_action
@tk.side_effect_free
def package_autocomplete(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    results = up_func(context, data_dict)
    if _public_sysadmin(context):
        v = rule.viewer(context.get("user"))
        results = [r for r in results if rule.level(r["name"], v=v) != rule.NONE]
    return results


def _hidden_ids(context: Context, keys: list[str], by: str = "id") -> set[str]:
    """Of these package ids (or names), those the rule hides from the user."""
    v = rule.viewer(context.get("auth_user_obj") or context.get("user"))
    column = model.Package.name if by == "name" else model.Package.id
    hidden: set[str] = set()
    for start in range(0, len(keys), 1000):
        chunk = keys[start:start + 1000]
        for pkg in model.Session.query(model.Package).filter(column.in_(chunk)):
            if rule.decide(rule.entry(pkg), v) == rule.NONE:
                hidden.add(pkg.name if by == "name" else pkg.id)
    return hidden


@tk.chained_action
@tk.side_effect_free
def package_list(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    """CKAN's ``package_list`` (every public, active name) without the entries the rule hides."""
    names = up_func(context, data_dict)
    if context.get("ignore_auth") or not rule.active() or not names:
        return names
    hidden = _hidden_ids(context, list(names), by="name")
    return [n for n in names if n not in hidden]


@tk.chained_action
@tk.side_effect_free
def member_list(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    """CKAN's ``member_list`` without the packages the rule hides."""
    members = up_func(context, data_dict)
    if context.get("ignore_auth") or not rule.active() or not members:
        return members
    ids = [m[0] for m in members if m[1] == "package"]
    hidden = _hidden_ids(context, ids) if ids else set()
    return [m for m in members if not (m[1] == "package" and m[0] in hidden)]


def _visible_values(context: Context, field: str) -> list[str] | None:
    """The values of ``field`` (tags, res_format) among the entries this user
    may see, most used first — the search engine's facet, under the same
    permission labels as every search; None when the rule is off."""
    if context.get("ignore_auth") or not rule.active():
        return None
    result = tk.get_action("package_search")(
        {"user": context.get("user") or "", "ignore_auth": False},
        {"q": "*:*", "rows": 0, "facet.field": [field], "facet.limit": -1,
         "include_private": True})
    return [item["name"] for item in result["search_facets"].get(field, {}).get("items", [])]


def _matching(values: list[str], q: str, limit: int | None) -> list[str]:
    """The values containing ``q`` (any case), in the order given."""
    q = q.lower()
    found = [v for v in values if q in v.lower()]
    return found[:limit] if limit else found


@tk.chained_action
@tk.side_effect_free
def tag_list(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    """CKAN's ``tag_list`` (free tags) without the tags only hidden entries carry."""
    tags = up_func(context, data_dict)
    if data_dict.get("vocabulary_id") or not tags:
        return tags
    visible = _visible_values(context, "tags")
    if visible is None:
        return tags
    keep = set(visible)
    return [t for t in tags if (t["name"] if isinstance(t, dict) else t) in keep]


@tk.chained_action
@tk.side_effect_free
def tag_autocomplete(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    """Tag suggestions from the entries the user may see."""
    if data_dict.get("vocabulary_id"):
        return up_func(context, data_dict)
    visible = _visible_values(context, "tags")
    if visible is None:
        return up_func(context, data_dict)
    tk.check_access("tag_autocomplete", context, data_dict)
    return _matching(sorted(visible), str(data_dict.get("q") or ""), int(data_dict.get("limit") or 10))


@tk.chained_action
@tk.side_effect_free
def format_autocomplete(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    """Resource-format suggestions from the entries the user may see."""
    visible = _visible_values(context, "res_format")
    if visible is None:
        return up_func(context, data_dict)
    tk.check_access("format_autocomplete", context, data_dict)
    # as CKAN answers: lower case, most used first
    formats = list(dict.fromkeys(v.lower() for v in visible))
    return _matching(formats, str(data_dict.get("q") or ""), int(data_dict.get("limit") or 5))


@tk.chained_action
@tk.side_effect_free
def resource_search(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    """CKAN's ``resource_search`` (every resource of public, active packages)
    without the resources of entries the rule hides; count and paging over
    what remains."""
    if context.get("ignore_auth") or not rule.active() or context.get("search_query"):
        return up_func(context, data_dict)
    try:
        offset = int(data_dict.get("offset") or 0)
        limit = int(data_dict["limit"]) if data_dict.get("limit") not in (None, "") else None
    except (TypeError, ValueError):
        raise tk.ValidationError({"limit": [tk._("Must be a whole number")]}) from None
    found = up_func(context, dict(data_dict, offset=0, limit=None))
    ids = list(dict.fromkeys(r["package_id"] for r in found["results"]))
    hidden = _hidden_ids(context, ids) if ids else set()
    kept = [r for r in found["results"] if r["package_id"] not in hidden]
    return {"count": len(kept), "results": kept[offset:offset + limit if limit is not None else None]}


def _with_public_counts(context: Context, data_dict: DataDict, result: Any) -> Any:
    if not _public_sysadmin(context) or not isinstance(result, list):
        return result
    if not any(isinstance(g, dict) and "package_count" in g for g in result):
        return result
    counts = model_dictize.get_group_dataset_counts(fq="entity_type:package",
                                                    permissions_labels=[rule.PUBLIC])
    for group in result:
        if isinstance(group, dict) and "package_count" in group:
            field = "owner_org" if group.get("is_organization") else "groups"
            by = counts.get(field, {})
            group["package_count"] = by.get(group["id"], by.get(group.get("name"), 0))
    return result


@tk.chained_action
@tk.side_effect_free
def group_list(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    return _with_public_counts(context, data_dict, up_func(context, data_dict))


@tk.chained_action
@tk.side_effect_free
def organization_list(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    return _with_public_counts(context, data_dict, up_func(context, data_dict))


def _filter_activities(context: Context, activities: Any) -> Any:
    """Drop activities of entries the rule hides now: CKAN filters by the labels
    an activity got when it was written (an entry since made not shared would
    still show) and not at all for sysadmins."""
    if context.get("ignore_auth") or not rule.active() or not isinstance(activities, list):
        return activities
    v = rule.viewer(context.get("auth_user_obj") or context.get("user"))
    levels: dict[str, str] = {}
    kept = []
    for act in activities:
        pkg_id = act.get("object_id") if "package" in str(act.get("activity_type", "")) else None
        if pkg_id:
            if pkg_id not in levels:
                pkg = model.Package.get(pkg_id)
                levels[pkg_id] = rule.decide(rule.entry(pkg), v) if pkg is not None else rule.NONE
            if levels[pkg_id] == rule.NONE:
                continue
        kept.append(act)
    return kept


def _activity_chain(name: str) -> Action:
    @tk.chained_action
    @tk.side_effect_free
    def chained(up_func: Action, context: Context, data_dict: DataDict) -> Any:
        return _filter_activities(context, up_func(context, data_dict))

    chained.__name__ = name
    chained.__doc__ = f"CKAN's ``{name}``; on the public portal without the entries the rule hides."
    return chained


user_activity_list = _activity_chain("user_activity_list")
organization_activity_list = _activity_chain("organization_activity_list")
group_activity_list = _activity_chain("group_activity_list")
recently_changed_packages_activity_list = _activity_chain("recently_changed_packages_activity_list")
dashboard_activity_list = _activity_chain("dashboard_activity_list")
# registered only when the activity plugin is loaded (access/registry.py)
ACTIVITY = ("user_activity_list", "organization_activity_list", "group_activity_list",
            "recently_changed_packages_activity_list", "dashboard_activity_list")


# --- DataStore reads of data that is not unconditionally open are audited ---


def _audit_datastore(context: Context, resource_ids: list[str], action: str) -> None:
    if not rule.active():
        return
    wrote = False
    for resource_id in dict.fromkeys(resource_ids):
        res = model.Resource.get(resource_id or "")
        pkg = model.Package.get(res.package_id) if res is not None else None
        if pkg is None or rule.unconditionally_open(rule.entry(pkg)):
            continue
        audit.record(audit.DATASTORE_READ, actor=context.get("user") or None, object_type="resource",
                     object_id=res.id, package_id=pkg.id, detail={"action": action})
        wrote = True
    if wrote:
        model.Session.commit()


@tk.chained_action
@tk.side_effect_free
def datastore_search(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    """CKAN's ``datastore_search`` (the rule is in its auth); rows of data that
    is not unconditionally open are audited."""
    result = up_func(context, data_dict)
    _audit_datastore(context, [result.get("resource_id") or data_dict.get("resource_id") or ""],
                     "datastore_search")
    return result


@tk.chained_action
@tk.side_effect_free
def datastore_search_sql(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    """CKAN's ``datastore_search_sql``; every table read is audited as above."""
    result = up_func(context, data_dict)
    _audit_datastore(context, list(context.get("table_names") or []), "datastore_search_sql")
    return result


# registered only when the datastore plugin is loaded (access/registry.py)
DATASTORE = {"datastore_search": datastore_search, "datastore_search_sql": datastore_search_sql}
