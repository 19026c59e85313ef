"""Catalog workbook, CSV and JSON: export → import round trip, re-import,
broken rows, dry run, and the command line."""

from __future__ import annotations

import datetime as dt

import ckan.plugins.toolkit as tk
import pytest
from ckan.cli.cli import ckan as ckan_cli
from ckan.tests.helpers import call_action
from ckanext.lyg.catalog import exchange
from ckanext.lyg.seed.load import seed
from openpyxl import Workbook, load_workbook

ENTRIES = 14  # the seeder adds its demo entries of the workflows: count ``seeded``
FIELDS = [k for k, _h, _v in exchange.COLUMNS if k not in ("owner_org", "tags")] + ["info_items"]


def site():
    return {"user": tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]}


def snapshot():
    result = {}
    for pkg in exchange.packages(site()):
        pkg = call_action("package_show", id=pkg["id"])
        result[pkg["resource_code"]] = {
            **{k: pkg.get(k) for k in FIELDS},
            "owner_org": pkg["organization"]["name"],
            "tags": sorted(t["name"] for t in pkg["tags"]),
        }
    return result


def purge_all():
    for pkg in exchange.packages(site()):
        call_action("dataset_purge", id=pkg["id"])


@pytest.fixture
def seeded(clean_db, clean_index, ckan_config, monkeypatch, tmp_path):
    monkeypatch.setitem(ckan_config, "ckan.storage_path", str(tmp_path / "storage"))
    seed(ENTRIES, progress=False)
    return snapshot()


@pytest.mark.parametrize("suffix", ["xlsx", "csv", "json"])
def test_round_trip_preserves_every_field(seeded, tmp_path, suffix):
    path = tmp_path / f"catalog.{suffix}"
    if suffix == "xlsx":
        count = exchange.write_xlsx(exchange.packages(site()), path)
    else:
        with open(path, "w", encoding="utf-8", newline="") as out:
            count = (exchange.write_csv if suffix == "csv" else exchange.write_json)(
                exchange.packages(site()), out)
    assert count == len(seeded)
    purge_all()
    assert snapshot() == {}
    report = exchange.import_file(path, site())
    assert report.problems == [] and report.created == len(seeded)
    after = snapshot()
    for code, fields in seeded.items():
        diff = {k: (v, after[code].get(k)) for k, v in fields.items() if after[code].get(k) != v}
        assert not diff, (code, diff)
    assert after == seeded
    again = exchange.import_file(path, site())
    assert (again.created, again.updated, again.unchanged, again.problems) == (0, 0, len(seeded), [])


def catalog_ini(tmp_path, ckan_config) -> str:
    """test.ini with the catalog schema plugins, for ``ckan`` commands (which
    load the plugins of their ini file, not the test's)."""
    plugins = ckan_config["ckan.plugins"]
    path = tmp_path / "catalog.ini"
    path.write_text(f"[app:main]\nuse = config:{ckan_config['__file__']}\n"
                    f"ckan.plugins = {plugins if isinstance(plugins, str) else ' '.join(plugins)}\n")
    return str(path)


