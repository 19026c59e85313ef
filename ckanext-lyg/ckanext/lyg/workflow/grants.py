"""What the workflows grant: the entries whose data a user may get now.

An approved sharing request (有条件共享申请, ``kind = share``) grants its
requesting **department**: every member of it, whatever their capacity. An
approved open-data application (有条件开放申请, ``kind = open``) grants the
**user** who applied. A grant holds up to and including its ``end_date`` and
then stops by itself: the end date is checked here, on every read, so an
approval whose period has passed grants nothing even before
``ckan lyg workflow expire`` marks it ``expired``.

The access rule (``ckanext.lyg.access``) calls :func:`granted_package_ids`;
it is one indexed query (partial indexes on approved rows).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import sqlalchemy as sa
from ckan import model

__all__ = ["granted_package_ids", "today"]

Kind = Literal["share", "open"]

_GRANTS = sa.text(
    """
    SELECT DISTINCT r.package_id FROM lyg_workflow_request r
    WHERE r.state = 'approved' AND r.end_date >= :today
      AND (:kind IS NULL OR r.kind = :kind)
      AND (
        (r.kind = 'open' AND r.requester_user_id = :user_id)
        OR (r.kind = 'share' AND r.requester_org_id IN (
              SELECT m.group_id FROM member m JOIN "group" g ON g.id = m.group_id
              WHERE m.table_name = 'user' AND m.table_id = :user_id AND m.state = 'active'
                AND g.is_organization AND g.state = 'active'))
      )
    """
).bindparams(sa.bindparam("kind", type_=sa.UnicodeText))


def today() -> dt.date:
    """The date grants and due dates are counted in (the server's local date)."""
    return dt.date.today()


def _user(user: str | model.User | None) -> model.User | None:
    if user is None or user == "":
        return None
    if isinstance(user, model.User):
        return user
    return model.User.get(user)


def granted_package_ids(user: str | model.User | None, *, kind: Kind | None = None) -> set[str]:
    """Ids of the packages whose data ``user`` (a name, id, ``model.User`` or
    None for anonymous) may get now through an approved, unexpired request or
    application — its own open-data applications and its departments' sharing
    requests. ``kind`` narrows to one workflow (the public portal asks only
    for ``"open"``)."""
    account = _user(user)
    if account is None or account.state != "active":
        return set()
    rows = model.Session.execute(_GRANTS, {"today": today(), "user_id": account.id, "kind": kind})
    return {row[0] for row in rows}
