"""Source configuration of the lyg harvesters: parsing and validation, pure.

A harvest source's ``config`` is a JSON object. Its keys must not be dataset
keys (``id``, ``name``, ``title``, ``url`` …): ckanext-harvest shows the
config's keys on the source dataset itself. :func:`parse_json_source` and
:func:`parse_sql_source` return it normalised (defaults filled in) or raise
:class:`ConfigError` listing every mistake as a :class:`Problem` — the key it
concerns and an English msgid of the ``ckanext-lyg_harvest`` domain, which the
harvester translates (``tk._``) where it is shown. No CKAN, no database.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

# The fields a source may give defaults for (catalog.md keys). ``share_review``
# is not among them: only the data authority confirms a not-shared entry.
DEFAULT_KEYS = (
    "owner_org", "catalog_class", "catalog_item", "catalog_sub", "catalog_detail",
    "format_class", "format_type", "share_type", "share_condition", "share_basis",
    "share_mode_class", "share_mode_type", "open_type", "open_condition", "update_cycle",
    "data_level", "area_scope", "source_system", "notes",
)  # fmt: skip
# The dataset fields a record may be mapped into.
FIELD_KEYS = DEFAULT_KEYS + (
    "title", "name", "tags", "info_items", "resources", "url", "issued", "temporal_start",
    "temporal_end", "spatial", "record_count", "storage_size", "related_codes", "provider_code",
    "resource_code",
)  # fmt: skip
REQUIRED_DEFAULTS = ("share_type", "open_type", "update_cycle")
SHARE_TYPES = ("unconditional", "conditional", "none")
UPDATE_CYCLES = ("实时", "每日", "每周", "每月", "每季度", "每半年", "每年", "不定期")
PAGING_TYPES = ("none", "page", "offset")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
MAX_TIMEOUT = 300


def N_(message: str) -> str:
    """Mark a message for extraction; translated where it is shown."""
    return message


@dataclass(frozen=True)
class Problem:
    key: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, translate=lambda s: s) -> str:
        return f"{self.key}: " + translate(self.message).format(**self.params)


class ConfigError(ValueError):
    """The source configuration has mistakes (one :class:`Problem` each)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.text() for p in problems))

    def text(self, translate=lambda s: s) -> str:
        return "; ".join(p.text(translate) for p in self.problems)


def _load(raw: str | dict | None) -> dict[str, Any]:
    if isinstance(raw, dict):
        return dict(raw)
    if raw is None or not str(raw).strip():
        raise ConfigError([Problem("config", N_("The configuration is empty: give a JSON object"))])
    try:
        data = json.loads(raw)
    except ValueError as err:
        raise ConfigError(
            [
                Problem(
                    "config",
                    N_("Not valid JSON (line {line}, column {col})"),
                    {"line": err.lineno, "col": err.colno},
                )
            ]
        ) from None
    if not isinstance(data, dict):
        raise ConfigError([Problem("config", N_("The configuration must be a JSON object"))])
    return data


def _int(data: dict, key: str, default: int, low: int, high: int, out: list[Problem]) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        out.append(
            Problem(key, N_("Must be a whole number from {low} to {high}"), {"low": low, "high": high})
        )
        return default
    return value


def _defaults(data: dict, out: list[Problem]) -> dict[str, str]:
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        out.append(Problem("defaults", N_("Must be an object of field: value")))
        return {}
    clean: dict[str, str] = {}
    for key, value in defaults.items():
        if key not in DEFAULT_KEYS:
            out.append(
                Problem(
                    f"defaults.{key}",
                    N_("Unknown field: use one of {keys}"),
                    {"keys": ", ".join(DEFAULT_KEYS)},
                )
            )
        elif not isinstance(value, str | int) or isinstance(value, bool):
            out.append(Problem(f"defaults.{key}", N_("Must be text")))
        else:
            clean[key] = str(value).strip()
    for key in ("share_type", "open_type"):
        if key in clean and clean[key] not in SHARE_TYPES:
            out.append(
                Problem(f"defaults.{key}", N_("Must be one of {values}"), {"values": ", ".join(SHARE_TYPES)})
            )
    if "update_cycle" in clean and clean["update_cycle"] not in UPDATE_CYCLES:
        out.append(
            Problem(
                "defaults.update_cycle", N_("Must be one of {values}"), {"values": ", ".join(UPDATE_CYCLES)}
            )
        )
    return clean


