"""The consistency rules of catalog.md, as a pure function of an entry's fields.

No database and no CKAN request here: :func:`check` takes the catalog fields of
one entry (strings, ``info_items`` as a list of dicts) and returns the
problems as ``{field: [Problem, …]}``. The dataset schema's after-validator
(``logic/validators.py``) runs it on every write path — form, API, import,
harvest — and the importer reports the same problems per row and column.

Messages are English msgids of the ``ckanext-lyg`` domain (marked with
``N_``), translated where they are shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ckanext.lyg import reference


def N_(message: str) -> str:
    """Mark a message for extraction; translated where it is shown."""
    return message


@dataclass(frozen=True)
class Problem:
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    path: tuple[Any, ...] = ()  # inside a repeating field: (row index, subfield)

    def text(self, translate=lambda s: s) -> str:
        return translate(self.message).format(**self.params)


STRUCTURED_FORMATS = ("电子表格", "数据库", "服务接口")
FREE_TEXT_FORMATS = ("服务接口", "自描述格式")
# 共享平台方式: which 共享方式类型 a 信息资源格式 allows (file formats use 文件).
MODE_TYPES_BY_FORMAT = {
    "数据库": ("数据库", "接口"),
    "服务接口": ("接口",),
    "自描述格式": ("文件", "接口"),
}
FILE_MODE_TYPES = ("文件",)
RESOURCE_CODE = re.compile(r"^(?P<class_code>[1-3]\d{2}(?:\d{3}){0,1}\d{0,6})/(?P<seq>\d{6})$")
MAX_TEXT = 2000
MAX_FORMAT_TYPE = 100


def text(value: Any) -> str:
    """A field's value as a stripped string ("" for missing/None)."""
    if value is None or value.__class__.__name__ == "Missing":
        return ""
    return str(value).strip()


def parse_code(code: str) -> tuple[str, int] | None:
    """``"101001001/000123"`` → ``("101001001", 123)``; None when malformed."""
    match = RESOURCE_CODE.match(code or "")
    if not match:
        return None
    return match["class_code"], int(match["seq"])


def _classification(entry: dict[str, Any], out: dict[str, list[Problem]]) -> None:
    cls, item = text(entry.get("catalog_class")), text(entry.get("catalog_item"))
    sub, detail = text(entry.get("catalog_sub")), text(entry.get("catalog_detail"))
    if not cls:
        out.setdefault("catalog_class", []).append(Problem(N_("Missing value")))
        return
    if cls not in ("1", "2", "3"):
        out.setdefault("catalog_class", []).append(
            Problem(N_("Unknown class {value}: use 1, 2 or 3"), {"value": cls}))
        return
    if not item:
        out.setdefault("catalog_item", []).append(Problem(N_("Missing value")))
        return
    found = reference.find_item(cls, item)
    if found is None:
        codes = ", ".join(i["code"] for i in reference.catalog_items(cls))
        out.setdefault("catalog_item", []).append(
            Problem(N_("Unknown item {value} in class {cls}: use one of {codes}"),
                    {"value": item, "cls": cls, "codes": codes}))
        return
    if not sub:
        if detail:
            out.setdefault("catalog_detail", []).append(
                Problem(N_("A detail code needs a sub-item code")))
        return
    found_sub = reference.find_sub(cls, item, sub)
    if found_sub is None:
        codes = ", ".join(s["code"] for s in found.get("subs", []))
        out.setdefault("catalog_sub", []).append(
            Problem(N_("Unknown sub-item {value} of {cls}{item}: use one of {codes}"),
                    {"value": sub, "cls": cls, "item": item, "codes": codes}))
        return
    if detail:
        details = found_sub.get("details") or []
        if not re.fullmatch(r"\d{3}", detail):
            out.setdefault("catalog_detail", []).append(
                Problem(N_("A detail code has 3 digits")))
        elif details and detail not in {d["code"] for d in details}:
            codes = ", ".join(d["code"] for d in details)
            out.setdefault("catalog_detail", []).append(
                Problem(N_("Unknown detail {value}: use one of {codes}"),
                        {"value": detail, "codes": codes}))


def _format(entry: dict[str, Any], out: dict[str, list[Problem]]) -> str:
    fmt, fmt_type = text(entry.get("format_class")), text(entry.get("format_type"))
    if fmt not in reference.FORMAT_TYPES:
        return ""  # the field's own validator reports it
    allowed = reference.FORMAT_TYPES[fmt]
    if not fmt_type:
        out.setdefault("format_type", []).append(Problem(N_("Missing value")))
    elif allowed and fmt_type not in allowed:
        out.setdefault("format_type", []).append(
            Problem(N_("{value} is not a type of {format}: use one of {types}"),
                    {"value": fmt_type, "format": fmt, "types": ", ".join(allowed)}))
    elif len(fmt_type) > MAX_FORMAT_TYPE:
        out.setdefault("format_type", []).append(
            Problem(N_("At most {count} characters"), {"count": MAX_FORMAT_TYPE}))
    return fmt


