"""Running counts per filter signature (migration 0006).

Every index row belongs to one *signature*: its values of the columns CKAN's
standard filters read (site, state, capacity, dataset type, entity type,
department, permission labels). Statement triggers keep, in the writing
transaction, the number of rows per signature and per signature and facet key
(``field<US>value``) of the *counted* fields. A query whose filters read only
signature columns — the search page without a keyword, the home page, a
department's page — is then counted and faceted over a few dozen signatures
instead of every hit; nothing is cached, so nothing is ever stale.

The counted fields start as CKAN's default facets; the site's other facet
fields (``IFacets`` plugins, ``ckanext.lyg_search.counted_fields``) are added,
and counted over the rows already indexed, the first time a query asks for
them (:func:`sync_fields`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from . import fields as F
from .query import FACET_SEP, Sql, facet_key

log = logging.getLogger(__name__)

SIG = "lyg_search_sig"
SIG_FACET = "lyg_search_sig_facet"
COUNTED = "lyg_search_counted"
LOCK_KEY = 7264001  # the count writers' advisory lock (migration 0006)
KEYED = -3  # result rows of facet keys
MAX_FACET_LIMIT = 10000
SIG_COLUMNS = frozenset({"site_id", "state", "capacity", "dataset_type", "entity_type",
                         "owner_org", "permission_labels", "labels_public"})
_SIG_KEY = ("md5(concat_ws(E'\\x1e', " + ", ".join(
    f"coalesce(d.{c}::text, E'\\x1d')" for c in ("site_id", "state", "capacity", "dataset_type",
                                                 "entity_type", "owner_org", "permission_labels"))
    + "))")


def answerable(where: Sql, facet_fields: Iterable[str]) -> bool:
    """Whether the filters read only signature columns (no sub-query, no
    other column) and each facet is a signature column or a keyed field.
    Whether the keyed fields are counted is checked by :func:`counted`."""
    if re.search(r"\bselect\b", where.sql, re.I):
        return False
    if not set(re.findall(r"\bd\.([a-z_]+)", where.sql)) <= SIG_COLUMNS:
        return False
    return all(ff in SIG_COLUMNS - {"permission_labels", "labels_public"} or
               (ff not in F.COLUMNS and ff not in F.ARRAY_COLUMNS) for ff in facet_fields)


# The counted fields read at an index generation (see :func:`counted`).
_counted_at: dict[Any, frozenset[str]] = {}


def counted(conn: Any, generation: Any = None) -> frozenset[str]:
    """The fields counted now (none when migration 0006 has not run).

    Given the index ``generation`` (:func:`.cache.generation`), the answer
    read at that generation is reused: any change to the counted fields
    advances the generation (a trigger, migration 0007; :func:`sync_fields`
    advances it too), so no process answers from a set the database no
    longer holds."""
    if generation is not None:
        fields = _counted_at.get(generation)
        if fields is not None:
            return fields
    if conn.exec_driver_sql("SELECT to_regclass(%s)", (COUNTED,)).scalar() is None:
        fields = frozenset()
    else:
        fields = frozenset(conn.exec_driver_sql(f"SELECT field FROM {COUNTED}").scalars().all())
    if generation is not None:
        _counted_at.clear()  # only the latest generation is asked again
        _counted_at[generation] = fields
    return fields


# Codes and keys of counted fields, read at an index generation (see :func:`facet_codes`).
MAX_CODED_KEYS = 20000
_codes_at: dict[Any, tuple[list[int], list[str]] | None] = {}


def facet_codes(conn: Any, generation: Any, fields: list[str],
                ) -> tuple[list[int], list[str]] | None:
    """The code (``facet_codes``, migration 0008) and key of every value the
    counted ``fields`` hold, for counting the hits' facets as codes; None
    when a field is not counted (its keys are not all listed), the column is
    missing, the fields hold more than ``MAX_CODED_KEYS`` values, or two of
    these keys share a code. The keys come in the database's order (the
    tie-break of equal counts). Read once per index generation and fields."""
    wanted = tuple(sorted(set(fields)))
    memo = (generation, wanted)
    if memo in _codes_at:
        return _codes_at[memo]
    value: tuple[list[int], list[str]] | None = None
    if wanted and set(wanted) <= counted(conn, generation) and codes_column(conn):
        rows = conn.exec_driver_sql(
            f"SELECT f.key, hashtextextended(f.key, 0) FROM (SELECT DISTINCT key FROM {SIG_FACET} "
            "WHERE split_part(key, E'\\x1f', 1) = ANY(%s)) f ORDER BY f.key",
            (list(wanted),)).all()
        codes = [int(r[1]) for r in rows]
        # (the lists go with every query: beyond MAX_CODED_KEYS, the text keys are read)
        if len(set(codes)) < len(codes):
            log.warning("lyg_search: facet keys of %s share a code; counting them as text",
                        ", ".join(wanted))
        elif len(codes) <= MAX_CODED_KEYS:
            value = (codes, [r[0] for r in rows])
    if any(g != generation for g, _ in _codes_at):
        _codes_at.clear()  # only the latest generation is asked again
    _codes_at[memo] = value
    return value


_columns_seen: set[str] = set()


def has_column(conn: Any, name: str) -> bool:
    """Whether the index rows have the column ``name`` (added by a later
    migration); remembered once seen (running below that migration again
    needs a restart)."""
    if name not in _columns_seen and conn.exec_driver_sql(
            "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%s) "
            "AND attname = %s AND NOT attisdropped)", ("lyg_search_doc", name)).scalar():
        _columns_seen.add(name)
    return name in _columns_seen


def codes_column(conn: Any) -> bool:
    """Whether the index rows have ``facet_codes`` (migration 0008)."""
    return has_column(conn, "facet_codes")


def can_answer(conn: Any, where: Sql, facet_fields: list[str], generation: Any = None) -> bool:
    """Whether the running counts answer ``where`` with ``facet_fields``.
    A facet field of this site that is not counted yet is added first."""
    if not answerable(where, facet_fields):
        return False
    fields = counted_with_site_fields(conn, facet_fields, generation)
    if not fields:
        return False
    return all(ff in F.COLUMNS or ff in fields for ff in facet_fields)


def counted_with_site_fields(conn: Any, facet_fields: Iterable[str],
                             generation: Any = None) -> frozenset[str]:
    """The counted fields, after adding those of ``facet_fields`` that are
    facet fields of this site and not counted yet (:func:`sync_fields`)."""
    fields = counted(conn, generation)
    if not fields:
        return fields
    missing = {ff for ff in facet_fields if ff not in F.COLUMNS and ff not in F.ARRAY_COLUMNS
               and ff not in fields}
    if missing and missing <= site_facet_fields() and _add_fields(missing):
        _counted_at.clear()
        fields = counted(conn)
    return fields


def site_facet_fields() -> frozenset[str]:
    """The fields this site facets on: ``search.facets``, what the
    ``IFacets`` plugins add to the dataset search page, and
    ``ckanext.lyg_search.counted_fields``. Any other field is faceted by
    reading the hits (an API caller can ask for any field). Asked only when
    a query wants a facet that is not counted yet."""
    import ckan.plugins as p
    import ckan.plugins.toolkit as tk

    names = set(tk.config.get("search.facets") or ())
    names |= set(tk.config.get("ckanext.lyg_search.counted_fields") or ())
    facets: dict[str, Any] = dict.fromkeys(names, "")
    try:
        for plugin in p.PluginImplementations(p.IFacets):
            facets = plugin.dataset_facets(facets, "dataset") or facets
    except Exception:  # noqa: BLE001 - a plugin that needs a request; use the rest
        log.debug("lyg_search: IFacets plugins not asked", exc_info=True)
    return frozenset(f for f in {*names, *facets} if F.FIELD_NAME.match(f))


def _add_fields(fields: set[str]) -> bool:
    """Count ``fields`` from now on, in a transaction of its own; gives up
    (False) when a writer holds the lock, e.g. this very request."""
    from ckan import model

    try:
        with model.meta.engine.begin() as own:
            return bool(sync_fields(own, fields))
    except Exception:  # noqa: BLE001 - counting is an optimisation; searching goes on
        log.exception("lyg_search: could not count %s", ", ".join(sorted(fields)))
        return False


def top_keys(counted_sql: str, limit: int) -> str:
    """The ``limit`` most frequent keys of each field among ``counted_sql``'s
    rows ``(k, c)``, as result rows ``(KEYED, key, count)``."""
    ranked = ("SELECT k, c, row_number() OVER (PARTITION BY split_part(k, E'\\x1f', 1) "
              f"ORDER BY c DESC, k) AS r FROM ({counted_sql}) g")
    cut = " WHERE r <= %s" if limit >= 0 else ""
    return f"(SELECT {KEYED} AS i, k AS v, c FROM ({ranked}) t{cut})"


def read_rows(rows: Iterable[tuple[int, Any, Any]], fields: list[str],
              out: dict[str, list[Any]]) -> int | None:
    """Fold result rows ``(i, v, c)`` into Solr's flat facet lists; the
    count row (``i == -1``) is returned."""
    count = None
    for i, v, c in rows:
        if i == -1:
            count = int(c)
        elif i == KEYED:
            field, _, value = v.partition(FACET_SEP)
            out[field].extend([value, int(c)])
        elif i >= 0:
            out[fields[i]].extend([v if isinstance(v, str) else str(v), int(c)])
    return count


def count_and_facets(conn: Any, where: Sql, fields: list[str], limit: int,
                     mincount: int) -> tuple[int, dict[str, list[Any]]]:
    """Count and facets of ``where`` added up over the signatures it admits."""
    sql = f"SELECT -1 AS i, NULL AS v, coalesce(sum(d.n), 0) AS c FROM {SIG} d WHERE {where.sql}"
    params: list[Any] = [*where.params]
    keyed = [ff for ff in fields if ff not in F.COLUMNS]
    lim = " LIMIT %s" if limit >= 0 else ""
    for i, ff in enumerate(fields):
        if ff in keyed:
            continue
        col = F.COLUMNS[ff]
        sql += (f" UNION ALL (SELECT {i}, {col}, sum(d.n) FROM {SIG} d WHERE {where.sql} "
                f"AND {col} IS NOT NULL AND {col} <> '' GROUP BY {col} "
                f"HAVING sum(d.n) >= %s ORDER BY 3 DESC, 2{lim})")
        params.extend([*where.params, mincount])
        if limit >= 0:
            params.append(min(limit, MAX_FACET_LIMIT))
    if keyed:
        counted_sql = (f"SELECT f.key AS k, sum(f.n) AS c FROM {SIG} d "
                       f"JOIN {SIG_FACET} f ON f.sig = d.sig WHERE {where.sql} "
                       "AND f.key ^@ ANY(%s) GROUP BY f.key HAVING sum(f.n) >= %s")
        sql += " UNION ALL " + top_keys(counted_sql, limit)
        params.extend([*where.params, [facet_key(ff, "") for ff in keyed], mincount])
        if limit >= 0:
            params.append(min(limit, MAX_FACET_LIMIT))
    out: dict[str, list[Any]] = {ff: [] for ff in fields}
    count = read_rows(conn.exec_driver_sql(sql, tuple(params)), fields, out)
    return count or 0, out


def sync_fields(conn: Any, wanted: Iterable[str]) -> list[str]:
    """Count the fields of ``wanted`` not counted yet, over the rows already
    indexed, and from now on. Returns the fields added (none when a writer
    holds the writers' lock: the next search tries again)."""
    wanted = {f for f in wanted if F.FIELD_NAME.match(f) and FACET_SEP not in f}
    if not conn.exec_driver_sql(f"SELECT pg_try_advisory_xact_lock({LOCK_KEY})").scalar():
        return []
    have = set(conn.exec_driver_sql(f"SELECT field FROM {COUNTED}").scalars().all())
    added = sorted(wanted - have)
    if not added:
        return []
    conn.exec_driver_sql(f"INSERT INTO {COUNTED} (field) SELECT unnest(%s::text[])", (added,))
    conn.exec_driver_sql(
        f"INSERT INTO {SIG_FACET} AS t (sig, key, n) "
        f"SELECT {_SIG_KEY}, k, count(*) FROM lyg_search_doc d, unnest(d.facets) k "
        "WHERE split_part(k, E'\\x1f', 1) = ANY(%s) GROUP BY 1, 2 ORDER BY 1, 2 "
        "ON CONFLICT (sig, key) DO UPDATE SET n = t.n + EXCLUDED.n",
        (added,),
    )
    # a new generation: every process reads the counted fields again
    conn.exec_driver_sql("SELECT nextval('lyg_search_generation')")
    log.info("lyg_search: now counting facet values of %s", ", ".join(added))
    return added
