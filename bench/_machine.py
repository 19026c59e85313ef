"""A fixed yardstick of the machine's speed, printed by the benchmarks.

Our machines are shared virtual machines whose speed changes from hour to
hour (the same catalog export took 8 s one afternoon and 14.5 s that
evening). The benchmarks print, next to their figures, how long two fixed
pieces of work took at the moment they ran: a pure-Python loop and one
PostgreSQL statement that reads every page of a 60 MB temporary table held
in the session's buffers (memory-bound, like the search's visits to its
hits). Figures measured at different speeds are compared through it.
"""

from __future__ import annotations

import statistics
import time

PYTHON_LOOP = 2_000_000
TABLE_ROWS = 400_000


def _python_ms() -> float:
    t = time.perf_counter()
    total = 0
    for i in range(PYTHON_LOOP):
        total += i % 7
    return (time.perf_counter() - t) * 1000


def _postgres_ms(dsn: str) -> float | None:
    try:
        import psycopg2
    except ImportError:
        return None
    try:
        conn = psycopg2.connect(dsn)
    except psycopg2.Error:
        return None
    try:
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("SET max_parallel_workers_per_gather = 0; SET jit = off; "
                    "SET temp_buffers = '128MB'")
        cur.execute(f"CREATE TEMP TABLE yardstick AS SELECT g AS n, repeat('x', 120) AS pad "
                    f"FROM generate_series(1, {TABLE_ROWS}) g")
        times = []
        for _ in range(6):
            t = time.perf_counter()
            cur.execute("SELECT sum(n) FROM yardstick WHERE pad <> ''")
            cur.fetchone()
            times.append((time.perf_counter() - t) * 1000)
        return statistics.median(times[1:])
    finally:
        conn.close()


def yardstick(dsn: str) -> str:
    """One line: the two fixed pieces of work's times now (median of 5)."""
    py = statistics.median(_python_ms() for _ in range(5))
    pg = _postgres_ms(dsn)
    pg_text = f"{pg:.0f} ms" if pg is not None else "n/a"
    return (f"machine yardstick now: Python {PYTHON_LOOP / 1e6:.0f}M-step loop {py:.0f} ms, "
            f"PostgreSQL scan of {TABLE_ROWS // 1000}k rows {pg_text} (lower is faster)")


if __name__ == "__main__":
    import os
    import sys

    print(yardstick(sys.argv[1] if len(sys.argv) > 1 else
                    os.environ.get("LYG_BENCH_PG", "postgresql://postgres@127.0.0.1:5432") +
                    "/postgres"))
