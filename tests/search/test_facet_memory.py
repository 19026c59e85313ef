"""Facets counted in memory (``facet_memory.py``, migration 0009).

The counted fields' facets of a keyword search are counted from arrays each
process reads into memory; these tests hold them to the numbers counted from
the hits themselves, for every user, and check that arrays of an older index
generation, or missing a hit, are never counted from.
"""

from __future__ import annotations

import dataclasses
import json

import ckan.plugins.toolkit as tk
import numpy as np
import pytest
import sqlalchemy as sa
from ckan import model
from ckan.tests.helpers import call_action
from ckanext.lyg_search import cache, facet_memory

from .conftest import search_as
from .test_summary import Statements, expected_facets, site  # noqa: F401 - the fixture

FIELDS = ["organization", "tags", "res_format", "license_id", "groups"]
QUERIES = ({"q": "人口"}, {"q": "企业 OR 户籍"}, {"q": "人口", "fq": "-tags:户籍"},
           {"q": "人口", "include_private": True})
IN_MEMORY = "array_agg(h.doc_no)"


@pytest.fixture(autouse=True)
def _no_arrays_left():
    facet_memory.wait()
    facet_memory.forget()
    yield
    facet_memory.wait()
    facet_memory.forget()


@pytest.fixture
def no_background_reads(monkeypatch):
    """Only the reads a test makes itself (``read_now``)."""
    monkeypatch.setattr(facet_memory, "_start_reading", lambda: None)


def read_now():
    """Read the arrays in this session's transaction, then end it."""
    model.Session.rollback()
    columns = facet_memory.read(model.Session.connection())
    model.Session.rollback()
    return columns


def search(user, fields=FIELDS, **params):
    cache.clear()  # answers remembered for the same filters
    with Statements() as seen:
        res = search_as(user, rows=1000, **{"facet.field": json.dumps(fields)}, **params)
    return res, seen


def check_all(in_memory: bool) -> None:
    counted = 0
    for user in (None, "staff", "boss"):
        for params in QUERIES:
            res, seen = search(user, **params)
            assert any(IN_MEMORY in s for s in seen) == in_memory, (user, params)
            expected = expected_facets(res["results"])
            assert res["facets"] == {f: expected[f] for f in FIELDS}, (user, params)
            counted += res["count"]
    assert counted


def test_facets_counted_in_memory_equal_the_hits(site, no_background_reads):  # noqa: F811
    columns = read_now()
    assert columns is not None and set(FIELDS) <= columns.fields
    # the narrowest types: a few keys fit in a byte, the row starts in 32 bits
    assert columns.values.dtype == np.uint8 and len(columns.keys) <= 256
    assert columns.starts.dtype == np.int32
    check_all(in_memory=True)
    # a write is a new generation: the arrays are not counted from …
    call_action("package_patch", context=dict(site["ctx"]), id="a1",
                tags=[{"name": "人口"}, {"name": "水质"}])
    call_action("package_patch", context=dict(site["ctx"]), id="b2", private=True)
    check_all(in_memory=False)
    # … until they are read again
    read_now()
    check_all(in_memory=True)


def test_limit_mincount_and_ties_as_in_sql(site, no_background_reads):  # noqa: F811
    read_now()
    answers = {}
    for memory in (True, False):
        for limit, mincount in ((1, 1), (2, 1), (-1, 2), (0, 1)):
            with pytest.MonkeyPatch.context() as mp:
                mp.setitem(tk.config, "ckanext.lyg_search.facet_memory", memory)
                res, seen = search("boss", q="tags:人口 OR tags:企业", include_private=True,
                                   **{"facet.limit": limit, "facet.mincount": mincount})
            assert any(IN_MEMORY in s for s in seen) == memory
            answers[memory, limit, mincount] = (res["facets"], res["search_facets"])
    for key, value in answers.items():
        assert value == answers[(not key[0], *key[1:])], key
    # a tie (cc-by and odc-by, once each) is cut in the database's key order
    facets, _ = answers[True, 1, 1]
    assert facets["license_id"] == {"cc-by": 1} and facets["tags"] == {"人口": 3}


def test_a_hit_missing_from_the_arrays_is_counted_in_sql(site, no_background_reads):  # noqa: F811
    columns = read_now()
    # arrays of the current generation that lack every row but the first
    facet_memory._current = dataclasses.replace(
        columns, doc_nos=columns.doc_nos[:1], starts=columns.starts[:2])
    res, seen = search(None, q="人口")
    assert any(IN_MEMORY in s for s in seen)
    assert any("unnest(h.facet_codes)" in s for s in seen)
    expected = expected_facets(res["results"])
    assert res["count"] == 2 and res["facets"] == {f: expected[f] for f in FIELDS}


