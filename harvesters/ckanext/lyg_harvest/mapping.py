"""Record → catalog entry: pure functions, testable without CKAN or a database.

A harvester downloads records (:mod:`.download`), then for each record:

* :func:`extract_json` / :func:`extract_row` pick the mapped fields out of a
  JSON record (jmespath) or a database row (columns);
* :func:`to_dataset` fills in the source defaults and normalises the values
  into the dataset dict of the catalog schema (``package_create`` form);
* :func:`record_guid` and :func:`content_hash` give the record's stable
  identity and the fingerprint that tells an unchanged record.

The catalog rules themselves are not repeated here: the dataset schema's
after-validator applies them to harvested entries like to any other write.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import hashlib
import json
import re
from typing import Any

import jmespath

# Labels a department system may use for the enumerations (catalog.md), → API values.
SHARE_LABELS = {
    "无条件共享": "unconditional", "有条件共享": "conditional", "不予共享": "none",
    "无条件开放": "unconditional", "有条件开放": "conditional", "不予开放": "none",
}  # fmt: skip
DATA_TYPE_LABELS = {
    "字符型": "C", "数值型": "N", "货币型": "Y", "日期型": "D", "日期时间型": "T", "逻辑型": "L",
    "备注型": "M", "通用型": "G", "双精度型": "B", "整型": "I", "浮点型": "F",
}  # fmt: skip
CODE_KEYS = ("catalog_class", "catalog_item", "catalog_sub", "catalog_detail")
TEXT_KEYS = (
    "title", "notes", "owner_org", "provider_code", "resource_code", "format_class", "format_type",
    "share_type", "share_condition", "share_basis", "share_mode_class", "share_mode_type", "open_type",
    "open_condition", "update_cycle", "data_level", "area_scope", "source_system", "url", "issued",
    "temporal_start", "temporal_end", "record_count", "storage_size",
) + CODE_KEYS  # fmt: skip
NAME_MAX = 100


def _plain(value: Any) -> Any:
    """Database and JSON values as JSON-able plain values (dates as ISO text)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def plain_record(record: dict[str, Any]) -> dict[str, Any]:
    """A record as stored in a harvest object (JSON-able, key order kept)."""
    return _plain(dict(record))


@functools.lru_cache(maxsize=512)
def _compiled(expr: str):
    return jmespath.compile(expr)


def search(expr: str, data: Any) -> Any:
    return _compiled(expr).search(data)


def extract_json(record: Any, fields: dict[str, str]) -> dict[str, Any]:
    """The mapped fields of a JSON record (``fields``: dataset key → jmespath)."""
    return {key: search(expr, record) for key, expr in fields.items()}


def extract_row(row: dict[str, Any], columns: dict[str, str]) -> dict[str, Any]:
    """The mapped fields of a database row (``columns``: dataset key → column)."""
    return {key: row.get(column) for key, column in columns.items()}


def record_guid(value: Any) -> str | None:
    """A record's identity in its source as text; None when it has none."""
    if value is None or isinstance(value, dict | list | bool):
        return None
    text = str(_plain(value)).strip()
    return text[:255] or None