def _mapping(data: dict, key: str, out: list[Problem], check) -> dict[str, str]:
    """``fields``/``columns``: dataset key → source expression."""
    mapping = data.get(key)
    if not isinstance(mapping, dict) or not mapping:
        out.append(Problem(key, N_("Required: an object of dataset field: source expression")))
        return {}
    clean = {}
    for target, expr in mapping.items():
        if target not in FIELD_KEYS:
            out.append(
                Problem(
                    f"{key}.{target}",
                    N_("Unknown dataset field: use one of {keys}"),
                    {"keys": ", ".join(FIELD_KEYS)},
                )
            )
        elif not isinstance(expr, str) or not expr.strip():
            out.append(Problem(f"{key}.{target}", N_("Must be a non-empty text")))
        else:
            problem = check(f"{key}.{target}", expr.strip())
            if problem:
                out.append(problem)
            else:
                clean[target] = expr.strip()
    return clean


def _check_jmespath(key: str, expr: str) -> Problem | None:
    try:
        jmespath.compile(expr)
    except JMESPathError as err:
        return Problem(
            key, N_("Not a valid jmespath expression: {error}"), {"error": str(err).splitlines()[0]}
        )
    return None


def _check_column(key: str, expr: str) -> Problem | None:
    if not re.fullmatch(r"[^\s\"'`;]{1,128}", expr):
        return Problem(key, N_("Not a column name"))
    return None


def _common(data: dict, out: list[Problem], allowed: set[str]) -> dict[str, Any]:
    for key in data:
        if key not in allowed:
            out.append(
                Problem(key, N_("Unknown option: use one of {keys}"), {"keys": ", ".join(sorted(allowed))})
            )
    withdraw = data.get("withdraw", "delete")
    if withdraw not in ("delete", "keep"):
        out.append(Problem("withdraw", N_("Must be one of {values}"), {"values": "delete, keep"}))
    return {"defaults": _defaults(data, out), "withdraw": withdraw}


JSON_OPTIONS = {
    "records",
    "record_id",
    "fields",
    "defaults",
    "paging",
    "timeout",
    "max_pages",
    "headers",
    "params",
    "withdraw",
}
SQL_OPTIONS = {
    "table", "query", "record_id", "columns", "defaults", "timeout", "withdraw", "password_env", "load_data",
    "entry", "batch_size",
}  # fmt: skip
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")


def parse_json_source(raw: str | dict | None) -> dict[str, Any]:
    """The configuration of a ``lyg_json`` source::

    {"records": "data.items",              # jmespath to a page's records (default: the page)
     "record_id": "id",                    # jmespath to a record's identity (required)
     "fields": {"title": "name", ...},     # dataset field → jmespath (required)
     "defaults": {"share_type": "conditional", ...},
     "paging": {"type": "page", "param": "page", "start": 1,
                "size_param": "size", "size": 100},   # or type offset / none
     "timeout": 30, "max_pages": 1000, "headers": {}, "params": {},
     "withdraw": "delete"}                 # or keep: records gone from the source stay
    """
    data = _load(raw)
    out: list[Problem] = []
    config = _common(data, out, JSON_OPTIONS)
    for key, default in (("records", "@"), ("record_id", None)):
        expr = data.get(key, default)
        if expr is None:
            out.append(Problem(key, N_("Required: a jmespath expression")))
        elif not isinstance(expr, str) or not expr.strip():
            out.append(Problem(key, N_("Must be a non-empty text")))
        else:
            problem = _check_jmespath(key, expr)
            if problem:
                out.append(problem)
            config[key] = expr.strip()
    config["fields"] = _mapping(data, "fields", out, _check_jmespath)
    config["timeout"] = _int(data, "timeout", 30, 1, MAX_TIMEOUT, out)
    config["max_pages"] = _int(data, "max_pages", 1000, 1, 100000, out)
    for key in ("headers", "params"):
        value = data.get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, str | int) for v in value.values()):
            out.append(Problem(key, N_("Must be an object of name: text")))
            value = {}
        config[key] = {str(k): str(v) for k, v in value.items()}
    config["paging"] = _paging(data.get("paging", {"type": "none"}), out)
    if out:
        raise ConfigError(out)
    return config


