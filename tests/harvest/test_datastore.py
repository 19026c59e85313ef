"""lyg_sql with ``load_data``: a department table becomes one entry whose rows
are in the DataStore (PostgreSQL and MariaDB department databases).

The DataStore needs a database of its own and a read-only role: this module
creates them (``<test db>_ds``, role ``<test db>_ro``) on the test server, and
loads the ``datastore`` plugin for its tests only."""

from __future__ import annotations

import pytest
from ckan.tests.helpers import call_action

from tests.conftest import with_catalog_plugins
from tests.harvest.conftest import entries

pytestmark = pytest.mark.usefixtures("clean_db", "datastore_app")

ENTRY = {
    "title": "连云港市空气质量日报",
    "notes": "全市各监测站点每日空气质量指数。",
    "catalog_class": "2",
    "catalog_item": "11",
    "format_class": "数据库",
    "share_type": "unconditional",
    "open_type": "unconditional",
    "update_cycle": "每日",
}
CONFIG = {
    "table": "air_quality",
    "load_data": True,
    "entry": ENTRY,
    "batch_size": 2,
    "defaults": {"share_mode_class": "共享平台方式", "share_mode_type": "数据库"},
}
ROWS = [
    (1, "墟沟", "2026-11-01", 42, "12.5", True),
    (2, "新浦", "2026-11-01", 57, "20.25", True),
    (3, "赣榆", "2026-11-01", 101, "75.0", False),
]


@pytest.fixture
def ckan_config(ckan_config, monkeypatch, datastore_urls):
    write, read = datastore_urls
    plugins = with_catalog_plugins(ckan_config["ckan.plugins"]) + ["datastore"]
    monkeypatch.setitem(ckan_config, "ckan.plugins", plugins)
    monkeypatch.setitem(ckan_config, "ckan.datastore.write_url", write)
    monkeypatch.setitem(ckan_config, "ckan.datastore.read_url", read)
    # lyg's access rule chains datastore_search_sql, which exists only with SQL search on
    monkeypatch.setitem(ckan_config, "ckan.datastore.sqlsearch.enabled", True)
    return ckan_config


@pytest.fixture
def datastore_app(app):
    """A request context of an app made with the datastore plugin (its routes
    give the data resource's URL)."""
    with app.flask_app.test_request_context():
        yield app


@pytest.fixture(params=["postgresql", "mariadb"])
def air_db(request):
    db = request.getfixturevalue("pg_dept" if request.param == "postgresql" else "my_dept")
    db.execute("DROP TABLE IF EXISTS air_quality")
    db.execute(
        "CREATE TABLE air_quality (id INTEGER PRIMARY KEY, station VARCHAR(20), day DATE, aqi INTEGER,"
        " pm25 NUMERIC(6,2), ok BOOLEAN)"
    )
    for row in ROWS:
        db.execute(
            "INSERT INTO air_quality VALUES (:id, :station, :day, :aqi, :pm25, :ok)",
            **dict(zip(("id", "station", "day", "aqi", "pm25", "ok"), row, strict=True)),
        )
    return db


def _rows(resource_id: str) -> list[dict]:
    result = call_action("datastore_search", resource_id=resource_id, sort="id", limit=100)
    return result["records"], {f["id"]: f["type"] for f in result["fields"]}


def test_table_rows_become_the_entrys_datastore_data(harvest, air_db):
    source = harvest.source("lyg_sql", air_db.url, CONFIG)
    report = harvest.run(source)
    assert report["counts"] == {"added": 1}, report
    (entry,) = entries(source["id"]).values()
    assert entry["title"] == "连云港市空气质量日报" and entry["record_count"] == "3"
    items = {i["name"]: i["data_type"] for i in entry["info_items"]}
    assert items["aqi"] == "I" and items["day"] == "D" and items["station"] == "C"
    assert items["pm25"] in ("N", "F")  # NUMERIC: a decimal number (N) in both
    (resource,) = entry["resources"]
    assert resource["url_type"] == "datastore" and resource["datastore_active"] is True
    records, types = _rows(resource["id"])
    got = [(r["id"], r["station"], r["aqi"]) for r in records]
    assert got == [(1, "墟沟", 42), (2, "新浦", 57), (3, "赣榆", 101)]
    assert types["id"] == "int8" and types["day"] == "date" and types["station"] == "text"
    assert types["pm25"] == "numeric"
    assert records[0]["day"].startswith("2026-11-01")

    assert harvest.run(source)["counts"] == {"not modified": 1}

    air_db.execute("UPDATE air_quality SET aqi = 60 WHERE id = 2")
    air_db.execute("INSERT INTO air_quality VALUES (4, '东海', '2026-11-01', 33, 8.5, TRUE)")
    report = harvest.run(source)
    assert report["counts"] == {"updated": 1}, report
    (again,) = entries(source["id"]).values()
    assert again["id"] == entry["id"] and again["resources"][0]["id"] == resource["id"]
    assert again["record_count"] == "4"
    records, _types = _rows(resource["id"])
    assert [(r["id"], r["aqi"]) for r in records] == [(1, 42), (2, 60), (3, 101), (4, 33)]
    assert harvest.run(source)["counts"] == {"not modified": 1}


