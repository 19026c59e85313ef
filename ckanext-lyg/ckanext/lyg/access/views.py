"""Blueprints of ``ckanext.lyg.access`` (re-exported by ``views.py``).

* the portal gate (:func:`gate`, run before every request): on the internal
  portal every page but login (and what the login page needs) requires a
  department, data-authority, secrecy-reviewer or sysadmin account — others
  get the login page, or a 401/403 on the API; no registration there. On the
  public portal the government-only pages (:data:`GOV_ONLY`) are absent (404);
* file downloads (``/dataset/<id>/resource/<rid>/download``) ask the rule for
  the ``data`` level and write data that is not unconditionally open to the
  audit log (:func:`wrap_download_views`, called by the plugin's IMiddleware);
* ``/ckan-admin/lyg-roles`` — who holds the roles (sysadmins edit them);
* ``/ckan-admin/lyg-audit`` (and ``.csv``) — the audit log, for the data authority.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckanext.lyg import portal
from ckanext.lyg.access import audit, auth, csrf, roles, rule
from flask import Blueprint, Response, request, stream_with_context

__all__ = ["access"]

access = Blueprint("lyg_access", __name__)

# endpoints anyone may reach on the internal portal (login and what it needs)
OPEN_ENDPOINTS = {
    "user.login", "user.logout", "user.logged_out_page", "user.request_reset", "user.perform_reset",
    "static", "api.i18n_js_translations", "home.robots_txt", "_debug_toolbar.static",
    "util.internal_redirect",
}
OPEN_PREFIXES = ("webassets.", "lyg_search_assets.")
# pages of the internal portal only (absent on the public portal)
# (the workflow's department queues check the portal themselves)
GOV_ONLY = {"lyg_access.roles", "lyg_access.audit", "lyg_access.audit_csv", "lyg_catalog.import"}
# harvest sources name the departments' systems: on the internal portal only
GOV_ONLY_PREFIXES: tuple[str, ...] = ("harvest.", "harvest_resource.", "harvester.")
GOV_ONLY_ACTION_PREFIX = "harvest_"


def _current() -> Any:
    return tk.current_user if tk.current_user.is_authenticated else None


def _is_api() -> bool:
    return (request.endpoint or "").startswith("api.") or request.path.startswith("/api/")


@access.before_app_request
def gate() -> Any:
    """Portal mode: who may use which page."""
    endpoint = request.endpoint or ""
    mode = portal.current()
    if mode == "public":
        if endpoint in GOV_ONLY or endpoint.startswith(GOV_ONLY_PREFIXES):
            return tk.abort(404)
        action = str((request.view_args or {}).get("logic_function") or "")
        if _is_api() and action.startswith(GOV_ONLY_ACTION_PREFIX):
            message = tk._("Action not found")
            return Response(json.dumps({"success": False, "error": {"__type": "Not Found Error",
                                                                     "message": message}},
                                       ensure_ascii=False), status=404, mimetype="application/json")
        return None
    # internal portal
    if endpoint == "user.register":
        return tk.abort(404)
    if endpoint in OPEN_ENDPOINTS or endpoint.startswith(OPEN_PREFIXES) or not endpoint:
        return None
    user = _current()
    if user is not None and roles.may_use_internal(user):
        return None
    if _is_api():
        status = 403 if user is not None else 401
        message = tk._("The sharing portal is for department staff") if user is not None \
            else tk._("Log in with a department account to use the sharing portal")
        return Response(json.dumps({"success": False, "error": {"__type": "Authorization Error",
                                                                 "message": message}}, ensure_ascii=False),
                        status=status, mimetype="application/json")
    if user is not None:
        from flask_login import logout_user

        logout_user()
        tk.h.flash_error(tk._("The sharing portal is for department staff"))
    return tk.redirect_to("user.login", came_from=request.full_path if request.method == "GET" else None)


def _download_gate(resource_id: str | None, package_id: str | None) -> Any:
    """A resource file is data: the rule must say ``data``; audit what is not open to all.

    Returns a response (404/403) or None to let CKAN's view serve the file."""
    res = model.Resource.get(resource_id or "")
    pkg = model.Package.get(res.package_id) if res is not None else None
    if res is None or pkg is None or res.state == "deleted" or \
            pkg.id != (model.Package.get(package_id or "") or pkg).id:
        return tk.abort(404, tk._("Resource not found"))
    entry = rule.entry(pkg)
    lvl = rule.decide(entry, rule.viewer(_current()))
    if lvl == rule.NONE:
        return tk.abort(404, tk._("Resource not found"))
    if lvl == rule.METADATA:
        return tk.abort(403, auth.refusal(pkg.id))
    if not rule.unconditionally_open(entry):
        audit.record(audit.DOWNLOAD, actor=getattr(_current(), "name", None), object_type="resource",
                     object_id=res.id, package_id=pkg.id,
                     detail={"url_type": res.url_type or "", "name": res.name or ""})
        model.Session.commit()
    return None


