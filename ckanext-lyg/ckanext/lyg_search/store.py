"""Writing index documents: CKAN's flattened dataset dict → one table row.

The document is the dict CKAN's ``PackageSearchIndex`` builds for Solr (after
every ``before_dataset_index`` plugin ran). It is stored as it is (``doc``,
values as strings or lists of strings) for ``fl``; its short values again in
``terms``, kept in the row, for exact matches and facets; a weighted
``tsvector`` of its segmented text (``tsv``, for matching) and of its title,
name, code, tags and departments (``tsv_head``, for ranking); a ``box`` for
spatial queries and a few columns for the filters and sorts every query
uses. The large columns are stored out of line (migration 0002), so scans
and facet counts read narrow rows.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from . import fields as F
from . import text

log = logging.getLogger(__name__)

TABLE = "lyg_search_doc"

# Values longer than this stay out of ``terms`` (the in-row copy used for
# exact matches and facets); they are matched through ``doc``.
LONG_VALUE = 256

_ROW_COLUMNS = (
    "index_id", "id", "site_id", "name", "title_string", "state", "capacity", "dataset_type",
    "entity_type", "owner_org", "metadata_created", "metadata_modified", "permission_labels",
    "terms", "doc", "seg", "data_dict", "validated_data_dict", "suggest",
)

_HEAD = "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B')"
# One row's values (``row_params`` fills them).
ROW_TEMPLATE = (
    "("
    + ", ".join(["%s"] * 12)
    + ", %s::text[], %s::jsonb, %s::jsonb, %s::jsonb, %s, %s, %s, to_tsvector('simple', %s), "
    + _HEAD + ", " + _HEAD + " || "
    "setweight(to_tsvector('simple', %s), 'C') || setweight(to_tsvector('simple', %s), 'D'), "
    "CASE WHEN %s::float8 IS NULL THEN NULL "
    "ELSE box(point(%s::float8, %s::float8), point(%s::float8, %s::float8)) END, now())"
)
_INSERT = (f"INSERT INTO {TABLE} ({', '.join(_ROW_COLUMNS)}, tsv_title, tsv_head, tsv, bbox, "
           "indexed_at) VALUES ")
_UPDATED = (*_ROW_COLUMNS[1:], "tsv_title", "tsv_head", "tsv")
# A row is rewritten only when something in it changes: re-indexing an
# unchanged dataset (most of a ``search-index rebuild``) then writes no new
# row version, no index entries and no count changes. ``box = box`` compares
# areas, so the box is compared as text (exact: shortest round-trip floats).
_ON_CONFLICT = (
    " ON CONFLICT (index_id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in (*_UPDATED, "bbox", "indexed_at"))
    + f" WHERE ({', '.join(f'{TABLE}.{c}' for c in _UPDATED)}, {TABLE}.bbox::text)"
    + f" IS DISTINCT FROM ({', '.join(f'EXCLUDED.{c}' for c in _UPDATED)}, EXCLUDED.bbox::text)"
)
UPSERT_SQL = _INSERT + ROW_TEMPLATE + _ON_CONFLICT
# Many rows in one statement (the count triggers then run once for them all).
UPSERT_MANY_SQL = _INSERT + "%s" + _ON_CONFLICT


def short_values(stored: dict[str, Any]) -> dict[str, Any]:
    """The document's values kept in the row for exact matches and facets:
    short values of exact-match fields (text fields are matched word by word
    through the text vectors, column fields through their columns)."""
    out: dict[str, Any] = {}
    for key, value in stored.items():
        if key in F.COLUMNS or key in F.ARRAY_COLUMNS or F.field_type(key) == F.TEXT:
            continue
        if isinstance(value, list):
            out[key] = [v for v in value if len(v) <= LONG_VALUE]
        elif len(value) <= LONG_VALUE:
            out[key] = value
    return out


def _as_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def normalise(value: Any) -> str | list[str] | None:
    """Values as Solr stores them: strings, or lists of strings."""
    if isinstance(value, (list, tuple, set)):
        return [s for s in (_as_str(v) for v in value) if s is not None]
    return _as_str(value)


def _parse_ts(value: Any) -> dt.datetime | None:
    if not value:
        return None
    s = str(value)
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    try:
        d = dt.datetime.fromisoformat(s)
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.UTC)
    return d


def _leaf_strings(value: Any) -> Iterable[str]:
    """The readable words inside a value, including JSON held in a string
    (repeating subfields such as info items are stored that way)."""
    if value is None:
        return
    if isinstance(value, str):
        s = value.strip()
        if s[:1] in "[{" and len(s) > 1:
            try:
                parsed = json.loads(s)
            except ValueError:
                yield value
                return
            yield from _leaf_strings(parsed)
            return
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _leaf_strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaf_strings(v)
    elif not isinstance(value, bool):
        yield str(value)


def _related_titles(data_dict: str | None) -> dict[str, list[str]]:
    """Department and group titles (the flattened document only has names)."""
    if not data_dict:
        return {}
    try:
        d = json.loads(data_dict)
    except ValueError:
        return {}
    out: dict[str, list[str]] = {}
    org = d.get("organization") or {}
    if isinstance(org, dict) and org.get("title"):
        out["_organization_title"] = [org["title"]]
    groups = [g.get("title") for g in d.get("groups") or [] if isinstance(g, dict)]
    if any(groups):
        out["_group_titles"] = [g for g in groups if g]
    return out


def _geojson_bounds(value: Any) -> tuple[float, float, float, float] | None:
    try:
        geom = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return None
    xs: list[float] = []
    ys: list[float] = []

    def walk(c: Any) -> None:
        if isinstance(c, (list, tuple)):
            if len(c) >= 2 and all(isinstance(v, (int, float)) for v in c[:2]):
                xs.append(float(c[0]))
                ys.append(float(c[1]))
            else:
                for x in c:
                    walk(x)

    def geoms(g: Any) -> None:
        if not isinstance(g, dict):
            return
        if g.get("type") == "FeatureCollection":
            for f in g.get("features") or []:
                geoms(f)
        elif g.get("type") == "Feature":
            geoms(g.get("geometry"))
        elif g.get("type") == "GeometryCollection":
            for x in g.get("geometries") or []:
                geoms(x)
        else:
            walk(g.get("coordinates"))

    geoms(geom)
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def bounds_of(doc: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """The document's envelope: ckanext-spatial's ``minx…maxy`` fields when its
    indexing ran, else the GeoJSON ``spatial`` extra itself."""
    try:
        if all(doc.get(k) not in (None, "") for k in ("minx", "miny", "maxx", "maxy")):
            return (float(doc["minx"]), float(doc["miny"]), float(doc["maxx"]), float(doc["maxy"]))
    except (TypeError, ValueError):
        pass
    for key in ("extras_spatial", "spatial"):
        if doc.get(key):
            return _geojson_bounds(doc[key])
    return None


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {k: _without_nul(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_nul(v) for v in value]
    return value


def row_params(doc: dict[str, Any]) -> tuple[Any, ...]:
    """Parameters of ``UPSERT_SQL`` for one document (PostgreSQL text cannot
    hold NUL characters: they are dropped)."""
    doc = _without_nul(doc)
    stored: dict[str, Any] = {}
    seg: dict[str, str] = {}
    weighted: dict[str, list[str]] = {"A": [], "B": [], "C": [], "D": []}
    extra = _related_titles(doc.get("data_dict"))
    for key, value in [*doc.items(), *extra.items()]:
        if key in F.NOT_IN_DOC or value is None:
            continue
        if not key.startswith("_"):
            norm = normalise(value)
            if norm is not None and norm != []:
                stored[key] = norm
        if F.field_type(key) == F.TEXT or F.is_searched(key):
            words = text.segment(list(_leaf_strings(value)))
            if F.field_type(key) == F.TEXT and words:
                seg[key] = words
            if F.is_searched(key) and words:
                weighted[F.WEIGHTS.get(key, "D")].append(words)
    labels = doc.get("permission_labels") or []
    a, b = " ".join(weighted["A"]), " ".join(weighted["B"])
    box = bounds_of(doc)
    title = doc.get("title") or ""
    return (
        doc["index_id"], doc["id"], doc.get("site_id") or "", doc.get("name"),
        doc.get("title_string"), doc.get("state"), doc.get("capacity"), doc.get("dataset_type"),
        doc.get("entity_type"), doc.get("owner_org"),
        _parse_ts(doc.get("metadata_created")), _parse_ts(doc.get("metadata_modified")),
        [str(x) for x in labels],
        json.dumps(short_values(stored), ensure_ascii=False),
        json.dumps(stored, ensure_ascii=False), json.dumps(seg, ensure_ascii=False),
        doc.get("data_dict"), doc.get("validated_data_dict"),
        f"{doc.get('name') or ''} {title}".lower(),
        seg.get("title", ""), a, b, a, b, " ".join(weighted["C"]), " ".join(weighted["D"]),
        *((box[0], box[0], box[1], box[2], box[3]) if box else (None,) * 5),
    )


def upsert(connection: Any, docs: Sequence[dict[str, Any]]) -> None:
    """Write documents with a DB-API connection's cursor: one statement for
    one document, one multi-row statement per 500 documents otherwise (a
    document given twice is written once, as last given)."""
    latest = {d["index_id"]: d for d in docs}
    params = [row_params(d) for d in latest.values()]
    if not params:
        return
    cur = connection.cursor()
    try:
        if len(params) == 1:
            cur.execute(UPSERT_SQL, params[0])
        else:
            from psycopg2.extras import execute_values

            execute_values(cur, UPSERT_MANY_SQL, params, template=ROW_TEMPLATE, page_size=500)
    finally:
        cur.close()
