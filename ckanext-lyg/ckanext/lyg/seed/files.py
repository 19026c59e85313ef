"""Small, real data files for demo entries: CSV, XLSX, JSON and GeoJSON.

Rows are made up from the entry's info items (column names, data types and
the enumerations in their descriptions) with the entry's own seeded RNG, so
the same entry always gets the same rows.  Personal data is masked the way a
published sample would be.  Pure: returns bytes, writes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
from dataclasses import dataclass
from typing import Any

from ckanext.lyg import reference, uscc
from openpyxl import Workbook
from openpyxl.styles import Font

ROWS = (12, 40)
COMPANY_WORDS = (
    "企业", "单位", "主体", "供应商", "相对人", "被执行人", "纳税人名称", "广告主",
    "机构", "机关", "字号名称", "社会组织名称",
)  # fmt: skip


@dataclass(frozen=True)
class DataFile:
    filename: str  # ASCII, as stored in the file store
    name: str  # resource name shown to people
    format: str  # CKAN resource format
    mimetype: str
    content: bytes
    description: str


def _enum(description: str) -> list[str] | None:
    if "、" in description and len(description) <= 40 and "（" not in description:
        return [v for v in re.split("[、和]", description.replace("等", "")) if v]
    return None


class _Faker:
    def __init__(self, rng: random.Random, bbox: tuple[float, ...], area: str | None):
        self.rng = rng
        self.bbox = bbox
        self.area = area
        self.texts = reference.demo_texts()
        self.districts = list(self.texts["towns"])

    def name(self, masked: bool) -> str:
        given = self.rng.choice(self.texts["given_names"])
        return self.rng.choice(self.texts["surnames"]) + ("*" * len(given) if masked else given)

    def district(self) -> str:
        return self.area or self.rng.choice(self.districts)

    def town(self) -> str:
        return self.rng.choice(self.texts["towns"][self.district()])

    def company(self) -> str:
        t = self.texts
        return f"连云港{self.rng.choice(t['company_words'])}{self.rng.choice(t['company_kinds'])}"

    def address(self) -> str:
        road = self.rng.choice(self.texts["roads"])
        return f"连云港市{self.district()}{road}{self.rng.randint(1, 300)}号"

    def date(self) -> dt.date:
        return dt.date(2019, 1, 1) + dt.timedelta(days=self.rng.randint(0, 6 * 365))

    def value(self, item: dict[str, Any], row: int) -> Any:  # noqa: C901 - a lookup table
        name, kind, desc = item["name"], item["data_type"], item["description"]
        sensitive = item["sensitive"]
        rng = self.rng
        if "身份" in name or "证件号" in name:
            return f"3207{rng.randint(0, 99):02d}{'*' * 8}{rng.randint(0, 9999):04d}"
        if "信用代码" in name or "识别号" in name or name.endswith("主体代码"):
            code = uscc.generate(f"{self.company()}{row}", authority="9", kind="1")
            return code[:8] + "*" * 6 + code[14:] if sensitive else code
        if kind == "F" and name in ("经度", "纬度") or name.endswith(("经度", "纬度")):
            w, s, e, n = self.bbox
            return round(rng.uniform(w, e), 6) if "经度" in name else round(rng.uniform(s, n), 6)
        if kind == "D":
            return self.date().isoformat()
        if kind == "T":
            moment = dt.datetime.combine(self.date(), dt.time()) + dt.timedelta(seconds=rng.randint(0, 86399))
            return moment.isoformat(sep=" ")
        if kind == "L":
            return rng.choice(("是", "否"))
        if kind == "I":
            return rng.randint(1, 5000)
        if kind in ("N", "B", "F", "Y"):
            return round(rng.uniform(1, 10000), 2)
        if values := self.texts["column_values"].get(name):
            return rng.choice(values)
        if name == "指标名称":
            return rng.choice(self.texts["indicators"])
        if name == "计量单位":
            return rng.choice(self.texts["units"])
        if enum := _enum(desc):
            return rng.choice(enum)
        if any(word in name for word in COMPANY_WORDS):
            return self.company()
        if any(word in name for word in ("姓名", "人", "河长", "经营者", "网格员")):
            return self.name(masked=sensitive)
        if any(word in name for word in ("地址", "住所", "坐落", "场所", "地点")):
            return "连云港市" + self.district() + "**" if sensitive else self.address()
        if "乡镇" in name or "街道" in name:
            return self.town()
        if "区县" in name or name == "地区":
            return self.district()
        if "电话" in name:
            return f"0518-8{rng.randint(1000000, 9999999)}"
        if "月份" in name or "周期" in name:
            return f"{rng.randint(2020, 2024)}-{rng.randint(1, 12):02d}"
        if item["is_key"] or "编号" in name or "编码" in name or "号" in name:
            return f"LYG{rng.randint(2019, 2024)}{row + 1:06d}"
        if kind == "M":
            return f"{desc}（样例）"
        return f"{name}{row + 1}"


def rows(entry: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Column names and made-up rows for an entry (see the module docstring)."""
    items = entry["fields"]["info_items"]
    rng = random.Random(f"lyg-demo-rows-{entry['name']}")
    faker = _Faker(rng, entry["bbox"], entry.get("area"))
    count = rng.randint(*ROWS)
    return [it["name"] for it in items], [[faker.value(it, row) for it in items] for row in range(count)]


