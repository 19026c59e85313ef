"""The facet values of every indexed row, in memory: the engine's docValues.

Counting the facets of a keyword's hits in SQL unnests every hit's facet
codes and groups them: for a word that matches ten thousand entries, most
of the search's time. Like Solr, which keeps each field's values per
document in memory, each process keeps the values of the *counted* fields
(:mod:`.summary`) of every row as arrays: row numbers (``doc_no``,
migration 0009) and, per row, the numbers of its facet keys. A search then
asks PostgreSQL only for its hits' row numbers, and counts their keys with
one ``numpy.bincount``.

The arrays belong to one index generation (:mod:`.cache`): a write anywhere
makes them unusable until they are read again. They are read in a thread
of their own, at most once per ``RELOAD_INTERVAL`` seconds (or per
``READ_SHARE`` times the last read's duration, if longer: reading never
takes more than a twentieth of a process's time), and while they
are being read — or when a hit is missing from them — the facets are
counted in SQL as before. Nothing stale is ever counted.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.exc import DBAPIError

from . import cache, summary
from .query import FACET_SEP

log = logging.getLogger(__name__)

RELOAD_INTERVAL = 10.0
READ_SHARE = 20  # a read waits at least this many times the last one's duration
HITS = -4  # the result row that carries the hits' row numbers (engine._one_pass)


@dataclass(frozen=True)
class Columns:
    """The counted fields' keys of every row, at one index generation."""

    generation: Any
    fields: frozenset[str]
    doc_nos: np.ndarray  # every row's number, ascending
    starts: np.ndarray  # row i's key numbers are values[starts[i]:starts[i + 1]]
    values: np.ndarray  # key numbers (positions in ``keys``), of the narrowest type
    keys: list[str]  # ``field<US>value``, in the database's order (the SQL tie-break)
    field_keys: dict[str, np.ndarray]  # field -> its key numbers

    def count(self, hits: np.ndarray, fields: Iterable[str], limit: int, mincount: int,
              out: dict[str, list[Any]]) -> bool:
        """Add the facets of ``fields`` over the rows numbered ``hits`` to
        ``out`` as Solr's flat lists; False (and ``out`` untouched) when a
        hit is not in these arrays: they are older than the hits."""
        pos = np.searchsorted(self.doc_nos, hits)
        if len(hits) and (pos.max() >= len(self.doc_nos)
                          or not np.array_equal(self.doc_nos[pos], hits)):
            return False
        begin = self.starts[pos]
        lengths = self.starts[pos + 1] - begin
        total = int(lengths.sum())
        # the positions of every hit's key numbers, in one array
        offsets = np.repeat(begin - (np.cumsum(lengths) - lengths), lengths)
        taken = self.values[offsets + np.arange(total, dtype=np.int64)]
        counts = np.bincount(taken, minlength=len(self.keys))
        cut = min(limit, summary.MAX_FACET_LIMIT) if limit >= 0 else None
        for field in fields:
            ids = self.field_keys.get(field, np.empty(0, dtype=np.int64))
            n = counts[ids]
            keep = n >= mincount
            ids, n = ids[keep], n[keep]
            order = np.lexsort((ids, -n))[:cut]  # most frequent first, then key order
            values = out.setdefault(field, [])
            for i, c in zip(ids[order].tolist(), n[order].tolist(), strict=True):
                values.extend([self.keys[i].partition(FACET_SEP)[2], int(c)])
        return True


_lock = threading.Lock()
_current: Columns | None = None
_loading = False
_last_start = float("-inf")
_last_duration = 0.0
_thread: threading.Thread | None = None


def enabled() -> bool:
    import ckan.plugins.toolkit as tk

    return tk.asbool(tk.config.get("ckanext.lyg_search.facet_memory", True))


def columns(generation: Any, fields: Iterable[str]) -> Columns | None:
    """The arrays when they hold ``fields`` at ``generation``; otherwise
    None, and a read of them is started (at most every RELOAD_INTERVAL s)."""
    cur = _current
    if cur is not None and cur.generation == generation and set(fields) <= cur.fields:
        return cur
    _start_reading()
    return None


def _start_reading() -> None:
    global _loading, _last_start, _thread
    with _lock:
        if _loading or time.monotonic() - _last_start < reload_interval():
            return
        _loading, _last_start = True, time.monotonic()
        _thread = threading.Thread(target=_read_in_background, name="lyg-facet-memory",
                                   daemon=True)
        _thread.start()


