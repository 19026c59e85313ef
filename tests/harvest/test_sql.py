"""lyg_sql against real department databases: PostgreSQL and MariaDB on 127.0.0.1."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from ckan.plugins import toolkit as tk

from tests.harvest.conftest import MY_DB, ROWS, SQL_CONFIG, entries

pytestmark = pytest.mark.usefixtures("clean_db")


def _row(n: int, **kw) -> dict:
    row = dict(
        ROWS[0], entry_id=n, title=f"连云港市不动产登记信息{n}", summary=f"不动产登记簿数据，第{n}批。"
    )
    row.update(kw)
    return row


def test_table_create_unchanged_update_withdraw(harvest, dept_db):
    source = harvest.source("lyg_sql", dept_db.url, SQL_CONFIG)
    report = harvest.run(source)
    assert report["counts"] == {"added": 3}, report
    first = entries(source["id"])
    assert set(first) == {"1", "2", "3"}
    entry = first["2"]
    assert entry["title"] == "连云港市不动产登记信息2"
    assert entry["catalog_item"] == "03" and entry["format_class"] == "数据库"
    assert entry["share_type"] == "unconditional" and entry["update_cycle"] == "每月"
    assert entry["info_items"][0]["name"] == "不动产单元号" and entry["info_items"][0]["is_key"] is True
    assert entry["resource_code"].startswith("103/")

    assert harvest.run(source)["counts"] == {"not modified": 3}

    dept_db.execute("UPDATE catalog_entries SET cycle = '每周' WHERE entry_id = 2")
    dept_db.execute("DELETE FROM catalog_entries WHERE entry_id = 3")
    dept_db.insert([_row(4)])
    report = harvest.run(source)
    assert report["counts"] == {"updated": 1, "not modified": 1, "deleted": 1, "added": 1}, report
    now = entries(source["id"])
    assert set(now) == {"1", "2", "4"}
    assert now["2"]["id"] == first["2"]["id"] and now["2"]["update_cycle"] == "每周"
    assert (
        tk.get_action("package_show")({"ignore_auth": True}, {"id": first["3"]["id"]})["state"] == "deleted"
    )


def test_read_only_query_and_bad_rows(harvest, dept_db):
    dept_db.insert([_row(5, cycle="每小时"), _row(6, cls="9")])
    config = {key: value for key, value in SQL_CONFIG.items() if key != "table"}
    config["query"] = "SELECT * FROM catalog_entries WHERE entry_id <> 1"
    source = harvest.source("lyg_sql", dept_db.url, config)
    report = harvest.run(source)
    assert report["counts"] == {"added": 2, "errored": 2}, report
    messages = {guid: message for guid, _stage, message in report["object_errors"]}
    assert "update_cycle" in messages["5"] and "catalog_class" in messages["6"]
    assert set(entries(source["id"])) == {"2", "3"}


def test_query_runs_read_only(harvest, dept_db):
    config = {key: value for key, value in SQL_CONFIG.items() if key != "table"}
    # a data-modifying CTE passes the SELECT/WITH check but not the read-only transaction
    config["query"] = (
        "WITH gone AS (DELETE FROM catalog_entries RETURNING *) SELECT * FROM gone"
        if dept_db.kind == "postgresql"
        else "SELECT * FROM catalog_entries FOR UPDATE"
    )
    source = harvest.source("lyg_sql", dept_db.url, config)
    report = harvest.run(source)
    if dept_db.kind == "postgresql":
        assert report["counts"] == {}, report
        assert any("refused the query" in m for m in report["gather_errors"]), report
    with dept_db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM catalog_entries").scalar() == 3


@pytest.mark.parametrize(
    "config, key",
    [
        ({k: v for k, v in SQL_CONFIG.items() if k != "table"}, "table"),
        (dict(SQL_CONFIG, query="SELECT 1"), "table"),
        (
            dict({k: v for k, v in SQL_CONFIG.items() if k != "table"}, query="DELETE FROM catalog_entries"),
            "query",
        ),
        (
            dict({k: v for k, v in SQL_CONFIG.items() if k != "table"}, query="SELECT 1; DROP TABLE x"),
            "query",
        ),
        (dict(SQL_CONFIG, table="catalog entries; --"), "table"),
        (dict(SQL_CONFIG, record_id=""), "record_id"),
        (dict(SQL_CONFIG, columns={}), "columns"),
        (dict(SQL_CONFIG, defaults={"open_type": "maybe"}), "defaults.open_type"),
        (dict(SQL_CONFIG, password_env="not a name"), "password_env"),
    ],
)
def test_bad_config_is_rejected_with_the_key(harvest, config, key):
    with pytest.raises(tk.ValidationError) as err:
        harvest.source("lyg_sql", "postgresql://postgres@127.0.0.1/lyg_dept", config)
    assert f"{key}:" in " ".join(err.value.error_dict["config"])


def test_unreachable_or_wrong_database_ends_the_job_and_others_run(harvest, dept_db, closed_port):
    refused = harvest.source(
        "lyg_sql", f"postgresql://postgres@127.0.0.1:{closed_port}/nothing", SQL_CONFIG, name="refused"
    )
    no_table = harvest.source(
        "lyg_sql", dept_db.url, dict(SQL_CONFIG, table="no_such_table"), name="no-table"
    )
    not_sql = harvest.source("lyg_sql", "http://127.0.0.1/db", SQL_CONFIG, name="not-sql")
    good = harvest.source("lyg_sql", dept_db.url, SQL_CONFIG, name="good")
    for source, expected in (
        (refused, "Cannot read the department database"),
        (no_table, "refused the query"),
        (not_sql, "url:"),
    ):
        report = harvest.run(source)
        assert report["status"] == "Finished" and report["counts"] == {}, report
        assert any(expected in m for m in report["gather_errors"]), report
    assert harvest.run(good)["counts"] == {"added": 3}


def test_password_comes_from_the_workers_environment_not_the_url(harvest, my_dept, monkeypatch):
    db = my_dept
    db.reset(ROWS)
    db.execute("CREATE USER IF NOT EXISTS 'lyg_reader'@'%' IDENTIFIED BY 'lyg-reader-pw'")
    db.execute("CREATE USER IF NOT EXISTS 'lyg_reader'@'localhost' IDENTIFIED BY 'lyg-reader-pw'")
    db.execute(f"GRANT SELECT ON `{MY_DB}`.* TO 'lyg_reader'@'%'")
    db.execute(f"GRANT SELECT ON `{MY_DB}`.* TO 'lyg_reader'@'localhost'")
    host = sa.engine.make_url(db.url).set(username="lyg_reader", password=None)
    url = host.render_as_string(hide_password=False)
    in_url = harvest.source(
        "lyg_sql",
        host.set(password="lyg-reader-pw").render_as_string(hide_password=False),
        SQL_CONFIG,
        name="pw-in-url",
    )
    report = harvest.run(in_url)
    assert report["counts"] == {} and any(
        "url: " in m and "password_env" in m for m in report["gather_errors"]
    )

    source = harvest.source("lyg_sql", url, dict(SQL_CONFIG, password_env="LYG_TEST_DEPT_PASSWORD"))
    monkeypatch.delenv("LYG_TEST_DEPT_PASSWORD", raising=False)
    report = harvest.run(source)
    assert report["counts"] == {} and any("LYG_TEST_DEPT_PASSWORD" in m for m in report["gather_errors"])
    monkeypatch.setenv("LYG_TEST_DEPT_PASSWORD", "wrong")
    report = harvest.run(source)
    assert report["counts"] == {} and any("Access denied" in m for m in report["gather_errors"]), report
    assert not any("wrong" in m for m in report["gather_errors"])
    monkeypatch.setenv("LYG_TEST_DEPT_PASSWORD", "lyg-reader-pw")
    assert harvest.run(source)["counts"] == {"added": 3}