def _paging(paging: Any, out: list[Problem]) -> dict[str, Any]:
    if not isinstance(paging, dict):
        out.append(
            Problem(
                "paging", N_("Must be an object with a type: {values}"), {"values": ", ".join(PAGING_TYPES)}
            )
        )
        return {"type": "none"}
    kind = paging.get("type", "none")
    if kind not in PAGING_TYPES:
        out.append(Problem("paging.type", N_("Must be one of {values}"), {"values": ", ".join(PAGING_TYPES)}))
        return {"type": "none"}
    if kind == "none":
        return {"type": "none"}
    clean: dict[str, Any] = {"type": kind}
    default_param = "page" if kind == "page" else "offset"
    for key, default in (("param", default_param), ("size_param", None)):
        value = paging.get(key, default)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            out.append(Problem(f"paging.{key}", N_("Must be a non-empty text")))
        clean[key] = value
    clean["size"] = _int(paging, "size", 100, 1, 10000, [])
    if "size" in paging and clean["size"] != paging["size"]:
        out.append(
            Problem(
                "paging.size", N_("Must be a whole number from {low} to {high}"), {"low": 1, "high": 10000}
            )
        )
    start_default = 1 if kind == "page" else 0
    clean["start"] = paging.get("start", start_default)
    if isinstance(clean["start"], bool) or not isinstance(clean["start"], int) or clean["start"] < 0:
        out.append(
            Problem(
                "paging.start", N_("Must be a whole number from {low} to {high}"), {"low": 0, "high": 2**31}
            )
        )
    for key in paging:
        if key not in ("type", "param", "size_param", "size", "start"):
            out.append(
                Problem(
                    f"paging.{key}",
                    N_("Unknown option: use one of {keys}"),
                    {"keys": "type, param, size_param, size, start"},
                )
            )
    return clean


READ_ONLY_QUERY = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)


