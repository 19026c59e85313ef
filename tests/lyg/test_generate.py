"""The demo catalog as data: pure tests of the generator (no database)."""

from __future__ import annotations

import io
import json
from collections import Counter

import pytest
from ckanext.lyg import reference, uscc
from ckanext.lyg.seed import files, generate
from openpyxl import load_workbook

DEFAULT = 320


@pytest.fixture(scope="module")
def entries():
    return generate.entries(DEFAULT)


def test_departments_and_groups():
    orgs = generate.organizations()
    assert len(orgs) >= 26
    names = {o["title"] for o in orgs}
    for title in ("连云港市公安局", "连云港市市场监督管理局", "连云港市大数据管理中心", "东海县人民政府"):
        assert title in names
    kinds = Counter(dict((e["key"], e["value"]) for e in o["extras"])["kind"] for o in orgs)
    assert kinds["县区"] == 6 and kinds["市级部门"] >= 20 and kinds["其他"] >= 1
    codes = [dict((e["key"], e["value"]) for e in o["extras"])["provider_code"] for o in orgs]
    assert len(set(codes)) == len(codes)
    assert all(uscc.is_valid(code) for code in codes)
    assert generate.organizations() == orgs  # deterministic

    groups = {g["title"] for g in generate.groups()}
    assert len(groups) == 18
    for title in ("人口基础信息库", "法人单位基础信息库", "自然资源和空间地理基础信息库", "社会信用信息库",
                  "电子证照库", "宏观经济数据库", "公共服务主题库", "应急维稳主题库"):  # fmt: skip
        assert title in groups


def test_count_prefix_and_determinism(entries):
    assert len(entries) == DEFAULT
    assert generate.entries(40) == entries[:40]
    assert len({e["name"] for e in entries}) == DEFAULT
    assert len({e["title"] for e in entries}) == DEFAULT
    assert len({e["fields"]["resource_code"] for e in entries}) == DEFAULT
    bigger = generate.entries(len(generate.template_pool()) + 5)  # beyond the templates
    assert len({e["title"] for e in bigger}) == len(bigger)


def test_every_enumeration_value_is_covered(entries):
    fields = [e["fields"] for e in entries]
    assert {f["share_type"] for f in fields} == set(reference.SHARE_TYPES)
    assert {f["open_type"] for f in fields} == set(reference.OPEN_TYPES)
    assert {f["update_cycle"] for f in fields} == set(reference.UPDATE_CYCLES)
    assert {f["format_class"] for f in fields} == set(reference.FORMAT_TYPES)
    assert {f["data_level"] for f in fields} == set(reference.DATA_LEVELS)
    assert {f["catalog_class"] for f in fields} == {"1", "2", "3"}
    assert {f.get("share_mode_class") for f in fields} >= set(reference.SHARE_MODE_CLASSES)
    assert {f["area_scope"] for f in fields} >= {"全市", "市直", "海州区", "灌南县"}
    assert sum(e["with_resources"] for e in entries) >= 50
    assert sum("spatial" in f for f in fields) >= 30
    assert any(f.get("related_codes") for f in fields)
    # every basic and thematic database gets entries
    assert {g for e in entries for g in e["groups"]} == {g["name"] for g in generate.groups()}


