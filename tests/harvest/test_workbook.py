"""lyg_workbook: catalog workbooks and CSVs in the national template, over HTTP and from server paths."""

from __future__ import annotations

import pytest
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests.helpers import call_action
from ckanext.harvest.model import HarvestJob, HarvestObject

from tests.harvest.conftest import entries
from tests.harvest.workbooks import row, write_csv, write_xlsx

pytestmark = pytest.mark.usefixtures("clean_db")

CONFIG = {"defaults": {"update_cycle": "每月"}}


def _messages(report) -> dict[str, str]:
    return {guid: message for guid, _stage, message in report["object_errors"]}


def test_workbook_create_unchanged_update_withdraw(harvest, api):
    path = write_xlsx(api.root / "catalog.xlsx", [row(1), row(2), row(3, 更新周期="")])
    source = harvest.source("lyg_workbook", api.url("/catalog.xlsx"), CONFIG)
    report = harvest.run(source)
    assert report["counts"] == {"added": 3}, report
    first = entries(source["id"])
    # rows without a code are identified by department + title, and get a code
    assert set(first) == {f"key:连云港市公安局|连云港市户籍人口信息{n}" for n in (1, 2, 3)}
    entry = first["key:连云港市公安局|连云港市户籍人口信息1"]
    assert entry["resource_code"].startswith("101/") and entry["catalog_item"] == "01"
    assert entry["share_type"] == "conditional" and entry["open_type"] == "none"
    assert entry["info_items"][1]["name"] == "公民身份号码" and entry["info_items"][1]["is_key"] is True
    assert {t["name"] for t in entry["tags"]} == {"人口", "户籍"}
    assert first["key:连云港市公安局|连云港市户籍人口信息3"]["update_cycle"] == "每月"  # the default

    assert harvest.run(source)["counts"] == {"not modified": 3}

    code1 = entry["resource_code"]
    write_xlsx(path, [row(1, 信息资源代码=code1), row(2, 更新周期="每周"), row(4)])
    report = harvest.run(source)
    # row 1 now carries its code: the same entry, found by the code
    assert report["counts"] == {"updated": 2, "deleted": 2, "added": 1}, report
    now = entries(source["id"])
    key = "key:连云港市公安局|连云港市户籍人口信息{}".format
    assert set(now) == {code1, key(2), key(4)}
    assert now[code1]["id"] == entry["id"]
    assert now["key:连云港市公安局|连云港市户籍人口信息2"]["update_cycle"] == "每周"
    gone = first["key:连云港市公安局|连云港市户籍人口信息3"]["id"]
    assert call_action("package_show", id=gone)["state"] == "deleted"
    assert call_action("package_show", id=entry["id"])["state"] == "active"
    assert harvest.run(source)["counts"] == {"not modified": 3}


def test_rows_breaking_the_catalog_rules_are_errors_with_their_row(harvest, api):
    write_xlsx(
        api.root / "catalog.xlsx",
        [
            row(1),
            row(2, 共享类型="不予共享", 开放属性="无条件开放"),  # not shared cannot be open
            row(3, 更新周期="每时"),  # not an update cycle
            row(4, 信息资源提供方="连云港市不存在局"),
            row(5, 信息资源代码="101/000050", 不予共享认定="已认定", 共享类型="不予共享", 开放属性="不予开放",
                不予共享依据="《中华人民共和国保守国家秘密法》"),
        ],
    )  # fmt: skip
    source = harvest.source("lyg_workbook", api.url("/catalog.xlsx"), {})
    report = harvest.run(source)
    assert report["counts"] == {"added": 2, "errored": 3}, report
    messages = _messages(report)
    assert "open_type" in messages["key:连云港市公安局|连云港市户籍人口信息2"]
    assert "更新周期" in messages["key:连云港市公安局|连云港市户籍人口信息3"]
    assert "信息资源提供方" in messages["key:连云港市不存在局|连云港市户籍人口信息4"]
    lines = {
        e.line
        for obj in model.Session.query(HarvestObject).filter_by(harvest_source_id=source["id"])
        for e in obj.errors
    }
    assert lines == {3, 4, 5}
    # the job report (API and source page) gives record, stage, row and message
    job_id = model.Session.query(HarvestJob.id).filter_by(source_id=source["id"]).scalar()
    report = call_action("harvest_job_report", id=job_id)
    errors = {e["guid"]: e["errors"][0] for e in report["object_errors"].values()}
    cycle = errors["key:连云港市公安局|连云港市户籍人口信息3"]
    assert cycle["type"] == "Import" and cycle["line"] == 4 and "更新周期" in cycle["message"]
    assert "row 4" in cycle["message"] or "第 4 行" in cycle["message"]
    # the workbook's 不予共享认定 is not the data authority's decision
    held = entries(source["id"])["101/000050"]
    assert held["share_type"] == "none" and held["share_review"] == "pending"