def reload_interval() -> float:
    """Seconds between two reads: RELOAD_INTERVAL, or READ_SHARE times the
    last read's duration when that is longer (a large index)."""
    return max(RELOAD_INTERVAL, READ_SHARE * _last_duration)


def _after_fork_in_child() -> None:
    """A process forked while a read ran (a rebuild's or an import's
    workers) has no reading thread: it may start its own."""
    global _loading, _thread, _lock
    _lock = threading.Lock()
    _loading, _thread = False, None


os.register_at_fork(after_in_child=_after_fork_in_child)


def wait() -> None:
    """Wait for a read in progress to end (tests, benchmarks)."""
    thread = _thread
    if thread is not None:
        thread.join()


def _read_in_background() -> None:
    global _loading, _last_duration
    from ckan import model

    started = time.monotonic()
    try:
        engine = model.meta.engine.execution_options(isolation_level="REPEATABLE READ")
        with engine.connect() as conn:  # one snapshot: the generation and the values agree
            read(conn)
            conn.rollback()
    except DBAPIError as e:  # a table locked (NOWAIT), being migrated or dropped
        log.warning("lyg_search: facet values not read into memory: %s", e.orig)
    except Exception:  # noqa: BLE001 - an optimisation: the facets are counted in SQL meanwhile
        log.exception("lyg_search: could not read the facet values into memory")
    finally:
        with _lock:
            _loading = False
            _last_duration = time.monotonic() - started


def read(conn: Any) -> Columns | None:
    """Read the arrays over ``conn`` (a SQLAlchemy connection, in one
    snapshot) and make them current; None when the SQL path counts with
    codes neither (see :func:`.summary.facet_codes`)."""
    global _current
    if not summary.has_column(conn, "doc_no"):
        return None
    # Every table at once, or none: a reader that waited for a lock while
    # holding another could deadlock with a writer (``TRUNCATE``, a migration).
    conn.exec_driver_sql(f"LOCK TABLE lyg_search_doc, {summary.SIG_FACET}, {summary.COUNTED} "
                         "IN ACCESS SHARE MODE NOWAIT")
    generation = cache.generation(conn)
    fields = sorted(summary.counted(conn, generation))
    coded = summary.facet_codes(conn, generation, fields) if fields else None
    if coded is None:
        return None
    codes, keys = coded
    doc_text, pair_docs, pair_keys = conn.exec_driver_sql(
        "WITH m AS (SELECT * FROM unnest(%s::bigint[]) WITH ORDINALITY AS m(code, i)), "
        "p AS (SELECT d.doc_no, m.i - 1 AS i FROM lyg_search_doc d "
        "CROSS JOIN LATERAL unnest(d.facet_codes) c JOIN m ON m.code = c) "
        "SELECT (SELECT string_agg(doc_no::text, ',' ORDER BY doc_no) FROM lyg_search_doc), "
        "string_agg(p.doc_no::text, ',' ORDER BY p.doc_no), "
        "string_agg(p.i::text, ',' ORDER BY p.doc_no) FROM p",
        (codes,)).one()
    doc_nos = numbers(doc_text)
    owners = numbers(pair_docs)
    # The narrowest types that hold them: a search's counting reads these
    # arrays at random, and after the search's own statement they are no
    # longer in the processor's caches (1.8 → 1.35 ms for 9,000 hits).
    values = numbers(pair_keys).astype(_narrowest(len(keys)))
    starts = np.searchsorted(owners, doc_nos, side="left")
    starts = np.append(starts, len(owners)).astype(_narrowest(len(owners) + 1, signed=True))
    field_of = np.array([k.partition(FACET_SEP)[0] for k in keys], dtype=object)
    field_keys = {f: np.flatnonzero(field_of == f) for f in fields}
    loaded = Columns(generation, frozenset(fields), doc_nos, starts, values, keys, field_keys)
    _current = loaded
    return loaded


def _narrowest(count: int, signed: bool = False) -> type:
    """The smallest integer type for the numbers 0 … ``count - 1``."""
    for kind in ((np.int32, np.int64) if signed else (np.uint8, np.uint16, np.int32, np.int64)):
        if count - 1 <= np.iinfo(kind).max:
            return kind
    return np.int64


def numbers(text: str | None) -> np.ndarray:
    """Row or key numbers as the database gives them: ``1,5,9``."""
    if not text:
        return np.empty(0, dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",")


def forget() -> None:
    """Drop the arrays (tests; a database reset)."""
    global _current, _last_start, _last_duration
    with _lock:
        _current = None
        _last_start = float("-inf")
        _last_duration = 0.0