def parse_sql_source(raw: str | dict | None) -> dict[str, Any]:
    """The configuration of a ``lyg_sql`` source (the source URL is the
    SQLAlchemy URL of the department database)::

        {"table": "catalog_entries",          # or "query": "SELECT ... " (read-only)
         "record_id": "entry_id",             # the column of a row's identity (required)
         "columns": {"title": "name", ...},   # dataset field → column (required)
         "defaults": {...}, "timeout": 60, "withdraw": "delete",
         "password_env": "LYG_DEPT_GAJ_DB_PASSWORD"}   # the password, from the workers' environment

    The source URL is shown on the source page, so it carries no password:
    ``password_env`` names the environment variable of the harvest workers
    that holds it.

    With ``"load_data": true`` the table or query is the *data* of one entry:
    its rows are loaded into the DataStore as the entry's data resource (in
    batches of ``batch_size``; a changed source replaces them), the entry's
    fields come from ``entry`` (dataset field → value) and the defaults, and
    its info items from the columns (names and types)::

        {"table": "air_quality_daily", "load_data": true,
         "entry": {"title": "连云港市空气质量日报", "notes": "...", "catalog_class": "2",
                   "catalog_item": "11"},
         "defaults": {...}, "batch_size": 1000}
    """
    data = _load(raw)
    out: list[Problem] = []
    config = _common(data, out, SQL_OPTIONS)
    table, query = data.get("table"), data.get("query")
    if (table is None) == (query is None):
        out.append(Problem("table", N_("Give either a table or a query, not both")))
    elif table is not None:
        if not isinstance(table, str) or not IDENTIFIER.match(table.strip()):
            out.append(Problem("table", N_("Not a table name (letters, digits, _; optionally schema.table)")))
        else:
            config["table"] = table.strip()
    else:
        text = query.strip().rstrip(";").strip() if isinstance(query, str) else ""
        if not READ_ONLY_QUERY.match(text) or ";" in text:
            out.append(Problem("query", N_("Must be a single SELECT (or WITH … SELECT) statement")))
        else:
            config["query"] = text
    load_data = data.get("load_data", False)
    if not isinstance(load_data, bool):
        out.append(Problem("load_data", N_("Must be true or false")))
        load_data = False
    config["load_data"] = load_data
    config["batch_size"] = _int(data, "batch_size", 1000, 1, 50000, out)
    if load_data:
        config["entry"] = _entry(data.get("entry"), out)
        for key in ("record_id", "columns"):
            if key in data:
                out.append(Problem(key, N_("Not used with load_data: the table is one entry's data")))
        config["record_id"], config["columns"] = None, {}
    else:
        if "entry" in data:
            out.append(Problem("entry", N_("Only with load_data: true")))
        ident = data.get("record_id")
        if not isinstance(ident, str) or not ident.strip():
            out.append(Problem("record_id", N_("Required: the column that identifies a row")))
        else:
            problem = _check_column("record_id", ident.strip())
            if problem:
                out.append(problem)
            config["record_id"] = ident.strip()
        config["columns"] = _mapping(data, "columns", out, _check_column)
    config["timeout"] = _int(data, "timeout", 60, 1, MAX_TIMEOUT, out)
    password_env = data.get("password_env")
    if password_env is not None and (not isinstance(password_env, str) or not ENV_NAME.match(password_env)):
        out.append(Problem("password_env", N_("Must be the name of an environment variable (A-Z, 0-9, _)")))
    config["password_env"] = password_env
    if out:
        raise ConfigError(out)
    return config


WORKBOOK_OPTIONS = {"format", "record_key", "defaults", "timeout", "withdraw"}
WORKBOOK_FORMATS = ("auto", "xlsx", "csv")
# Headers (or API keys) a row's identity may be built of when it has no 信息资源代码.
WORKBOOK_KEY_COLUMNS = {
    "信息资源提供方": "owner_org", "提供方代码": "provider_code", "信息资源名称": "title",
    "网址名称": "name", "所属信息系统": "source_system",
    "owner_org": "owner_org", "provider_code": "provider_code", "title": "title", "name": "name",
    "source_system": "source_system",
}  # fmt: skip


