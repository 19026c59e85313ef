"""A keyword search's count and facets on a second connection, beside its page.

A keyword search asks PostgreSQL for two things over the same hits: the page
(every hit ranked, the best few kept) and the count — with facets, also the
hits' row numbers, from which :mod:`.facet_memory` counts them. One statement
does both on one core. While the machine has an idle core, the count and the
facets are instead done by a thread on a connection of its own, at the same
time as the page is read on the caller's: the search then takes about as long
as its page alone, for more database CPU in all (each statement visits the
hits). On a busy machine (the one-minute load average at or above the number
of cores), in a transaction that has written (another connection would not
see its rows), when the facets are not counted in memory, or with
``ckanext.lyg_search.parallel_facets = false``, the caller does both in one
statement as before.

The two statements run on different snapshots, like every statement of a
search in CKAN's read-committed transactions: a write committed between them
can show in one and not the other, as it can between a search's count and its
page (the engine counts again when a page comes back shorter than the count
says).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

log = logging.getLogger(__name__)


def enabled() -> bool:
    import ckan.plugins.toolkit as tk

    return tk.asbool(tk.config.get("ckanext.lyg_search.parallel_facets", True))


def idle_core() -> bool:
    """Whether the machine has a core to spare (a cheap, coarse reading)."""
    cores = os.cpu_count() or 1
    if cores < 2:
        return False
    try:
        return os.getloadavg()[0] < cores
    except OSError:  # no load average on this platform
        return False


class Beside:
    """``work(connection)`` run in a thread on a connection of its own from
    ``bind``'s pool; :meth:`result` waits for it (None if it failed)."""

    def __init__(self, bind: sa.engine.Engine, prefer_indexes: bool,
                 work: Callable[[Any], Any]) -> None:
        self._value: Any = None
        self._thread = threading.Thread(target=self._run, args=(bind, prefer_indexes, work),
                                        name="lyg-search-facets", daemon=True)
        self._thread.start()

    def _run(self, bind: sa.engine.Engine, prefer_indexes: bool,
             work: Callable[[Any], Any]) -> None:
        seqscan = ", set_config('enable_seqscan', 'off', true)" if prefer_indexes else ""
        try:
            with bind.connect() as conn:
                conn.exec_driver_sql("SELECT set_config('jit', 'off', true), "
                                     f"set_config('work_mem', '32MB', true){seqscan}")
                self._value = work(conn)
                conn.rollback()
        except Exception:  # noqa: BLE001 - an optimisation: the caller counts itself
            log.exception("lyg_search: facets not counted beside the page")
            self._value = None

    def result(self) -> Any:
        self._thread.join()
        return self._value
