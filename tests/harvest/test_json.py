"""lyg_json against a real paged JSON API on 127.0.0.1 (see conftest.py)."""

from __future__ import annotations

import copy
import json

import pytest
from ckan.plugins import toolkit as tk

from tests.harvest.conftest import JSON_CONFIG, entries, record

pytestmark = pytest.mark.usefixtures("clean_db")


def test_first_run_creates_entries_in_the_catalog_schema(harvest, api):
    source = harvest.source("lyg_json", api.url("/api/catalog"), JSON_CONFIG)
    report = harvest.run(source)
    assert report["status"] == "Finished"
    assert report["counts"] == {"added": 3}, report
    assert not report["gather_errors"] and not report["object_errors"]
    found = entries(source["id"])
    assert set(found) == {"gaj-001", "gaj-002", "gaj-003"}
    entry = found["gaj-002"]
    assert entry["title"] == "连云港市户籍人口信息2"
    assert entry["owner_org"] == harvest.org["id"]
    assert entry["share_type"] == "conditional" and entry["open_type"] == "none"
    assert entry["update_cycle"] == "每日"
    assert entry["resource_code"].startswith("101/")
    assert entry["provider_code"] == harvest.org["provider_code"]
    assert [i["name"] for i in entry["info_items"]] == ["姓名", "公民身份号码"]
    assert entry["info_items"][0]["data_type"] == "C"
    assert sorted(t["name"] for t in entry["tags"]) == ["人口", "户籍"]


def test_rerun_unchanged_is_not_modified_and_changes_update(harvest, api):
    source = harvest.source("lyg_json", api.url("/api/catalog"), JSON_CONFIG)
    harvest.run(source)
    before = entries(source["id"])

    report = harvest.run(source)
    assert report["counts"] == {"not modified": 3}, report
    after = entries(source["id"])
    assert {g: e["id"] for g, e in after.items()} == {g: e["id"] for g, e in before.items()}
    assert {g: e["metadata_modified"] for g, e in after.items()} == {
        g: e["metadata_modified"] for g, e in before.items()
    }

    # a field the mapping does not use changes nothing
    api.publish([record(n, served_at=f"2026-11-26T12:00:0{n}") for n in (1, 2, 3)])
    assert harvest.run(source)["counts"] == {"not modified": 3}

    api.publish([record(1), record(2, name="连云港市户籍人口信息（修订）", cycle="每周"), record(3)])
    report = harvest.run(source)
    assert report["counts"] == {"updated": 1, "not modified": 2}, report
    changed = entries(source["id"])["gaj-002"]
    assert changed["id"] == before["gaj-002"]["id"]
    assert changed["title"] == "连云港市户籍人口信息（修订）"
    assert changed["update_cycle"] == "每周"
    assert changed["resource_code"] == before["gaj-002"]["resource_code"]


def test_removed_record_is_withdrawn_and_comes_back(harvest, api):
    source = harvest.source("lyg_json", api.url("/api/catalog"), JSON_CONFIG)
    harvest.run(source)
    gone = entries(source["id"])["gaj-003"]

    api.publish([record(1), record(2)])
    report = harvest.run(source)
    assert report["counts"] == {"not modified": 2, "deleted": 1}, report
    assert set(entries(source["id"])) == {"gaj-001", "gaj-002"}
    assert tk.get_action("package_show")({"ignore_auth": True}, {"id": gone["id"]})["state"] == "deleted"

    api.publish([record(1), record(2), record(3)])
    report = harvest.run(source)
    assert report["counts"] == {"not modified": 2, "updated": 1}, report
    back = entries(source["id"])["gaj-003"]
    assert back["id"] == gone["id"] and back["resource_code"] == gone["resource_code"]


def test_withdraw_keep_leaves_entries_of_removed_records(harvest, api):
    source = harvest.source("lyg_json", api.url("/api/catalog"), dict(JSON_CONFIG, withdraw="keep"))
    harvest.run(source)
    api.publish([record(1)])
    assert harvest.run(source)["counts"] == {"not modified": 1}
    assert set(entries(source["id"])) == {"gaj-001", "gaj-002", "gaj-003"}


def test_offset_paging_and_a_real_json_file(harvest, api):
    config = dict(
        JSON_CONFIG,
        records="@",
        paging={"type": "offset", "param": "offset", "size_param": "limit", "size": 2},
    )
    source = harvest.source("lyg_json", api.url("/api/offset"), config, name="offset-src")
    assert harvest.run(source)["counts"] == {"added": 3}

    (api.root / "catalog.json").write_text(json.dumps({"data": {"items": [record(7)]}}, ensure_ascii=False))
    config = dict(JSON_CONFIG, paging={"type": "none"})
    source = harvest.source("lyg_json", api.url("/catalog.json"), config, name="file-src")
    assert harvest.run(source)["counts"] == {"added": 1}
    assert entries(source["id"])["gaj-007"]["title"] == "连云港市户籍人口信息7"


