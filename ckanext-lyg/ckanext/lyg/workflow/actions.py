"""Actions of ``ckanext.lyg.workflow`` (re-exported by ``logic/action.py``).

Sharing requests (有条件共享申请, ``kind = share``) and open-data
applications (有条件开放申请, ``kind = open``):

* ``lyg_request_create`` → ``pending`` (due in 10 working days, :mod:`.workdays`);
* ``lyg_request_approve`` / ``lyg_request_refuse`` by the providing department
  (editors and admins) → ``approved`` (grants data access until ``end_date``,
  :mod:`.grants`) / ``refused``;
* ``lyg_request_withdraw`` by the applicant while pending → ``withdrawn``;
* ``lyg_request_expire`` (``ckan lyg workflow expire``) → approved requests
  whose period has ended become ``expired`` (their access had already stopped);
* ``lyg_request_list`` / ``lyg_request_show``.

The not-shared review (不予共享认定): ``lyg_share_review_list`` (entries held
待认定 and past decisions), ``lyg_share_review_confirm``,
``lyg_share_review_reject`` (sets the sharing type the entry gets).

Every decision is written to the audit log (:mod:`ckanext.lyg.access.audit`)
in the decision's own transaction; the department or applicant gets a
dashboard notice (``lyg_notice_list``) and, when SMTP is configured, an e-mail.
Bad input is a field-level ``ValidationError``; a forbidden actor gets
``NotAuthorized``; a transition the request's state does not allow (approving
twice, withdrawing after a decision …) is a ``ValidationError`` on ``state``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckan.types import Context, DataDict
from ckanext.lyg.access import audit, roles
from ckanext.lyg.workflow import grants, logic, notify, tables, workdays
from ckanext.lyg.workflow.logic import N_

__all__ = [
    "lyg_request_create", "lyg_request_show", "lyg_request_list", "lyg_request_approve",
    "lyg_request_refuse", "lyg_request_withdraw", "lyg_request_expire",
    "lyg_share_review_list", "lyg_share_review_confirm", "lyg_share_review_reject",
    "lyg_notice_list",
]  # fmt: skip

MAX_TEXT = 2000
MAX_FIELDS = 500


def _config_int(key: str) -> int:
    return int(tk.config.get(key))


def _text(value: Any) -> str:
    if value is None or value is tk.missing:
        return ""
    return str(value).strip()


def _fail(errors: dict[str, list[str]]) -> None:
    if errors:
        raise tk.ValidationError(errors)


def _add(errors: dict[str, list[str]], key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def _required_text(data: DataDict, key: str, errors: dict[str, list[str]], *,
                   required: bool = True) -> str:
    value = data.get(key)
    if value is not None and not isinstance(value, str | int | float):
        _add(errors, key, tk._("Enter text"))
        return ""
    text = _text(value)
    if required and not text:
        _add(errors, key, tk._("Missing value"))
    elif len(text) > MAX_TEXT:
        _add(errors, key, tk._("At most {count} characters").format(count=MAX_TEXT))
    return text


def _date(data: DataDict, key: str, errors: dict[str, list[str]]) -> dt.date | None:
    value = data.get(key)
    if value in (None, "") or value is tk.missing:
        _add(errors, key, tk._("Missing value"))
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        _add(errors, key, tk._("Enter a date as YYYY-MM-DD"))
        return None


def _fields(data: DataDict, errors: dict[str, list[str]]) -> list[str]:
    value = data.get("fields")
    if value in (None, "") or value is tk.missing:
        return []
    if isinstance(value, str):
        parts = value.replace("，", ",").replace("、", ",").replace("\n", ",").split(",")
        value = [part.strip() for part in parts if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        _add(errors, "fields", tk._("A list of info item names"))
        return []
    names = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(names) > MAX_FIELDS:
        _add(errors, "fields", tk._("At most {count} info items").format(count=MAX_FIELDS))
    return names


def _url(path: str) -> str:
    """An absolute link for notices and mail (also outside a request)."""
    return tk.config.get("ckan.site_url").rstrip("/") + path


def _actor(context: Context) -> model.User | None:
    return logic.user_obj(context.get("user") or "")


def _actor_name(context: Context) -> str | None:
    user = _actor(context)
    return user.name if user else (context.get("user") or None)


def _commit(context: Context, outbox: notify.Outbox | None = None) -> None:
    if not context.get("defer_commit"):
        model.repo.commit()
        if outbox is not None:
            outbox.send()


def _package(package_id: Any, errors: dict[str, list[str]], context: Context) -> model.Package | None:
    """The entry, when the user may see it (a hidden entry reads as missing)."""
    ref = _text(package_id)
    if not ref:
        _add(errors, "package_id", tk._("Missing value"))
        return None
    pkg = model.Package.get(ref)
    if pkg is not None and pkg.state == "active":
        try:
            tk.get_action("package_show")(
                {"user": context.get("user") or "", "for_view": False}, {"id": pkg.id})
            return pkg
        except (tk.ObjectNotFound, tk.NotAuthorized):
            pass
    _add(errors, "package_id", tk._("Not found: no entry {ref}").format(ref=ref))
    return None


def _request_or_404(data_dict: DataDict, *, lock: bool = False) -> dict[str, Any]:
    request_id = _text(data_dict.get("id"))
    if not request_id:
        raise tk.ValidationError({"id": [tk._("Missing value")]})
    req = logic.get_request_for_update(request_id) if lock else logic.get_request(request_id)
    if req is None:
        raise tk.ObjectNotFound(tk._("Request not found"))
    return req


def _state_error(req: dict[str, Any]) -> tk.ValidationError:
    label = logic.STATE_LABELS[req["state"]]
    message = tk._("This request is {state}: it can no longer change").format(state=tk._(label))
    return tk.ValidationError({"state": [message]})


# --- requests ----------------------------------------------------------------


def lyg_request_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """File a sharing request (``kind = share``, by department staff for their
    department) or an open-data application (``kind = open``, by a public user).

    :param package_id: the entry (id or name); it must be shared conditionally
        (share) or open conditionally (open)
    :param kind: ``share`` or ``open`` (default ``share``)
    :param requester_org: the requesting department (id or name; share only;
        default: the user's only department)
    :param purpose: what the data is for
    :param fields: the info items needed (names of the entry's info items; a
        list or a comma-separated string)
    :param basis: the legal or policy basis (申请依据)
    :param end_date: the last day of the period of use (``YYYY-MM-DD``, after
        today, at most ``ckanext.lyg.workflow.max_period_days`` ahead)
    :returns: the request (``lyg_request_show``), ``pending``, with its
        ``due_date`` (10 working days)
    """
    kind = _text(data_dict.get("kind")) or "share"
    if kind not in tables.KINDS:
        message = tk._("Value must be one of {values}").format(values="share, open")
        raise tk.ValidationError({"kind": [message]})
    tk.check_access("lyg_request_create", context, {"kind": kind})
    user = _actor(context)
    assert user is not None  # the auth function wants a user
    errors: dict[str, list[str]] = {}
    pkg = _package(data_dict.get("package_id"), errors, context)
    org_id = None
    if kind == "share":
        ref = _text(data_dict.get("requester_org"))
        if ref:
            org = model.Group.get(ref)
            if org is None or not org.is_organization or org.state != "active":
                _add(errors, "requester_org", tk._("Not found: no department {ref}").format(ref=ref))
            else:
                org_id = org.id
        else:
            org_id = logic.default_org(user, pkg)
            if org_id is None:
                _add(errors, "requester_org", tk._("Choose the department you apply for"))
    purpose = _required_text(data_dict, "purpose", errors)
    basis = _required_text(data_dict, "basis", errors)
    fields = _fields(data_dict, errors)
    end_date = _date(data_dict, "end_date", errors)
    today = grants.today()
    if end_date is not None:
        longest = _config_int("ckanext.lyg.workflow.max_period_days")
        if end_date <= today:
            _add(errors, "end_date", tk._("The period must end after today"))
        elif end_date > today + dt.timedelta(days=longest):
            _add(errors, "end_date", tk._("The period may last at most {days} days").format(days=longest))
    if pkg is not None:
        known = logic.info_item_names(pkg)
        if known:
            if not fields and "fields" not in errors:
                _add(errors, "fields", tk._("Choose the info items you need"))
            unknown = [f for f in fields if f not in known]
            if unknown:
                _add(errors, "fields", tk._("Not info items of this entry: {names}").format(
                    names="、".join(unknown)))
        if not errors.get("requester_org"):
            problem = logic.requester_problem(user, kind, pkg, org_id)
            if problem:
                _add(errors, problem[0] if problem[0] != "user" else "package_id", tk._(problem[1]))
    _fail(errors)
    assert pkg is not None and end_date is not None
    request_id = str(uuid.uuid4())
    now = dt.datetime.utcnow()
    due = workdays.add_working_days(today, _config_int("ckanext.lyg.workflow.due_working_days"))
    model.Session.execute(tables.request.insert().values(
        id=request_id, kind=kind, package_id=pkg.id, provider_org_id=pkg.owner_org,
        requester_user_id=user.id, requester_org_id=org_id, purpose=purpose, fields=fields,
        basis=basis, end_date=end_date, state="pending", created=now, due_date=due,
    ))
    audit.record(f"request.create.{kind}", actor=user.name, object_type="request", object_id=request_id,
                 package_id=pkg.id, detail={"kind": kind, "requester_org": org_id, "end_date": end_date,
                                            "due_date": due, "fields": fields})
    params = {"kind": logic.KIND_LABELS[kind], "title": pkg.title, "due": due.isoformat(),
              "url": _url(f"/workflow/request/{request_id}")}
    message = N_("New {kind} for “{title}”, to be answered by {due}")
    notify.notify(message, params, object_type="request", object_id=request_id,
                  organization_id=pkg.owner_org, package_id=pkg.id)
    outbox = notify.Outbox()
    outbox.add(notify.department_addresses(pkg.owner_org), message, params)
    _commit(context, outbox)
    return logic.dictize(logic.get_request(request_id) or {}, today)


@tk.side_effect_free
def lyg_request_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """One request, for its applicant, the staff of the requesting and the
    providing department, and the data authority.

    :param id: the request id
    """
    req = _request_or_404(data_dict)
    tk.check_access("lyg_request_show", context, {"id": req["id"]})
    out = logic.dictize(req)
    user = _actor(context)
    out["may_decide"] = req["state"] == "pending" and logic.decide_problem(user, req) is None
    out["may_withdraw"] = (req["state"] == "pending" and user is not None
                           and user.id == req["requester_user_id"])
    return out


SCOPES = ("mine", "queue", "overdue", "all")


@tk.side_effect_free
def lyg_request_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Requests, newest first (the queue: oldest due date first).

    :param scope: ``mine`` (made by me or by my departments; default),
        ``queue`` (to my departments), ``overdue`` (every pending request past
        its due date: data authority) or ``all`` (data authority)
    :param state: only this state (``pending``, ``approved``, …)
    :param kind: only ``share`` or ``open``
    :param organization: ``queue``/``all`` only: one providing department (id or name)
    :param limit: at most this many (default 100, at most 1000)
    :param offset: skip this many
    :returns: ``{"count": n, "results": [request, …]}``
    """
    scope = _text(data_dict.get("scope")) or "mine"
    errors: dict[str, list[str]] = {}
    if scope not in SCOPES:
        _add(errors, "scope", tk._("Value must be one of {values}").format(values=", ".join(SCOPES)))
    state = _text(data_dict.get("state"))
    if state and state not in tables.STATES:
        _add(errors, "state", tk._("Value must be one of {values}").format(values=", ".join(tables.STATES)))
    kind = _text(data_dict.get("kind"))
    if kind and kind not in tables.KINDS:
        _add(errors, "kind", tk._("Value must be one of {values}").format(values="share, open"))
    limit = offset = 0
    for key, default in (("limit", 100), ("offset", 0)):
        raw = data_dict.get(key, default)
        try:
            number = int(raw)
            if number < 0:
                raise ValueError
        except (TypeError, ValueError):
            _add(errors, key, tk._("Enter a whole number"))
            number = default
        if key == "limit":
            limit = min(number, 1000)
        else:
            offset = number
    _fail(errors)
    tk.check_access("lyg_request_list", context, {"scope": scope})
    user = _actor(context)
    r = tables.request
    today = grants.today()
    cond: list[Any] = []
    order: list[Any] = [r.c.created.desc()]
    depts = roles.departments(user) if user else []
    if scope == "mine":
        assert user is not None
        mine = r.c.requester_user_id == user.id
        ours = sa.and_(r.c.kind == "share", r.c.requester_org_id.in_(depts))
        cond.append(sa.or_(mine, ours) if depts else mine)
    elif scope == "queue":
        cond.append(r.c.provider_org_id.in_(depts))
        order = [sa.case((r.c.state == "pending", 0), else_=1), r.c.due_date, r.c.created]
    elif scope == "overdue":
        cond += [r.c.state == "pending", r.c.due_date < today]
        order = [r.c.due_date, r.c.created]
    org_ref = _text(data_dict.get("organization"))
    if org_ref:
        org = model.Group.get(org_ref)
        cond.append(r.c.provider_org_id == (org.id if org else org_ref))
    if state:
        cond.append(r.c.state == state)
    if kind:
        cond.append(r.c.kind == kind)
    count = model.Session.execute(sa.select(sa.func.count()).select_from(r).where(*cond)).scalar_one()
    rows = model.Session.execute(
        sa.select(r).where(*cond).order_by(*order).limit(limit).offset(offset)).mappings().all()
    return {"count": count, "results": [logic.dictize(dict(row), today) for row in rows]}


def _decide(context: Context, data_dict: DataDict, decision: str) -> dict[str, Any]:
    req = _request_or_404(data_dict, lock=True)
    tk.check_access(f"lyg_request_{'approve' if decision == 'approved' else 'refuse'}", context,
                    {"id": req["id"]})
    user = _actor(context)
    assert user is not None
    if req["state"] != "pending":
        raise _state_error(req)
    errors: dict[str, list[str]] = {}
    reason = _required_text(data_dict, "reason", errors, required=decision == "refused")
    today = grants.today()
    if decision == "approved" and req["end_date"] < today:
        _add(errors, "end_date", tk._("The requested period has already ended: refuse the request"))
    _fail(errors)
    model.Session.execute(tables.request.update().where(tables.request.c.id == req["id"]).values(
        state=decision, decided=dt.datetime.utcnow(), decided_by=user.id, reason=reason or None))
    event = "request.approve" if decision == "approved" else "request.refuse"
    audit.record(event, actor=user.name, object_type="request", object_id=req["id"],
                 package_id=req["package_id"],
                 detail={"kind": req["kind"], "requester": req["requester_user_id"],
                         "requester_org": req["requester_org_id"], "end_date": req["end_date"],
                         "reason": reason})
    pkg = model.Package.get(req["package_id"])
    params = {"kind": logic.KIND_LABELS[req["kind"]], "title": pkg.title if pkg else req["package_id"],
              "end": req["end_date"].isoformat(), "reason": reason,
              "url": _url(f"/workflow/request/{req['id']}")}
    message = (N_("Your {kind} for “{title}” was approved: data access until {end}")
               if decision == "approved" else N_("Your {kind} for “{title}” was refused: {reason}"))
    notify.notify(message, params, object_type="request", object_id=req["id"],
                  user_id=req["requester_user_id"], organization_id=req["requester_org_id"],
                  package_id=req["package_id"])
    outbox = notify.Outbox()
    outbox.add(notify.user_addresses(req["requester_user_id"]), message, params)
    _commit(context, outbox)
    return logic.dictize(logic.get_request(req["id"]) or req, today)


def lyg_request_approve(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Approve a pending request (editors and admins of the providing
    department, never for their own department or their own request). The
    requesting department (or the applicant) may get the entry's data until
    the request's ``end_date``.

    :param id: the request id
    :param reason: an optional remark
    """
    return _decide(context, data_dict, "approved")


def lyg_request_refuse(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Refuse a pending request, with a reason (same deciders as approve).

    :param id: the request id
    :param reason: why (required)
    """
    return _decide(context, data_dict, "refused")


def lyg_request_withdraw(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Withdraw one's own request while it is pending.

    :param id: the request id
    """
    req = _request_or_404(data_dict, lock=True)
    tk.check_access("lyg_request_withdraw", context, {"id": req["id"]})
    if req["state"] != "pending":
        raise _state_error(req)
    user = _actor(context)
    model.Session.execute(tables.request.update().where(tables.request.c.id == req["id"]).values(
        state="withdrawn", decided=dt.datetime.utcnow(), decided_by=user.id if user else None))
    audit.record("request.withdraw", actor=_actor_name(context), object_type="request",
                 object_id=req["id"], package_id=req["package_id"], detail={"kind": req["kind"]})
    _commit(context)
    return logic.dictize(logic.get_request(req["id"]) or req)


def lyg_request_expire(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Mark every approved request whose period has ended as ``expired``
    (sysadmins; ``ckan lyg workflow expire`` runs it daily). Access already
    stopped at the end date; this records it and tells the applicant.

    :returns: ``{"expired": n, "ids": [...]}``
    """
    tk.check_access("lyg_request_expire", context, data_dict)
    r = tables.request
    today = grants.today()
    rows = model.Session.execute(
        sa.select(r).where(r.c.state == "approved", r.c.end_date < today).with_for_update()
    ).mappings().all()
    ids = []
    for row in rows:
        req = dict(row)
        model.Session.execute(r.update().where(r.c.id == req["id"]).values(state="expired"))
        audit.record("request.expire", actor=_actor_name(context), object_type="request",
                     object_id=req["id"], package_id=req["package_id"],
                     detail={"kind": req["kind"], "end_date": req["end_date"]})
        pkg = model.Package.get(req["package_id"])
        notify.notify(N_("Your {kind} for “{title}” has expired ({end})"),
                      {"kind": logic.KIND_LABELS[req["kind"]], "title": pkg.title if pkg else "",
                       "end": req["end_date"].isoformat()},
                      object_type="request", object_id=req["id"], user_id=req["requester_user_id"],
                      organization_id=req["requester_org_id"], package_id=req["package_id"])
        ids.append(req["id"])
    _commit(context)
    return {"expired": len(ids), "ids": ids}


# --- the not-shared review -----------------------------------------------------

_PENDING_REVIEWS = sa.text(
    """
    SELECT p.id FROM package p
    WHERE p.state = 'active' AND p.type = 'dataset' AND p.extras ? 'share_review'
      AND p.extras->>'share_review' = 'pending' AND p.extras->>'share_type' = 'none'
    ORDER BY p.metadata_modified, p.id
    """
)


def _review_entry(pkg: model.Package) -> dict[str, Any]:
    extras = pkg.extras or {}
    org = model.Group.get(pkg.owner_org) if pkg.owner_org else None
    return {
        "id": pkg.id, "name": pkg.name, "title": pkg.title,
        "resource_code": extras.get("resource_code"),
        "organization": {"id": org.id, "name": org.name, "title": org.title} if org else None,
        "share_basis": extras.get("share_basis", ""),
        "share_review": extras.get("share_review"),
        "submitted": pkg.metadata_modified.isoformat() if pkg.metadata_modified else None,
    }


@tk.side_effect_free
def lyg_share_review_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The not-shared review queue (data authority and secrecy reviewer):
    entries held 不予共享（待认定）, oldest first, and the latest decisions.

    :param decisions: how many past decisions to return (default 50, at most 500)
    :returns: ``{"pending": [entry, …], "decisions": [decision, …]}``
    """
    tk.check_access("lyg_share_review_list", context, data_dict)
    try:
        limit = min(max(int(data_dict.get("decisions", 50)), 0), 500)
    except (TypeError, ValueError):
        raise tk.ValidationError({"decisions": [tk._("Enter a whole number")]}) from None
    ids = model.Session.execute(_PENDING_REVIEWS).scalars().all()
    pending = [_review_entry(p) for p in (model.Package.get(i) for i in ids) if p is not None]
    s = tables.share_review
    rows = model.Session.execute(sa.select(s).order_by(s.c.decided.desc()).limit(limit)).mappings().all()
    decisions = []
    for row in rows:
        pkg = model.Package.get(row["package_id"])
        decider = model.User.get(row["decided_by"]) if row["decided_by"] else None
        decisions.append({
            **{k: row[k] for k in ("id", "package_id", "decision", "basis", "share_type", "reason")},
            "decided": row["decided"].isoformat(),
            "decided_by": decider.name if decider else None,
            "package_name": pkg.name if pkg else None, "package_title": pkg.title if pkg else None,
            "organization": logic._org_brief(row["owner_org_id"]),
        })
    return {"pending": pending, "decisions": decisions}


def _pending_review(data_dict: DataDict, context: Context, action: str) -> model.Package:
    ref = _text(data_dict.get("package_id"))
    if not ref:
        raise tk.ValidationError({"package_id": [tk._("Missing value")]})
    pkg = model.Package.get(ref)
    if pkg is None or pkg.state != "active":
        raise tk.ObjectNotFound(tk._("Not found: no entry {ref}").format(ref=ref))
    tk.check_access(action, context, {"package_id": pkg.id})
    model.Session.execute(sa.select(model.package_table.c.id)
                          .where(model.package_table.c.id == pkg.id).with_for_update())
    model.Session.refresh(pkg)
    extras = pkg.extras or {}
    if extras.get("share_type") != "none" or extras.get("share_review") != "pending":
        raise tk.ValidationError({"share_review": [tk._("This entry is not awaiting a not-shared review")]})
    return pkg


def _site_context() -> dict[str, Any]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"]}


def _patch_entry(patch: dict[str, Any]) -> None:
    """Apply the decision to the entry as the site user (the reviewer may not
    edit the department's entries; the audit row names the reviewer).

    ``package_patch`` commits: the review row, audit row and notice written
    before it commit with the entry, and a rule error rolls them all back.
    (CKAN 2.12's ``package_update`` drops its changes under ``defer_commit``.)
    """
    try:
        tk.get_action("package_patch")(_site_context(), patch)
    except tk.ValidationError as err:
        model.Session.rollback()
        raise tk.ValidationError(dict(err.error_dict)) from None


def _review_decided(context: Context, pkg: model.Package, decision: str, reason: str,
                    share_type: str | None, patch: dict[str, Any]) -> dict[str, Any]:
    user = _actor(context)
    basis = (pkg.extras or {}).get("share_basis", "")
    review_id = str(uuid.uuid4())
    model.Session.execute(tables.share_review.insert().values(
        id=review_id, package_id=pkg.id, owner_org_id=pkg.owner_org, decision=decision, basis=basis,
        share_type=share_type, reason=reason or None, decided=dt.datetime.utcnow(),
        decided_by=user.id if user else None))
    audit.record(f"share_review.{'confirm' if decision == 'confirmed' else 'reject'}",
                 actor=_actor_name(context), object_type="package", object_id=pkg.id, package_id=pkg.id,
                 detail={"basis": basis, "share_type": share_type, "reason": reason,
                         "secrecy_reviewer": roles.is_secrecy_reviewer(user),
                         "data_authority": roles.is_data_authority(user)})
    params = {"title": pkg.title, "reason": reason or "—", "share_type": share_type or "",
              "url": _url(f"/dataset/{pkg.name}")}
    if decision == "confirmed":
        message = N_("The not-shared designation of “{title}” is confirmed")
    else:
        message = N_("The not-shared designation of “{title}” is rejected ({reason}); "
                     "the entry is now shared: {share_type}")
    notify.notify(message, params, object_type="package", object_id=pkg.id,
                  organization_id=pkg.owner_org, package_id=pkg.id)
    outbox = notify.Outbox()
    if pkg.owner_org:
        outbox.add(notify.department_addresses(pkg.owner_org), message, params)
    _patch_entry(patch)  # commits the decision with the entry
    outbox.send()
    return {"id": review_id, "package_id": pkg.id, "decision": decision, "share_type": share_type,
            "reason": reason}


def lyg_share_review_confirm(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Confirm that an entry held 不予共享（待认定） is not shared (data
    authority or secrecy reviewer; never staff of the entry's own department).

    :param package_id: the entry (id or name)
    :param reason: an optional remark
    """
    pkg = _pending_review(data_dict, context, "lyg_share_review_confirm")
    errors: dict[str, list[str]] = {}
    reason = _required_text(data_dict, "reason", errors, required=False)
    _fail(errors)
    return _review_decided(context, pkg, "confirmed", reason, None,
                           {"id": pkg.id, "share_review": "confirmed"})


REJECT_FIELDS = ("share_condition", "share_mode_class", "share_mode_type")


def lyg_share_review_reject(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Reject a not-shared designation: the entry gets the sharing type given
    here (data authority or secrecy reviewer; never staff of the entry's own
    department). The catalog rules apply to the result (a conditional entry
    needs ``share_condition``, a shared one a ``share_mode_class``…).

    :param package_id: the entry (id or name)
    :param share_type: ``unconditional`` or ``conditional``
    :param reason: why the designation does not stand (required)
    :param share_condition: required for ``conditional``
    :param share_mode_class: 共享方式 (kept from the entry when it has one)
    :param share_mode_type: 共享方式类型
    """
    pkg = _pending_review(data_dict, context, "lyg_share_review_reject")
    errors: dict[str, list[str]] = {}
    share_type = _text(data_dict.get("share_type"))
    if share_type not in ("unconditional", "conditional"):
        _add(errors, "share_type", tk._("Value must be one of {values}").format(
            values="unconditional, conditional"))
    reason = _required_text(data_dict, "reason", errors)
    patch: dict[str, Any] = {"id": pkg.id, "share_type": share_type}
    for key in REJECT_FIELDS:
        value = _required_text(data_dict, key, errors, required=False)
        if value:
            patch[key] = value
    _fail(errors)
    return _review_decided(context, pkg, "rejected", reason, share_type, patch)


@tk.side_effect_free
def lyg_notice_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The newest workflow notices to me or to my departments (dashboard).

    :param limit: at most this many (default 50, at most 200)
    """
    tk.check_access("lyg_notice_list", context, data_dict)
    try:
        limit = min(max(int(data_dict.get("limit", 50)), 1), 200)
    except (TypeError, ValueError):
        raise tk.ValidationError({"limit": [tk._("Enter a whole number")]}) from None
    return notify.notices_for(_actor(context), limit)