def wrap_download_views(app: Any) -> None:
    """Put :func:`_download_gate` in front of CKAN's download views (every
    dataset type's ``<type>_resource.download``), inside the request so the
    messages are in the request's language."""
    for endpoint, view in list(app.view_functions.items()):
        if not endpoint.endswith("resource.download") or getattr(view, "_lyg_gated", False):
            continue

        def gated(*args: Any, _view: Any = view, **kwargs: Any) -> Any:
            if rule.active():
                refused = _download_gate(kwargs.get("resource_id"), kwargs.get("id"))
                if refused is not None:
                    return refused
            return _view(*args, **kwargs)

        gated._lyg_gated = True  # type: ignore[attr-defined]
        app.view_functions[endpoint] = gated


def _context() -> dict[str, Any]:
    user = _current()
    return {"user": user.name if user else "", "auth_user_obj": user}


def roles_page() -> Any:
    """The roles of spec/access.md: config users (fixed) and page users (sysadmins edit)."""
    try:
        data = tk.get_action("lyg_roles_show")(_context(), {})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only the data authority can see the roles"))
    errors: dict[str, Any] = {}
    if request.method == "POST":
        for role in roles.ROLES:
            try:
                tk.get_action("lyg_roles_update")(_context(), {"role": role,
                                                               "users": request.form.get(role, "")})
            except tk.NotAuthorized:
                return tk.abort(403, tk._("Only a sysadmin can change roles"))
            except tk.ValidationError as exc:
                errors[role] = exc.error_dict.get("users") or exc.error_dict.get("role")
        if not errors:
            tk.h.flash_success(tk._("Roles saved"))
            return tk.redirect_to("lyg_access.roles")
        data = tk.get_action("lyg_roles_show")(_context(), {})
    return tk.render("lyg/access/roles.html", {
        "roles": data, "errors": errors, "form": request.form,
        "may_edit": roles.is_sysadmin(_current()),
    })


AUDIT_FILTERS = ("event", "actor", "portal", "object_type", "package_id", "since", "until")


def audit_page() -> Any:
    """The audit log with filters (data authority only)."""
    filters = {k: request.args.get(k, "").strip() for k in AUDIT_FILTERS if request.args.get(k, "").strip()}
    try:
        page = max(int(request.args.get("page", 1)), 1)
    except ValueError:
        page = 1
    per_page = 50
    errors: dict[str, Any] = {}
    try:
        result = tk.get_action("lyg_audit_list")(_context(), dict(filters, limit=per_page,
                                                                  offset=(page - 1) * per_page))
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only the data authority can read the audit log"))
    except tk.ValidationError as exc:
        errors = exc.error_dict
        result = {"count": 0, "results": []}
    return tk.render("lyg/access/audit.html", {
        "result": result, "filters": filters, "errors": errors, "page": page, "per_page": per_page,
        "events": audit.events(),
    })


def audit_csv() -> Any:
    """The audit log (with the page's filters) as CSV."""
    filters = {k: request.args.get(k, "").strip() for k in AUDIT_FILTERS if request.args.get(k, "").strip()}
    try:
        tk.check_access("lyg_audit_list", _context(), {})
        from ckanext.lyg.access.actions import _filters

        clean = _filters(filters)
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only the data authority can read the audit log"))
    except tk.ValidationError as exc:
        return tk.abort(400, "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.error_dict.items()))

    def rows():
        yield "\ufeff"  # BOM: Excel reads UTF-8 CSV
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(audit.COLUMNS)
        for row in audit.iter_rows(clean):
            writer.writerow([json.dumps(row[c], ensure_ascii=False) if c == "detail" else row[c]
                             for c in audit.COLUMNS])
            if out.tell() > 65536:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="lyg-audit.csv"'})


def request_new() -> Any:
    """``/catalog/request/new?package=<id>`` (the link of every refusal): the
    workflow's form for this portal — an open-data application on the public
    portal, a sharing request on the internal one."""
    package = request.args.get("package", "")
    if not package or rule.level(package, _current()) == rule.NONE:
        return tk.abort(404, tk._("Dataset not found"))  # hidden entries do not exist
    kind = "open" if portal.current() == "public" else "share"
    try:
        return tk.redirect_to("lyg_workflow.new", kind=kind, package=package)
    except Exception:  # noqa: BLE001 - werkzeug BuildError: the workflow pages are not there
        return tk.abort(404, tk._("Dataset not found"))


access.record_once(lambda state: csrf.remember_baseline(state.app))
access.after_app_request(csrf.forget_request_exemption)
access.add_url_rule("/catalog/request/new", view_func=request_new, endpoint="request_new")
access.add_url_rule("/ckan-admin/lyg-roles", view_func=roles_page, endpoint="roles", methods=["GET", "POST"])
access.add_url_rule("/ckan-admin/lyg-audit", view_func=audit_page, endpoint="audit")
access.add_url_rule("/ckan-admin/lyg-audit.csv", view_func=audit_csv, endpoint="audit_csv")