def test_source_defaults_fill_empty_cells_and_department(harvest, api, org):
    write_xlsx(api.root / "c.xlsx", [row(1, 信息资源提供方="", 共享类型="", 共享条件="")])
    config = {"defaults": {"share_type": "unconditional", "owner_org": org["name"]}}
    source = harvest.source("lyg_workbook", api.url("/c.xlsx"), config)
    assert harvest.run(source)["counts"] == {"added": 1}
    (entry,) = entries(source["id"]).values()
    assert entry["share_type"] == "unconditional" and entry["owner_org"] == org["id"]


def test_csv_from_a_server_path_in_gb18030(harvest, tmp_path, ckan_config, monkeypatch):
    drop = tmp_path / "drop"
    drop.mkdir()
    monkeypatch.setitem(ckan_config, "ckanext.lyg_harvest.workbook_dirs", [str(drop)])
    write_csv(drop / "catalog.csv", [row(1), row(2)], encoding="gb18030")
    source = harvest.source("lyg_workbook", str(drop / "catalog.csv"), {})
    assert harvest.run(source)["counts"] == {"added": 2}
    entry = entries(source["id"])["key:连云港市公安局|连云港市户籍人口信息1"]
    assert entry["title"] == "连云港市户籍人口信息1" and len(entry["info_items"]) == 2

    secret = tmp_path / "secret.csv"
    write_csv(secret, [row(9)])
    for url in (str(secret), f"file://{drop}/../secret.csv"):
        outside = harvest.source("lyg_workbook", url, {"format": "csv"}, name=f"out-{len(url)}")
        report = harvest.run(outside)
        assert report["counts"] == {}
        assert any("outside the directories" in m for m in report["gather_errors"]), report


def test_server_paths_refused_without_an_allow_list(harvest, tmp_path):
    write_csv(tmp_path / "catalog.csv", [row(1)])
    source = harvest.source("lyg_workbook", str(tmp_path / "catalog.csv"), {})
    report = harvest.run(source)
    assert report["counts"] == {}
    assert any("Server paths are not allowed" in m for m in report["gather_errors"]), report


@pytest.mark.parametrize(
    "config, key",
    [
        ("{not json", "config"),
        ({"format": "xls"}, "format"),
        ({"record_key": ["颜色"]}, "record_key"),
        ({"defaults": {"share_review": "confirmed"}}, "defaults.share_review"),
        ({"defaults": {"update_cycle": "hourly"}}, "defaults.update_cycle"),
        ({"timeout": 0}, "timeout"),
        ({"sheet": "x"}, "sheet"),
    ],
)
def test_bad_config_is_rejected_with_the_key(harvest, api, config, key):
    with pytest.raises(tk.ValidationError) as err:
        harvest.source("lyg_workbook", api.url("/catalog.xlsx"), config)
    message = " ".join(err.value.error_dict["config"])
    assert f"{key}:" in message, message


