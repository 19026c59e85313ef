"""A keyword search's count and facets on a second connection, beside its page
(``parallel.py``): the same answers as one statement, for every user, and the
one statement wherever the second connection would not see the same rows or
the machine has no core to spare."""

from __future__ import annotations

import json
import logging

import pytest
from ckan import model
from ckanext.lyg_search import cache, facet_memory, parallel

from .conftest import search_as
from .test_facet_memory import _no_arrays_left  # noqa: F401 - autouse fixture
from .test_summary import Statements, expected_facets, site  # noqa: F401 - the fixture

FIELDS = ["organization", "tags", "res_format", "license_id", "groups"]
QUERIES = ({"q": "人口"}, {"q": "企业 OR 户籍"}, {"q": "人口", "fq": "-tags:户籍"},
           {"q": "人口", "include_private": True}, {"q": "人口", "sort": "name asc"},
           {"q": "人口", "rows": 1, "start": 1})
HELPER = "lyg-search-facets"


@pytest.fixture
def beside(site, monkeypatch):  # noqa: F811
    """The second connection allowed, whatever the machine's load, and the
    site's facet values read into memory."""
    monkeypatch.setattr(parallel, "enabled", lambda: True)
    monkeypatch.setattr(parallel, "idle_core", lambda: True)
    monkeypatch.setattr(facet_memory, "_start_reading", lambda: None)
    model.Session.rollback()
    facet_memory.read(model.Session.connection())
    model.Session.rollback()


def search(user, params, facets=True):
    cache.clear()
    extra = {"facet.field": json.dumps(FIELDS)} if facets else {}
    with Statements(threads=True) as seen:
        res = search_as(user, **extra, **params)
    return res, [s for name, s in seen if name == HELPER]


def answer(res):
    return res["count"], res["facets"], [r["name"] for r in res["results"]]


def test_same_answers_as_one_statement(site, beside, monkeypatch):  # noqa: F811
    answers = {}
    for user in (None, "staff", "boss"):
        for params in QUERIES:
            res, helper = search(user, params)
            assert any("array_agg(d.doc_no)" in s for s in helper), (user, params)
            answers[user, json.dumps(params)] = answer(res)
            # the facets are those of the hits themselves
            everything = search_as(user, rows=1000, **{k: v for k, v in params.items()
                                                       if k not in ("rows", "start")})
            assert res["count"] == everything["count"]
            expected = expected_facets(everything["results"])
            assert res["facets"] == {f: expected[f] for f in FIELDS}, (user, params)
    monkeypatch.setattr(parallel, "enabled", lambda: False)
    for (user, params), expected in answers.items():
        res, helper = search(user, json.loads(params))
        assert helper == []
        assert answer(res) == expected, (user, params)
    assert any(count for count, _, _ in answers.values())


@pytest.mark.parametrize("params", [{"q": "人口"}, {"q": "人口", "sort": "name desc", "rows": 2},
                                    {"q": "人口", "fq": "-tags:户籍", "sort": "metadata_modified desc"}])
def test_a_keyword_without_facets_is_counted_beside(site, beside, monkeypatch,  # noqa: F811
                                                    params):
    res, helper = search(None, params, facets=False)
    assert len(helper) == 2  # its settings, then the count
    assert "SELECT count(*), NULL FROM lyg_search_doc" in helper[1]
    monkeypatch.setattr(parallel, "enabled", lambda: False)
    alone, helper = search(None, params, facets=False)
    assert helper == [] and answer(res) == answer(alone)
    assert res["count"] > 0 and len(res["results"]) == min(params.get("rows", 10), res["count"])


def test_not_in_a_transaction_that_has_written(site, beside):  # noqa: F811
    everything = search_as(None, q="人口", rows=100)
    gone = everything["results"][0]["name"]
    # this session's transaction takes an entry out of the hits, uncommitted
    model.Session.connection().exec_driver_sql(
        "UPDATE lyg_search_doc SET tsv = ''::tsvector WHERE name = %s", (gone,))
    try:
        res, helper = search(None, {"q": "人口", "rows": 100}, facets=False)
        assert helper == []  # another connection would still see the entry
        assert res["count"] == everything["count"] - 1
        assert gone not in [r["name"] for r in res["results"]]
    finally:
        model.Session.rollback()
    res, helper = search(None, {"q": "人口", "rows": 100}, facets=False)
    assert helper and res["count"] == everything["count"]


def test_a_busy_machine_uses_one_statement(site, beside, monkeypatch):  # noqa: F811
    monkeypatch.setattr(parallel, "idle_core", lambda: False)
    res, helper = search(None, {"q": "人口"})
    assert helper == [] and res["count"] > 0


def test_a_failure_beside_falls_back_to_one_statement(site, beside, monkeypatch,  # noqa: F811
                                                      caplog):
    expected, _ = search(None, {"q": "人口"})
    run = parallel.Beside._run

    def failing(self, bind, prefer_indexes, work):
        def boom(conn):
            conn.exec_driver_sql("SELECT no_such_column FROM lyg_search_doc")

        run(self, bind, prefer_indexes, boom)

    monkeypatch.setattr(parallel.Beside, "_run", failing)
    logger = logging.getLogger("ckanext.lyg_search.parallel")
    # the thread's record, whatever the test run's log configuration did to the logger
    monkeypatch.setattr(logger, "disabled", False)
    logger.addHandler(caplog.handler)
    try:
        res, helper = search(None, {"q": "人口"})
    finally:
        logger.removeHandler(caplog.handler)
    assert any("no_such_column" in s for s in helper)
    assert "not counted beside the page" in caplog.text
    assert answer(res) == answer(expected)


def test_idle_core_reads_the_load(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(parallel.os, "getloadavg", lambda: (0.5, 0.5, 0.5))
    assert parallel.idle_core() is True
    monkeypatch.setattr(parallel.os, "getloadavg", lambda: (2.5, 1.0, 1.0))
    assert parallel.idle_core() is False
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 1)
    monkeypatch.setattr(parallel.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert parallel.idle_core() is False  # one core: nothing beside
