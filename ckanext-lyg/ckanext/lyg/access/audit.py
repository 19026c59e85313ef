"""The audit log (审计日志) of ``spec/access.md``.

Every decision of the workflows, every role change and every download of data
that is not unconditionally open is one row of ``lyg_access_audit`` (migration
``0002_access_audit``): who, what, when, from which portal. Rows cannot be
changed through the application: there is no update or delete action, and a
trigger refuses ``UPDATE`` and ``DELETE`` (``TRUNCATE`` stays possible for the
operator and the test suite).

Only the data authority reads the log (page ``/ckan-admin/lyg-audit`` and the
CSV export; actions ``lyg_audit_list``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from ckan import model

# events written by this package (the workflows add their own names)
ROLE_GRANT = "role.grant"
ROLE_REVOKE = "role.revoke"
DOWNLOAD = "data.download"
DATASTORE_READ = "data.datastore"

COLUMNS = ("id", "created", "event", "actor", "portal", "object_type", "object_id", "package_id", "detail")


def record(event: str, *, actor: str | None, object_type: str, object_id: str,
           package_id: str | None = None, detail: dict | None = None,
           portal: str | None = None) -> None:
    """Write one audit row in the caller's transaction (``model.Session``).

    :param event: what happened, e.g. ``request.approve``, ``role.grant``, ``data.download``
    :param actor: the user name who did it (None for the system)
    :param object_type: e.g. ``package``, ``resource``, ``request``, ``user``
    :param object_id: the id of that object
    :param package_id: the catalog entry concerned, when there is one
    :param detail: anything else, stored as JSON
    :param portal: ``public`` or ``internal``; the current ``ckanext.lyg.portal`` by default
    """
    if portal is None:
        from ckanext.lyg import portal as _portal

        portal = _portal.current()
    model.Session.execute(
        sa.text(
            "INSERT INTO lyg_access_audit (event, actor, portal, object_type, object_id, package_id, detail)"
            " VALUES (:event, :actor, :portal, :object_type, :object_id, :package_id, CAST(:detail AS jsonb))"
        ),
        {"event": event, "actor": actor or None, "portal": portal, "object_type": object_type,
         "object_id": str(object_id), "package_id": package_id,
         "detail": json.dumps(detail or {}, ensure_ascii=False, default=str)},
    )


def _where(filters: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
    for key in ("event", "actor", "portal", "object_type", "object_id", "package_id"):
        value = filters.get(key)
        if value:
            clauses.append(f"{key} = :{key}")
            params[key] = str(value)
    if filters.get("since"):
        clauses.append("created >= :since")
        params["since"] = filters["since"]
    if filters.get("until"):
        clauses.append("created < :until")
        params["until"] = filters["until"]
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def query(filters: dict[str, Any], limit: int | None = 100,
          offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    """(total, rows) of the log, newest first, matching ``filters``
    (event, actor, portal, object_type, object_id, package_id: exact; since/until: dates)."""
    where, params = _where(filters)
    total = model.Session.execute(sa.text("SELECT count(*) FROM lyg_access_audit" + where), params).scalar()
    sql = f"SELECT {', '.join(COLUMNS)} FROM lyg_access_audit{where} ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT :limit OFFSET :offset"
        params.update(limit=int(limit), offset=int(offset))
    rows = [_row(r) for r in model.Session.execute(sa.text(sql), params).mappings()]
    return int(total or 0), rows


def iter_rows(filters: dict[str, Any], chunk: int = 1000) -> Iterator[dict[str, Any]]:
    """Every matching row, newest first (for the CSV export)."""
    last_id = None
    where, params = _where(filters)
    while True:
        sql_where = where
        if last_id is not None:
            sql_where += (" AND " if where else " WHERE ") + "id < :last_id"
            params["last_id"] = last_id
        rows = model.Session.execute(
            sa.text(f"SELECT {', '.join(COLUMNS)} FROM lyg_access_audit{sql_where}"
                    " ORDER BY id DESC LIMIT :n"),
            {**params, "n": chunk},
        ).mappings().all()
        if not rows:
            return
        for row in rows:
            yield _row(row)
        last_id = rows[-1]["id"]


def events() -> list[str]:
    """The event names present in the log (for the page's filter)."""
    return list(model.Session.execute(
        sa.text("SELECT DISTINCT event FROM lyg_access_audit ORDER BY event")).scalars())


def _row(row: Any) -> dict[str, Any]:
    out = dict(row)
    if isinstance(out.get("created"), dt.datetime):
        out["created"] = out["created"].isoformat()
    return out
