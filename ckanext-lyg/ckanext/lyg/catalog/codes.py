"""Resource codes (信息资源代码): ``分类码/顺序码``, e.g. ``101001001/000123``.

The 顺序码 is a per-分类码 sequence kept in ``lyg_catalog_sequence``
(migration ``0001_catalog_sequence``). Taking a number locks the class's row
until the creating transaction ends, so concurrent creations in one class are
serialised and never share a code; a supplied code (seeding, import) is kept
when it is well-formed, matches the classification and is not in use, and
moves the sequence past it.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from ckan import model
from ckanext.lyg.catalog import rules

_NEXT = sa.text(
    """
    INSERT INTO lyg_catalog_sequence AS s (class_code, last_value) VALUES (:c, 1)
    ON CONFLICT (class_code) DO UPDATE SET last_value = s.last_value + 1
    RETURNING last_value
    """
)
_RESERVE = sa.text(
    """
    INSERT INTO lyg_catalog_sequence AS s (class_code, last_value) VALUES (:c, :n)
    ON CONFLICT (class_code) DO UPDATE SET last_value = GREATEST(s.last_value, :n)
    """
)
# Lock the classes' rows (created at 0 when missing), in class order so that
# two writers locking several classes cannot deadlock.
_LOCK = sa.text(
    """
    INSERT INTO lyg_catalog_sequence AS s (class_code, last_value)
    SELECT c, 0 FROM unnest(CAST(:cs AS text[])) AS c ORDER BY c
    ON CONFLICT (class_code) DO UPDATE SET last_value = s.last_value
    """
)
_RESERVE_MANY = sa.text(
    """
    INSERT INTO lyg_catalog_sequence AS s (class_code, last_value)
    SELECT c, n FROM unnest(CAST(:cs AS text[]), CAST(:ns AS bigint[])) AS u(c, n) ORDER BY c
    ON CONFLICT (class_code) DO UPDATE SET last_value = GREATEST(s.last_value, EXCLUDED.last_value)
    """
)
_OWNER = sa.text(
    """
    SELECT id FROM package WHERE extras->>'resource_code' = :code AND state <> 'deleted'
    """
)  # no ORDER BY id LIMIT 1: PostgreSQL would walk the primary key, filtering every row
_OWNERS = sa.text(
    """
    SELECT extras->>'resource_code', id FROM package
    WHERE extras->>'resource_code' = ANY(:codes) AND state <> 'deleted'
    ORDER BY id
    """
)


def format_code(class_code: str, seq: int) -> str:
    return f"{class_code}/{seq:06d}"


def next_code(class_code: str) -> str:
    """A new code in the class (locks the class until the transaction ends)."""
    seq = model.Session.execute(_NEXT, {"c": class_code}).scalar_one()
    return format_code(class_code, seq)


def reserve(code: str) -> None:
    """Record a supplied code so the sequence never hands it out again."""
    parsed = rules.parse_code(code)
    if parsed is None:
        raise ValueError(code)
    model.Session.execute(_RESERVE, {"c": parsed[0], "n": parsed[1]})


def lock_classes(class_codes: Iterable[str]) -> None:
    """Lock the classes' sequences until the transaction ends, as taking or
    reserving a number in them does (one statement for all)."""
    wanted = sorted(set(class_codes))
    if wanted:
        model.Session.execute(_LOCK, {"cs": wanted})


def reserve_many(last: dict[str, int]) -> None:
    """``reserve`` for many classes at once: class code → the highest
    sequence number supplied in it."""
    if last:
        wanted = sorted(last)
        model.Session.execute(_RESERVE_MANY, {"cs": wanted, "ns": [last[c] for c in wanted]})


def owner(code: str) -> str | None:
    """The id of the (not deleted) dataset holding ``code``, or None."""
    return min((row[0] for row in model.Session.execute(_OWNER, {"code": code})), default=None)


def owners(codes: Iterable[str]) -> dict[str, str]:
    """``owner`` of many codes in one query (index ``lyg_package_resource_code``):
    code → dataset id, for the codes that are in use."""
    wanted = sorted({c for c in codes if c})
    found: dict[str, str] = {}
    if wanted:
        for code, package_id in model.Session.execute(_OWNERS, {"codes": wanted}):
            found.setdefault(code, package_id)
    return found


def reset() -> None:
    """Forget every sequence (tests: after a database reset)."""
    model.Session.execute(sa.text("DELETE FROM lyg_catalog_sequence"))
