"""lyg_ckan, lyg_dcat and lyg_csw against real peers on 127.0.0.1: one of our
portals over HTTP (``county``), a foreign CKAN's recorded answers and failures
(``peer``), and a real pycsw server (``pycsw``)."""

from __future__ import annotations

import json

import pytest
from ckan.tests.helpers import call_action

from tests.conftest import make_org
from tests.exchange.conftest import Harvest, entries

pytestmark = pytest.mark.usefixtures("clean_db")

DEFAULTS = {"share_type": "conditional", "share_condition": "用于政务服务。", "open_type": "none",
            "update_cycle": "不定期", "catalog_class": "3", "catalog_item": "01"}  # fmt: skip
GEO_DEFAULTS = {"share_type": "unconditional", "open_type": "unconditional", "update_cycle": "不定期",
                "catalog_class": "1", "catalog_item": "03"}  # fmt: skip
KEPT = ("title", "notes", "resource_code", "catalog_class", "catalog_item", "share_type", "open_type",
        "open_condition", "update_cycle", "format_class", "format_type", "issued", "area_scope")  # fmt: skip


@pytest.fixture
def harvest(sysadmin, org) -> Harvest:
    return Harvest(sysadmin, org)


def by_name(source_id: str) -> dict[str, dict]:
    return {e["name"]: e for e in entries(source_id).values()}


def test_lyg_ckan_keeps_the_catalog_fields_of_our_portal(harvest, county):
    # this site has the county's 统计局 (same 统一社会信用代码), not its 公安分局
    local = make_org("lyg-gy-tjj", "连云港市赣榆区统计局")
    source = harvest.source("lyg_ckan", county.url, {"defaults": DEFAULTS})
    report = harvest.run(source)
    public = county.public()
    assert report["counts"] == {"added": len(public)}, report
    assert not report["gather_errors"] and not report["object_errors"]
    got = by_name(source["id"])
    assert set(got) == set(public)
    for name, remote in public.items():
        for key in KEPT:
            assert got[name].get(key) == remote.get(key), (name, key)
        assert [r["url"] for r in got[name]["resources"]] == [r["url"] for r in remote["resources"]]
        assert sorted(t["name"] for t in got[name]["tags"]) == sorted(t["name"] for t in remote["tags"])
        department = local if got[name]["owner_org"] == local["id"] else harvest.org
        assert got[name]["provider_code"] == department["provider_code"]
    assert got["gy-rkjc"]["info_items"][1]["name"] == "常住人口"
    assert got["gy-tjgb-2025"]["owner_org"] == local["id"]
    assert got["gy-hjrk"]["owner_org"] == harvest.org["id"]  # not here: the source's department

    assert harvest.run(source)["counts"] == {"not modified": len(public)}


@pytest.mark.parametrize("endpoint", ["/catalog.ttl", "/catalog.jsonld"])
def test_lyg_dcat_reads_our_catalog(harvest, county, endpoint):
    source = harvest.source("lyg_dcat", county.url + endpoint, {"defaults": DEFAULTS})
    report = harvest.run(source)
    public = county.public()
    assert report["counts"] == {"added": len(public)}, report
    got = {e["title"]: e for e in entries(source["id"]).values()}
    assert set(got) == {e["title"] for e in public.values()}
    for remote in public.values():
        entry = got[remote["title"]]
        for key in ("notes", "resource_code", "catalog_class", "catalog_item", "share_type", "open_type",
                    "update_cycle", "format_class", "format_type"):  # fmt: skip
            assert entry.get(key) == remote.get(key), (remote["name"], key)
        assert sorted(r["url"] for r in entry["resources"]) == sorted(r["url"] for r in remote["resources"])
    assert got["赣榆区常住人口基本情况"]["info_items"][0]["name"] == "年份"
    assert harvest.run(source)["counts"] == {"not modified": len(public)}


