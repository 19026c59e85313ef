"""The pure layer of the harvesters: configuration, mapping, identity, hash — no database."""

from __future__ import annotations

import datetime as dt
import decimal
import json

import pytest
from ckanext.lyg_harvest import config as cfg
from ckanext.lyg_harvest import mapping
from hypothesis import given
from hypothesis import strategies as st

from .conftest import JSON_CONFIG, SQL_CONFIG, record


def _keys(raw) -> list[str]:
    with pytest.raises(cfg.ConfigError) as err:
        cfg.parse_json_source(raw)
    return [p.key for p in err.value.problems]


def test_json_config_defaults_are_filled_in():
    config = cfg.parse_json_source(json.dumps({"record_id": "id", "fields": {"title": "name"}}))
    assert config["records"] == "@" and config["paging"] == {"type": "none"}
    assert config["timeout"] == 30 and config["withdraw"] == "delete" and config["defaults"] == {}
    paged = cfg.parse_json_source(JSON_CONFIG)
    assert paged["paging"] == {"type": "page", "param": "page", "start": 1, "size_param": "size", "size": 2}


def test_every_mistake_is_reported_with_its_key():
    keys = _keys(
        {
            "record_id": "[",
            "fields": {"title": "", "colour": "x"},
            "paging": {"type": "page", "size": 0},
            "timeout": "30",
            "defaults": {"open_type": "yes", "share_review": "confirmed"},
            "withdraw": "never",
        }
    )
    assert sorted(keys) == sorted(
        [
            "defaults.share_review",
            "defaults.open_type",
            "withdraw",
            "record_id",
            "fields.title",
            "fields.colour",
            "timeout",
            "paging.size",
        ]
    )


def test_messages_are_translatable_msgids_with_parameters():
    with pytest.raises(cfg.ConfigError) as err:
        cfg.parse_json_source({"record_id": "id", "fields": {"title": "a"}, "timeout": 999})
    problem = err.value.problems[0]
    assert problem.message == "Must be a whole number from {low} to {high}"
    assert problem.text() == "timeout: Must be a whole number from 1 to 300"
    assert (
        problem.text(lambda s: {problem.message: "须为 {low} 至 {high} 的整数"}[s])
        == "timeout: 须为 1 至 300 的整数"
    )


@pytest.mark.parametrize("raw", [None, "", "  ", "[1]", "{broken", 42])
def test_config_that_is_not_an_object(raw):
    assert _keys(raw if raw != 42 else "42") == ["config"]


def test_sql_config():
    config = cfg.parse_sql_source(SQL_CONFIG)
    assert config["table"] == "catalog_entries" and config["record_id"] == "entry_id"
    query = cfg.parse_sql_source(
        dict(
            {k: v for k, v in SQL_CONFIG.items() if k != "table"},
            query="  with t as (select 1) select * from t ; ",
        )
    )
    assert query["query"] == "with t as (select 1) select * from t"
    for bad in ("UPDATE t SET a = 1", "SELECT 1; SELECT 2", "DROP TABLE t"):
        with pytest.raises(cfg.ConfigError, match="query"):
            cfg.parse_sql_source(dict({k: v for k, v in SQL_CONFIG.items() if k != "table"}, query=bad))
    with pytest.raises(cfg.ConfigError, match="table"):
        cfg.parse_sql_source(dict(SQL_CONFIG, table="a.b.c"))
    assert cfg.parse_sql_source(dict(SQL_CONFIG, table="dept.entries"))["table"] == "dept.entries"


def test_source_urls():
    assert cfg.check_sql_url("postgresql://u@h/db") == [] and cfg.check_sql_url("mysql+pymysql://h/db") == []
    assert [p.key for p in cfg.check_sql_url("sqlite:///x.db")] == ["url"]
    assert [p.key for p in cfg.check_sql_url("postgresql://u:secret@h/db")] == ["url"]
    assert cfg.check_sql_url("postgresql://u@h:5432/db?sslmode=require") == []
    assert cfg.check_http_url("https://data.lyg.gov.cn/api") == []
    assert [p.key for p in cfg.check_http_url("ftp://x")] == ["url"]


