"""``lyg_workbook``: a catalog workbook (.xlsx) or CSV in the national template.

The format is the catalog exchange format of :mod:`ckanext.lyg.catalog.exchange`
(sheet ``信息资源目录`` one entry a row, sheet ``信息项`` the info items keyed by
信息资源代码; CSV with the info items as JSON): this module reuses its reading
(:func:`~ckanext.lyg.catalog.exchange.read_workbook`, ``read_csv``, ``parse``) and
its row → data dict mapping (``to_data_dict``), and only adds what harvesting
needs around them:

* :func:`fetch_file` gets the file from an http(s) URL (streamed to a temporary
  file, stopped at ``ckanext.lyg_harvest.workbook_max_bytes``) or from a server
  path inside ``ckanext.lyg_harvest.workbook_dirs``;
* :func:`read_records` turns its rows into JSON-able records (a file that cannot
  be read, or lacks a required column, is a :class:`SourceError`: the job ends
  with it and nothing is withdrawn);
* :func:`record_id` gives a row's stable identity: its 信息资源代码, or, for a row
  without one, the columns of the source's ``record_key`` (department + title
  by default) — a new entry then gets its code from the catalog, and the row
  keeps matching it by that key;
* :func:`to_dataset` fills the source defaults into empty cells and maps the
  row with ``exchange.to_data_dict`` (department look-up, labels → values, code
  widths), returning the row's problems instead of saving anything.
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests
from ckanext.lyg_harvest import download
from ckanext.lyg_harvest.config import N_
from ckanext.lyg_harvest.download import SourceError

XLSX_MAGIC = b"PK\x03\x04"
CHUNK = 1 << 16


def _kind(config_format: str, name: str, content_type: str, head: bytes) -> str:
    if config_format in ("xlsx", "csv"):
        return config_format
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".csv":
        return "csv"
    if "spreadsheetml" in content_type or head.startswith(XLSX_MAGIC):
        return "xlsx"
    return "csv"


def _too_large(size: int | None, limit: int) -> SourceError:
    return SourceError(
        N_("The file is larger than {limit} MB (ckanext.lyg_harvest.workbook_max_bytes): not read"),
        limit=round(limit / 1048576, 1),
        size=size,
    )


@contextmanager
def fetch_file(url: str, config: dict[str, Any], max_bytes: int):
    """The workbook as a local file: yields ``(path, kind)``; ``kind`` is xlsx or csv.
    A download goes to a temporary file, removed afterwards."""
    url = url.strip()
    if not url.startswith(("http://", "https://")):
        path = Path(url[len("file://") :] if url.startswith("file://") else url)
        try:
            size = path.stat().st_size
        except OSError as err:
            raise SourceError(
                N_("Cannot read the file {path}: {error}"), path=str(path), error=err.strerror
            ) from None
        if size > max_bytes:
            raise _too_large(size, max_bytes)
        with path.open("rb") as f:
            head = f.read(8)
        yield path, _kind(config["format"], path.name, "", head)
        return
    timeout = config["timeout"]
    response = download.http_get(url, timeout, stream=True)
    with response:
        length = response.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise _too_large(int(length), max_bytes)
        fd, name = tempfile.mkstemp(prefix="lyg-workbook-")
        try:
            size, head = 0, b""
            with os.fdopen(fd, "wb") as out:
                try:
                    for chunk in response.iter_content(CHUNK):
                        size += len(chunk)
                        if size > max_bytes:
                            raise _too_large(None, max_bytes)
                        head = head or chunk[:8]
                        out.write(chunk)
                except requests.exceptions.RequestException as err:
                    raise SourceError(
                        N_("Request to {url} failed: {error}"), url=url, error=str(err)[:300]
                    ) from None
            kind = _kind(
                config["format"], urlparse(url).path, response.headers.get("Content-Type", ""), head
            )
            yield Path(name), kind
        finally:
            os.unlink(name)


def _utf8_csv(path: Path) -> tuple[Path, bool]:
    """A CSV as UTF-8: GB18030 (what Excel in Chinese saves) is converted to a
    temporary copy. Returns the path and whether it is a temporary one."""
    with path.open("rb") as f:
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        try:
            while chunk := f.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return path, False
        except UnicodeDecodeError:
            pass
    fd, name = tempfile.mkstemp(prefix="lyg-workbook-", suffix=".csv")
    try:
        with path.open(encoding="gb18030") as src, os.fdopen(fd, "w", encoding="utf-8") as out:
            while chunk := src.read(CHUNK):
                out.write(chunk)
    except UnicodeDecodeError:
        os.unlink(name)
        raise SourceError(N_("The CSV file is neither UTF-8 nor GB18030 text")) from None
    return Path(name), True


def _cell(value: Any) -> Any:
    """A cell as a JSON-able value; numbers stay numbers (Excel dates are numbers
    until ``to_data_dict`` reads them)."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def read_records(path: Path, kind: str, max_rows: int) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows of a workbook/CSV as records ``{"row", "cells", "items"}``, and the
    problems of single rows of the items sheet (reported, the rest is read)."""
    from ckanext.lyg.catalog import exchange

    temporary = False
    try:
        if kind == "csv":
            path, temporary = _utf8_csv(path)
            entries, items = exchange.read_csv(path)
        else:
            entries, items = exchange.read_workbook(path)
    except SourceError:
        raise
    except Exception as err:  # calamine/csv/json errors: a malformed file
        raise SourceError(
            N_("The file is not a readable catalog workbook or CSV: {error}"),
            error=(f"{type(err).__name__}: {err}")[:300],
        ) from None
    finally:
        if temporary:
            os.unlink(path)
    problems: list[exchange.Problem] = []
    rows = exchange.parse(entries, items, problems)
    missing = [p for p in problems if p.row in (0, 1)]
    if missing:
        raise SourceError(
            N_("The file is not in the catalog template: {problems}"),
            problems="; ".join(str(p) for p in missing),
        )
    if len(rows) > max_rows:
        raise SourceError(
            N_("The file has {rows} rows, more than {limit} (ckanext.lyg_harvest.workbook_max_rows)"),
            rows=len(rows),
            limit=max_rows,
        )
    records = [
        {
            "row": row.number,
            "cells": {key: _cell(value) for key, value in row.cells.items()},
            "items": [{key: _cell(value) for key, value in item.items()} for item in row.items],
        }
        for row in rows
    ]
    return records, [str(p) for p in problems]


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def record_id(record: dict[str, Any], config: dict[str, Any]) -> str | None:
    """The row's 信息资源代码; without one, its ``record_key`` columns joined by ``|``."""
    cells = record.get("cells") or {}
    code = _text(cells.get("resource_code"))
    if code:
        return code
    parts = [_text(cells.get(key)) for key in config["record_key"]]
    if not any(parts):
        return None
    return "key:" + "|".join(parts)