def test_malformed_and_foreign_files_end_the_job_and_others_run(harvest, api):
    (api.root / "broken.xlsx").write_bytes(b"PK\x03\x04 this is no zip archive" * 10)
    (api.root / "other.csv").write_text("姓名,年龄\n张三,30\n", "utf-8")
    write_xlsx(api.root / "good.xlsx", [row(1)])
    good = harvest.source("lyg_workbook", api.url("/good.xlsx"), {}, name="good")
    assert harvest.run(good)["counts"] == {"added": 1}
    for name, expected in (("broken.xlsx", "not a readable catalog workbook"), ("other.csv", "信息资源名称")):
        source = harvest.source("lyg_workbook", api.url(f"/{name}"), {}, name=name.replace(".", "-"))
        report = harvest.run(source)
        assert report["status"] == "Finished" and report["counts"] == {}, report
        assert any(expected in m for m in report["gather_errors"]), report
    # a source that breaks later withdraws nothing
    (api.root / "good.xlsx").write_bytes(b"garbage")
    report = harvest.run(good)
    assert report["counts"] == {} and report["gather_errors"], report
    assert len(entries(good["id"])) == 1


def test_a_50_mb_file_is_refused_with_a_clear_message(harvest, api):
    big = api.root / "big.csv"
    write_csv(big, [row(1)])
    with big.open("a", encoding="utf-8") as out:
        line = ",".join(["x" * 1000] * 5) + "\n"
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            out.write(line)
    assert big.stat().st_size > 50 * 1024 * 1024
    source = harvest.source("lyg_workbook", api.url("/big.csv"), {})
    write_xlsx(api.root / "good.xlsx", [row(1)])
    good = harvest.source("lyg_workbook", api.url("/good.xlsx"), {}, name="good")
    report = harvest.run(source)
    assert report["counts"] == {}
    assert any("larger than 20.0 MB" in m for m in report["gather_errors"]), report
    big.unlink()
    assert harvest.run(good)["counts"] == {"added": 1}


def test_a_row_changing_between_gather_and_fetch(harvest, api):
    """The job imports what its gather read; the change is the next job's update."""
    from ckanext.harvest import queue

    path = write_xlsx(api.root / "catalog.xlsx", [row(1)])
    source = harvest.source("lyg_workbook", api.url("/catalog.xlsx"), {})
    harvester = queue.get_harvester("lyg_workbook")
    job = HarvestJob.get(
        call_action("harvest_job_create", context={"user": harvest.user["name"]}, source_id=source["id"],
                    run=False)["id"]
    )  # fmt: skip
    job.status = "Running"
    job.save()
    (object_id,) = queue.gather_stage(harvester, job)
    write_xlsx(path, [row(1, 信息资源摘要="改过的摘要")])
    obj = HarvestObject.get(object_id)
    queue.fetch_and_import_stages(harvester, obj)
    model.Session.remove()
    (entry,) = entries(source["id"]).values()
    assert entry["notes"] == "全市户籍人口登记信息，第1批。"
    call_action("harvest_jobs_run", context={"user": harvest.user["name"]}, source_id=source["id"])
    report = harvest.run(source)
    assert report["counts"] == {"updated": 1}, report
    (entry,) = entries(source["id"]).values()
    assert entry["notes"] == "改过的摘要"


