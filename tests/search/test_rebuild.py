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


def row_versions() -> dict[str, str]:
    rows = model.Session.execute(sa.text("SELECT name, xmin::text FROM lyg_search_doc"))
    return {r[0]: r[1] for r in rows}


def test_an_unchanged_dataset_is_not_rewritten(datasets):
    ids = [d["id"] for d in datasets]
    search.rebuild(package_ids=ids, quiet=True)
    before = row_versions()
    search.rebuild(package_ids=ids, quiet=True)
    assert row_versions() == before  # no new row version: nothing written
    model.Session.execute(sa.text("UPDATE package SET title = '统计月报 0' WHERE name = 'ds-0'"))
    model.Session.commit()
    model.Session.expire_all()  # changed behind the session's back
    search.rebuild(package_ids=ids, quiet=True)
    after = row_versions()
    assert {name for name in after if after[name] != before[name]} == {"ds-0"}
    assert index_rows()["ds-0"] == "统计月报 0"
    assert names(call_action("package_search", q="月报")) == {"ds-0"}
    facets = call_action("package_search", **{"facet.field": '["tags"]'})["facets"]
    assert facets == {"tags": {"统计": 7}}  # the running counts saw no change


def test_a_batch_reads_each_table_once(datasets):
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    sa.event.listen(model.meta.engine, "before_cursor_execute", record)
    try:
        rebuild.index_batch([d["id"] for d in datasets])
    finally:
        sa.event.remove(model.meta.engine, "before_cursor_execute", record)
    reads_of = {table: sum(1 for s in statements if f"FROM {table} " in s + " ")
                for table in ("package", "harvest_object")}
    # the datasets once (CKAN's index_package finds them in the session), and
    # one question about harvest objects for the batch instead of one each
    assert reads_of == {"package": 1, "harvest_object": 1}
    assert len(index_rows()) == 7


def test_harvested_datasets_keep_their_harvest_extras_in_a_batch(datasets):
    import json

    from ckanext.harvest.model import HarvestJob, HarvestObject, HarvestSource

    sysadmin = factories.Sysadmin()
    org = model.Group.get("tongji")
    src = call_action("harvest_source_create", context={"user": sysadmin["name"]},
                      name="dept-portal", url="http://127.0.0.1:9/", source_type="ckan",
                      title="部门门户", owner_org=org.id)
    job = HarvestJob(source=HarvestSource.get(src["id"]))
    job.save()
    HarvestObject(guid="g1", job=job, source=job.source, package_id=datasets[2]["id"],
                  current=True).save()
    rebuild.index_batch([d["id"] for d in datasets])
    found = call_action("package_search", fq=f'+harvest_source_id:"{src["id"]}"')["results"]
    assert [d["name"] for d in found] == ["ds-2"]
    extras = {e["key"]: e["value"] for e in found[0]["extras"]}
    assert extras["harvest_source_title"] == "部门门户"
    stored = model.Session.execute(sa.text(
        "SELECT name, validated_data_dict FROM lyg_search_doc")).all()
    with_extras = {name for name, data in stored
                   if any(e["key"] == "harvest_source_id"
                          for e in (json.loads(data) if isinstance(data, str) else data).get("extras", []))}
    assert with_extras == {"ds-2"}


def test_the_harvest_hook_outside_a_batch_is_unchanged(datasets):
    plugin = rebuild._harvest_plugin()
    rebuild._skip_unharvested(plugin)
    assert plugin.before_dataset_index.lyg_batch_aware
    with rebuild.harvest_objects_known([datasets[0]["id"]]):
        # in a batch: a dataset without harvest object gets only the status fix
        out = plugin.before_dataset_index({"id": datasets[0]["id"], "status": {"a": 1}})
        assert out == {"id": datasets[0]["id"], "status": '{"a": 1}'}
    # outside one: the hook itself (which reads the dict CKAN passes it)
    out = plugin.before_dataset_index({"id": datasets[0]["id"], "status": {"a": 1}})
    assert out["status"] == '{"a": 1}'
