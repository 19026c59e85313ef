"""Pages walked far down a result (``start`` ≥ ``engine.DEEP_FROM``) are cut
from the query's whole order, read once and kept per index generation; ``fl=id``
pages do not read the stored documents."""

from __future__ import annotations

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.lyg_search import cache, engine


@pytest.fixture
def datasets(clean_db):
    org = factories.Organization(name="tongji")
    return [factories.Dataset(name=f"ds-{i:02d}", title=f"统计年报 {i}", owner_org=org["id"])
            for i in range(9)]


def _walk(rows=2, **params):
    out, start = [], 0
    while True:
        res = call_action("package_search", rows=rows, start=start, **params)
        out.extend(r["name"] if "name" in r else r["id"] for r in res["results"])
        start += rows
        if start >= res["count"]:
            return out, res["count"]


@pytest.mark.parametrize("params", [
    {"sort": "name asc"}, {"sort": "metadata_modified desc"}, {"q": "年报"}, {},
])
def test_deep_pages_are_the_same_pages(datasets, monkeypatch, params):
    expected = [r["name"] for r in call_action("package_search", rows=100, **params)["results"]]
    monkeypatch.setattr(engine, "DEEP_FROM", 2)
    pages, count = _walk(**params)
    assert count == len(expected) == 9
    assert pages == expected


def test_a_write_ends_the_remembered_order(datasets, monkeypatch):
    monkeypatch.setattr(engine, "DEEP_FROM", 2)
    cache.clear()
    before, _ = _walk(sort="name asc")
    assert before == [f"ds-{i:02d}" for i in range(9)]
    assert len(cache._orders) == 1  # the pages came from one kept order
    assert len(next(iter(cache._orders.values()))[1]) == 9  # the whole order, read once
    factories.Dataset(name="ds-00a", owner_org=datasets[0]["owner_org"])
    after, count = _walk(sort="name asc")
    assert count == 10
    assert after == ["ds-00", "ds-00a", *[f"ds-{i:02d}" for i in range(1, 9)]]
    assert len(cache._orders) == 2  # a new generation's


def test_id_pages_without_documents(datasets, monkeypatch):
    monkeypatch.setattr(engine, "DEEP_FROM", 2)
    ids, count = _walk(fl="id", sort="name asc")
    assert count == 9
    assert ids == [d["id"] for d in sorted(datasets, key=lambda d: d["name"])]
    res = call_action("package_search", fl="id", rows=1, start=3, sort="name asc")
    assert res["results"] == [{"id": sorted(datasets, key=lambda d: d["name"])[3]["id"]}]
