"""Blueprints of ``ckanext.lyg.workflow`` (re-exported by ``views.py``).

Pages (all under ``/workflow``):

* ``/workflow/mine`` — 我的申请: my requests and applications, my notices;
* ``/workflow/new/<kind>/<package>`` — the request form (``share`` on the
  internal portal, ``open`` on the public portal);
* ``/workflow/request/<id>`` — one request, with approve / refuse / withdraw;
* ``/workflow/queue`` — the providing department's queue, due dates, overdue
  highlighted (internal portal);
* ``/workflow/overdue`` — every overdue request (data authority; internal);
* ``/workflow/reviews`` — the not-shared review queue (data authority and
  secrecy reviewer; internal).

Every POST carries CKAN's CSRF token (``h.csrf_input()``); the decisions are
the actions of :mod:`.actions`, which check who may take them.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckanext.lyg import portal
from ckanext.lyg.access import roles
from ckanext.lyg.workflow import logic
from ckanext.lyg.workflow.logic import N_
from flask import Blueprint, request

__all__ = ["workflow"]

workflow = Blueprint("lyg_workflow", __name__, url_prefix="/workflow")

KIND_PORTAL = {"share": "internal", "open": "public"}


def _context() -> dict[str, Any]:
    return {"user": tk.current_user.name if tk.current_user.is_authenticated else ""}


def _login_first() -> Any:
    return tk.redirect_to("user.login", came_from=request.full_path)


def _internal_only() -> None:
    if portal.current() != "internal":
        tk.abort(404)


def _render(template: str, **extra: Any) -> str:
    user = tk.current_user.name if tk.current_user.is_authenticated else ""
    nav = {
        "is_staff": roles.is_staff(user),
        "is_authority": roles.is_data_authority(user),
        "is_reviewer": roles.is_data_authority(user) or roles.is_secrecy_reviewer(user),
        "internal": portal.current() == "internal",
    }
    return tk.render(template, extra_vars={"nav": nav, **extra})


def mine() -> Any:
    """我的申请."""
    if not tk.current_user.is_authenticated:
        return _login_first()
    state = request.args.get("state", "")
    try:
        result = tk.get_action("lyg_request_list")(_context(), {"scope": "mine", "state": state})
        notices = tk.get_action("lyg_notice_list")(_context(), {"limit": 20})
    except tk.ValidationError:
        return tk.abort(400, tk._("Bad filter"))
    return _render("lyg/workflow/mine.html", result=result, notices=notices, state=state)


def queue() -> Any:
    """The providing department's queue (待办)."""
    _internal_only()
    if not tk.current_user.is_authenticated:
        return _login_first()
    state = request.args.get("state", "pending")
    try:
        result = tk.get_action("lyg_request_list")(
            _context(), {"scope": "queue", "state": "" if state == "all" else state,
                         "organization": request.args.get("organization", "")})
    except tk.ValidationError:
        return tk.abort(400, tk._("Bad filter"))
    return _render("lyg/workflow/queue.html", result=result, state=state)


def overdue() -> Any:
    """Every overdue request (data authority)."""
    _internal_only()
    if not tk.current_user.is_authenticated:
        return _login_first()
    try:
        result = tk.get_action("lyg_request_list")(_context(), {"scope": "overdue", "limit": 1000})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only the data authority sees every request"))
    return _render("lyg/workflow/overdue.html", result=result)


def new(kind: str, package: str) -> Any:
    """The request / application form."""
    if kind not in KIND_PORTAL or portal.current() != KIND_PORTAL[kind]:
        return tk.abort(404)
    if not tk.current_user.is_authenticated:
        return _login_first()
    try:
        pkg = tk.get_action("package_show")(_context(), {"id": package})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Dataset not found"))
    user = model.User.get(tk.current_user.name)
    departments = [model.Group.get(d) for d in roles.departments(user) if d != pkg.get("owner_org")]
    errors: dict[str, Any] = {}
    data: dict[str, Any] = {"kind": kind, "package_id": pkg["id"]}
    if request.method == "POST":
        form = request.form
        data.update(purpose=form.get("purpose", ""), basis=form.get("basis", ""),
                    end_date=form.get("end_date", ""), fields=form.getlist("fields"))
        if kind == "share":
            data["requester_org"] = form.get("requester_org", "")
        try:
            req = tk.get_action("lyg_request_create")(_context(), dict(data))
        except tk.ValidationError as err:
            errors = err.error_dict
        except tk.NotAuthorized as err:
            return tk.abort(403, str(err) or tk._("Not authorized"))
        else:
            tk.h.flash_success(tk._("Your request has been filed; it is due by {due}").format(
                due=req["due_date"]))
            return tk.redirect_to("lyg_workflow.request_read", id=req["id"])
    else:
        allowed = tk.h.check_access("lyg_request_create", {"package_id": pkg["id"], "kind": kind})
        if not allowed:
            try:
                tk.check_access("lyg_request_create", _context(), {"package_id": pkg["id"], "kind": kind})
            except tk.NotAuthorized as err:
                errors = {"package_id": [str(err)]}
    kind_label = logic.KIND_LABELS[kind]
    items = [i.get("name") for i in pkg.get("info_items") or [] if isinstance(i, dict) and i.get("name")]
    return _render("lyg/workflow/new.html", pkg=pkg, kind=kind, data=data, errors=errors,
                   departments=[d for d in departments if d is not None], info_items=items,
                   kind_label=tk._(kind_label))


