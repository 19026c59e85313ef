"""The catalog exchange format: a workbook in the national template, CSV and JSON.

Workbook (``.xlsx``): sheet ``信息资源目录`` holds one entry a row (every field
of catalog.md, Chinese headers), sheet ``信息项`` one info item a row, keyed
by 信息资源代码. CSV carries the entries sheet with the info items as JSON in
a ``信息项`` column; JSON is a list of entries with the API's keys.
Enumerations are written as Chinese labels and read as labels (Chinese or
English) or API values.

Import applies every valid row and reports the others (row, column,
message): entries are independent records, and one department's typo
should not hold back the rest of a city-wide workbook. Rows are written by
:mod:`.bulk` in batches, with the same schema, rules and end state as
``package_create``/``package_patch`` (the form's and the API's validation);
a row that fails is reported and leaves nothing behind. Rows are matched to
entries by 信息资源代码, so re-importing a file changes nothing (unchanged rows
are detected before anything is written); a row without a code is a new
entry and gets one. A dry run does the same and rolls every batch back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckanext.lyg import reference, uscc
from ckanext.lyg.catalog import bulk, rules


def N_(message: str) -> str:
    """Mark a message for extraction; translated where it is shown."""
    return message


ENTRIES_SHEET = "信息资源目录"
ITEMS_SHEET = "信息项"

# (API key, header, vocabulary whose labels the cells use)
COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("resource_code", "信息资源代码", None),
    ("title", "信息资源名称", None),
    ("notes", "信息资源摘要", None),
    ("owner_org", "信息资源提供方", None),
    ("provider_code", "提供方代码", None),
    ("catalog_class", "类", None),
    ("catalog_item", "项", None),
    ("catalog_sub", "目", None),
    ("catalog_detail", "细目", None),
    ("format_class", "信息资源格式分类", "format_class"),
    ("format_type", "信息资源格式类型", None),
    ("share_type", "共享类型", "share_type"),
    ("share_condition", "共享条件", None),
    ("share_basis", "不予共享依据", None),
    ("share_review", "不予共享认定", "share_review"),
    ("share_mode_class", "共享方式分类", "share_mode_class"),
    ("share_mode_type", "共享方式类型", "share_mode_type"),
    ("open_type", "开放属性", "open_type"),
    ("open_condition", "开放条件", None),
    ("update_cycle", "更新周期", "update_cycle"),
    ("issued", "发布日期", None),
    ("related_codes", "关联资源代码", None),
    ("data_level", "数据分级", "data_level"),
    ("area_scope", "空间范围", "area_scope"),
    ("temporal_start", "数据时间范围（起）", None),
    ("temporal_end", "数据时间范围（止）", None),
    ("source_system", "所属信息系统", None),
    ("spatial", "空间范围（地理）", None),
    ("record_count", "数据量（条）", None),
    ("storage_size", "数据量（字节）", None),
    ("tags", "关键词", None),
    ("name", "网址名称", None),
)
REQUIRED_HEADERS = ("信息资源名称", "信息资源提供方", "类", "项", "共享类型", "开放属性", "更新周期")
ITEM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("resource_code", "信息资源代码"),
    ("order", "序号"),
    ("name", "信息项名称"),
    ("data_type", "数据类型"),
    ("length", "长度"),
    ("description", "描述"),
    ("is_key", "是否主键"),
    ("sensitive", "是否敏感"),
)
DATE_KEYS = ("issued", "temporal_start", "temporal_end")
CODE_WIDTHS = {"catalog_item": 2, "catalog_sub": 3, "catalog_detail": 3}
LIST_SEPARATOR = "；"
HEADER = {key: header for key, header, _v in COLUMNS}
KEY_OF_HEADER = {header: key for key, header, _v in COLUMNS} | {key: key for key, _h, _v in COLUMNS}
ITEM_KEY_OF_HEADER = {header: key for key, header in ITEM_COLUMNS} | {key: key for key, _h in ITEM_COLUMNS}


# --- export ------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def entry_row(pkg: dict[str, Any], org_titles: dict[str, str] | None = None) -> dict[str, str]:
    """One entries-sheet row (header → text) of a package dict."""
    row = {}
    for key, header, vocabulary in COLUMNS:
        value = pkg.get(key)
        if key == "owner_org":
            org = pkg.get("organization") or {}
            value = org.get("title") or (org_titles or {}).get(value or "", value)
        elif key == "related_codes":
            value = LIST_SEPARATOR.join(value or []) if isinstance(value, list) else value
        elif key == "tags":
            value = LIST_SEPARATOR.join(sorted(t["name"] for t in value or [] if isinstance(t, dict)))
        elif vocabulary and value:
            value = reference.label(vocabulary, value)
        row[header] = _cell(value)
    return row


def item_rows(pkg: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for n, item in enumerate(pkg.get("info_items") or [], 1):
        rows.append({
            "信息资源代码": pkg.get("resource_code") or "",
            "序号": str(n),
            "信息项名称": _cell(item.get("name")),
            "数据类型": reference.label("data_type", item["data_type"]) if item.get("data_type") else "",
            "长度": _cell(item.get("length")),
            "描述": _cell(item.get("description")),
            "是否主键": _cell(bool(item.get("is_key"))),
            "是否敏感": _cell(bool(item.get("sensitive"))),
        })  # fmt: skip
    return rows


def packages(context: dict[str, Any], fq: str = "", q: str = "", organization: str = "",
             batch: int = 1000) -> Iterator[dict[str, Any]]:
    """The entries to export (a search as the context's user: what they may see)."""
    filters = [fq] if fq else []
    if organization:
        filters.append(f'organization:"{organization}"')
    filters.append("dataset_type:dataset")
    start = 0
    while True:
        result = tk.get_action("package_search")(dict(context), {
            "q": q, "fq": " ".join(filters), "rows": batch, "start": start, "sort": "name asc",
            "include_private": True, "include_drafts": True})  # fmt: skip
        yield from result["results"]
        start += batch
        if start >= result["count"] or not result["results"]:
            return


def write_xlsx(pkgs: Iterable[dict[str, Any]], out: Any) -> int:
    """The workbook of the entries; returns how many entries were written."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    entries = book.create_sheet(ENTRIES_SHEET)
    items = book.create_sheet(ITEMS_SHEET)
    entries.append([header for _k, header, _v in COLUMNS])
    items.append([header for _k, header in ITEM_COLUMNS])
    count = 0
    for pkg in pkgs:
        row = entry_row(pkg)
        entries.append([row[header] for _k, header, _v in COLUMNS])
        for item in item_rows(pkg):
            items.append([item[header] for _k, header in ITEM_COLUMNS])
        count += 1
    book.save(out)
    return count


def write_csv(pkgs: Iterable[dict[str, Any]], out: io.TextIOBase) -> int:
    writer = csv.writer(out)
    writer.writerow([header for _k, header, _v in COLUMNS] + [ITEMS_SHEET])
    count = 0
    for pkg in pkgs:
        row = entry_row(pkg)
        items = [{h: item[h] for k, h in ITEM_COLUMNS if k != "resource_code"} for item in item_rows(pkg)]
        writer.writerow([row[h] for _k, h, _v in COLUMNS] + [json.dumps(items, ensure_ascii=False)])
        count += 1
    return count


def json_entry(pkg: dict[str, Any]) -> dict[str, Any]:
    """An entry with the API's keys (the JSON exchange format)."""
    out: dict[str, Any] = {}
    for key, _h, _v in COLUMNS:
        value = pkg.get(key)
        if key == "owner_org":
            value = (pkg.get("organization") or {}).get("name", value)
        elif key == "tags":
            value = [t["name"] for t in value or [] if isinstance(t, dict)]
        out[key] = value if value is not None else ""
    out["info_items"] = pkg.get("info_items") or []
    return out


def write_json(pkgs: Iterable[dict[str, Any]], out: io.TextIOBase) -> int:
    out.write("[\n")
    count = 0
    for pkg in pkgs:
        out.write((",\n" if count else "") + json.dumps(json_entry(pkg), ensure_ascii=False))
        count += 1
    out.write("\n]\n")
    return count


# --- import: reading ---------------------------------------------------------


@dataclass
class Problem:
    row: int  # 1-based sheet row (header = 1); 0: the whole file
    column: str
    message: str
    sheet: str = ENTRIES_SHEET

    def __str__(self) -> str:
        where = f"{self.sheet} {tk._('row')} {self.row}" if self.row else self.sheet
        return f"{where}, {self.column}: {self.message}"


@dataclass
class Row:
    number: int
    cells: dict[str, Any]  # API key → raw cell value
    items: list[dict[str, Any]] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _cell(value: Any) -> Any:
    """A cell as openpyxl gives it: empty is None, whole numbers are ints, a date
    cell a datetime."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    return value


def _sheet_rows(sheet: Any) -> list[tuple[Any, ...]]:
    """A sheet's rows from A1 on; every cell of a merged range has the value of
    its top-left cell."""
    rows = [[_cell(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
    for (top, left), (bottom, right) in sheet.merged_cell_ranges or []:
        if top >= len(rows) or left >= len(rows[top]):
            continue
        value = rows[top][left]
        for r in range(top, min(bottom, len(rows) - 1) + 1):
            for c in range(left, min(right, len(rows[r]) - 1) + 1):
                rows[r][c] = value
    return [tuple(row) for row in rows]


def read_workbook(path: str | Path | IO[bytes]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The entries sheet (``信息资源目录``, else the first) and the info-items
    sheet (``信息项``) as rows of cell values. Read with python-calamine (a Rust
    reader of xlsx/xls/ods, about ten times as fast as openpyxl): cached formula
    values, dates as datetimes, merged ranges filled."""
    from python_calamine import load_workbook

    book = load_workbook(str(path) if isinstance(path, Path) else path)
    try:
        names = book.sheet_names
        entries = book.get_sheet_by_name(ENTRIES_SHEET if ENTRIES_SHEET in names else names[0])
        items = _sheet_rows(book.get_sheet_by_name(ITEMS_SHEET)) if ITEMS_SHEET in names else []
        return _sheet_rows(entries), items
    finally:
        book.close()


def read_csv(path: str | Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with open(path, encoding="utf-8-sig", newline="") as src:
        rows = [tuple(r) for r in csv.reader(src)]
    if not rows or ITEMS_SHEET not in rows[0]:
        return rows, []
    at = rows[0].index(ITEMS_SHEET)
    entries = [r[:at] + r[at + 1:] for r in rows]
    code_at = rows[0].index(HEADER["resource_code"]) if HEADER["resource_code"] in rows[0] else None
    title_at = rows[0].index(HEADER["title"])
    items: list[tuple[Any, ...]] = [tuple(h for _k, h in ITEM_COLUMNS)]
    for r in rows[1:]:
        if at >= len(r) or not r[at].strip():
            continue
        key = (r[code_at] if code_at is not None else "") or r[title_at]
        for n, item in enumerate(json.loads(r[at]), 1):
            items.append(tuple([key] + [item.get(h, n if k == "order" else "") for k, h in ITEM_COLUMNS[1:]]))
    return entries, items


def read_json(path: str | Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    data = json.loads(Path(path).read_text("utf-8"))
    keys = [k for k, _h, _v in COLUMNS]
    entries: list[tuple[Any, ...]] = [tuple(keys)]
    items: list[tuple[Any, ...]] = [tuple(k for k, _h in ITEM_COLUMNS)]
    for entry in data:
        row = []
        for key in keys:
            value = entry.get(key, "")
            row.append(LIST_SEPARATOR.join(value) if isinstance(value, list) else value)
        entries.append(tuple(row))
        ref = entry.get("resource_code") or entry.get("title")
        for n, item in enumerate(entry.get("info_items") or [], 1):
            items.append(tuple([ref, n] + [item.get(k, "") for k, _h in ITEM_COLUMNS[2:]]))
    return entries, items


def read(path: str | Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return read_csv(path)
    if suffix == ".json":
        return read_json(path)
    return read_workbook(path)


def parse(entries: list[tuple[Any, ...]], items: list[tuple[Any, ...]],
          problems: list[Problem]) -> list[Row]:
    """Rows of cells by API key, with their info items; file-level problems added."""
    if not entries:
        problems.append(Problem(0, "", tk._("The workbook has no entries sheet")))
        return []
    headers = [_text(h) for h in entries[0]]
    keys = [KEY_OF_HEADER.get(h) for h in headers]
    present = {HEADER[k] for k in keys if k}
    for header in REQUIRED_HEADERS:
        if header not in present:
            problems.append(Problem(1, header, tk._("Missing column")))
    rows = []
    for number, values in enumerate(entries[1:], 2):
        if all(_text(v) == "" for v in values):
            continue
        cells = {k: v for k, v in zip(keys, values, strict=False) if k}
        rows.append(Row(number, cells))
    by_ref: dict[str, list[Row]] = {}
    for row in rows:
        for ref in {_text(row.cells.get("resource_code")), _text(row.cells.get("title"))} - {""}:
            by_ref.setdefault(ref, []).append(row)
    if items:
        item_keys = [ITEM_KEY_OF_HEADER.get(_text(h)) for h in items[0]]
        for number, values in enumerate(items[1:], 2):
            cells = {k: v for k, v in zip(item_keys, values, strict=False) if k}
            ref = _text(cells.get("resource_code"))
            if not ref and not _text(cells.get("name")):
                continue
            owners = by_ref.get(ref, [])
            if len(owners) != 1:
                message = tk._("No entry of this workbook has the code {code}").format(code=ref)
                problems.append(Problem(number, "信息资源代码", message, ITEMS_SHEET))
                continue
            owners[0].items.append(dict(cells, _row=number))
    return rows


# --- import: mapping a row to a data dict ------------------------------------


def _vocabulary_value(vocabulary: str, text: str) -> str | None:
    for term in reference.vocabularies()[vocabulary]:
        if text in (term["value"], term["zh"], term["en"]):
            return term["value"]
    return None


def _organization(name: str, code: str) -> model.Group | None:
    query = model.Session.query(model.Group).filter(model.Group.is_organization.is_(True),
                                                    model.Group.state == "active")
    if code:
        found = query.filter(model.Group.extras["provider_code"].astext == code).first()
        if found is not None:
            return found
    if name:
        for attr in (model.Group.title, model.Group.name):
            found = query.filter(attr == name).first()
            if found is not None:
                return found
        return query.filter(model.Group.extras["short_name"].astext == name).first()
    return None


def to_data_dict(row: Row, problems: list[Problem],
                 org_cache: dict[tuple[str, str], str | None] | None = None) -> dict[str, Any]:
    """The package data dict of a row; cell problems go to ``problems``.
    ``org_cache`` keeps department look-ups for the rest of the file."""
    data: dict[str, Any] = {}
    before = len(problems)
    for key, header, vocabulary in COLUMNS:
        if key not in row.cells:
            continue
        raw = row.cells[key]
        text = _text(raw)
        if key in DATE_KEYS and isinstance(raw, int | float) and not isinstance(raw, bool):
            from openpyxl.utils.datetime import from_excel

            text = _text(from_excel(raw))
        if key in CODE_WIDTHS and text.isdigit():  # Excel turns 01 into 1
            text = text.zfill(CODE_WIDTHS[key])
        if vocabulary and text:
            value = _vocabulary_value(vocabulary, text)
            if value is None:
                allowed = "、".join(t["zh"] for t in reference.vocabularies()[vocabulary])
                problems.append(Problem(row.number, header,
                                        tk._("Unknown value {value}: use one of {values}")
                                        .format(value=text, values=allowed)))
                continue
            text = value
        if key == "provider_code" and text and not uscc.is_valid(text):
            try:
                uscc.validate(text)
            except uscc.USCCError as err:
                problems.append(Problem(row.number, header, tk._(err.message).format(**err.params)))
            continue
        if key in ("related_codes", "tags"):
            parts = [p.strip() for p in text.replace(";", LIST_SEPARATOR).split(LIST_SEPARATOR) if p.strip()]
            data[key] = parts if key == "related_codes" else [{"name": p} for p in parts]
            continue
        data[key] = text
    key = (data.pop("owner_org", ""), data.get("provider_code", ""))
    cache = org_cache if org_cache is not None else {}
    if key not in cache:
        found = _organization(*key)
        cache[key] = found.id if found is not None else None
    if cache[key] is None and len(problems) == before:
        problems.append(Problem(row.number, HEADER["owner_org"],
                                tk._("No department with this name or unified social credit code")))
    elif cache[key] is not None:
        data["owner_org"] = cache[key]
    if not data.get("name"):  # a new entry gets a random one (bulk.write); an entry keeps its own
        data.pop("name", None)
    data["info_items"] = [_item(item, problems) for item in row.items]
    return data


def _item(cells: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    data_type = _text(cells.get("data_type"))
    if data_type:
        code = _vocabulary_value("data_type", data_type) or _vocabulary_value("data_type", data_type[:1])
        if code is None:
            problems.append(Problem(cells["_row"], "数据类型",
                                    tk._("Unknown data type {value}").format(value=data_type), ITEMS_SHEET))
        data_type = code or data_type
    length = _text(cells.get("length"))
    return {
        "name": _text(cells.get("name")), "data_type": data_type,
        "length": int(length) if length.isdigit() else (length or None),
        "description": _text(cells.get("description")),
        "is_key": _text(cells.get("is_key")) in ("是", "true", "True", "1", "Y"),
        "sensitive": _text(cells.get("sensitive")) in ("是", "true", "True", "1", "Y"),
    }  # fmt: skip


# --- import: applying --------------------------------------------------------


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    dry_run: bool = False

    @property
    def failed_rows(self) -> int:
        return len({(p.sheet, p.row) for p in self.problems if p.row and p.sheet == ENTRIES_SHEET})

    def summary(self) -> str:
        verb = tk._("would be") if self.dry_run else ""
        return tk._("{created} created, {updated} updated, {unchanged} unchanged, {failed} rows with errors"
                    ).format(created=self.created, updated=self.updated, unchanged=self.unchanged,
                             failed=self.failed_rows) + (f" ({verb})" if verb else "")


def _column_of(key: str) -> tuple[str, str]:
    if key == "info_items":
        return ITEMS_SHEET, ITEMS_SHEET
    return ENTRIES_SHEET, HEADER.get(key, key)


def _flatten_errors(error_dict: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for key, messages in error_dict.items():
        if isinstance(messages, list):
            for message in messages:
                if isinstance(message, dict):
                    for sub, sub_messages in message.items():
                        for m in sub_messages if isinstance(sub_messages, list) else [sub_messages]:
                            yield key, f"{sub}: {m}"
                else:
                    yield key, str(message)
        else:
            yield key, str(messages)


def apply(rows: list[Row], context: dict[str, Any], report: Report, progress: bool = False,
          workers: int = 1) -> None:
    """Check every row's cells, then write the good ones with :func:`bulk.write`
    (the same schema and rules as ``package_create``, in batches; in
    ``workers`` processes for a large file, 0: one per core)."""
    seen_codes: dict[str, int] = {}
    org_cache: dict[tuple[str, str], str | None] = {}
    datas: list[dict[str, Any]] = []
    numbers: list[int] = []
    for row in rows:
        problems: list[Problem] = []
        data = to_data_dict(row, problems, org_cache)
        code = data.get("resource_code", "")
        if code:
            if code in seen_codes:
                problems.append(Problem(row.number, HEADER["resource_code"],
                                        tk._("The code is also on row {row}").format(row=seen_codes[code])))
            elif rules.parse_code(code) is None:
                problems.append(Problem(row.number, HEADER["resource_code"],
                                        tk._("A resource code is 分类码/顺序码, e.g. 101001001/000123")))
            seen_codes.setdefault(code, row.number)
        if problems:
            report.problems.extend(problems)
            continue
        datas.append(data)
        numbers.append(row.number)
    result = bulk.write(datas, context, dry_run=report.dry_run, progress=progress, workers=workers)
    for outcome in result.outcomes:
        if outcome.action == bulk.FAILED:
            for key, message in _flatten_errors(outcome.errors):
                sheet, column = _column_of(key)
                report.problems.append(Problem(numbers[outcome.row], column, message, sheet))
        else:
            setattr(report, outcome.action, getattr(report, outcome.action) + 1)


def import_file(path: str | Path, context: dict[str, Any], dry_run: bool = False,
                progress: bool = False, workers: int = 1, max_rows: int = 0,
                too_many: str = "") -> Report:
    """Import a workbook, CSV or JSON file (see the module docstring); ``workers``
    as :func:`apply`. A file of more than ``max_rows`` rows (default
    ``ckanext.lyg.import_max_rows``) is refused whole, with ``too_many``
    (``{count}``, ``{limit}``) or a general message."""
    report = Report(dry_run=dry_run)
    try:
        entries, items = read(path)
    except Exception as err:  # noqa: BLE001 - any unreadable file is one problem
        report.problems.append(Problem(0, "", tk._("Cannot read the file: {error}").format(error=err)))
        return report
    rows = parse(entries, items, report.problems)
    if any(p.row in (0, 1) for p in report.problems):  # missing columns: nothing can be read right
        return report
    limit = max_rows or tk.config.get("ckanext.lyg.import_max_rows")
    if len(rows) > limit:
        message = too_many or tk._("The file has {count} rows; at most {limit} can be imported at once")
        report.problems.append(Problem(0, "", message.format(count=len(rows), limit=limit)))
        return report
    apply(rows, context, report, progress=progress, workers=workers)
    return report
