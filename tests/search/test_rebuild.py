"""Re-indexing in batches and in worker processes (``rebuild.py``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from ckan import model
from ckan.lib import search
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.lyg_search import engine, rebuild

from .conftest import names


def index_rows() -> dict[str, str]:
    rows = model.Session.execute(sa.text("SELECT name, title_string FROM lyg_search_doc"))
    return {r[0]: r[1] for r in rows}


@pytest.fixture
def datasets(clean_db):
    org = factories.Organization(name="tongji")
    made = [factories.Dataset(name=f"ds-{i}", title=f"统计年报 {i}", owner_org=org["id"],
                              tags=[{"name": "统计"}]) for i in range(7)]
    model.Session.execute(sa.text("DELETE FROM lyg_search_doc"))
    model.Session.commit()
    return made


def test_ckan_rebuild_is_the_batched_one():
    assert search.rebuild is rebuild.rebuild


def test_batched_rebuild_writes_a_batch_in_one_transaction(datasets):
    search.rebuild(package_ids=[d["id"] for d in datasets], quiet=True)
    writers = model.Session.execute(sa.text(
        "SELECT count(DISTINCT xmin::text) FROM lyg_search_doc")).scalar()
    assert writers == 1
    assert index_rows() == {d["name"]: d["title"] for d in datasets}
    assert names(call_action("package_search", q="年报", rows=20)) == {d["name"] for d in datasets}
    facets = call_action("package_search", **{"facet.field": '["tags"]'})["facets"]
    assert facets == {"tags": {"统计": 7}}


def test_worker_processes_index_their_share(datasets):
    done, failed = rebuild.index_ids([d["id"] for d in datasets], quiet=True, processes=2,
                                     parallel_from=1)
    model.Session.remove()
    assert (done, failed) == (7, 0)
    assert index_rows() == {d["name"]: d["title"] for d in datasets}


def test_a_failing_dataset_stops_the_rebuild_unless_forced(datasets):
    ids = [d["id"] for d in datasets] + ["no-such-dataset"]
    with pytest.raises(Exception):  # noqa: B017 - CKAN raises NotFound; any error stops
        rebuild.index_ids(ids, quiet=True)
    model.Session.rollback()
    done, failed = rebuild.index_ids(ids, force=True, quiet=True)
    assert (done, failed) == (7, 1)
    assert len(index_rows()) == 7


def test_buffer_is_written_in_the_callers_transaction(datasets):
    with engine.buffered_writes():
        search.rebuild(package_id=None, package_ids=[datasets[0]["id"]], quiet=True)
    model.Session.rollback()
    assert datasets[0]["name"] in index_rows()
