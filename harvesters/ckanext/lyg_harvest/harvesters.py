"""The source types: one ``IHarvester`` class each, on :class:`.base.LygHarvesterBase`.

Each class only says how its source is configured, read and mapped; the
reading is in :mod:`.download`, the mapping in :mod:`.mapping`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import model
from ckanext.harvest.model import HarvestObject, HarvestObjectExtra
from ckanext.lyg.catalog import codes
from ckanext.lyg_harvest import config as cfg
from ckanext.lyg_harvest import datastore, download, mapping, workbook
from ckanext.lyg_harvest.base import LygHarvesterBase
from ckanext.lyg_harvest.config import N_
from ckanext.lyg_harvest.i18n_domain import HarvestTranslation


class LygJsonHarvester(LygHarvesterBase, HarvestTranslation):
    """``lyg_json``: a JSON REST API with paging, fields mapped with jmespath."""

    p.implements(p.ITranslation)

    def info(self) -> dict[str, str]:
        return {
            "name": "lyg_json",
            "title": tk._("JSON API of a department (lyg_json)"),
            "description": tk._("A JSON REST API with paging; fields mapped with jmespath into the catalog."),
            "form_config_interface": "Text",
        }

    def parse_config(self, raw: str | None) -> dict[str, Any]:
        return cfg.parse_json_source(raw)

    def check_url(self, url: str) -> list[cfg.Problem]:
        return cfg.check_http_url(url)

    def download(self, url: str, config: dict[str, Any]) -> Iterator[Any]:
        return download.json_records(url, config)

    def record_id(self, record: Any, config: dict[str, Any]) -> Any:
        return mapping.search(config["record_id"], record)

    def extract(self, record: Any, config: dict[str, Any]) -> dict[str, Any]:
        return mapping.extract_json(record, config["fields"])


class LygSqlHarvester(LygHarvesterBase, HarvestTranslation):
    """``lyg_sql``: a department database (PostgreSQL, MySQL/MariaDB) by SQLAlchemy URL,
    a table or a read-only query, columns mapped into the catalog."""

    p.implements(p.ITranslation)

    def info(self) -> dict[str, str]:
        return {
            "name": "lyg_sql",
            "title": tk._("Department database (lyg_sql)"),
            "description": tk._(
                "A PostgreSQL or MySQL/MariaDB database: a table or a read-only query, "
                "columns mapped into the catalog."
            ),
            "form_config_interface": "Text",
        }

    def parse_config(self, raw: str | None) -> dict[str, Any]:
        return cfg.parse_sql_source(raw)

    def validate_config(self, config: str | None) -> str | None:
        config = super().validate_config(config)
        if self.parse_config(config)["load_data"] and not p.plugin_loaded("datastore"):
            raise ValueError(
                "load_data: "
                + tk._("The DataStore is not enabled on this site: add datastore to ckan.plugins")
            )
        return config

    def check_url(self, url: str) -> list[cfg.Problem]:
        return cfg.check_sql_url(url)

    def download(self, url: str, config: dict[str, Any]) -> Iterator[Any]:
        if not config["load_data"]:
            return download.sql_rows(url, config)
        return self._whole_table(url, config)

    def _whole_table(self, url: str, config: dict[str, Any]) -> Iterator[Any]:
        """``load_data``: the table is one record — its columns and fingerprint."""
        items = download.sql_table(url, config)
        columns = next(items)
        digest, count = datastore.data_hash(columns, items)
        yield {"columns": columns, "rows": count, "data_hash": digest}

    def record_id(self, record: Any, config: dict[str, Any]) -> Any:
        if config["load_data"]:
            return cfg.data_record_id(config)
        return record.get(config["record_id"]) if isinstance(record, dict) else None

    def extract(self, record: Any, config: dict[str, Any]) -> dict[str, Any]:
        if config["load_data"]:
            return {"columns": record["columns"], "data_hash": record["data_hash"]}
        return mapping.extract_row(record, config["columns"])

    def build_dataset(self, obj, record: Any, config: dict[str, Any]) -> dict[str, Any] | None:
        if not config["load_data"]:
            return super().build_dataset(obj, record, config)
        columns = [tuple(c) for c in record["columns"]]
        fields = dict(config["entry"])
        fields.setdefault("info_items", datastore.info_items(columns))
        dataset = mapping.to_dataset(fields, config["defaults"])
        dataset.setdefault("record_count", str(record["rows"]))
        if "format_class" not in dataset:  # the data is a database table
            dataset["format_class"] = "数据库"
        if dataset["format_class"] == "数据库" and "format_type" not in dataset:
            backend = obj.source.url.split(":", 1)[0].split("+", 1)[0].lower()
            dataset["format_type"] = "postgresql" if backend.startswith("postgres") else "mysql"
        org = self._department(fields, config, obj)
        if org is None:
            return None
        dataset["owner_org"] = org.id
        existing = self._data_resource(obj.package_id) if obj.package_id else None
        resource = {
            "name": dataset.get("title"),
            "url": "",
            "url_type": "datastore",
            "format": "datastore",
            "last_modified": dt.datetime.utcnow().isoformat(),
        }
        if existing is not None:
            resource["id"] = existing
        dataset["resources"] = [resource]
        return dataset

    @staticmethod
    def _data_resource(package_id: str) -> str | None:
        return (
            model.Session.query(model.Resource.id)
            .filter(
                model.Resource.package_id == package_id,
                model.Resource.url_type == "datastore",
                model.Resource.state == "active",
            )
            .order_by(model.Resource.position)
            .limit(1)
            .scalar()
        )

    def _import(self, obj) -> bool:
        """``load_data``: the entry is saved, then its data resource's rows are
        replaced in the DataStore. A load that fails leaves the entry without
        rows (never half of them), reports the error and is retried next run."""
        try:
            config = self.parse_config(obj.source.config)
        except cfg.ConfigError:
            config = {"load_data": False}
        if not config["load_data"]:
            return super()._import(obj)
        if not super()._import(obj):
            return False
        record = json.loads(obj.content)
        resource_id = self._data_resource(obj.package_id)
        columns = [tuple(c) for c in record["columns"]]
        items = download.sql_table(obj.source.url, config)
        context = dict(self._context(), ignore_auth=True)
        context.pop("return_id_only", None)
        try:
            now = [tuple(c) for c in next(items)]  # the columns, as the table has them now
            digest, count = datastore.load(context, resource_id, now, items, config["batch_size"])
        except Exception as err:
            model.Session.rollback()
            if isinstance(err, download.SourceError):
                message = err.text(tk._)
            elif isinstance(err, tk.ValidationError):
                message = mapping.error_summary(err.error_dict)
            else:
                message = repr(err)[:300]
            self._set_hash(obj, "")
            return self._object_error(
                obj, N_("Record {guid}: the data could not be loaded into the DataStore: {error}"),
                guid=obj.guid, error=message,
            )
        finally:
            items.close()  # ends the read-only transaction on the department database
        if now != columns:  # the columns changed after gather: the next run updates the entry's items
            self._set_hash(obj, "")
        elif digest != record["data_hash"]:  # the rows changed after gather: keep what was loaded
            record.update(data_hash=digest, rows=count)
            self._set_hash(obj, self._digest(record, config, cfg.mapping_fingerprint(config)))
        return True

    @staticmethod
    def _set_hash(obj, value: str) -> None:
        model.Session.query(HarvestObjectExtra).filter(
            HarvestObjectExtra.harvest_object_id == obj.id, HarvestObjectExtra.key == "hash"
        ).update({"value": value}, synchronize_session=False)
        model.Session.commit()


@tk.blanket.config_declarations
class LygWorkbookHarvester(LygHarvesterBase, HarvestTranslation):
    """``lyg_workbook``: a catalog workbook (.xlsx) or CSV in the national template
    (the catalog import/export format), at an http(s) URL or a server path."""

    p.implements(p.ITranslation)

    def info(self) -> dict[str, str]:
        return {
            "name": "lyg_workbook",
            "title": tk._("Catalog workbook or CSV (lyg_workbook)"),
            "description": tk._(
                "A catalog workbook (.xlsx) or CSV in the national template, the format of the "
                "catalog import, at a URL or a server path."
            ),
            "form_config_interface": "Text",
        }

    def parse_config(self, raw: str | None) -> dict[str, Any]:
        return cfg.parse_workbook_source(raw)

    def check_url(self, url: str) -> list[cfg.Problem]:
        return cfg.check_workbook_url(url, tk.config.get("ckanext.lyg_harvest.workbook_dirs") or [])

    def download(self, url: str, config: dict[str, Any]) -> Iterator[Any]:
        max_bytes = tk.config.get("ckanext.lyg_harvest.workbook_max_bytes")
        max_rows = tk.config.get("ckanext.lyg_harvest.workbook_max_rows")
        with workbook.fetch_file(url, config, max_bytes) as (path, kind):
            records, problems = workbook.read_records(path, kind, max_rows)
        for text in problems:
            yield download.RecordProblem(text)
        yield from records

    def record_id(self, record: Any, config: dict[str, Any]) -> Any:
        return workbook.record_id(record, config)

    def extract(self, record: Any, config: dict[str, Any]) -> dict[str, Any]:
        """What of a row makes its entry (the row number does not)."""
        return {
            "cells": record.get("cells") or {},
            "items": [{k: v for k, v in i.items() if k != "_row"} for i in record.get("items") or []],
        }

    def record_line(self, record: Any) -> int | None:
        return record.get("row") if isinstance(record, dict) else None

    def build_dataset(self, obj, record: Any, config: dict[str, Any]) -> dict[str, Any] | None:
        cache = self._job_cache(obj)
        if "fallback_org" not in cache:
            source_pkg = model.Package.get(obj.source.id)
            org = model.Group.get(source_pkg.owner_org) if source_pkg and source_pkg.owner_org else None
            cache["fallback_org"] = org.name if org is not None else None
        row = record.get("row") if isinstance(record, dict) else None
        try:
            data, problems = workbook.to_dataset(
                record, config["defaults"], cache["fallback_org"], cache.setdefault("org_cache", {})
            )
        except Exception as err:  # a cell of an unexpected type …
            self._object_error(
                obj, N_("Record {guid}: the mapping failed: {error}"), line=row, guid=obj.guid,
                error=repr(err)[:300],
            )
            return None
        if problems:
            self._object_error(
                obj, N_("Record {guid} (row {row}) breaks the catalog rules, not saved: {errors}"),
                line=row, guid=obj.guid, row=row, errors="; ".join(problems),
            )
            return None
        code = data.get("resource_code")
        if code and not obj.package_id:
            self._adopt(obj, code)
        return data

    @staticmethod
    def _adopt(obj, code: str) -> None:
        """A row that now carries the code its entry got (it was identified by its
        ``record_key`` before) is that entry: taken over when the key row is gone
        from this job's workbook (its withdrawal then leaves the entry alone)."""
        owner = codes.owner(code)
        if not owner:
            return
        previous = (
            model.Session.query(HarvestObject.guid)
            .filter(
                HarvestObject.harvest_source_id == obj.harvest_source_id,
                HarvestObject.package_id == owner,
                HarvestObject.current.is_(True),
            )
            .scalar()
        )
        if previous is None or not previous.startswith("key:"):
            return
        still_there = (
            model.Session.query(HarvestObject.id)
            .join(HarvestObjectExtra, HarvestObjectExtra.harvest_object_id == HarvestObject.id)
            .filter(
                HarvestObject.harvest_job_id == obj.harvest_job_id,
                HarvestObject.guid == previous,
                HarvestObjectExtra.key == "status",
                HarvestObjectExtra.value != "withdraw",
            )
            .first()
        )
        if still_there is None:
            obj.package_id = owner
