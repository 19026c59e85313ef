"""The source types: one ``IHarvester`` class each, on :class:`.base.LygHarvesterBase`.

Each class only says how its source is configured, read and mapped; the
reading is in :mod:`.download`, the mapping in :mod:`.mapping`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckanext.lyg_harvest import config as cfg
from ckanext.lyg_harvest import download, mapping
from ckanext.lyg_harvest.base import LygHarvesterBase
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

    def check_url(self, url: str) -> list[cfg.Problem]:
        return cfg.check_sql_url(url)

    def download(self, url: str, config: dict[str, Any]) -> Iterator[Any]:
        return download.sql_rows(url, config)

    def record_id(self, record: Any, config: dict[str, Any]) -> Any:
        return record.get(config["record_id"]) if isinstance(record, dict) else None

    def extract(self, record: Any, config: dict[str, Any]) -> dict[str, Any]:
        return mapping.extract_row(record, config["columns"])
