"""Bounding-box search with PostgreSQL's built-in ``box`` type (no PostGIS).

ckanext-spatial's ``solr-bbox`` backend turns ``ext_bbox`` into a Solr
function: an ``fq`` of ``{!frange incl=false l=0 u=1}<ratio>`` that keeps the
datasets whose envelope overlaps the query box, and the same ``<ratio>`` as
``bf``, the boost that orders them by overlap
(``2 × overlap area / (query area + dataset area)``). This module reads the
query box out of that function and answers it with the ``bbox`` column and
its GiST index, so ckanext-spatial's map search works unchanged.
"""

from __future__ import annotations

import re

from .query import Sql

_NUM = r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
RATIO_RE = re.compile(
    r"^div\(mul\(mul\(max\(0,sub\(min\(" + _NUM + r",maxx\),max\(" + _NUM + r",minx\)\)\),"
    r"max\(0,sub\(min\(" + _NUM + r",maxy\),max\(" + _NUM + r",miny\)\)\)\),2\),"
    r"add\(" + _NUM + r",mul\(sub\(maxy,miny\),sub\(maxx,minx\)\)\)\)$"
)
FRANGE_RE = re.compile(r"^\{!frange\s+incl=false\s+l=0\s+u=1\}(.*)$", re.S)


def ratio_sql(func: str) -> tuple[Sql, Sql] | None:
    """(overlap-ratio expression, index-usable prefilter) of a ratio function."""
    m = RATIO_RE.match(re.sub(r"\s+", "", func))
    if not m:
        return None
    maxx, minx, maxy, miny, area = (float(v) for v in m.groups())
    qbox = "box(point(%s::float8, %s::float8), point(%s::float8, %s::float8))"
    qparams = [minx, miny, maxx, maxy]
    ratio = Sql(
        f"(2 * COALESCE(area(d.bbox # {qbox}), 0) / NULLIF(%s::float8 + area(d.bbox), 0))",
        [*qparams, area],
    )
    prefilter = Sql(f"d.bbox && {qbox}", list(qparams))
    return ratio, prefilter


def parse_frange(fq: str) -> Sql | None:
    """The SQL filter for ckanext-spatial's ``frange`` fq; None for other fqs."""
    m = FRANGE_RE.match(fq.strip())
    if not m:
        return None
    parts = ratio_sql(m.group(1))
    if parts is None:
        from .query import QueryError

        raise QueryError("Unsupported function range query")
    ratio, prefilter = parts
    return Sql(
        f"({prefilter.sql} AND {ratio.sql} > 0 AND {ratio.sql} <= 1)",
        [*prefilter.params, *ratio.params, *ratio.params],
    )


def parse_bf(bf: str) -> Sql | None:
    """The score boost for ckanext-spatial's ``bf``; None if not understood."""
    parts = ratio_sql(bf)
    return parts[0] if parts else None


def ratio_function(minx: float, miny: float, maxx: float, maxy: float) -> str:
    """The overlap-ratio function ckanext-spatial's ``solr-bbox`` backend
    sends, for sites that search by bbox without that plugin."""
    area = abs(maxx - minx) * abs(maxy - miny)
    return (
        f"div(mul(mul(max(0,sub(min({maxx},maxx),max({minx},minx))),"
        f"max(0,sub(min({maxy},maxy),max({miny},miny)))),2),"
        f"add({area},mul(sub(maxy,miny),sub(maxx,minx))))"
    )


def parse_ext_bbox(value: str) -> tuple[float, float, float, float] | None:
    """``minx,miny,maxx,maxy`` in degrees; None when it is not a valid box."""
    try:
        parts = [float(v) for v in str(value).split(",")]
    except ValueError:
        return None
    if len(parts) != 4 or any(v != v for v in parts):
        return None
    minx, miny, maxx, maxy = parts
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90
            and -90 <= maxy <= 90) or minx > maxx or miny > maxy:
        return None
    return minx, miny, maxx, maxy


def search_params(params: dict) -> dict:
    """``ext_bbox`` → the fq and boost above (what ckanext-spatial would add)."""
    from ckan.lib.search.common import SearchError

    raw = (params.get("extras") or {}).get("ext_bbox")
    if not raw:
        return params
    box = parse_ext_bbox(raw)
    if box is None:
        raise SearchError("Wrong bounding box provided")
    func = ratio_function(*box)
    params["fq_list"] = [*params.get("fq_list", []), "{!frange incl=false l=0 u=1}" + func]
    params["bf"] = func
    params["defType"] = "edismax"
    return params