def test_command_line(seeded, tmp_path, cli, ckan_config):
    """Last in its test: ``ckan`` commands reload the plugins of their ini."""
    cli.env["CKAN_INI"] = catalog_ini(tmp_path, ckan_config)
    path = tmp_path / "catalog.xlsx"
    result = cli.invoke(ckan_cli, ["lyg", "catalog", "export", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{len(seeded)} entries" in result.output
    result = cli.invoke(ckan_cli, ["lyg", "catalog", "import", "--dry-run", str(path)])
    assert result.exit_code == 0, result.output
    assert f"0 created, 0 updated, {len(seeded)} unchanged" in result.output


def test_workbook_layout(seeded, tmp_path):
    path = tmp_path / "catalog.xlsx"
    exchange.write_xlsx(exchange.packages(site()), path)
    book = load_workbook(path)
    assert book.sheetnames == ["信息资源目录", "信息项"]
    headers = [c.value for c in book["信息资源目录"][1]]
    assert headers[:4] == ["信息资源代码", "信息资源名称", "信息资源摘要", "信息资源提供方"]
    assert "共享类型" in headers and "开放属性" in headers and "更新周期" in headers
    values = {c.value for row in book["信息资源目录"].iter_rows(min_row=2) for c in row}
    assert values & {"无条件共享", "有条件共享", "不予共享"}
    items = list(book["信息项"].iter_rows(values_only=True))
    assert items[0] == tuple(h for _k, h in exchange.ITEM_COLUMNS)
    assert sum(len(v["info_items"] or []) for v in seeded.values()) == len(items) - 1


def _broken(seeded, tmp_path):
    path = tmp_path / "catalog.xlsx"
    exchange.write_xlsx(exchange.packages(site()), path)
    return path, load_workbook(path)


def col(sheet, header):
    return [c.value for c in sheet[1]].index(header) + 1


def test_broken_rows_reported_valid_rows_applied(seeded, tmp_path):
    path, book = _broken(seeded, tmp_path)
    sheet = book["信息资源目录"]
    sheet.cell(2, col(sheet, "共享类型")).value = "有时共享"  # wrong enum text
    sheet.cell(3, col(sheet, "信息资源代码")).value = "1010/12"  # bad code
    sheet.cell(4, col(sheet, "信息资源代码")).value = sheet.cell(5, col(sheet, "信息资源代码")).value  # dup
    sheet.cell(6, col(sheet, "提供方代码")).value = "91320700MA1XXXXX0X"  # bad USCC
    sheet.cell(7, col(sheet, "发布日期")).value = dt.datetime(2023, 5, 6)  # an Excel date cell
    sheet.cell(8, col(sheet, "信息资源名称")).value = "改过的名称"  # a real change
    sheet.cell(9, col(sheet, "开放属性")).value = "无条件开放"  # breaks a rule
    sheet.cell(9, col(sheet, "共享类型")).value = "有条件共享"
    book.save(path)
    codes = {r: sheet.cell(r, 1).value for r in range(2, len(seeded) + 2)}
    purge_target = codes[2]

    dry = exchange.import_file(path, site(), dry_run=True)
    found = {(p.row, p.column) for p in dry.problems}
    assert {(2, "共享类型"), (3, "信息资源代码"), (6, "提供方代码"), (9, "开放属性")} <= found
    assert any(p.row in (4, 5) and p.column == "信息资源代码" for p in dry.problems)
    assert snapshot() == seeded  # the dry run changed nothing

    report = exchange.import_file(path, site())
    assert {(p.row, p.column) for p in report.problems} == found
    after = snapshot()
    assert after[codes[7]]["issued"] == "2023-05-06"
    assert after[codes[8]]["title"] == "改过的名称"
    assert report.updated == 2
    assert after[purge_target] == seeded[purge_target]  # failed rows left alone
    assert len(after) == len(seeded)  # nothing lost


def test_missing_column_and_merged_cells(seeded, tmp_path):
    path, book = _broken(seeded, tmp_path)
    sheet = book["信息资源目录"]
    sheet.delete_cols(col(sheet, "共享类型"))
    book.save(path)
    report = exchange.import_file(path, site())
    assert [(p.row, p.column, p.message) for p in report.problems] == [(1, "共享类型", "Missing column")]

    # the items sheet with the code column merged over each entry's rows
    path, book = _broken(seeded, tmp_path)
    items = book["信息项"]
    first = 2
    merged = 0
    for r in range(3, items.max_row + 2):
        if items.cell(r, 1).value != items.cell(first, 1).value:
            if r - first > 1:
                for rr in range(first + 1, r):
                    items.cell(rr, 1).value = None
                items.merge_cells(start_row=first, start_column=1, end_row=r - 1, end_column=1)
                merged += 1
            first = r
    assert merged
    book.save(path)
    report = exchange.import_file(path, site())
    assert report.problems == [] and report.unchanged == len(seeded)


def test_new_entries_without_codes_get_codes(clean_db, tmp_path):
    from ..conftest import make_org

    org = make_org()
    book = Workbook()
    sheet = book.active
    sheet.title = "信息资源目录"
    headers = ["信息资源名称", "信息资源摘要", "信息资源提供方", "类", "项", "目", "信息资源格式分类",
               "信息资源格式类型", "共享类型", "共享方式分类", "共享方式类型", "开放属性", "更新周期"]
    sheet.append(headers)
    sheet.append(["人口统计报表", "年度统计", org["title"], 1, 1, 5, "电子文件", "pdf", "无条件共享",
                  "共享平台方式", "文件", "无条件开放", "每年"])
    sheet.append(["人口明细", "明细", org["title"], 1, 1, 5, "电子表格", "xlsx", "无条件共享",
                  "共享平台方式", "文件", "不予开放", "每月"])
    items = book.create_sheet("信息项")
    items.append(["信息资源代码", "序号", "信息项名称", "数据类型", "长度", "描述", "是否主键", "是否敏感"])
    items.append(["人口明细", 1, "姓名", "字符型", 50, "", "否", "是"])
    path = tmp_path / "new.xlsx"
    book.save(path)
    report = exchange.import_file(path, site())
    assert report.problems == [] and report.created == 2
    found = {p["title"]: p for p in exchange.packages(site())}
    assert found["人口统计报表"]["resource_code"] == "101005/000001"
    assert found["人口明细"]["info_items"][0]["name"] == "姓名"
    assert found["人口明细"]["info_items"][0]["sensitive"] is True


def test_ten_thousand_rows_are_all_read(tmp_path):
    """Reading and mapping a 10,000-row workbook loses no row (no database writes)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("信息资源目录")
    sheet.append([h for _k, h, _v in exchange.COLUMNS])
    for n in range(10_000):
        sheet.append([f"101001/{n + 1:06d}", f"条目{n}", "摘要", "某部门", "", "1", "01", "001", "",
                      "电子文件", "pdf", "无条件共享", "", "", "", "共享平台方式", "文件", "无条件开放", "",
                      "每年", dt.date(2024, 1, 1)])
    path = tmp_path / "big.xlsx"
    book.save(path)
    entries, items = exchange.read(path)
    problems = []
    rows = exchange.parse(entries, items, problems)
    assert problems == [] and len(rows) == 10_000
    assert rows[-1].cells["resource_code"] == "101001/010000"
    assert rows[0].cells["issued"] == dt.datetime(2024, 1, 1)
