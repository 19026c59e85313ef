"""The PostgreSQL search engine behind CKAN's Solr connection interface.

:class:`PostgresSolr` answers the calls CKAN's search layer (and
ckanext-harvest, ckanext-spatial) makes on a ``pysolr.Solr`` object —
``search``, ``add``, ``delete``, ``commit`` — with SQL on the
``lyg_search_doc`` table, so every caller keeps its code and its query
strings. :mod:`.wiring` hands it out in place of ``pysolr.Solr``.

Writes run in the caller's database transaction when that transaction has
already written something (``package_create`` indexes before it commits:
the index row commits or rolls back with the dataset) or when the caller
defers the commit (``defer_commit``, as rebuilds do). A write on its own (a
re-index, a harvest source clear) commits by itself.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from ckan import model
from ckan.lib.search.common import SearchError, SearchQueryError
from sqlalchemy.exc import DBAPIError

from . import cache, facet_memory, parallel, spatial, store, summary
from . import fields as F
from .query import QueryError, Sql, Translator, _join

log = logging.getLogger(__name__)

DEFAULT_ROWS = 10
# From this ``start`` on, pages walked one after another are cut from the
# query's whole order, read once and kept per generation (at most DEEP_MAX ids).
DEEP_FROM = 1000
DEEP_MAX = 200_000
# Fields a hit has without reading its stored document.
_OWN_COLUMNS = {"id", "index_id", "permission_labels", "score", "data_dict",
                "validated_data_dict"}
MAX_FACET_LIMIT = 10000
SORT_RE = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s+(asc|desc)\s*$", re.I)


class Results:
    """What ``pysolr.Solr.search`` returns, as far as CKAN reads it."""

    def __init__(self, docs: list[dict[str, Any]], hits: int,
                 facets: dict[str, Any] | None = None) -> None:
        self.docs = docs
        self.hits = hits
        self.facets = facets or {}
        self.highlighting: dict[str, Any] = {}
        self.spellcheck: dict[str, Any] = {}
        self.stats: dict[str, Any] = {}
        self.debug: dict[str, Any] = {}
        self.grouped: dict[str, Any] = {}
        self.qtime = None
        self.raw_response = {
            "response": {"numFound": hits, "docs": docs},
            "facet_counts": self.facets,
        }

    def __len__(self) -> int:
        return len(self.docs)

    def __iter__(self):
        return iter(self.docs)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None and str(v) != ""]
    return [str(value)] if str(value) != "" else []


def _int(params: dict[str, Any], key: str, default: int) -> int:
    value = params.get(key, default)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SearchQueryError(f'Invalid "{key}" parameter: {value!r}') from None


@dataclass
class Plan:
    where: Sql
    score: Sql
    sort: str | None

    @property
    def ranked(self) -> bool:
        """Whether the order depends on relevance (a computed score)."""
        spec = (self.sort or "score desc").lower()
        return "score" in spec and self.score.sql != "0::float8"

    def order(self, prefix: str, score: Sql) -> tuple[list[str], list[Any]]:
        """ORDER BY items over table alias ``prefix`` (``d.`` or ``h.``)."""
        return _order_by(self.sort, score, prefix)


class PostgresSolr:
    """A ``pysolr.Solr`` look-alike backed by PostgreSQL."""

    url = "postgresql:lyg_search_doc"

    def __init__(self, decode_dates: bool = True, **_: Any) -> None:
        self.decode_dates = decode_dates

    # -------------------------------------------------------------- writes --

    def add(self, docs: Iterable[dict[str, Any]], commit: bool | None = None,
            **_: Any) -> str:
        docs = list(docs)
        if commit is False and _buffer.docs is not None:
            _buffer.docs.extend(docs)  # written by ``buffered_writes`` in one statement
            if len(_buffer.docs) >= BUFFER_SIZE:
                flush_buffer()
            return ""
        self._write(lambda c: store.upsert(c, docs), deferred=commit is False)
        return ""

    def delete(self, id: str | Sequence[str] | None = None, q: str | None = None,
               commit: bool | None = None, **_: Any) -> str:
        if id is None and q is None:
            raise ValueError('You must specify "id" or "q".')
        if id is not None:
            ids = [id] if isinstance(id, str) else list(id)
            sql = Sql("d.index_id = ANY(%s)", [ids])
        else:
            try:
                sql = self._filter(q or "*:*")
            except QueryError as e:
                raise SearchQueryError(str(e)) from None

        def run(conn: Any) -> None:
            cur = conn.cursor()
            try:
                cur.execute(f"DELETE FROM {store.TABLE} d WHERE {sql.sql}", sql.params)
            finally:
                cur.close()

        self._write(run, deferred=commit is False)
        return ""

    def commit(self, **_: Any) -> str:
        """Nothing is buffered: writes are visible when their transaction
        commits. Commits the session's own transaction if it holds index
        writes (``search-index rebuild`` and deferred re-indexing end here)."""
        model.Session.commit()
        return ""

    def optimize(self, **_: Any) -> str:
        return ""

    def ping(self, **_: Any) -> str:
        model.Session.connection().exec_driver_sql("SELECT 1")
        return "OK"

    def _write(self, fn: Any, deferred: bool = False) -> None:
        """Run ``fn(dbapi_connection)`` in the caller's transaction when it has
        written already or asked to commit later (``defer_commit``: a rebuild
        commits once at its end), else in a short transaction of its own.

        A transaction of its own holds only index rows, which a rebuild can
        always recreate, so it commits without waiting for the disk flush.
        The index generation advances after every commit (see :mod:`.cache`).
        """
        conn = model.Session.connection()
        in_write = conn.exec_driver_sql("SELECT pg_current_xact_id_if_assigned()").scalar()
        if in_write is not None or deferred:
            fn(conn.connection.dbapi_connection)
            cache.advance_after_commit(model.Session())
            return
        engine = model.Session.get_bind()
        with engine.begin() as own:
            dbapi = own.connection.dbapi_connection
            cur = dbapi.cursor()
            cur.execute("SET LOCAL synchronous_commit = off")
            cur.close()
            fn(dbapi)
        with engine.begin() as own:
            cache.advance(own.connection.dbapi_connection)

    # -------------------------------------------------------------- search --

    def search(self, q: str | None = None, search_handler: str | None = None,
               **params: Any) -> Results:
        q = q if q is not None else params.pop("q", "*:*")
        q, params = _without_nul(q), {k: _without_nul(v) for k, v in params.items()}
        try:
            return self._search(q, params)
        except QueryError as e:
            raise SearchQueryError(str(e)) from None
        except DBAPIError as e:
            # The error has aborted the transaction; end it so the session stays
            # usable, and keep database detail out of the user's message.
            log.error("Search query failed: %s", e)
            model.Session.rollback()
            raise SearchError("The search could not be completed.") from None

    def _filter(self, q: str) -> Sql:
        return Translator().lucene(q)

    def plan(self, q: str, params: dict[str, Any], codes: bool = False,
             public_flag: bool = False) -> Plan:
        """The query's SQL; ``codes``: the rows have facet codes (0008);
        ``public_flag``: the rows have the ``public`` label's flag (0012)."""
        df = params.get("df") or "text"
        if not F.FIELD_NAME.match(df):
            raise QueryError(f"Invalid default field: {df!r}")
        default_and = str(params.get("q.op", "AND")).upper() != "OR"
        t = Translator(df=df, default_and=default_and, codes=codes, public_flag=public_flag)
        q = (q or "").strip() or "*:*"
        def_type = params.get("defType") or "lucene"
        if q in ("*:*", '""', "''"):
            qsql = Sql.true()
        elif def_type in ("dismax", "edismax") and not _fielded(q):
            qsql = t.dismax(q, params.get("mm"))
        else:
            qsql = t.lucene(q)
        rank_queries = list(t.rank)
        parts = [qsql]
        score_parts: list[Sql] = []
        for fq in _as_list(params.get("fq")):
            frange = spatial.parse_frange(fq)
            if frange is not None:
                parts.append(frange)
                continue
            if fq.strip():
                parts.append(Translator(default_and=default_and, codes=codes,
                                        public_flag=public_flag).lucene(fq))
        if rank_queries:
            combined = Sql(
                " || ".join(r.sql for r in rank_queries),
                [p for r in rank_queries for p in r.params],
            )
            score_parts.append(Sql(
                f"ts_rank('{{0.1, 0.2, 0.4, 1.0}}', d.tsv_head, ({combined.sql}), 1)",
                combined.params,
            ))
        bf = params.get("bf")
        if bf:
            boost = spatial.parse_bf(bf)
            if boost is None:
                raise QueryError("Unsupported boost function")
            score_parts.append(boost)
        score = (
            Sql(" + ".join(f"COALESCE({s.sql}, 0)" for s in score_parts),
                [p for s in score_parts for p in s.params])
            if score_parts else Sql("0::float8")
        )
        _order_by(params.get("sort"), score, "d.")  # a bad sort fails before any query
        return Plan(_join(parts, "AND"), score, params.get("sort"))

    def _search(self, q: str, params: dict[str, Any]) -> Results:
        rows = _int(params, "rows", DEFAULT_ROWS)
        start = _int(params, "start", 0)
        if rows < 0 or start < 0:
            raise QueryError('"rows" and "start" must not be negative')
        conn = model.Session.connection()
        plan = self.plan(q, params, codes=summary.codes_column(conn),
                         public_flag=summary.has_column(conn, "labels_public"))
        fl = _field_list(params.get("fl"))
        want_facets = str(params.get("facet", "false")).lower() in ("true", "on", "1")
        facet_fields = _as_list(params.get("facet.field")) if want_facets else []
        limit = _int(params, "facet.limit", 100)
        mincount = max(1, _int(params, "facet.mincount", 1))
        for ff in facet_fields:
            if not F.FIELD_NAME.match(ff):
                raise QueryError(f"Invalid facet field: {ff!r}")
        preference = cache.IndexPreference(conn, "@@" in plan.where.sql)
        try:
            return self._execute(conn, plan, fl, facet_fields, limit, mincount, rows, start,
                                 preference)
        finally:
            preference.restore()

    def _execute(self, conn: Any, plan: Plan, fl: list[str], facet_fields: list[str],
                 limit: int, mincount: int, rows: int, start: int,
                 preference: cache.IndexPreference) -> Results:
        where = plan.where
        key = (preference.generation(), where.sql, tuple(map(_hashable, where.params)))
        count = cache.get(("count", *key))
        facets: dict[str, Any] = {"facet_fields": {}}
        missing = []
        for ff in facet_fields:
            values = cache.get(("facet", ff, limit, mincount, *key))
            if values is None:
                missing.append(ff)
            else:
                facets["facet_fields"][ff] = list(values)
        page_ids: list[str] | None = None
        if (count is None or missing) and summary.can_answer(conn, where, missing, key[0]):
            # Filters on the signature columns only (``*:*`` pages, a
            # department's page): count and facets from the running counts.
            count, computed = summary.count_and_facets(conn, where, missing, limit, mincount)
            cache.put(("count", *key), count)
            for ff, values in computed.items():
                cache.put(("facet", ff, limit, mincount, *key), values)
                facets["facet_fields"][ff] = list(values)
            missing = []
        if count is None and not missing and not plan.ranked:
            # Only a count, and an order an index can serve (dates, titles,
            # names): count (beside, when it can), and read the page straight
            # off that index.
            split = self._beside(conn, plan, [], limit, mincount, rows, start, key[0],
                                 preference)
            if split:
                count, _, page_ids = split
            else:
                count, _, _ = self._one_pass(conn, plan, [], limit, mincount, 0, 0)
            cache.put(("count", *key), count)
        elif count is None or missing:
            split = self._beside(conn, plan, missing, limit, mincount, rows, start, key[0],
                                 preference)
            count, computed, page_ids = split or self._one_pass(
                conn, plan, missing, limit, mincount, rows, start, key[0])
            cache.put(("count", *key), count)
            for ff, values in computed.items():
                cache.put(("facet", ff, limit, mincount, *key), values)
                facets["facet_fields"][ff] = list(values)
        docs: list[dict[str, Any]] = []
        if rows and count > start:
            if page_ids is None and start >= DEEP_FROM:
                page_ids = self._deep_page_ids(conn, plan, key, rows, start, count)
            if page_ids is None:
                page_ids = self._page_ids(conn, plan, rows, start)
            docs = self._fetch(conn, plan, page_ids, fl, preference)
            if len(docs) < min(rows, count - start):
                # the index changed under a cached count: count again
                count = self._one_pass(conn, plan, [], limit, mincount, 0, 0)[0]
        return Results(docs, count, facets)

    def _deep_page_ids(self, conn: Any, plan: Plan, key: tuple, rows: int, start: int,
                       count: int) -> list[str] | None:
        """A page far down the results, or None to read it directly.

        A client walking the whole result with ``start``/``rows``
        (``search-index list-orphans``, another portal's harvester) would make
        each page read every row before it again. The first deep page of a
        query is read directly; at the second, the whole order is read (at
        most ``DEEP_MAX`` ids) and kept for the index generation (for
        ``cache.ORDERS_KEPT`` queries), and the pages are cut from it."""
        order_key = (plan.sort, *key)
        known = cache.get_order(order_key)
        end = min(start + rows, count)
        if known is None:
            cache.put_order(order_key, ())  # seen once: the next deep page reads ahead
            return None
        if len(known) < end:
            whole = min(count, DEEP_MAX)
            if whole < end:
                return None
            known = tuple(self._page_ids(conn, plan, whole, 0))
            cache.put_order(order_key, known)
        return list(known[start:start + rows])

    def _page_ids(self, conn: Any, plan: Plan, rows: int, start: int) -> list[str]:
        """The page, straight from the table (an index on the sort key serves
        ``*:*`` sorted by date, title or name without touching other rows)."""
        order, oparams = plan.order("d.", plan.score)
        sql = (f"SELECT d.index_id FROM {store.TABLE} d WHERE {plan.where.sql} "
               f"ORDER BY {', '.join(order)} LIMIT %s OFFSET %s")
        params = [*plan.where.params, *oparams, rows, start]
        return [r[0] for r in conn.exec_driver_sql(sql, tuple(params))]

    def _beside(self, conn: Any, plan: Plan, fields: list[str], limit: int, mincount: int,
                rows: int, start: int, generation: Any, preference: cache.IndexPreference,
                ) -> tuple[int, dict[str, list[Any]], list[str]] | None:
        """The count (and the facets, counted in memory) on a second
        connection while this one reads the page (:mod:`.parallel`); None when
        that does not apply or failed: the caller then does all in one pass."""
        if not (rows and start < DEEP_FROM and not preference.wrote
                and parallel.enabled() and parallel.idle_core()):
            return None
        bind = model.Session.get_bind()
        if not isinstance(bind, sa.engine.Engine):
            return None
        memory = None
        if fields:  # only when every facet is counted in memory
            if any(ff in F.COLUMNS or ff in F.ARRAY_COLUMNS for ff in fields):
                return None
            coded_fields, _, memory = self._counting(conn, fields, generation)
            if memory is None or len(coded_fields) < len(fields):
                return None
        where = plan.where
        numbers = ", array_to_string(array_agg(d.doc_no), ',')" if memory else ", NULL"

        def count_and_facets(other: Any) -> tuple[int, dict[str, list[Any]]] | None:
            count, hits = other.exec_driver_sql(
                f"SELECT count(*){numbers} FROM {store.TABLE} d WHERE {where.sql}",
                tuple(where.params)).one()
            out: dict[str, list[Any]] = {ff: [] for ff in fields}
            if memory and not memory.count(facet_memory.numbers(hits), fields, limit,
                                           mincount, out):
                return None  # a hit newer than the arrays
            return int(count), out

        beside = parallel.Beside(bind, preference.on, count_and_facets)
        try:
            page = self._page_ids(conn, plan, rows, start)
        finally:
            counted = beside.result()
        if counted is None:
            return None
        return counted[0], counted[1], page

    def _counting(self, conn: Any, keyed: list[str], generation: Any, in_memory: bool = True,
                  ) -> tuple[list[str], tuple[list[int], list[str]] | None,
                             facet_memory.Columns | None]:
        """How the keyed facet fields are counted: those counted by the site
        (a facet field of this site is counted from its first use), their
        codes (migration 0008) and, when this process holds their values,
        the in-memory arrays."""
        coded_fields: list[str] = []
        coded = memory = None
        if keyed and generation is not None:
            have = summary.counted_with_site_fields(conn, keyed, generation)
            coded_fields = [ff for ff in keyed if ff in have]
            coded = summary.facet_codes(conn, generation, coded_fields) if coded_fields else None
        if coded is not None and in_memory and facet_memory.enabled():
            memory = facet_memory.columns(generation, coded_fields)
        return coded_fields, coded, memory

    def _one_pass(self, conn: Any, plan: Plan, fields: list[str], limit: int, mincount: int,
                  rows: int, start: int, generation: Any = None, in_memory: bool = True,
                  ) -> tuple[int, dict[str, list[Any]], list[str]]:
        """Hit count, facets and the page's ids in one pass over the hits.

        The counted fields' facets are counted in memory (:mod:`.facet_memory`)
        from the hits' row numbers when this process holds the current
        generation's values, else over the hits' facet codes in SQL."""
        where = plan.where
        if not fields and not rows:
            count = conn.exec_driver_sql(
                f"SELECT count(*) FROM {store.TABLE} d WHERE {where.sql}", tuple(where.params)
            ).scalar()
            return int(count or 0), {}, []
        keyed = [ff for ff in fields if ff not in F.COLUMNS and ff not in F.ARRAY_COLUMNS]
        # Keys of counted fields are counted as codes, named from the list of
        # every key those fields hold; other fields' keys as text.
        coded_fields, coded, memory = self._counting(conn, keyed, generation, in_memory)
        text_fields = keyed if coded is None else [ff for ff in keyed if ff not in coded_fields]
        # Only what the count, the page's order and the facets read.
        order, oparams = plan.order("h.", Sql("h.score"))
        read = set(re.findall(r"\bh\.([a-z_]+)", " ".join(order)))
        read |= {F.COLUMNS.get(f, F.ARRAY_COLUMNS.get(f, "d.facets"))[2:] for f in fields}
        if not text_fields:
            read.discard("facets")
        if memory is not None:
            read.add("doc_no")
        elif coded is not None:
            read.add("facet_codes")
        read -= {"index_id", "score"}
        hits_cols = ["d.index_id", f"({plan.score.sql}) AS score",
                     *(f"d.{c} AS {c}" for c in sorted(read))]
        params: list[Any] = [*plan.score.params, *where.params]
        parts = ["SELECT -1 AS i, NULL AS v, count(*) AS c FROM hits"]
        if rows:
            parts.append(
                "(SELECT -2 AS i, h.index_id AS v, NULL::bigint AS c FROM hits h "
                f"ORDER BY {', '.join(order)} LIMIT %s OFFSET %s)"
            )
            params.extend([*oparams, rows, start])
        for i, ff in enumerate(fields):
            if ff in keyed:
                continue
            if ff in F.COLUMNS:
                values = f"SELECT h.{F.COLUMNS[ff][2:]} AS v FROM hits h"
            else:
                values = f"SELECT unnest(h.{F.ARRAY_COLUMNS[ff][2:]}) AS v FROM hits h"
            lim = " LIMIT %s" if limit >= 0 else ""
            parts.append(
                f"(SELECT {i} AS i, v, count(*) AS c FROM ({values}) f "
                "WHERE v IS NOT NULL AND v <> '' GROUP BY v HAVING count(*) >= %s "
                f"ORDER BY c DESC, v{lim})"
            )
            params.append(mincount)
            if limit >= 0:
                params.append(min(limit, MAX_FACET_LIMIT))
        if memory is not None:
            # the hits' row numbers, for counting the counted fields in memory
            parts.append(f"SELECT {facet_memory.HITS} AS i, "
                         "array_to_string(array_agg(h.doc_no), ',') AS v, NULL AS c FROM hits h")
        elif coded is not None:
            # the counted fields in one pass over the hits' facet codes
            codes, keys = coded
            counted = ("SELECT m.k, n.c FROM (SELECT u.code, count(*) AS c FROM "
                       "(SELECT unnest(h.facet_codes) AS code FROM hits h) u "
                       "WHERE u.code = ANY(%s::bigint[]) GROUP BY u.code HAVING count(*) >= %s) n "
                       "JOIN unnest(%s::bigint[], %s::text[]) AS m(code, k) ON m.code = n.code")
            parts.append(summary.top_keys(counted, limit))
            params.extend([codes, mincount, codes, keys])
            if limit >= 0:
                params.append(min(limit, MAX_FACET_LIMIT))
        if text_fields:
            # the other keyed fields in one pass over the hits' facet keys
            counted = ("SELECT k, count(*) AS c FROM (SELECT unnest(h.facets) AS k FROM hits h) u "
                       "WHERE split_part(k, E'\\x1f', 1) = ANY(%s) GROUP BY k HAVING count(*) >= %s")
            parts.append(summary.top_keys(counted, limit))
            params.extend([text_fields, mincount])
            if limit >= 0:
                params.append(min(limit, MAX_FACET_LIMIT))
        sql = (f"WITH hits AS MATERIALIZED (SELECT {', '.join(hits_cols)} FROM {store.TABLE} d "
               f"WHERE {where.sql}) " + " UNION ALL ".join(parts))
        out: dict[str, list[Any]] = {ff: [] for ff in fields}
        page: list[str] = []
        counted = []
        hits = None
        for i, v, c in conn.exec_driver_sql(sql, tuple(params)):
            if i == -2:
                page.append(v)
            elif i == facet_memory.HITS:
                hits = facet_memory.numbers(v)
            else:
                counted.append((i, v, c))
        count = summary.read_rows(counted, fields, out) or 0
        if memory is not None and not memory.count(hits, coded_fields, limit, mincount, out):
            # a hit newer than this process's values: count in SQL
            return self._one_pass(conn, plan, fields, limit, mincount, rows, start,
                                  generation, in_memory=False)
        return count, out, page

    def _fetch(self, conn: Any, plan: Plan, ids: list[str], fl: list[str],
               preference: cache.IndexPreference | None = None) -> list[dict]:
        if not ids:
            return []
        restore = preference.restore_column() if preference else None
        want_data = "data_dict" in fl or "*" in fl
        want_validated = "validated_data_dict" in fl or "*" in fl
        want_doc = not set(fl) <= _OWN_COLUMNS  # the stored document is out of line
        select = [
            "d.index_id", "d.id", "d.doc" if want_doc else "NULL", "d.permission_labels",
            "d.data_dict" if want_data else "NULL",
            "d.validated_data_dict" if want_validated else "NULL",
            f"({plan.score.sql})",
            restore or "NULL",
        ]
        sql = (f"SELECT {', '.join(select)} FROM {store.TABLE} d "
               "WHERE d.index_id = ANY(%s)")
        found = {}
        for row in conn.exec_driver_sql(sql, tuple([*plan.score.params, list(ids)])):
            index_id, id_, doc, labels, data, validated, score, _ = row
            full = dict(doc or {})
            full.update(index_id=index_id, id=id_, permission_labels=list(labels),
                        score=float(score or 0))
            if data is not None:
                full["data_dict"] = data
            if validated is not None:
                full["validated_data_dict"] = validated
            found[index_id] = _project(full, fl)
        if found and restore:
            preference.restored()
        return [found[i] for i in ids if i in found]