def test_lyg_ckan_maps_a_foreign_portal_with_the_source_defaults(harvest, peer):
    source = harvest.source("lyg_ckan", peer.url("/foreign"), {"defaults": DEFAULTS})
    report = harvest.run(source)
    # the spreadsheet-only dataset has no info items: the catalog rules refuse it
    assert report["counts"] == {"added": 2, "errored": 1}, report
    [(guid, stage, message)] = report["object_errors"]
    assert stage == "Import" and "info_items" in message
    got = by_name(source["id"])
    assert set(got) == {"js-gdp-2025", "js-rk-2025"}
    gdp = got["js-gdp-2025"]
    assert gdp["title"] == "江苏省各设区市地区生产总值（2025年）"
    assert (gdp["share_type"], gdp["open_type"], gdp["update_cycle"]) == ("conditional", "none", "不定期")
    assert (gdp["format_class"], gdp["format_type"]) == ("电子文件", "pdf")
    assert gdp["resource_code"].startswith("301/")
    assert gdp["owner_org"] == harvest.org["id"]
    assert [r["format"] for r in gdp["resources"]] == ["PDF", "CSV"]
    assert json.loads(got["js-rk-2025"]["spatial"])["type"] == "Polygon"
    assert (got["js-rk-2025"]["format_class"], got["js-rk-2025"]["format_type"]) == ("自描述格式", "CSV")


def test_harvested_not_shared_entries_are_held_for_review(harvest, peer):
    defaults = dict(DEFAULTS, share_type="none", share_basis="《中华人民共和国统计法》")
    defaults.pop("share_condition")
    source = harvest.source("lyg_ckan", peer.url("/foreign"), {"defaults": defaults})
    assert harvest.run(source)["counts"] == {"added": 2, "errored": 1}
    for entry in by_name(source["id"]).values():
        assert entry["share_type"] == "none" and entry["share_review"] == "pending"


def test_lyg_csw_entries_have_their_bbox(harvest, pycsw):
    source = harvest.source("lyg_csw", pycsw.url, {"defaults": GEO_DEFAULTS, "page_size": 2})
    report = harvest.run(source)
    assert report["counts"] == {"added": 3}, report
    got = entries(source["id"])
    assert set(got) == {"zrzy-tdly-2025", "zrzy-jbnt-ganyu", "zrzy-hax-2026"}
    land = got["zrzy-tdly-2025"]
    assert land["title"] == "连云港市土地利用现状图（2025年）"
    assert land["update_cycle"] == "每年" and land["resource_code"].startswith("103/")
    assert json.loads(land["spatial"])["coordinates"][0][0] == [118.4, 34.0]
    assert got["zrzy-hax-2026"]["update_cycle"] == "每季度"

    # the search engine's bbox search finds them: a box in 赣榆 overlaps two of the three
    found = call_action("package_search", extras={"ext_bbox": "119.0,34.95,119.1,35.05"}, rows=10)
    titles = {r["title"] for r in found["results"]}
    assert titles == {"连云港市土地利用现状图（2025年）", "赣榆区永久基本农田保护区"}

    assert harvest.run(source)["counts"] == {"not modified": 3}


FAILURES = {
    "refused": ("Cannot connect", None),
    "http500": ("HTTP 500", "/status/500"),
    "malformed": ("malformed", "/malformed"),
    "timeout": ("did not answer within 1 s", "/slow/3"),
}
TAILS = {"lyg_ckan": "", "lyg_dcat": "/catalog.ttl", "lyg_csw": "/csw"}


@pytest.mark.parametrize("source_type", ["lyg_ckan", "lyg_dcat", "lyg_csw"])
def test_failures_end_the_job_with_errors_and_other_sources_run(harvest, peer, closed_port, source_type):
    good = harvest.source("lyg_ckan", peer.url("/foreign"), {"defaults": DEFAULTS}, name="good")
    assert harvest.run(good)["counts"] == {"added": 2, "errored": 1}
    for kind, (message, prefix) in FAILURES.items():
        url = f"http://127.0.0.1:{closed_port}" if prefix is None else peer.url(prefix)
        config = {"defaults": DEFAULTS, "timeout": 1}
        bad = harvest.source(source_type, url + TAILS[source_type], config, name=kind)
        report = harvest.run(bad)
        assert report["status"] == "Finished" and report["counts"] == {}, (kind, report)
        assert any(message in m for m in report["gather_errors"]), (kind, report)
        assert entries(bad["id"]) == {}
    # the good source is unaffected: its entries stay, its next run is clean
    report = harvest.run(good)
    assert report["counts"] == {"not modified": 2, "errored": 1}, report
    assert set(by_name(good["id"])) == {"js-gdp-2025", "js-rk-2025"}


