"""Auth functions of ``ckanext.lyg.workflow`` (re-exported by ``logic/auth.py``).

Decisions are checked for sysadmins too (``auth_sysadmins_check``): a request
is decided by its providing department and a not-shared designation is
reviewed by someone outside the department that made it, whoever they are.
"""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import AuthResult, Context, DataDict
from ckanext.lyg.access import roles
from ckanext.lyg.workflow import logic
from ckanext.lyg.workflow.logic import N_

__all__ = [
    "lyg_request_create", "lyg_request_show", "lyg_request_list", "lyg_request_approve",
    "lyg_request_refuse", "lyg_request_withdraw", "lyg_request_expire",
    "lyg_share_review_list", "lyg_share_review_confirm", "lyg_share_review_reject",
    "lyg_notice_list",
]  # fmt: skip


def _user(context: Context) -> model.User | None:
    return logic.user_obj(context.get("user") or "")


def _no(message: str) -> AuthResult:
    return {"success": False, "msg": tk._(message)}


YES: AuthResult = {"success": True}


def lyg_request_create(context: Context, data_dict: DataDict) -> AuthResult:
    """Department staff file sharing requests, public users (in no department)
    open-data applications. With ``package_id`` the entry is checked too
    (conditional, not the user's own department's, no open request yet): the
    entry page shows its "apply" button only then."""
    user = _user(context)
    kind = data_dict.get("kind") or "share"
    if kind not in ("share", "open"):
        return _no(N_("Unknown kind of request"))
    pkg = model.Package.get(data_dict["package_id"]) if data_dict.get("package_id") else None
    org_id = data_dict.get("requester_org")
    if pkg is not None and user is not None and kind == "share" and not org_id:
        org_id = logic.default_org(user, pkg)
        if org_id is None and not [d for d in roles.departments(user) if d != pkg.owner_org]:
            return _no(N_("Your department provides this entry: it needs no request"))
    problem = logic.requester_problem(user, kind, pkg, org_id)
    return _no(problem[1]) if problem else YES


def _request(data_dict: DataDict) -> dict | None:
    return logic.get_request(str(data_dict.get("id") or ""))


@tk.auth_allow_anonymous_access
def lyg_request_show(context: Context, data_dict: DataDict) -> AuthResult:
    """The applicant, the staff of both departments and the data authority."""
    user = _user(context)
    req = _request(data_dict)
    if user is None:
        return _no(N_("Log in to see requests"))
    if req is None or logic.is_participant(user, req):
        return YES
    return _no(N_("Not your request"))


def lyg_request_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Any logged-in user lists their own requests and their departments'
    queues; the overdue and complete lists are the data authority's."""
    user = _user(context)
    if user is None:
        return _no(N_("Log in to see requests"))
    if data_dict.get("scope") in ("overdue", "all") and not roles.is_data_authority(user):
        return _no(N_("Only the data authority sees every request"))
    return YES


def _decider(context: Context, data_dict: DataDict) -> AuthResult:
    req = _request(data_dict)
    if req is None:
        return YES if _user(context) else _no(N_("Log in to decide on a request"))  # the action says 404
    problem = logic.decide_problem(_user(context), req)
    return _no(problem) if problem else YES


@tk.auth_sysadmins_check
def lyg_request_approve(context: Context, data_dict: DataDict) -> AuthResult:
    """Editors and admins of the providing department — not for their own
    department's request, not for their own request."""
    return _decider(context, data_dict)


@tk.auth_sysadmins_check
def lyg_request_refuse(context: Context, data_dict: DataDict) -> AuthResult:
    """As :func:`lyg_request_approve`."""
    return _decider(context, data_dict)


@tk.auth_sysadmins_check
def lyg_request_withdraw(context: Context, data_dict: DataDict) -> AuthResult:
    """Only the applicant."""
    user = _user(context)
    req = _request(data_dict)
    if user is None:
        return _no(N_("Log in to withdraw a request"))
    if req is None or req["requester_user_id"] == user.id:
        return YES
    return _no(N_("Only the applicant can withdraw a request"))


def lyg_request_expire(context: Context, data_dict: DataDict) -> AuthResult:
    """Sysadmins only (the daily ``ckan lyg workflow expire``)."""
    return _no(N_("Only sysadmins expire requests"))


def _reviewer(user: model.User | None) -> bool:
    return user is not None and (roles.is_data_authority(user) or roles.is_secrecy_reviewer(user))


def lyg_share_review_list(context: Context, data_dict: DataDict) -> AuthResult:
    """The data authority and the secrecy reviewer."""
    if _reviewer(_user(context)):
        return YES
    return _no(N_("Only the data authority and the secrecy reviewer review not-shared designations"))


def _review_decider(context: Context, data_dict: DataDict) -> AuthResult:
    user = _user(context)
    if not _reviewer(user):
        return _no(N_("Only the data authority and the secrecy reviewer review not-shared designations"))
    pkg = model.Package.get(data_dict.get("package_id") or "") if data_dict.get("package_id") else None
    if pkg is not None and pkg.owner_org and pkg.owner_org in roles.departments(user):
        return _no(N_("A department cannot review its own not-shared designation"))
    return YES


@tk.auth_sysadmins_check
def lyg_share_review_confirm(context: Context, data_dict: DataDict) -> AuthResult:
    """The data authority (sysadmins included) and the secrecy reviewer, when
    they are not staff of the entry's department."""
    return _review_decider(context, data_dict)


@tk.auth_sysadmins_check
def lyg_share_review_reject(context: Context, data_dict: DataDict) -> AuthResult:
    """As :func:`lyg_share_review_confirm`."""
    return _review_decider(context, data_dict)


def lyg_notice_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Any logged-in user (their own and their departments' notices)."""
    return YES if _user(context) else _no(N_("Log in to see your notices"))