def test_a_source_deleted_while_its_job_runs(harvest, api):
    """Objects still queued report an error, nothing is saved for them, and the
    other sources are unaffected."""
    from ckanext.harvest import queue

    write_xlsx(api.root / "catalog.xlsx", [row(n) for n in (1, 2, 3)])
    write_xlsx(api.root / "other.xlsx", [row(n) for n in (7, 8)])
    source = harvest.source("lyg_workbook", api.url("/catalog.xlsx"), {})
    other = harvest.source("lyg_workbook", api.url("/other.xlsx"), {}, name="other")
    harvester = queue.get_harvester("lyg_workbook")
    job = HarvestJob.get(
        call_action("harvest_job_create", context={"user": harvest.user["name"]}, source_id=source["id"],
                    run=False)["id"]
    )  # fmt: skip
    job.status = "Running"
    job.save()
    ids = queue.gather_stage(harvester, job)
    assert len(ids) == 3
    queue.fetch_and_import_stages(harvester, HarvestObject.get(ids[0]))
    call_action("harvest_source_delete", context={"user": harvest.user["name"]}, id=source["id"])
    for object_id in ids[1:]:
        queue.fetch_and_import_stages(harvester, HarvestObject.get(object_id))
    model.Session.remove()
    objects = model.Session.query(HarvestObject).filter(HarvestObject.id.in_(ids[1:])).all()
    assert {o.state for o in objects} == {"ERROR"}
    assert all("deleted while its job ran" in o.errors[0].message for o in objects)
    assert all(o.package_id is None for o in objects)
    titles = {p.title for p in model.Session.query(model.Package).filter_by(type="dataset")}
    assert titles == {"连云港市户籍人口信息1"}
    assert harvest.run(other)["counts"] == {"added": 2}


def test_the_catalog_export_is_a_readable_source_and_codes_in_use_are_refused(harvest, api, sysadmin):
    """The catalog export's workbook reads as a source; a second source cannot take the codes over."""
    from ckanext.lyg.catalog import exchange

    write_xlsx(api.root / "catalog.xlsx", [row(1), row(2)])
    source = harvest.source("lyg_workbook", api.url("/catalog.xlsx"), {})
    harvest.run(source)
    pkgs = list(exchange.packages({"user": sysadmin["name"]}))
    with (api.root / "export.xlsx").open("wb") as out:
        assert exchange.write_xlsx(pkgs, out) == 2
    copy = harvest.source(
        "lyg_workbook", api.url("/export.xlsx"), {"record_key": "信息资源名称"}, name="copy"
    )
    report = harvest.run(copy)
    # the codes are in use by the first source's entries: the rules refuse duplicates
    assert report["counts"] == {"errored": 2}, report
    assert all("in use" in m for m in _messages(report).values()), report


def test_merged_cells_of_a_department_workbook_are_filled(harvest, api):
    """Departments merge the provider column over their rows: each row gets the value
    (such a workbook is read in full mode, others streaming — the same rows)."""
    from openpyxl import load_workbook

    path = write_xlsx(api.root / "merged.xlsx", [row(1), row(2, 信息资源提供方=""), row(3)])
    book = load_workbook(path)
    book.worksheets[0].merge_cells("D2:D3")  # 信息资源提供方 of rows 1 and 2
    book.save(path)
    source = harvest.source("lyg_workbook", api.url("/merged.xlsx"), {})
    report = harvest.run(source)
    assert report["counts"] == {"added": 3}, report
    found = entries(source["id"])
    assert found["key:连云港市公安局|连云港市户籍人口信息2"]["organization"]["title"] == "连云港市公安局"


def test_workers_without_synchronous_commit_harvest_the_same(harvest, api, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "ckanext.lyg_harvest.synchronous_commit", "off")
    write_xlsx(api.root / "catalog.xlsx", [row(1), row(2)])
    source = harvest.source("lyg_workbook", api.url("/catalog.xlsx"), {})
    assert harvest.run(source)["counts"] == {"added": 2}
    assert harvest.run(source)["counts"] == {"not modified": 2}


@pytest.mark.ckan_config("ckanext.lyg.portal", "internal")  # harvest pages: internal portal only
def test_the_job_page_shows_each_rows_error(app, harvest, api):
    from ckan.tests import factories

    write_xlsx(api.root / "catalog.xlsx", [row(1), row(2, 更新周期="每时")])
    source = harvest.source("lyg_workbook", api.url("/catalog.xlsx"), {})
    harvest.run(source)
    job_id = model.Session.query(HarvestJob.id).filter_by(source_id=source["id"]).scalar()
    token = factories.APIToken(user=harvest.user["name"])["token"]
    page = app.get(f"/harvest/{source['name']}/job/{job_id}", headers={"Authorization": token})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "key:连云港市公安局|连云港市户籍人口信息2" in body and "每时" in body