@pytest.mark.parametrize(
    "source_type, config, key",
    [
        ("lyg_ckan", {}, "defaults"),
        ("lyg_dcat", {"defaults": DEFAULTS, "rdf_format": "excel"}, "rdf_format"),
        ("lyg_csw", {"defaults": DEFAULTS, "page_size": 0}, "page_size"),
    ],
)
def test_config_is_checked_when_the_source_is_saved(harvest, source_type, config, key):
    from ckan.plugins import toolkit as tk

    with pytest.raises(tk.ValidationError) as err:
        harvest.source(source_type, "http://127.0.0.1:9/x", config, name="bad-config")
    assert key in json.dumps(err.value.error_dict, ensure_ascii=False)


@pytest.mark.parametrize(
    "lang, expected",
    [
        ("zh_Hans_CN", "defaults: 请为 share_type, open_type, update_cycle 提供默认值"),
        ("en", "defaults: Give defaults for share_type, open_type, update_cycle: records of other catalogs"),
    ],
)
def test_config_mistakes_are_shown_in_the_users_language(app, harvest, lang, expected):
    from ckan.plugins import toolkit as tk

    with app.flask_app.test_request_context(environ_base={"CKAN_LANG": lang}):
        with pytest.raises(tk.ValidationError) as err:
            harvest.source("lyg_ckan", "http://127.0.0.1:9/", {"timeout": 5}, name="no-defaults")
    assert expected in " ".join(err.value.error_dict["config"])


def test_changed_records_update_and_removed_ones_are_withdrawn(harvest, peer):
    source = harvest.source("lyg_ckan", peer.url("/foreign"), {"defaults": DEFAULTS})
    harvest.run(source)
    before = by_name(source["id"])
    answer = json.loads((peer.root / "foreign_ckan.json").read_text("utf-8"))
    results = answer["result"]["results"]
    results[1]["title"] = "江苏省常住人口（2025年，修订）"
    answer["result"]["results"] = [r for r in results if r["name"] != "js-gdp-2025"]
    (peer.root / "foreign_ckan.json").write_text(json.dumps(answer, ensure_ascii=False), "utf-8")

    report = harvest.run(source)
    assert report["counts"] == {"updated": 1, "deleted": 1, "errored": 1}, report
    after = by_name(source["id"])
    assert set(after) == {"js-rk-2025"}
    assert after["js-rk-2025"]["title"] == "江苏省常住人口（2025年，修订）"
    assert after["js-rk-2025"]["resource_code"] == before["js-rk-2025"]["resource_code"]
    assert call_action("package_show", id=before["js-gdp-2025"]["id"])["state"] == "deleted"


def test_a_resource_code_in_use_is_an_error_unless_the_site_assigns_its_own(harvest, county):
    public = county.public()
    first = harvest.source("lyg_ckan", county.url, {"defaults": DEFAULTS}, name="county-api")
    assert harvest.run(first)["counts"] == {"added": len(public)}
    # the same entries again, from the DCAT catalog: their codes are taken here
    ttl = county.url + "/catalog.ttl"
    again = harvest.source("lyg_dcat", ttl, {"defaults": DEFAULTS}, name="county-dcat")
    report = harvest.run(again)
    assert report["counts"] == {"errored": len(public)}, report
    assert all("resource_code" in message for _g, _s, message in report["object_errors"])
    # a source that lets this site number its entries
    config = {"defaults": DEFAULTS, "resource_codes": "assign"}
    assigned = harvest.source("lyg_dcat", ttl, config, name="county-dcat-assign")
    assert harvest.run(assigned)["counts"] == {"added": len(public)}
    codes = {e["title"]: e["resource_code"] for e in entries(assigned["id"]).values()}
    for remote in public.values():
        code = codes[remote["title"]]
        assert code != remote["resource_code"]
        assert code.split("/")[0] == remote["resource_code"].split("/")[0]  # same classification