def _info_items(entry: dict[str, Any], fmt: str, out: dict[str, list[Problem]]) -> None:
    items = entry.get("info_items") or []
    if not isinstance(items, list):
        out.setdefault("info_items", []).append(Problem(N_("Info items must be a list")))
        return
    if fmt in STRUCTURED_FORMATS and not items:
        out.setdefault("info_items", []).append(
            Problem(N_("A {format} resource needs at least one info item"), {"format": fmt}))
    seen: set[str] = set()
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            out.setdefault("info_items", []).append(
                Problem(N_("Info item {n}: not a record"), {"n": n}, (n - 1, "name")))
            continue
        name = text(item.get("name"))
        if not name:
            out.setdefault("info_items", []).append(
                Problem(N_("Info item {n}: the name is missing"), {"n": n}, (n - 1, "name")))
        elif name in seen:
            out.setdefault("info_items", []).append(
                Problem(N_("Info item {n}: the name {name} is used twice"), {"n": n, "name": name},
                        (n - 1, "name")))
        seen.add(name)
        if text(item.get("data_type")) not in reference.INFO_ITEM_TYPES:
            out.setdefault("info_items", []).append(
                Problem(N_("Info item {n}: unknown data type {value}"),
                        {"n": n, "value": text(item.get("data_type"))}, (n - 1, "data_type")))


def _share_open(entry: dict[str, Any], fmt: str, out: dict[str, list[Problem]]) -> None:
    share, open_ = text(entry.get("share_type")), text(entry.get("open_type"))
    if share == "none":
        if open_ and open_ != "none":
            out.setdefault("open_type", []).append(
                Problem(N_("An entry that is not shared cannot be open")))
        if not text(entry.get("share_basis")):
            out.setdefault("share_basis", []).append(
                Problem(N_("Give the law, regulation or rule that forbids sharing")))
    if share == "conditional" and not text(entry.get("share_condition")):
        out.setdefault("share_condition", []).append(
            Problem(N_("Give the conditions of sharing")))
    if open_ == "unconditional" and share and share != "unconditional":
        out.setdefault("open_type", []).append(
            Problem(N_("Only an entry shared unconditionally can be open unconditionally")))
    if open_ == "conditional":
        if share == "none":
            out.setdefault("open_type", []).append(
                Problem(N_("An entry that is not shared cannot be open")))
        if not text(entry.get("open_condition")):
            out.setdefault("open_condition", []).append(
                Problem(N_("Give the conditions of opening")))
    if share in ("unconditional", "conditional"):
        mode, mode_type = text(entry.get("share_mode_class")), text(entry.get("share_mode_type"))
        if not mode:
            out.setdefault("share_mode_class", []).append(Problem(N_("Missing value")))
        elif mode == "共享平台方式":
            allowed = MODE_TYPES_BY_FORMAT.get(fmt, FILE_MODE_TYPES) if fmt else None
            if not mode_type:
                out.setdefault("share_mode_type", []).append(Problem(N_("Missing value")))
            elif allowed and mode_type not in allowed:
                out.setdefault("share_mode_type", []).append(
                    Problem(N_("A {format} resource is shared by {types}"),
                            {"format": fmt, "types": " / ".join(allowed)}))
        elif mode == "邮件或介质方式" and mode_type:
            out.setdefault("share_mode_type", []).append(
                Problem(N_("No sharing mode type for sharing by e-mail or media")))


def _dates(entry: dict[str, Any], out: dict[str, list[Problem]]) -> None:
    start, end = text(entry.get("temporal_start")), text(entry.get("temporal_end"))
    if start and end and start[:10] > end[:10]:
        out.setdefault("temporal_end", []).append(
            Problem(N_("The end of the time range is before its start")))


def check(entry: dict[str, Any]) -> dict[str, list[Problem]]:
    """Every rule of catalog.md that involves more than one field."""
    out: dict[str, list[Problem]] = {}
    _classification(entry, out)
    fmt = _format(entry, out)
    _info_items(entry, fmt, out)
    _share_open(entry, fmt, out)
    _dates(entry, out)
    for key in ("share_condition", "share_basis", "open_condition"):
        if len(text(entry.get(key))) > MAX_TEXT:
            out.setdefault(key, []).append(Problem(N_("At most {count} characters"), {"count": MAX_TEXT}))
    return out