def content_hash(record: Any, fingerprint: str = "") -> str:
    """The fingerprint of a record under a mapping: equal ⇒ the entry would not change."""
    body = json.dumps(_plain(record), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((fingerprint + "\n" + body).encode("utf-8")).hexdigest()


def dataset_name(prefix: str, guid: str) -> str:
    """A URL name for the entry of a record: ``<source>-<record id>``, ASCII;
    a digest of the id when the id has no usable characters (e.g. Chinese)."""
    part = re.sub(r"[^a-z0-9_-]+", "-", guid.lower()).strip("-")
    if not part or part != guid.lower() and len(part) < 4:
        part = hashlib.sha1(guid.encode("utf-8")).hexdigest()[:12]
    head = re.sub(r"[^a-z0-9_-]+", "-", (prefix or "h").lower()).strip("-")[:40] or "h"
    name = f"{head}-{part}"
    if len(name) > NAME_MAX:
        name = f"{head}-{hashlib.sha1(guid.encode('utf-8')).hexdigest()[:16]}"
    return name


def _text(value: Any) -> str | None:
    value = _plain(value)
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _list(value: Any) -> list:
    """A list from a list, a JSON text of a list, or None."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except ValueError:
                return [value]
        else:
            return [value]
    return list(value) if isinstance(value, list | tuple) else [value]


def tags(value: Any) -> list[dict[str, str]]:
    """Keywords from a list or a text separated by , ， ; ； 、 or spaces."""
    names: list[str] = []
    for item in _list(value):
        text = _text(item.get("name") if isinstance(item, dict) else item) or ""
        for part in re.split(r"[,，;；、\s]+", text):
            part = re.sub(r"[^\w\-. ]", "", part).strip()[:100]
            if len(part) >= 2 and part not in names:
                names.append(part)
    return [{"name": n} for n in names]


def info_items(value: Any) -> list[dict[str, Any]]:
    """信息项 from a list of objects (or its JSON text); data types as codes or labels."""
    items = []
    for item in _list(value):
        if not isinstance(item, dict):
            items.append({"name": _text(item) or ""})
            continue
        out = {
            k: v
            for k, v in item.items()
            if k in ("name", "data_type", "length", "description", "is_key", "sensitive")
        }
        data_type = _text(out.get("data_type"))
        if data_type:
            out["data_type"] = DATA_TYPE_LABELS.get(
                data_type, data_type.upper() if len(data_type) == 1 else data_type
            )
        for key in ("name", "description"):
            if key in out:
                out[key] = _text(out[key]) or ""
        items.append({k: _plain(v) for k, v in out.items() if v is not None})
    return items


def resources(value: Any) -> list[dict[str, Any]]:
    """Resources from a list of objects (url, name, format, description, …) or URLs."""
    out = []
    for item in _list(value):
        if isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, dict) or not _text(item.get("url")):
            continue
        res = {
            k: _text(item.get(k)) for k in ("url", "name", "format", "description", "last_modified", "size")
        }
        out.append({k: v for k, v in res.items() if v is not None})
    return out


def to_dataset(fields: dict[str, Any], defaults: dict[str, str]) -> dict[str, Any]:
    """The dataset dict of a record's mapped ``fields`` with the source ``defaults``.

    A value the record has wins over the default; enumerations given as
    Chinese labels become their API values; ``share_review`` is never taken
    from a source (only the data authority confirms a not-shared entry).
    """
    data: dict[str, Any] = {}
    for key in TEXT_KEYS:
        value = _text(fields.get(key)) if key in fields else None
        if value is None:
            value = defaults.get(key) or None
        if value is not None:
            data[key] = value
    for key in ("share_type", "open_type"):
        if key in data:
            data[key] = SHARE_LABELS.get(data[key], data[key])
    for key in CODE_KEYS:
        if key in data and data[key].isdigit() and key != "catalog_class":
            width = 2 if key == "catalog_item" else 3
            data[key] = data[key].zfill(width)
    if "tags" in fields:
        data["tags"] = tags(fields.get("tags"))
    if "info_items" in fields:
        data["info_items"] = info_items(fields.get("info_items"))
    if "resources" in fields:
        data["resources"] = resources(fields.get("resources"))
    if "related_codes" in fields:
        data["related_codes"] = [t for t in (_text(c) for c in _list(fields.get("related_codes"))) if t]
    if "spatial" in fields and fields.get("spatial") not in (None, ""):
        spatial = _plain(fields["spatial"])
        data["spatial"] = spatial if isinstance(spatial, str) else json.dumps(spatial, ensure_ascii=False)
    if "name" in fields and _text(fields.get("name")):
        data["name"] = _text(fields["name"])
    return data


def error_summary(error_dict: dict[str, Any]) -> str:
    """A ValidationError's errors as one line: ``field: message; …``."""
    parts = []
    for key, value in sorted(error_dict.items()):
        if isinstance(value, list):
            msgs = [m if isinstance(m, str) else json.dumps(m, ensure_ascii=False) for m in value]
        else:
            msgs = [str(value)]
        parts.append(f"{key}: {' '.join(msgs)}")
    return "; ".join(parts)
