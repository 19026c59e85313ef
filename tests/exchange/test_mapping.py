"""The pure parts of the remote source types: mapping and configuration."""

from __future__ import annotations

import json
import re

import pytest
from ckanext.lyg_harvest import remote_config, remote_mapping
from ckanext.lyg_harvest.config import ConfigError
from ckanext.lyg_harvest.mapping import to_dataset

from tests.exchange.conftest import DATA

DEFAULTS = {"share_type": "conditional", "share_condition": "用于政务服务。", "open_type": "none",
            "update_cycle": "不定期", "catalog_class": "3", "catalog_item": "01"}  # fmt: skip


def ours() -> dict:
    """A dataset as one of our portals' API shows it."""
    return {
        "id": "0b9c", "name": "gy-rkjc", "title": "赣榆区常住人口基本情况", "notes": "按乡镇统计。",
        "type": "dataset", "resource_code": "201/000002", "catalog_class": "2", "catalog_item": "01",
        "provider_code": "91320700MA1XXXXXX0", "format_class": "电子表格", "format_type": "xlsx",
        "info_items": [{"name": "常住人口", "data_type": "I", "length": 10}],
        "share_type": "none", "share_basis": "《统计法》", "share_review": "confirmed", "open_type": "none",
        "update_cycle": "每季度", "issued": "2026-01-05", "related_codes": ["101/000001"],
        "tags": [{"name": "人口"}], "organization": {"name": "gy-tjj", "title": "连云港市赣榆区统计局"},
        "resources": [{"url": "http://county.example/rk.xlsx", "format": "XLSX", "url_type": None}],
    }  # fmt: skip


def test_our_portal_keeps_its_catalog_fields_but_not_the_review():
    fields = remote_mapping.ckan_fields(ours())
    dataset = to_dataset(fields, DEFAULTS)
    assert dataset["resource_code"] == "201/000002"
    assert (dataset["catalog_class"], dataset["catalog_item"]) == ("2", "01")
    assert (dataset["format_class"], dataset["format_type"]) == ("电子表格", "xlsx")
    assert dataset["share_type"] == "none" and dataset["share_basis"] == "《统计法》"
    assert dataset["update_cycle"] == "每季度" and dataset["issued"] == "2026-01-05"
    assert dataset["info_items"][0]["name"] == "常住人口"
    # the data authority of *this* site reviews a not-shared entry again
    assert "share_review" not in dataset
    assert "related_codes" not in dataset
    assert fields["department"] == {
        "provider_code": "91320700MA1XXXXXX0", "name": "gy-tjj", "title": "连云港市赣榆区统计局"
    }  # fmt: skip


def test_foreign_ckan_dataset_gets_the_source_defaults_and_a_format_from_its_resources():
    foreign = json.loads((DATA / "foreign_ckan.json").read_text("utf-8"))["result"]["results"][0]
    dataset = to_dataset(remote_mapping.ckan_fields(foreign), DEFAULTS)
    assert dataset["title"] == foreign["title"] and dataset["notes"] == foreign["notes"]
    assert dataset["share_type"] == "conditional" and dataset["update_cycle"] == "不定期"
    assert (dataset["catalog_class"], dataset["catalog_item"]) == ("3", "01")
    assert "resource_code" not in dataset
    assert [r["url"] for r in dataset["resources"]] == [r["url"] for r in foreign["resources"]]
    # a PDF and a CSV, no info items: the format is one that needs none
    assert (dataset["format_class"], dataset["format_type"]) == ("电子文件", "pdf")
    assert (dataset["share_mode_class"], dataset["share_mode_type"]) == ("共享平台方式", "文件")
    assert {t["name"] for t in dataset["tags"]} == {t["name"] for t in foreign["tags"]}


@pytest.mark.parametrize(
    "fmt, expected",
    [
        ("PDF", ("电子文件", "pdf")), (".docx", ("电子文件", "docx")), ("XLSX", ("电子表格", "xlsx")),
        ("application/vnd.ms-excel", ("电子表格", "xls")), ("CSV", ("自描述格式", "CSV")),
        ("WMS", ("服务接口", "WMS")), ("jpeg", ("图形图像", "jpg")), ("MySQL", ("数据库", "mysql")),
        ("", None), ("unknown-thing", None),
    ],
)  # fmt: skip
def test_resource_formats(fmt, expected):
    assert remote_mapping.format_of(fmt) == expected


def test_spreadsheet_is_kept_when_info_items_exist():
    resources = [{"format": "XLSX"}, {"format": "PDF"}]
    assert remote_mapping.format_from_resources(resources, has_items=True) == ("电子表格", "xlsx")
    assert remote_mapping.format_from_resources(resources, has_items=False) == ("电子文件", "pdf")