def _csv(header: list[str], data: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(data)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: opens right in Excel/WPS


def _xlsx(title: str, header: list[str], data: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "数据"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in data:
        sheet.append(row)
    book.properties.title = title
    book.properties.creator = "连云港市政务信息资源目录"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _records(header: list[str], data: list[list[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(header, row, strict=True)) for row in data]


def _json(entry: dict[str, Any], header: list[str], data: list[list[Any]]) -> bytes:
    doc = {
        "resource_code": entry["fields"]["resource_code"],
        "title": entry["title"],
        "fields": entry["fields"]["info_items"],
        "records": _records(header, data),
    }
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def _geojson(entry: dict[str, Any], header: list[str], data: list[list[Any]]) -> bytes:
    rng = random.Random(f"lyg-demo-points-{entry['name']}")
    w, s, e, n = entry["bbox"]
    features = []
    for record in _records(header, data):
        lon = record.get("经度") or round(rng.uniform(w, e), 6)
        lat = record.get("纬度") or round(rng.uniform(s, n), 6)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": record,
            }
        )
    doc = {"type": "FeatureCollection", "name": entry["title"], "features": features}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def data_files(entry: dict[str, Any]) -> list[DataFile]:
    """The files to upload for an entry: one in its own format class, plus
    GeoJSON for entries with a spatial extent."""
    header, data = rows(entry)
    fields = entry["fields"]
    base = entry["name"]
    note = f"演示数据生成器生成的样例数据，共 {len(data)} 条记录，字段与信息项一致。"
    title = entry["title"]
    fmt = fields["format_class"]
    result = []
    if fmt == "电子表格":
        result.append(
            DataFile(
                f"{base}.xlsx",
                f"{title}（样例）",
                "XLSX",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                _xlsx(title, header, data),
                note,
            )  # fmt: skip
        )
    elif fmt in ("服务接口", "自描述格式"):
        result.append(
            DataFile(
                f"{base}.json",
                f"{title}（接口样例）",
                "JSON",
                "application/json",
                _json(entry, header, data),
                note,
            )  # fmt: skip
        )
    else:
        result.append(
            DataFile(
                f"{base}.csv", f"{title}（样例）", "CSV", "text/csv", _csv(header, data), note
            )  # fmt: skip
        )
    if "spatial" in fields:
        result.append(
            DataFile(
                f"{base}.geojson",
                f"{title}（空间分布）",
                "GeoJSON",
                "application/geo+json",
                _geojson(entry, header, data),
                "样例数据的空间分布（点位为演示数据）。",
            )  # fmt: skip
        )
    return result