def test_a_load_that_fails_leaves_no_rows_and_is_retried(harvest, pg_dept):
    pg_dept.execute("DROP TABLE IF EXISTS air_quality")
    # a column name the DataStore refuses (leading underscore)
    pg_dept.execute("CREATE TABLE air_quality (_id_bad INTEGER, station TEXT)")
    pg_dept.execute("INSERT INTO air_quality VALUES (1, '墟沟')")
    source = harvest.source("lyg_sql", pg_dept.url, CONFIG)
    report = harvest.run(source)
    assert report["counts"] == {"errored": 1}, report
    # (the request context speaks the default locale: 数据未能载入数据存储（DataStore）)
    assert any("DataStore" in m and "_id_bad" in m for _g, _s, m in report["object_errors"]), report
    pg_dept.execute("ALTER TABLE air_quality RENAME COLUMN _id_bad TO id")
    report = harvest.run(source)
    assert report["counts"] == {"updated": 1}, report
    (entry,) = entries(source["id"]).values()
    records, _types = _rows(entry["resources"][0]["id"])
    assert [(r["id"], r["station"]) for r in records] == [(1, "墟沟")]


@pytest.mark.parametrize(
    "config, key",
    [
        (dict(CONFIG, record_id="id"), "record_id"),
        (dict(CONFIG, entry={"notes": "没有标题"}), "entry.title"),
        (dict(CONFIG, entry={"title": "x", "share_review": "confirmed"}), "entry.share_review"),
        (dict(CONFIG, load_data="yes"), "load_data"),
        (dict(CONFIG, batch_size=0), "batch_size"),
    ],
)
def test_bad_load_data_config_is_rejected_with_the_key(harvest, pg_dept, config, key):
    from ckan.plugins import toolkit as tk

    with pytest.raises(tk.ValidationError) as err:
        harvest.source("lyg_sql", pg_dept.url, config)
    message = " ".join(err.value.error_dict["config"])
    assert f"{key}:" in message, message


def test_rows_changing_between_gather_and_fetch_are_loaded_as_they_are(harvest, pg_dept):
    """The import loads the table as it is then; the next run finds nothing new."""
    from ckan import model
    from ckanext.harvest import queue
    from ckanext.harvest.model import HarvestJob, HarvestObject

    pg_dept.execute("DROP TABLE IF EXISTS air_quality")
    pg_dept.execute("CREATE TABLE air_quality (id INTEGER PRIMARY KEY, aqi INTEGER)")
    pg_dept.execute("INSERT INTO air_quality VALUES (1, 40), (2, 50)")
    source = harvest.source("lyg_sql", pg_dept.url, CONFIG)
    harvester = queue.get_harvester("lyg_sql")
    job = HarvestJob.get(
        call_action("harvest_job_create", context={"user": harvest.user["name"]}, source_id=source["id"],
                    run=False)["id"]
    )  # fmt: skip
    job.status = "Running"
    job.save()
    (object_id,) = queue.gather_stage(harvester, job)
    pg_dept.execute("UPDATE air_quality SET aqi = 99 WHERE id = 2")
    queue.fetch_and_import_stages(harvester, HarvestObject.get(object_id))
    model.Session.remove()
    call_action("harvest_jobs_run", context={"user": harvest.user["name"]}, source_id=source["id"])
    (entry,) = entries(source["id"]).values()
    records, _types = _rows(entry["resources"][0]["id"])
    assert [(r["id"], r["aqi"]) for r in records] == [(1, 40), (2, 99)]
    assert harvest.run(source)["counts"] == {"not modified": 1}