def test_json_record_to_dataset():
    config = cfg.parse_json_source(JSON_CONFIG)
    fields = mapping.extract_json(record(1), config["fields"])
    dataset = mapping.to_dataset(fields, config["defaults"])
    assert dataset == {
        "title": "连云港市户籍人口信息1",
        "notes": "全市户籍人口登记信息，第1批。",
        "catalog_class": "1",
        "catalog_item": "01",
        "format_class": "电子表格",
        "format_type": "xlsx",
        "share_type": "conditional",
        "share_condition": "用于政务服务身份核验。",
        "share_mode_class": "共享平台方式",
        "share_mode_type": "文件",
        "open_type": "none",
        "update_cycle": "每日",
        "tags": [{"name": "人口"}, {"name": "户籍"}],
        "info_items": [
            {"name": "姓名", "data_type": "C", "length": 50},
            {"name": "公民身份号码", "data_type": "C", "length": 18},
        ],
    }


def test_record_values_win_over_defaults_and_empty_values_do_not():
    defaults = {"update_cycle": "每年", "share_type": "unconditional", "open_type": "none"}
    dataset = mapping.to_dataset({"update_cycle": "每月", "share_type": "  ", "open_type": None}, defaults)
    assert dataset == {"update_cycle": "每月", "share_type": "unconditional", "open_type": "none"}


def test_database_values_are_normalised():
    row = {
        "cls": 1,
        "item": 3,
        "sub": 1,
        "count": decimal.Decimal("12"),
        "day": dt.date(2026, 1, 2),
        "cols": '[{"name": "编号", "data_type": "整型", "is_key": 1}]',
        "kw": "不动产；登记、 抵押",
    }
    columns = {
        "catalog_class": "cls",
        "catalog_item": "item",
        "catalog_sub": "sub",
        "record_count": "count",
        "temporal_start": "day",
        "info_items": "cols",
        "tags": "kw",
    }
    dataset = mapping.to_dataset(mapping.extract_row(row, columns), {})
    assert (
        dataset["catalog_class"] == "1"
        and dataset["catalog_item"] == "03"
        and dataset["catalog_sub"] == "001"
    )
    assert dataset["record_count"] == "12" and dataset["temporal_start"] == "2026-01-02"
    assert dataset["info_items"] == [{"name": "编号", "data_type": "I", "is_key": 1}]
    assert [t["name"] for t in dataset["tags"]] == ["不动产", "登记", "抵押"]


def test_share_review_never_comes_from_a_source():
    assert "share_review" not in mapping.to_dataset(
        {"share_type": "不予共享", "share_review": "confirmed"}, {}
    )
    assert "share_review" not in cfg.DEFAULT_KEYS and "share_review" not in cfg.FIELD_KEYS


def test_resources_and_spatial():
    dataset = mapping.to_dataset(
        {
            "resources": [
                "http://a/x.csv",
                {"url": "http://a/y.json", "name": "接口", "format": "JSON"},
                {"name": "无"},
            ],
            "spatial": {"type": "Point", "coordinates": [119.2, 34.6]},
        },
        {},
    )
    assert dataset["resources"] == [
        {"url": "http://a/x.csv"},
        {"url": "http://a/y.json", "name": "接口", "format": "JSON"},
    ]
    assert json.loads(dataset["spatial"])["type"] == "Point"


def test_identity():
    assert mapping.record_guid(12) == "12" and mapping.record_guid(" a-1 ") == "a-1"
    assert mapping.record_guid(decimal.Decimal("7")) == "7"
    for missing in (None, "", "  ", {"a": 1}, [1], True):
        assert mapping.record_guid(missing) is None


def test_names():
    assert mapping.dataset_name("gaj-api", "GAJ-001") == "gaj-api-gaj-001"
    chinese = mapping.dataset_name("gaj-api", "户籍人口")
    assert chinese.startswith("gaj-api-") and len(chinese) == len("gaj-api-") + 12
    assert chinese == mapping.dataset_name("gaj-api", "户籍人口")
    assert len(mapping.dataset_name("x" * 90, "y" * 200)) <= 100


