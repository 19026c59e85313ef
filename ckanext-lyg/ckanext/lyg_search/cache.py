"""Counts and facet numbers, remembered per index generation.

The broad queries every portal page sends — the home page, the dataset page
with no query, organization and group counts — count and facet the whole
catalog each time. Like Solr's filter and facet caches, the engine keeps those
answers in memory, keyed by the exact SQL and parameters of the query and by
the index *generation*: a PostgreSQL sequence that every change to the index
table advances (a statement trigger, whatever wrote), and that the engine
advances once more after the transaction of its own writes commits. A write
anywhere, from any process, therefore makes every earlier answer unreachable;
nothing stale can be served, and nothing needs to be told to forget.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from ckan import model
from sqlalchemy import event

SEQUENCE = "lyg_search_generation"
MAX_ENTRIES = 512
MAX_AGE = 300.0

# The orders kept for deep paging (``engine._deep_page_ids``) are large: few.
ORDERS_KEPT = 8

_lock = threading.Lock()
_entries: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()
_orders: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()


def generation(conn: Any) -> tuple[int, int]:
    """The current index generation (one cheap read of the sequence), with
    the sequence's identity: a sequence created again (a database restored or
    reset, the migrations run down and up) starts again at 1, and must not
    meet answers remembered for the old one.

    The same round trip turns JIT compilation off for the transaction (search
    statements are short, and compiling them costs more than it saves) and
    gives it enough work memory to keep a result set's facets off disk."""
    return read_state(conn)[0]


def read_state(conn: Any, prefer_indexes: bool = False) -> tuple[tuple[int, int], bool]:
    """:func:`generation`, and whether the transaction has written (its own
    writes are seen by its own statements only); with ``prefer_indexes``,
    the planner is also kept off sequential scans (:class:`IndexPreference`)."""
    seqscan = ", set_config('enable_seqscan', 'off', true)" if prefer_indexes else ""
    row = conn.exec_driver_sql(
        f"SELECT '{SEQUENCE}'::regclass::oid, last_value, "
        "pg_current_xact_id_if_assigned() IS NOT NULL, set_config('jit', 'off', true), "
        f"set_config('work_mem', '32MB', true){seqscan} FROM {SEQUENCE}").one()
    return (int(row[0]), int(row[1])), bool(row[2])


RESTORE_SEQSCAN = "set_config('enable_seqscan', 'on', true)"


class IndexPreference:
    """While a text search runs, keep the planner off sequential scans where
    an index can answer: the text vectors live out of line, and the planner
    does not count the cost of fetching them row by row. (A match-all query
    is left alone: there a sequential scan is the right plan.)

    The setting is made in the round trip that reads the generation
    (:meth:`generation`) and undone in the search's last statement, the
    page's fetch (:meth:`restore_column`), or by :meth:`restore` when no
    fetch undid it: the rest of the transaction plans as before, and the
    search makes no round trip for the setting."""

    def __init__(self, conn: Any, on: bool) -> None:
        self.conn = conn
        self.on = on
        self.pending = False
        self.wrote = True  # whether the transaction has written (known after generation())

    def generation(self) -> tuple[int, int]:
        gen, self.wrote = read_state(self.conn, prefer_indexes=self.on)
        self.pending = self.on
        return gen

    def restore_column(self) -> str | None:
        """A column for the next statement that undoes the setting (the
        statement must return a row for it to run: see :meth:`restored`)."""
        return f"(SELECT {RESTORE_SEQSCAN})" if self.pending else None

    def restored(self) -> None:
        """The statement with :meth:`restore_column` returned rows."""
        self.pending = False

    def restore(self) -> None:
        if self.pending:
            self.pending = False
            self.conn.exec_driver_sql(f"SELECT {RESTORE_SEQSCAN}")


def _get(store: OrderedDict, key: tuple) -> Any | None:
    with _lock:
        hit = store.get(key)
        if hit is None:
            return None
        stamp, value = hit
        if time.monotonic() - stamp > MAX_AGE:
            del store[key]
            return None
        store.move_to_end(key)
        return value


def _put(store: OrderedDict, key: tuple, value: Any, size: int) -> None:
    with _lock:
        store[key] = (time.monotonic(), value)
        store.move_to_end(key)
        while len(store) > size:
            store.popitem(last=False)


def get(key: tuple) -> Any | None:
    return _get(_entries, key)


def put(key: tuple, value: Any) -> None:
    _put(_entries, key, value, MAX_ENTRIES)


def get_order(key: tuple) -> Any | None:
    return _get(_orders, key)


def put_order(key: tuple, value: Any) -> None:
    _put(_orders, key, value, ORDERS_KEPT)


def clear() -> None:
    with _lock:
        _entries.clear()
        _orders.clear()


def advance(dbapi_connection: Any) -> None:
    cur = dbapi_connection.cursor()
    try:
        cur.execute(f"SELECT nextval('{SEQUENCE}')")
    finally:
        cur.close()


def advance_after_commit(session: Any) -> None:
    """Advance the generation again once ``session`` commits its writes."""
    session.info["lyg_search_dirty"] = True


@event.listens_for(model.Session, "after_commit")
def _after_commit(session: Any) -> None:
    if session.info.pop("lyg_search_dirty", False):
        engine = session.get_bind()
        with engine.begin() as conn:
            advance(conn.connection.dbapi_connection)


@event.listens_for(model.Session, "after_rollback")
def _after_rollback(session: Any) -> None:
    session.info.pop("lyg_search_dirty", None)
