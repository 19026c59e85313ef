"""DataStore loading for ``lyg_sql`` sources with ``"load_data": true``.

The table or query of such a source is the data of one catalog entry. Gather
reads it once to fingerprint it (:func:`data_hash`: unchanged data → the
entry is "not modified" and nothing is loaded); import saves the entry and
then :func:`load` replaces the rows of its data resource in the DataStore:
the old table is dropped, ``datastore_create`` makes one with a field per
column (types from the source's column types, :func:`fields`) and
``datastore_upsert`` inserts the rows in batches. The info items of the entry
come from the same columns (:func:`info_items`).

The pure functions need no CKAN; :func:`load` calls the DataStore actions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

DATASTORE_TYPES = {
    "int": "int8", "numeric": "numeric", "float": "float8", "bool": "bool", "date": "date",
    "timestamp": "timestamp", "json": "json", "text": "text",
}  # fmt: skip
INFO_ITEM_TYPES = {
    "int": "I", "numeric": "N", "float": "F", "bool": "L", "date": "D", "timestamp": "T", "json": "M",
    "text": "C",
}  # fmt: skip


def fields(columns: list[tuple[str, str]]) -> list[dict[str, str]]:
    """DataStore fields of the source's columns ``[(name, kind)]``."""
    return [{"id": name, "type": DATASTORE_TYPES.get(kind, "text")} for name, kind in columns]


def info_items(columns: list[tuple[str, str]]) -> list[dict[str, str]]:
    """信息项 of the source's columns: the column name and its data type code."""
    return [{"name": name, "data_type": INFO_ITEM_TYPES.get(kind, "C")} for name, kind in columns]


def row_bytes(row: dict[str, Any]) -> bytes:
    return json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def data_hash(columns: list[tuple[str, str]], rows: Iterable[dict[str, Any]]) -> tuple[str, int]:
    """The fingerprint of a table's columns and rows (in the order read), and the row count."""
    digest = hashlib.sha256(json.dumps(columns, ensure_ascii=False).encode())
    count = 0
    for row in rows:
        digest.update(row_bytes(row))
        count += 1
    return digest.hexdigest(), count


def batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def load(
    context: dict[str, Any],
    resource_id: str,
    columns: list[tuple[str, str]],
    rows: Iterable[dict[str, Any]],
    batch_size: int,
) -> tuple[str, int]:
    """Replace the resource's DataStore table with ``rows``; returns the
    fingerprint (:func:`data_hash`) and the count of what was loaded. On an
    error the table is dropped (no half-loaded data) and the error raised."""
    import ckan.plugins.toolkit as tk

    def action(name: str, data: dict[str, Any]) -> Any:
        return tk.get_action(name)(dict(context), data)

    try:
        action("datastore_delete", {"resource_id": resource_id, "force": True})
    except tk.ObjectNotFound:
        pass
    digest = hashlib.sha256(json.dumps(columns, ensure_ascii=False).encode())
    count = 0
    try:
        action("datastore_create", {"resource_id": resource_id, "fields": fields(columns), "force": True})
        for batch in batches(rows, batch_size):
            for row in batch:
                digest.update(row_bytes(row))
            action(
                "datastore_upsert",
                {"resource_id": resource_id, "records": batch, "method": "insert", "force": True},
            )
            count += len(batch)
    except Exception:
        try:
            action("datastore_delete", {"resource_id": resource_id, "force": True})
        except Exception:  # noqa: BLE001 - the first error is the one to report
            pass
        raise
    return digest.hexdigest(), count