def to_dataset(
    record: dict[str, Any],
    defaults: dict[str, str],
    fallback_org: str | None,
    org_cache: dict[tuple[str, str], str | None] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The data dict of a row (``exchange.to_data_dict``) and its problems.

    Empty cells take the source ``defaults``; a row without a department takes
    the default department, else ``fallback_org`` (the source's own). The
    workbook's 不予共享认定 column is ignored: only the data authority confirms
    a not-shared entry. A row without a 网址名称 gets its name from the harvester.
    ``org_cache`` keeps department look-ups (``exchange.to_data_dict``'s).
    """
    from ckanext.lyg.catalog import exchange

    cells = dict(record.get("cells") or {})
    cells.pop("share_review", None)
    for key, value in defaults.items():
        if key == "owner_org":
            continue
        if _text(cells.get(key)) == "":
            cells[key] = value
    if not _text(cells.get("owner_org")) and not _text(cells.get("provider_code")):
        cells["owner_org"] = defaults.get("owner_org") or fallback_org or ""
    row = exchange.Row(int(record.get("row") or 0), cells, list(record.get("items") or []))
    problems: list[exchange.Problem] = []
    data = exchange.to_data_dict(row, problems, org_cache)
    if not _text(cells.get("name")):
        data.pop("name", None)
    data.pop("share_review", None)
    return data, [str(p) for p in problems]