def test_consistency_rules_of_the_catalog(entries):
    codes = {e["fields"]["resource_code"] for e in entries}
    providers = {d["name"]: d["provider_code"] for d in reference.departments()}
    for entry in entries:
        f = entry["fields"]
        share, open_ = f["share_type"], f["open_type"]
        if share == "none":
            assert open_ == "none" and f["share_basis"]
            assert "share_mode_class" not in f
        else:
            assert f["share_mode_class"] in reference.SHARE_MODE_CLASSES
            if f["share_mode_class"] == "共享平台方式":
                assert f["share_mode_type"] in reference.SHARE_MODE_TYPES
            if f["format_class"] == "数据库":
                assert f["share_mode_type"] in ("数据库", "接口")
            elif f["format_class"] not in ("服务接口",) and f["share_mode_class"] == "共享平台方式":
                assert f["share_mode_type"] == "文件"
        if open_ == "unconditional":
            assert share == "unconditional"
        if open_ == "conditional":
            assert share != "none" and f["open_condition"]
        if share == "conditional":
            assert f["share_condition"]
        if f["format_class"] in reference.STRUCTURED_FORMATS:
            assert f["info_items"]
        if reference.FORMAT_TYPES[f["format_class"]]:
            assert f["format_type"] in reference.FORMAT_TYPES[f["format_class"]]
        # personal data is never opened
        if any(item["sensitive"] for item in f["info_items"]):
            assert open_ == "none"
        # codes and classification
        cls_code, seq = f["resource_code"].split("/")
        assert cls_code == f["catalog_class"] + f["catalog_item"] + f["catalog_sub"] + f["catalog_detail"]
        assert len(seq) == 6 and seq.isdigit()
        assert f["provider_code"] == providers[entry["owner_org"]]
        assert set(f.get("related_codes", [])) <= codes
        assert f["update_cycle"] in reference.UPDATE_CYCLES
        assert f["issued"] >= f["temporal_start"]
        assert f["temporal_start"] <= f.get("temporal_end", "9999")
        for item in f["info_items"]:
            assert item["data_type"] in reference.INFO_ITEM_TYPES
            assert item["name"] and isinstance(item["is_key"], bool)
        if f["catalog_class"] in ("1", "2"):
            assert reference.group_name(f["catalog_class"], f["catalog_item"]) in entry["groups"]


def test_spatial_extents_are_inside_lianyungang(entries):
    for entry in entries:
        spatial = entry["fields"].get("spatial")
        if not spatial:
            continue
        assert spatial["type"] == "Polygon"
        ring = spatial["coordinates"][0]
        assert ring[0] == ring[-1]
        for lon, lat in ring:
            assert 118.4 <= lon <= 119.9 and 33.9 <= lat <= 35.1


def test_generated_files_are_real(entries):
    formats = Counter()
    for entry in (e for e in entries if e["with_resources"]):
        header = [item["name"] for item in entry["fields"]["info_items"]]
        for data_file in files.data_files(entry):
            formats[data_file.format] += 1
            assert data_file.filename.isascii()
            if data_file.format == "XLSX":
                sheet = load_workbook(io.BytesIO(data_file.content)).active
                rows = list(sheet.values)
                assert list(rows[0]) == header and len(rows) > 10
            elif data_file.format == "CSV":
                text = data_file.content.decode("utf-8-sig")
                assert text.splitlines()[0].split(",") == header
            elif data_file.format == "JSON":
                doc = json.loads(data_file.content)
                assert doc["resource_code"] == entry["fields"]["resource_code"]
                assert set(doc["records"][0]) == set(header)
            elif data_file.format == "GeoJSON":
                doc = json.loads(data_file.content)
                assert doc["type"] == "FeatureCollection" and doc["features"]
                for feature in doc["features"]:
                    lon, lat = feature["geometry"]["coordinates"]
                    assert 118.4 <= lon <= 119.9 and 33.9 <= lat <= 35.1
    assert set(formats) == {"CSV", "XLSX", "JSON", "GeoJSON"}
    assert files.data_files(entries[0])[0].content == files.data_files(entries[0])[0].content


def test_sensitive_columns_are_masked(entries):
    for entry in entries[:120]:
        if not entry["with_resources"]:
            continue
        header, rows = files.rows(entry)
        for item, column in zip(entry["fields"]["info_items"], zip(*rows, strict=True), strict=True):
            if item["sensitive"]:
                assert all("*" in str(value) for value in column), (entry["title"], item["name"])


def test_package_dict_uses_extras_or_schema_fields(entries):
    from ckanext.lyg.seed.load import package_dict

    entry = next(e for e in entries if "spatial" in e["fields"])
    plain = package_dict(entry, set())
    extras = {x["key"]: x["value"] for x in plain["extras"]}
    assert json.loads(extras["info_items"]) == entry["fields"]["info_items"]
    assert json.loads(extras["spatial"])["type"] == "Polygon"
    assert all(isinstance(v, str) for v in extras.values())
    assert "" not in extras.values()

    schema = package_dict(entry, {"resource_code", "info_items", "spatial", "share_type"})
    assert schema["resource_code"] == entry["fields"]["resource_code"]
    assert schema["info_items"] == entry["fields"]["info_items"]
    assert json.loads(schema["spatial"])["type"] == "Polygon"
    assert "extras" not in schema  # with a schema, undeclared fields are not seeded