def test_records_breaking_the_catalog_rules_are_errors_not_saved(harvest, api):
    api.publish(
        [
            record(1),
            record(2, share="不予共享", open="无条件开放"),  # not shared cannot be open; no basis
            record(3, items=[]),  # a spreadsheet needs info items
            record(4, cycle="每时"),  # not an update cycle
            {"name": "没有标识"},  # no id
        ]
    )
    source = harvest.source("lyg_json", api.url("/api/catalog"), JSON_CONFIG)
    report = harvest.run(source)
    assert report["status"] == "Finished"
    assert report["counts"] == {"added": 1, "errored": 3}, report
    messages = {guid: message for guid, stage, message in report["object_errors"]}
    assert set(messages) == {"gaj-002", "gaj-003", "gaj-004"}
    assert "open_type" in messages["gaj-002"] and "share_basis" in messages["gaj-002"]
    assert "info_items" in messages["gaj-003"]
    assert "update_cycle" in messages["gaj-004"]
    assert all(stage == "Import" for _g, stage, _m in report["object_errors"])
    assert any("Record 5" in m for m in report["gather_errors"]), report
    assert set(entries(source["id"])) == {"gaj-001"}
    # once fixed at the source, the record is imported
    api.publish([record(1), record(2), record(3), record(4)])
    report = harvest.run(source)
    assert report["counts"] == {"not modified": 1, "added": 3}, report


def test_not_shared_records_are_held_for_review(harvest, api):
    api.publish([record(1, share="不予共享", open="不予开放", basis="《中华人民共和国保守国家秘密法》")])
    config = copy.deepcopy(JSON_CONFIG)
    config["fields"]["share_basis"] = "basis"
    source = harvest.source("lyg_json", api.url("/api/catalog"), config)
    assert harvest.run(source)["counts"] == {"added": 1}
    entry = entries(source["id"])["gaj-001"]
    assert entry["share_type"] == "none" and entry["share_review"] == "pending"


@pytest.mark.parametrize(
    "config, key",
    [
        ("", "config"),
        ("{not json", "config"),
        ({"fields": {"title": "name"}}, "record_id"),
        (dict(JSON_CONFIG, record_id="[broken"), "record_id"),
        (dict(JSON_CONFIG, fields={"titel": "name"}), "fields.titel"),
        (dict(JSON_CONFIG, paging={"type": "cursor"}), "paging.type"),
        (dict(JSON_CONFIG, timeout=0), "timeout"),
        (dict(JSON_CONFIG, defaults={"share_type": "sometimes"}), "defaults.share_type"),
        (dict(JSON_CONFIG, defaults={"update_cycle": "hourly"}), "defaults.update_cycle"),
        (dict(JSON_CONFIG, defaults={"share_review": "confirmed"}), "defaults.share_review"),
        (dict(JSON_CONFIG, colour="blue"), "colour"),
    ],
)
def test_bad_config_is_rejected_with_the_key(harvest, api, config, key):
    with pytest.raises(tk.ValidationError) as err:
        harvest.source("lyg_json", api.url("/api/catalog"), config)
    message = " ".join(err.value.error_dict["config"])
    assert f"{key}:" in message, message


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/api/error", "HTTP 500"),
        ("/api/malformed", "malformed JSON"),
        ("/api/missing", "HTTP 404"),
    ],
)
def test_broken_source_ends_the_job_with_an_error_and_others_run(harvest, api, path, expected):
    broken = harvest.source("lyg_json", api.url(path), JSON_CONFIG, name="broken")
    good = harvest.source("lyg_json", api.url("/api/catalog"), JSON_CONFIG, name="good")
    report = harvest.run(broken)
    assert report["status"] == "Finished"
    assert report["counts"] == {}
    assert any(expected in m for m in report["gather_errors"]), report
    assert harvest.run(good)["counts"] == {"added": 3}


def test_timeout_ends_the_job_with_an_error(harvest, api):
    slow = harvest.source("lyg_json", api.url("/api/slow?delay=3"), dict(JSON_CONFIG, timeout=1), name="slow")
    report = harvest.run(slow)
    assert report["status"] == "Finished" and report["counts"] == {}
    assert any("did not answer within 1 s" in m for m in report["gather_errors"]), report


def test_source_down_ends_the_job_and_withdraws_nothing(harvest, api):
    source = harvest.source("lyg_json", api.url("/api/catalog"), JSON_CONFIG)
    harvest.run(source)
    api.stop()
    report = harvest.run(source)
    assert report["status"] == "Finished" and report["counts"] == {}
    assert any("Cannot connect" in m for m in report["gather_errors"]), report
    assert len(entries(source["id"])) == 3


def test_connection_refused_ends_the_job_and_others_run(harvest, api, closed_port):
    refused = harvest.source(
        "lyg_json", f"http://127.0.0.1:{closed_port}/api/catalog", JSON_CONFIG, name="refused"
    )
    good = harvest.source("lyg_json", api.url("/api/catalog"), JSON_CONFIG, name="good")
    report = harvest.run(refused)
    assert report["status"] == "Finished" and report["counts"] == {}
    assert any("Cannot connect" in m for m in report["gather_errors"]), report
    assert harvest.run(good)["counts"] == {"added": 3}


def test_department_given_by_its_credit_code(harvest, api):
    """A record naming its department by 统一社会信用代码 lands in that department,
    not in the source's own."""
    from tests.conftest import make_org

    other = make_org(name="lyg-tjj", title="连云港市统计局")
    api.publish([record(1, dept=other["provider_code"]), record(2, dept="91320700MA1XXXXXX0")])
    config = copy.deepcopy(JSON_CONFIG)
    config["fields"]["provider_code"] = "dept"
    source = harvest.source("lyg_json", api.url("/api/catalog"), config)
    report = harvest.run(source)
    assert report["counts"] == {"added": 1, "errored": 1}, report
    assert entries(source["id"])["gaj-001"]["owner_org"] == other["id"]
    assert any("91320700MA1XXXXXX0" in message for _g, _s, message in report["object_errors"]), report