def read(id: str) -> Any:
    """One request."""
    if not tk.current_user.is_authenticated:
        return _login_first()
    try:
        req = tk.get_action("lyg_request_show")(_context(), {"id": id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Request not found"))
    except tk.NotAuthorized:
        return tk.abort(404, tk._("Request not found"))
    return _render("lyg/workflow/request.html", req=req, errors={})


ACTIONS = {"approve": "lyg_request_approve", "refuse": "lyg_request_refuse",
           "withdraw": "lyg_request_withdraw"}
DONE = {"approve": N_("The request is approved"), "refuse": N_("The request is refused"),
        "withdraw": N_("The request is withdrawn")}


def decide(id: str, action: str) -> Any:
    """Approve, refuse or withdraw (POST)."""
    if action not in ACTIONS:
        return tk.abort(404)
    if not tk.current_user.is_authenticated:
        return _login_first()
    try:
        tk.get_action(ACTIONS[action])(_context(), {"id": id, "reason": request.form.get("reason", "")})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Request not found"))
    except tk.NotAuthorized as err:
        return tk.abort(403, str(err) or tk._("Not authorized"))
    except tk.ValidationError as err:
        try:
            req = tk.get_action("lyg_request_show")(_context(), {"id": id})
        except (tk.ObjectNotFound, tk.NotAuthorized):
            return tk.abort(404, tk._("Request not found"))
        return _render("lyg/workflow/request.html", req=req, errors=err.error_dict, action=action), 400
    done = DONE[action]
    tk.h.flash_success(tk._(done))
    return tk.redirect_to("lyg_workflow.request_read", id=id)


def reviews() -> Any:
    """The not-shared review queue (不予共享认定)."""
    _internal_only()
    if not tk.current_user.is_authenticated:
        return _login_first()
    try:
        result = tk.get_action("lyg_share_review_list")(_context(), {})
    except tk.NotAuthorized as err:
        return tk.abort(403, str(err))
    return _render("lyg/workflow/reviews.html", result=result, errors={}, failed=None)


def review(package_id: str, decision: str) -> Any:
    """Confirm or reject a not-shared designation (POST)."""
    _internal_only()
    if decision not in ("confirm", "reject"):
        return tk.abort(404)
    if not tk.current_user.is_authenticated:
        return _login_first()
    form = request.form
    data = {"package_id": package_id, "reason": form.get("reason", "")}
    if decision == "reject":
        for key in ("share_type", "share_condition", "share_mode_class", "share_mode_type"):
            data[key] = form.get(key, "")
    try:
        tk.get_action(f"lyg_share_review_{decision}")(_context(), data)
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Dataset not found"))
    except tk.NotAuthorized as err:
        return tk.abort(403, str(err))
    except tk.ValidationError as err:
        result = tk.get_action("lyg_share_review_list")(_context(), {})
        return _render("lyg/workflow/reviews.html", result=result, errors=err.error_dict,
                       failed=package_id, data=data), 400
    tk.h.flash_success(tk._("The not-shared designation is confirmed") if decision == "confirm"
                       else tk._("The not-shared designation is rejected"))
    return tk.redirect_to("lyg_workflow.reviews")


@workflow.app_context_processor
def _template_functions() -> dict[str, Any]:
    """``lyg_workflow_notices(n)`` for the dashboard template."""

    def notices(limit: int = 5) -> list[dict[str, Any]]:
        if not tk.current_user.is_authenticated:
            return []
        return tk.get_action("lyg_notice_list")(_context(), {"limit": limit})

    return {"lyg_workflow_notices": notices}


workflow.add_url_rule("/mine", view_func=mine, endpoint="mine")
workflow.add_url_rule("/queue", view_func=queue, endpoint="queue")
workflow.add_url_rule("/overdue", view_func=overdue, endpoint="overdue")
workflow.add_url_rule("/new/<kind>/<package>", view_func=new, endpoint="new", methods=["GET", "POST"])
workflow.add_url_rule("/request/<id>", view_func=read, endpoint="request_read")
workflow.add_url_rule("/request/<id>/<action>", view_func=decide, endpoint="decide", methods=["POST"])
workflow.add_url_rule("/reviews", view_func=reviews, endpoint="reviews")
workflow.add_url_rule("/reviews/<package_id>/<decision>", view_func=review, endpoint="review",
                      methods=["POST"])