def test_hash_is_stable_and_sees_record_and_mapping_changes():
    one = mapping.content_hash({"a": 1, "b": [1, 2]}, "m1")
    assert one == mapping.content_hash({"b": [1, 2], "a": 1}, "m1")
    assert one != mapping.content_hash({"a": 2, "b": [1, 2]}, "m1")
    assert one != mapping.content_hash({"a": 1, "b": [1, 2]}, "m2")
    config = cfg.parse_json_source(JSON_CONFIG)
    changed = cfg.parse_json_source(dict(JSON_CONFIG, defaults={"share_mode_class": "邮件或介质方式"}))
    assert cfg.mapping_fingerprint(config) != cfg.mapping_fingerprint(changed)
    assert cfg.mapping_fingerprint(config) == cfg.mapping_fingerprint(dict(config, timeout=99))


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=10,
    )
)
def test_to_dataset_never_fails_on_arbitrary_values(value):
    fields = {key: value for key in cfg.FIELD_KEYS}
    dataset = mapping.to_dataset(fields, {})
    json.dumps(dataset)
    assert all(isinstance(dataset[k], str) for k in mapping.TEXT_KEYS if k in dataset)


def test_error_summary():
    text = mapping.error_summary({"update_cycle": ["值不在选项中"], "info_items": [{"name": ["缺少"]}]})
    assert text == 'info_items: {"name": ["缺少"]}; update_cycle: 值不在选项中'


# --- lyg_workbook and load_data ------------------------------------------------


def test_workbook_config():
    from ckanext.lyg_harvest.config import check_workbook_url, parse_workbook_source

    config = parse_workbook_source("")
    assert config["format"] == "auto" and config["record_key"] == ["owner_org", "title"]
    assert parse_workbook_source({"record_key": "信息资源名称"})["record_key"] == ["title"]
    with pytest.raises(cfg.ConfigError) as err:
        parse_workbook_source({"format": "ods", "record_key": [], "defaults": {"share_review": "x"}})
    assert sorted(p.key for p in err.value.problems) == ["defaults.share_review", "format", "record_key"]
    assert check_workbook_url("https://dept.example/catalog.xlsx", []) == []
    assert [p.key for p in check_workbook_url("catalog.xlsx", ["/srv"])] == ["url"]
    assert "not allowed" in check_workbook_url("/srv/x.xlsx", [])[0].message
    assert check_workbook_url("/srv/drop/x.xlsx", ["/srv/drop"]) == []
    assert check_workbook_url("file:///srv/drop/../etc/passwd", ["/srv/drop"])[0].key == "url"
    assert check_workbook_url("/srv/dropbox/x.csv", ["/srv/drop"])[0].key == "url"


def test_workbook_record_identity():
    from ckanext.lyg_harvest.workbook import record_id

    key = {"record_key": ["owner_org", "title"]}
    assert record_id({"cells": {"resource_code": "101/000001", "title": "甲"}}, key) == "101/000001"
    assert record_id({"cells": {"owner_org": "市公安局", "title": "甲"}}, key) == "key:市公安局|甲"
    assert record_id({"cells": {"owner_org": "", "title": ""}}, key) is None


def test_datastore_fields_and_info_items_from_column_types():
    from ckanext.lyg_harvest import datastore
    from ckanext.lyg_harvest.download import column_kind

    columns = [("id", column_kind("postgresql", 23)), ("day", column_kind("postgresql", 1082)),
               ("pm25", column_kind("mysql", 246)), ("name", column_kind("mysql", 253))]  # fmt: skip
    assert datastore.fields(columns) == [
        {"id": "id", "type": "int8"}, {"id": "day", "type": "date"},
        {"id": "pm25", "type": "numeric"}, {"id": "name", "type": "text"},
    ]  # fmt: skip
    assert [i["data_type"] for i in datastore.info_items(columns)] == ["I", "D", "N", "C"]
    rows = [{"id": 1, "day": "2026-11-01"}, {"id": 2, "day": "2026-11-02"}]
    digest, count = datastore.data_hash(columns, rows)
    assert count == 2 and digest == datastore.data_hash(columns, list(rows))[0]
    assert digest != datastore.data_hash(columns, rows[:1])[0]
    assert [len(b) for b in datastore.batches(range(5), 2)] == [2, 2, 1]


def test_sql_load_data_config():
    config = cfg.parse_sql_source({"table": "t", "load_data": True, "entry": {"title": "空气质量"}})
    assert config["record_id"] is None and config["batch_size"] == 1000
    with pytest.raises(cfg.ConfigError) as err:
        cfg.parse_sql_source({"table": "t", "record_id": "id", "columns": {"title": "t"}, "entry": {}})
    assert [p.key for p in err.value.problems] == ["entry"]