class _Buffer(threading.local):
    docs: list[dict[str, Any]] | None = None


_buffer = _Buffer()
BUFFER_SIZE = 500


def flush_buffer() -> None:
    """Write the buffered documents (one statement) in the session's transaction."""
    docs, _buffer.docs = _buffer.docs, []
    if docs:
        PostgresSolr()._write(lambda c: store.upsert(c, docs), deferred=True)


@contextlib.contextmanager
def buffered_writes() -> Iterator[None]:
    """Within the block, writes made with ``defer_commit`` (re-indexing) are
    collected and written together, in the caller's transaction, at the end
    of the block or every ``BUFFER_SIZE`` documents."""
    outer = _buffer.docs
    _buffer.docs = []
    try:
        yield
        flush_buffer()
    finally:
        _buffer.docs = outer


def _without_nul(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL characters; they carry no meaning."""
    return store._without_nul(value)


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def _fielded(q: str) -> bool:
    return ":" in q


def _field_list(fl: Any) -> list[str]:
    if not fl:
        return ["*", "score"]
    if isinstance(fl, (list, tuple)):
        fl = " ".join(fl)
    return [f for f in re.split(r"[\s,]+", str(fl)) if f]


def _project(doc: dict[str, Any], fl: list[str]) -> dict[str, Any]:
    if "*" in fl:
        out = {k: v for k, v in doc.items() if k != "score" or "score" in fl}
        return out
    return {k: doc[k] for k in fl if k in doc}


def _order_by(sort: Any, score: Sql, p: str = "d.") -> tuple[list[str], list[Any]]:
    """``score desc, metadata_modified desc`` → ORDER BY items (+ params) over
    the table alias ``p``. Ties end on ``index_id`` in the direction of the
    last key, so an index on (key, index_id) serves the sort."""
    items: list[str] = []
    params: list[Any] = []
    spec = (sort or "score desc, metadata_modified desc").strip()
    direction = "DESC"
    for part in spec.split(","):
        if not part.strip():
            continue
        m = SORT_RE.match(part)
        if not m:
            raise SearchQueryError('Invalid "sort" parameter')
        name, direction = m.group(1), m.group(2).upper()
        if name == "score":
            if score.params or score.sql not in ("0::float8", "h.score"):
                items.append(f"({score.sql}) {direction}")
                params.extend(score.params)
            elif score.sql == "h.score":
                items.append(f"h.score {direction}")
        elif name in F.COLUMNS:
            items.append(f"{p}{F.COLUMNS[name][2:]} {direction}")
        elif name in ("title", "title_string"):
            items.append(f"{p}title_string {direction}")
        elif F.field_type(name) == F.NUMBER or name.startswith("views_"):
            items.append(
                f"(CASE WHEN {p}terms->>%s ~ %s THEN ({p}terms->>%s)::numeric END) "
                f"{direction} NULLS LAST"
            )
            params.extend([name, r"^\s*[-+]?[0-9]+\.?[0-9]*\s*$", name])
        elif F.FIELD_NAME.match(name):
            items.append(
                f"(CASE jsonb_typeof({p}terms->%s) WHEN 'array' THEN {p}terms->%s->>0 "
                f"ELSE {p}terms->>%s END) {direction} NULLS LAST"
            )
            params.extend([name, name, name])
        else:
            raise SearchQueryError('Invalid "sort" parameter')
    items.append(f"{p}index_id {direction}")
    return items, params


def connection(decode_dates: bool = True, **kwargs: Any) -> PostgresSolr:
    return PostgresSolr(decode_dates=decode_dates)
