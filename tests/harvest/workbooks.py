"""Catalog workbooks and CSVs in the national template, written as departments send them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from ckanext.lyg.catalog.exchange import COLUMNS, ENTRIES_SHEET, ITEM_COLUMNS, ITEMS_SHEET
from openpyxl import Workbook

HEADERS = [header for _key, header, _v in COLUMNS]
ITEM_HEADERS = [header for _key, header in ITEM_COLUMNS]


def row(n: int, **kw) -> dict:
    """One entries-sheet row (header → cell) of the 公安局's catalog."""
    data = {
        "信息资源代码": "",
        "信息资源名称": f"连云港市户籍人口信息{n}",
        "信息资源摘要": f"全市户籍人口登记信息，第{n}批。",
        "信息资源提供方": "连云港市公安局",
        "类": 1,
        "项": 1,  # Excel keeps 01 as the number 1
        "信息资源格式分类": "电子表格",
        "信息资源格式类型": "xlsx",
        "共享类型": "有条件共享",
        "共享条件": "用于政务服务身份核验。",
        "共享方式分类": "共享平台方式",
        "共享方式类型": "文件",
        "开放属性": "不予开放",
        "更新周期": "每日",
        "关键词": "人口；户籍",
    }
    data.update(kw)
    return data


def items_of(ref: str) -> list[dict]:
    return [
        {"信息资源代码": ref, "序号": 1, "信息项名称": "姓名", "数据类型": "字符型", "长度": 50},
        {"信息资源代码": ref, "序号": 2, "信息项名称": "公民身份号码", "数据类型": "C", "长度": 18,
         "是否主键": "是"},
    ]  # fmt: skip


def write_xlsx(path: Path, rows: list[dict], items: list[dict] | None = None) -> Path:
    """The workbook; info items default to two per row, keyed by code or title."""
    if items is None:
        items = [i for r in rows for i in items_of(r.get("信息资源代码") or r["信息资源名称"])]
    book = Workbook()
    entries = book.active
    entries.title = ENTRIES_SHEET
    entries.append(HEADERS)
    for r in rows:
        entries.append([r.get(h, "") for h in HEADERS])
    sheet = book.create_sheet(ITEMS_SHEET)
    sheet.append(ITEM_HEADERS)
    for item in items:
        sheet.append([item.get(h, "") for h in ITEM_HEADERS])
    book.save(path)
    return path


def write_csv(path: Path, rows: list[dict], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS + [ITEMS_SHEET])
        for r in rows:
            ref = r.get("信息资源代码") or r["信息资源名称"]
            items = [{k: v for k, v in i.items() if k != "信息资源代码"} for i in items_of(ref)]
            writer.writerow([r.get(h, "") for h in HEADERS] + [json.dumps(items, ensure_ascii=False)])
    return path
