"""Telling people about workflow decisions: dashboard notices and e-mail.

A notice is stored as an English msgid of the ``ckanext-lyg`` domain with its
parameters (``lyg_workflow_notice``) and translated when it is shown, so a
department reads it in the language of the page. It goes to a user (the
applicant) or to a department (every member sees it on the dashboard).

E-mail goes through CKAN's :mod:`ckan.lib.mailer` (``smtp.*`` options) and
only when ``smtp.server`` is configured; it is sent after the decision is
committed, and a failing mail server never undoes or fails a decision (it is
logged).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckan.lib import mailer
from ckanext.lyg import reference
from ckanext.lyg.access import roles
from ckanext.lyg.workflow import tables

log = logging.getLogger(__name__)

__all__ = ["Outbox", "notify", "notices_for", "department_addresses", "user_addresses", "text"]


def _lang() -> str:
    try:
        return tk.h.lang() or tk.config.get("ckan.locale_default")
    except Exception:  # noqa: BLE001 - no request (CLI)
        return tk.config.get("ckan.locale_default") or "zh_Hans_CN"


def text(message: str, params: dict[str, Any]) -> str:
    """The notice in the current language (``kind`` is a msgid, ``share_type``
    a vocabulary value: both are translated too)."""
    shown = dict(params)
    kind = shown.get("kind")
    if kind:
        shown["kind"] = tk._(kind)
    if shown.get("share_type"):
        shown["share_type"] = reference.label("share_type", shown["share_type"], _lang())
    try:
        return tk._(message).format(**shown)
    except (KeyError, IndexError, ValueError):
        return message


def email_on() -> bool:
    """``ckanext.lyg.workflow.email``: ``on``, ``off``, or ``auto`` — on when
    ``smtp.server`` is set to something other than CKAN's default."""
    mode = tk.config.get("ckanext.lyg.workflow.email") or "auto"
    if mode in ("on", "off"):
        return mode == "on"
    server = (tk.config.get("smtp.server") or "").strip()
    return bool(server) and server != "localhost"


@dataclass
class Outbox:
    """E-mails to send once the decision is committed."""

    mails: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)

    def add(self, recipients: list[tuple[str, str]], message: str, params: dict[str, Any]) -> None:
        for name, address in recipients:
            self.mails.append((name, address, message, params))

    def send(self) -> int:
        """Send every mail (when SMTP is configured); returns how many were sent."""
        if not email_on():
            self.mails.clear()
            return 0
        sent = 0
        for name, address, message, params in self.mails:
            body = text(message, params)
            subject = f"[{tk.config.get('ckan.site_title')}] {body.splitlines()[0][:120]}"
            url = params.get("url")
            if url:
                body += "\n\n" + url
            try:
                mailer.mail_recipient(name, address, subject, body)
                sent += 1
            except mailer.MailerException:
                log.exception("workflow notice to %s not sent", address)
        self.mails.clear()
        return sent


def notify(message: str, params: dict[str, Any], *, object_type: str, object_id: str,
           user_id: str | None = None, organization_id: str | None = None,
           package_id: str | None = None) -> None:
    """Store a dashboard notice (in the caller's transaction)."""
    model.Session.execute(tables.notice.insert().values(
        id=str(uuid.uuid4()), user_id=user_id, organization_id=organization_id, message=message,
        params=params, object_type=object_type, object_id=object_id, package_id=package_id,
        created=dt.datetime.utcnow(),
    ))


def notices_for(user: str | model.User | None, limit: int = 50) -> list[dict[str, Any]]:
    """The newest notices to ``user`` or to one of the user's departments."""
    account = user if isinstance(user, model.User) else model.User.get(user or "")
    if account is None:
        return []
    orgs = roles.departments(account)
    n = tables.notice
    cond = n.c.user_id == account.id
    if orgs:
        cond = sa.or_(cond, n.c.organization_id.in_(orgs))
    rows = model.Session.execute(
        sa.select(n).where(cond).order_by(n.c.created.desc()).limit(limit)).mappings().all()
    return [{**dict(row), "text": text(row["message"], row["params"] or {}),
             "created": row["created"].isoformat()} for row in rows]


def user_addresses(user_id: str) -> list[tuple[str, str]]:
    account = model.User.get(user_id)
    if account is None or not account.email:
        return []
    return [(account.display_name, account.email)]


def department_addresses(org_id: str) -> list[tuple[str, str]]:
    """The department's contact e-mail and its admins' addresses."""
    org = model.Group.get(org_id)
    if org is None:
        return []
    out: dict[str, str] = {}
    contact = (org.extras or {}).get("contact_email", "")
    if contact:
        out[contact] = org.display_name
    admins = model.Session.execute(sa.text(
        "SELECT u.fullname, u.name, u.email FROM member m JOIN \"user\" u ON u.id = m.table_id"
        " WHERE m.group_id = :org AND m.table_name = 'user' AND m.state = 'active'"
        " AND m.capacity = 'admin' AND u.state = 'active' AND coalesce(u.email, '') <> ''"
        " ORDER BY u.name"), {"org": org.id}).all()
    for fullname, name, email in admins:
        out.setdefault(email, fullname or name)
    return [(name, email) for email, name in out.items()]
