"""Shared pieces of the workflow actions and auth functions: who may do what
with a request, which entries may be requested, how a request is shown.

Requests are rows of ``lyg_workflow_request`` (:mod:`.tables`); an entry is a
``model.Package`` carrying the catalog fields in ``extras``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import authz, model
from ckanext.lyg.access import roles
from ckanext.lyg.workflow import grants, tables


def N_(message: str) -> str:
    """Mark a message for extraction; translated where it is shown."""
    return message


DECIDER_CAPACITIES = ("admin", "editor")
KIND_LABELS = {"share": N_("Sharing request"), "open": N_("Open-data application")}
STATE_LABELS = {
    "pending": N_("Pending"),
    "approved": N_("Approved"),
    "refused": N_("Refused"),
    "withdrawn": N_("Withdrawn"),
    "expired": N_("Expired"),
}


def user_obj(user: str | model.User | None) -> model.User | None:
    if isinstance(user, model.User):
        return user
    if not user:
        return None
    account = model.User.get(user)
    return account if account is not None and account.state == "active" else None


def capacity(user: model.User, org_id: str) -> str | None:
    """The user's capacity in a department (admin / editor / member) or None."""
    return authz.users_role_for_group_or_org(org_id, user.name)


def get_request(request_id: str) -> dict[str, Any] | None:
    if not request_id:
        return None
    row = model.Session.execute(
        sa.select(tables.request).where(tables.request.c.id == str(request_id))).mappings().first()
    return dict(row) if row else None


def get_request_for_update(request_id: str) -> dict[str, Any] | None:
    """The request row, locked until the transaction ends (two deciders queue)."""
    row = model.Session.execute(
        sa.select(tables.request).where(tables.request.c.id == str(request_id)).with_for_update()
    ).mappings().first()
    return dict(row) if row else None


def is_participant(user: model.User, req: dict[str, Any]) -> bool:
    """The applicant, staff of the requesting or providing department, the
    data authority: who may read a request."""
    if req["requester_user_id"] == user.id or roles.is_data_authority(user):
        return True
    depts = set(roles.departments(user))
    return req["provider_org_id"] in depts or (req["requester_org_id"] or "") in depts


def decide_problem(user: model.User | None, req: dict[str, Any]) -> str | None:
    """Why ``user`` may not approve or refuse ``req`` (None: may)."""
    if user is None:
        return N_("Log in to decide on a request")
    if req["requester_user_id"] == user.id:
        return N_("You cannot decide on your own request")
    if req["requester_org_id"] and req["requester_org_id"] in roles.departments(user):
        return N_("You cannot decide on a request of your own department")
    if capacity(user, req["provider_org_id"]) not in DECIDER_CAPACITIES:
        return N_("Only editors and admins of the providing department decide on this request")
    return None


def entry_problem(pkg: model.Package, kind: str) -> tuple[str, str] | None:
    """(field, message) when the entry cannot be requested in this workflow."""
    extras = pkg.extras or {}
    if pkg.state != "active" or pkg.type != "dataset" or not pkg.owner_org:
        return "package_id", N_("This entry cannot be requested")
    if kind == "share" and extras.get("share_type") != "conditional":
        return "package_id", N_("Only entries shared conditionally (有条件共享) take a sharing request")
    if kind == "open" and extras.get("open_type") != "conditional":
        return "package_id", N_("Only entries open conditionally (有条件开放) take an open-data application")
    return None


def open_requests(kind: str, package_id: str, *, user_id: str | None = None,
                  org_id: str | None = None) -> list[dict[str, Any]]:
    """The requester's pending or still valid approved requests for the entry."""
    r = tables.request
    cond = [r.c.kind == kind, r.c.package_id == package_id,
            sa.or_(r.c.state == "pending",
                   sa.and_(r.c.state == "approved", r.c.end_date >= grants.today()))]
    cond.append(r.c.requester_org_id == org_id if kind == "share" else r.c.requester_user_id == user_id)
    return [dict(row) for row in model.Session.execute(sa.select(r).where(*cond)).mappings()]


def requester_problem(user: model.User | None, kind: str, pkg: model.Package | None = None,
                      org_id: str | None = None) -> tuple[str, str] | None:
    """(field, message) when ``user`` may not file a ``kind`` request (for
    ``org_id``, on ``pkg`` when given)."""
    if user is None:
        return "user", N_("Log in to apply")
    depts = roles.departments(user)
    if kind == "share":
        if not depts:
            return "requester_org", N_("Sharing requests are made by department staff")
        if org_id and org_id not in depts:
            return "requester_org", N_("You are not a member of this department")
        if pkg is not None and org_id and pkg.owner_org == org_id:
            return "requester_org", N_("Your department provides this entry: it needs no request")
    elif kind == "open":
        if depts:
            return "kind", N_("Open-data applications are made by public users; "
                              "departments file sharing requests")
    if pkg is not None:
        problem = entry_problem(pkg, kind)
        if problem:
            return problem
        if kind == "open" or org_id:
            if open_requests(kind, pkg.id, user_id=user.id, org_id=org_id):
                return "package_id", N_("There is already a pending or approved request for this entry")
    return None


def default_org(user: model.User, pkg: model.Package | None = None) -> str | None:
    """The department a sharing request is made for when none is named: the
    user's only department (other than the provider)."""
    depts = [d for d in roles.departments(user) if pkg is None or d != pkg.owner_org]
    return depts[0] if len(depts) == 1 else None


def _org_brief(org_id: str | None) -> dict[str, Any] | None:
    if not org_id:
        return None
    org = model.Group.get(org_id)
    if org is None:
        return {"id": org_id, "name": org_id, "title": org_id}
    return {"id": org.id, "name": org.name, "title": org.title or org.name}


def dictize(req: dict[str, Any], today: dt.date | None = None) -> dict[str, Any]:
    """A request as the actions return it."""
    today = today or grants.today()
    pkg = model.Package.get(req["package_id"])
    user = model.User.get(req["requester_user_id"])
    decider = model.User.get(req["decided_by"]) if req.get("decided_by") else None
    state = req["state"]
    kind_label, state_label = KIND_LABELS[req["kind"]], STATE_LABELS[state]
    return {
        "id": req["id"],
        "kind": req["kind"],
        "kind_label": tk._(kind_label),
        "package_id": req["package_id"],
        "package_name": pkg.name if pkg else None,
        "package_title": pkg.title if pkg else None,
        "resource_code": (pkg.extras or {}).get("resource_code") if pkg else None,
        "provider_org": _org_brief(req["provider_org_id"]),
        "requester": user.name if user else None,
        "requester_display_name": user.display_name if user else None,
        "requester_org": _org_brief(req["requester_org_id"]),
        "purpose": req["purpose"],
        "fields": list(req["fields"] or []),
        "basis": req["basis"],
        "end_date": req["end_date"].isoformat(),
        "state": state,
        "state_label": tk._(state_label),
        "created": req["created"].isoformat(),
        "due_date": req["due_date"].isoformat(),
        "overdue": state == "pending" and today > req["due_date"],
        "grants_access": state == "approved" and req["end_date"] >= today,
        "decided": req["decided"].isoformat() if req.get("decided") else None,
        "decided_by": decider.name if decider else None,
        "reason": req.get("reason"),
    }


def info_item_names(pkg: model.Package) -> list[str]:
    import json

    raw = (pkg.extras or {}).get("info_items") or "[]"
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return []
    return [str(i.get("name")) for i in items if isinstance(i, dict) and i.get("name")]