def test_dcat_identifier_theme_and_frequency():
    dataset = {
        "title": "赣榆区2025年统计公报",
        "extras": [
            {"key": "identifier", "value": "201001/000007"},
            {"key": "theme", "value": json.dumps(["http://example.org/x", "urn:lyg:catalog-class:2:01:001"])},
            {"key": "frequency", "value": "http://publications.europa.eu/resource/authority/frequency/QUARTERLY"},
            {"key": "issued", "value": "2026-02-01T08:00:00"},
        ],
        "share_type": "unconditional",
        "open_type": "unconditional",
        "resources": [{"access_url": "http://county.example/a.pdf", "format": "PDF"}],
    }
    fields = remote_mapping.dcat_fields(dataset)
    assert fields["resource_code"] == "201001/000007"
    assert (fields["catalog_class"], fields["catalog_item"], fields["catalog_sub"]) == ("2", "01", "001")
    assert fields["update_cycle"] == "每季度" and fields["issued"] == "2026-02-01"
    assert fields["resources"] == [{"url": "http://county.example/a.pdf", "format": "PDF"}]
    # a foreign identifier is no resource code of ours
    other = remote_mapping.dcat_fields({"title": "x", "extras": [{"key": "identifier", "value": "abc-1"}]})
    assert "resource_code" not in other


def test_theme_uri_round_trip():
    pkg = {"catalog_class": "1", "catalog_item": "03", "catalog_sub": "002"}
    uri = remote_mapping.theme_uri(pkg)
    assert uri == "urn:lyg:catalog-class:1:03:002"
    assert remote_mapping.classification_from_themes([uri]) == pkg


def test_iso_record_with_bbox():
    from ckanext.spatial.harvested_metadata import ISODocument

    xml = (DATA / "iso" / "zrzy-tdly-2025.xml").read_text("utf-8")
    values = ISODocument(re.sub(r"^\s*<\?xml[^>]*\?>", "", xml)).read_values()
    fields = remote_mapping.iso_fields(values)
    assert fields["title"] == "连云港市土地利用现状图（2025年）"
    assert fields["update_cycle"] == "每年"
    assert (fields["temporal_start"], fields["temporal_end"]) == ("2025-01-01", "2025-12-31")
    assert json.loads(fields["spatial"]) == {
        "type": "Polygon",
        "coordinates": [[[118.4, 34.0], [119.8, 34.0], [119.8, 35.1], [118.4, 35.1], [118.4, 34.0]]],
    }
    assert fields["resources"][0]["format"] == "WMS"
    assert (fields["format_class"], fields["format_type"]) == ("自描述格式", "SHP")
    assert set(fields["tags"]) == {"土地利用", "国土调查"}


@pytest.mark.parametrize(
    "bbox, expected",
    [
        ({"west": "119", "east": "119", "south": "34.5", "north": "34.5"}, "Point"),
        ({"west": "119", "east": "120", "south": "35", "north": "34"}, None),  # south above north
        ({"west": "200", "east": "120", "south": "34", "north": "35"}, None),
        ({"west": "x"}, None),
    ],
)
def test_bbox_geojson_rejects_what_is_no_box(bbox, expected):
    result = remote_mapping.bbox_geojson(bbox)
    assert (json.loads(result)["type"] if result else None) == expected


@pytest.mark.parametrize(
    "parse, raw, key",
    [
        (remote_config.parse_ckan_source, {}, "defaults"),
        (remote_config.parse_ckan_source, {"defaults": DEFAULTS, "api_key": "x"}, "api_key"),
        (remote_config.parse_ckan_source,
         {"defaults": DEFAULTS, "organizations_filter_include": ["a1"],
          "organizations_filter_exclude": ["b2"]},
         "organizations_filter_include"),
        (remote_config.parse_ckan_source, {"defaults": DEFAULTS, "groups_filter_include": "gov"},
         "groups_filter_include"),
        (remote_config.parse_ckan_source, {"defaults": dict(DEFAULTS, share_type="maybe")},
         "defaults.share_type"),
        (remote_config.parse_dcat_source, {"defaults": DEFAULTS, "rdf_format": "excel"}, "rdf_format"),
        (remote_config.parse_dcat_source, {"defaults": DEFAULTS, "timeout": 0}, "timeout"),
        (remote_config.parse_ckan_source, {"defaults": DEFAULTS, "resource_codes": "renumber"},
         "resource_codes"),
        (remote_config.parse_csw_source, {"defaults": DEFAULTS, "page_size": 10000}, "page_size"),
        (remote_config.parse_csw_source, {"defaults": DEFAULTS, "cql": ""}, "cql"),
        (remote_config.parse_csw_source, "{not json", "config"),
    ],
)  # fmt: skip
def test_config_mistakes_name_their_key(parse, raw, key):
    with pytest.raises(ConfigError) as err:
        parse(raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False))
    assert key in [p.key for p in err.value.problems], err.value.problems


def test_config_defaults():
    config = remote_config.parse_csw_source(json.dumps({"defaults": DEFAULTS}))
    assert config["page_size"] == 50 and config["timeout"] == 30 and config["withdraw"] == "delete"
    config = remote_config.parse_ckan_source({"defaults": DEFAULTS, "groups_filter_exclude": ["test-group"]})
    assert config["groups_filter_exclude"] == ["test-group"] and config["organizations_filter_include"] == []