def test_count_refuses_row_numbers_it_does_not_hold(site):  # noqa: F811
    columns = read_now()
    out: dict = {}
    unknown = np.array([columns.doc_nos.max() + 1], dtype=np.int64)
    assert columns.count(unknown, FIELDS, 10, 1, out) is False and out == {}
    assert columns.count(columns.doc_nos, ["tags"], 10, 1, out) is True
    assert dict(zip(out["tags"][::2], out["tags"][1::2], strict=True)) == {
        "人口": 3, "户籍": 1, "企业": 2}


def test_arrays_are_read_in_the_background_once_per_interval(site):  # noqa: F811
    conn = model.Session.connection()
    generation = cache.generation(conn)
    model.Session.rollback()
    assert facet_memory.columns(generation, FIELDS) is None  # starts a read
    facet_memory.wait()
    columns = facet_memory.columns(generation, FIELDS)
    assert columns is not None and columns.generation == generation
    # the next generation is not read again before RELOAD_INTERVAL has passed
    call_action("package_patch", context=dict(site["ctx"]), id="a1", license_id="odc-by")
    newer = cache.generation(model.Session.connection())
    model.Session.rollback()
    assert facet_memory.columns(newer, FIELDS) is None
    assert not facet_memory._loading
    # the engine's searches use them once read
    facet_memory.forget()
    search(None, q="人口")
    facet_memory.wait()
    res, seen = search(None, q="人口")
    assert any(IN_MEMORY in s for s in seen)
    expected = expected_facets(res["results"])
    assert res["facets"] == {f: expected[f] for f in FIELDS}


def test_a_row_keeps_its_number_when_indexed_again(site):  # noqa: F811
    def number():
        return model.Session.execute(sa.text(
            "SELECT doc_no FROM lyg_search_doc WHERE id = :id"), {"id": site["made"][0]["id"]}
        ).scalar()

    before = number()
    call_action("package_patch", context=dict(site["ctx"]), id="a1", notes="新的说明")
    assert number() == before
    assert model.Session.execute(sa.text(
        "SELECT count(DISTINCT doc_no) = count(*) FROM lyg_search_doc")).scalar()


def _reading_in_child() -> bool:
    return facet_memory._loading


def test_a_forked_process_may_start_its_own_read():
    """A process forked while a read runs (a rebuild's or an import's
    workers) does not wait for a thread it does not have."""
    import multiprocessing

    facet_memory._loading = True
    try:
        with multiprocessing.get_context("fork").Pool(1) as pool:
            assert pool.apply(_reading_in_child) is False
        assert facet_memory._loading is True
    finally:
        facet_memory._loading = False


def test_reads_wait_longer_after_a_long_read(site):  # noqa: F811
    """A read waits RELOAD_INTERVAL after the last one started, or READ_SHARE
    times the last read's duration when that is longer (a large index)."""
    import time

    generation = cache.generation(model.Session.connection())
    model.Session.rollback()
    facet_memory._last_start = time.monotonic() - 2 * facet_memory.RELOAD_INTERVAL
    facet_memory._last_duration = facet_memory.RELOAD_INTERVAL  # a read that took 10 s
    assert facet_memory.reload_interval() == facet_memory.READ_SHARE * facet_memory.RELOAD_INTERVAL
    assert facet_memory.columns(generation, FIELDS) is None
    assert not facet_memory._loading and facet_memory._current is None  # not started
    facet_memory._last_duration = 0.0
    assert facet_memory.reload_interval() == facet_memory.RELOAD_INTERVAL
    assert facet_memory.columns(generation, FIELDS) is None  # starts one
    facet_memory.wait()
    assert facet_memory.columns(generation, FIELDS) is not None
    assert 0 < facet_memory._last_duration < facet_memory.RELOAD_INTERVAL


@pytest.mark.parametrize("count,signed,kind", [
    (1, False, np.uint8), (256, False, np.uint8), (257, False, np.uint16),
    (65_537, False, np.int32), (2**31 + 1, False, np.int64),
    (10, True, np.int32), (2**31, True, np.int32), (2**31 + 1, True, np.int64),
])
def test_narrowest_types(count, signed, kind):
    assert facet_memory._narrowest(count, signed=signed) is kind