def parse_workbook_source(raw: str | dict | None) -> dict[str, Any]:
    """The configuration of a ``lyg_workbook`` source (the source URL is an
    http(s) URL or a server path under ``ckanext.lyg_harvest.workbook_dirs``)::

        {"format": "auto",                     # or xlsx / csv (auto: by name and content)
         "record_key": ["信息资源提供方", "信息资源名称"],   # identity of a row without a code
         "defaults": {"share_type": "conditional", ...},
         "timeout": 60, "withdraw": "delete"}

    A row is identified by its 信息资源代码; a row without one by the columns of
    ``record_key`` (by default the department and the title).
    An empty configuration (``{}``) is valid: the workbook carries every field.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raw = "{}"
    data = _load(raw)
    out: list[Problem] = []
    config = _common(data, out, WORKBOOK_OPTIONS)
    kind = data.get("format", "auto")
    if kind not in WORKBOOK_FORMATS:
        out.append(Problem("format", N_("Must be one of {values}"), {"values": ", ".join(WORKBOOK_FORMATS)}))
        kind = "auto"
    config["format"] = kind
    key = data.get("record_key", ["信息资源提供方", "信息资源名称"])
    if isinstance(key, str):
        key = [key]
    if (
        not isinstance(key, list)
        or not key
        or not all(isinstance(k, str) and k.strip() in WORKBOOK_KEY_COLUMNS for k in key)
    ):
        out.append(
            Problem(
                "record_key",
                N_("Must be a list of columns from {keys}"),
                {"keys": ", ".join(k for k in WORKBOOK_KEY_COLUMNS if not k.isascii())},
            )
        )
        key = ["信息资源提供方", "信息资源名称"]
    config["record_key"] = list(dict.fromkeys(WORKBOOK_KEY_COLUMNS[k.strip()] for k in key))
    config["timeout"] = _int(data, "timeout", 60, 1, MAX_TIMEOUT, out)
    if out:
        raise ConfigError(out)
    return config


def check_workbook_url(url: str, allowed_dirs: list[str]) -> list[Problem]:
    """An http(s) URL, or a server path inside one of ``allowed_dirs``."""
    import os.path

    url = (url or "").strip()
    if re.match(r"^https?://[^\s/]+", url):
        return []
    path = url[len("file://") :] if url.startswith("file://") else url
    if not path.startswith("/"):
        return [Problem("url", N_("Must be an http:// or https:// address or an absolute server path"))]
    if not allowed_dirs:
        return [
            Problem(
                "url",
                N_(
                    "Server paths are not allowed on this site: give an http(s) address, or ask the "
                    "administrator to list the directory in ckanext.lyg_harvest.workbook_dirs"
                ),
            )
        ]
    real = os.path.realpath(path)
    for folder in allowed_dirs:
        root = os.path.realpath(folder)
        if real == root or real.startswith(root.rstrip("/") + "/"):
            return []
    return [
        Problem(
            "url",
            N_("The path is outside the directories harvesting may read: {dirs}"),
            {"dirs": ", ".join(allowed_dirs)},
        )
    ]


def _entry(entry: Any, out: list[Problem]) -> dict[str, Any]:
    """``entry`` of a ``load_data`` source: the one entry's fields (a title at least)."""
    if not isinstance(entry, dict):
        out.append(Problem("entry", N_("Required with load_data: an object of dataset field: value")))
        return {}
    clean: dict[str, Any] = {}
    for key, value in entry.items():
        if key not in FIELD_KEYS or key == "share_review":
            out.append(
                Problem(
                    f"entry.{key}",
                    N_("Unknown dataset field: use one of {keys}"),
                    {"keys": ", ".join(FIELD_KEYS)},
                )
            )
        elif isinstance(value, bool) or not isinstance(value, str | int | float | list | dict):
            out.append(Problem(f"entry.{key}", N_("Must be text")))
        else:
            clean[key] = value
    if not str(clean.get("title") or "").strip():
        out.append(Problem("entry.title", N_("Required: the title of the entry")))
    return clean


SQL_URL = re.compile(r"^(postgresql|postgres|mysql|mariadb)(\+\w+)?://", re.IGNORECASE)


def check_sql_url(url: str) -> list[Problem]:
    """The source URL of a ``lyg_sql`` source: PostgreSQL or MySQL/MariaDB."""
    if not SQL_URL.match(url or ""):
        return [
            Problem(
                "url",
                N_("Must be a database URL: postgresql://user@host/db or mysql+pymysql://user@host/db"),
            )
        ]
    if re.match(r"^[^:/]+://[^/@]*:[^/@]*@", url):
        return [
            Problem(
                "url",
                N_(
                    "The URL is shown on the source page: remove the password and name the environment "
                    "variable that holds it in password_env"
                ),
            )
        ]
    return []


def check_http_url(url: str) -> list[Problem]:
    if not re.match(r"^https?://[^\s/]+", url or ""):
        return [Problem("url", N_("Must be an http:// or https:// address"))]
    return []


def data_record_id(config: dict[str, Any]) -> str:
    """The identity of a ``load_data`` source's one record: its table or query."""
    import hashlib

    if config.get("table"):
        return "table:" + config["table"]
    return "query:" + hashlib.sha1(config["query"].encode("utf-8")).hexdigest()[:16]


def mapping_fingerprint(config: dict[str, Any]) -> str:
    """What of the configuration changes the datasets (part of each record's hash)."""
    keep = {k: config.get(k) for k in ("fields", "columns", "defaults")}
    if config.get("entry"):
        keep["entry"] = config["entry"]
    return json.dumps(keep, sort_keys=True, ensure_ascii=False)
