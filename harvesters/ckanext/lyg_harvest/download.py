"""Downloading records from department systems (no mapping, no CKAN).

:func:`json_records` walks a paged JSON REST API with ``requests``;
:func:`sql_rows` reads a table or a read-only query through SQLAlchemy
(PostgreSQL with psycopg2, MySQL/MariaDB with PyMySQL). Both yield plain
records and raise :class:`SourceError` — a msgid with parameters, translated
where it is shown — when the source cannot be read completely.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import requests
import sqlalchemy as sa
from ckanext.lyg_harvest import mapping
from ckanext.lyg_harvest.config import N_

USER_AGENT = "ckanext-lyg-harvest/0.1 (+Lianyungang government data catalog)"


class SourceError(Exception):
    """The source could not be read: ``message`` is a msgid with ``{params}``."""

    def __init__(self, message: str, **params: Any) -> None:
        self.message = message
        self.params = params
        super().__init__(message.format(**params))

    def text(self, translate=lambda s: s) -> str:
        return translate(self.message).format(**self.params)


class RecordProblem:
    """Yielded by a download among the records: a part of the source that could
    not be read (a row, a sheet) while the rest could; a gather error of the job."""

    def __init__(self, text: str) -> None:
        self.text = text


def http_get(url: str, timeout: int, *, params: dict | None = None, headers: dict | None = None,
             stream: bool = False, session: requests.Session | None = None) -> requests.Response:
    """GET with a timeout; a timeout, a refused connection, any other request
    failure or an answer other than 200 is a :class:`SourceError` (the
    message every source type shows)."""
    headers = {"User-Agent": USER_AGENT, **(headers or {})}
    try:
        response = (session or requests).get(url, params=params or None, headers=headers,
                                              timeout=timeout, stream=stream)
    except requests.exceptions.Timeout:
        raise SourceError(
            N_("The source did not answer within {timeout} s: {url}"), timeout=timeout, url=url
        ) from None
    except requests.exceptions.ConnectionError as err:
        raise SourceError(
            N_("Cannot connect to the source {url}: {error}"), url=url, error=type(err).__name__
        ) from None
    except requests.exceptions.RequestException as err:
        raise SourceError(N_("Request to {url} failed: {error}"), url=url, error=str(err)[:300]) from None
    if response.status_code != 200:
        response.close()
        raise SourceError(
            N_("The source answered HTTP {status} for {url}"), status=response.status_code, url=response.url
        )
    return response


def _get_json(session: requests.Session, url: str, params: dict, headers: dict, timeout: int) -> Any:
    response = http_get(url, timeout, params=params, headers=headers, session=session)
    try:
        return response.json()
    except ValueError as err:
        raise SourceError(
            N_("The source sent malformed JSON ({url}): {error}"), url=response.url, error=str(err)[:200]
        ) from None


def json_records(url: str, config: dict[str, Any], session: requests.Session | None = None) -> Iterator[Any]:
    """Every record of a JSON API, page after page, as the API sends them."""
    session = session or requests.Session()
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **config.get("headers", {})}
    paging = config["paging"]
    params = dict(config.get("params", {}))
    position = paging.get("start", 0)
    for n in range(config["max_pages"]):
        if paging["type"] != "none":
            params[paging["param"]] = position
            if paging.get("size_param"):
                params[paging["size_param"]] = paging["size"]
        page = _get_json(session, url, params, headers, config["timeout"])
        records = mapping.search(config["records"], page)
        if records is None:
            records = []
        if not isinstance(records, list):
            raise SourceError(
                N_("The records expression {expr} does not give a list on page {page}"),
                expr=config["records"],
                page=n + 1,
            )
        yield from records
        if paging["type"] == "none" or len(records) < paging["size"] or not records:
            return
        position += 1 if paging["type"] == "page" else len(records)
    raise SourceError(
        N_("More than {count} pages: raise max_pages or check the paging"), count=config["max_pages"]
    )


# Column types of a department database → the kinds a DataStore field and an
# info item are made from (PostgreSQL type OIDs; MySQL/MariaDB field type codes).
COLUMN_KINDS = ("int", "numeric", "float", "bool", "date", "timestamp", "json", "text")
PG_KINDS = {
    16: "bool", 20: "int", 21: "int", 23: "int", 26: "int", 700: "float", 701: "float", 1700: "numeric",
    1082: "date", 1114: "timestamp", 1184: "timestamp", 114: "json", 3802: "json",
}  # fmt: skip
MYSQL_KINDS = {
    0: "numeric", 246: "numeric", 1: "int", 2: "int", 3: "int", 8: "int", 9: "int", 13: "int", 4: "float",
    5: "float", 10: "date", 7: "timestamp", 12: "timestamp", 245: "json",
}  # fmt: skip


def column_kind(backend: str, type_code: Any) -> str:
    table = PG_KINDS if backend == "postgresql" else MYSQL_KINDS
    return table.get(type_code, "text") if isinstance(type_code, int) else "text"


def engine_for(url: str, timeout: int, password: str | None = None) -> sa.Engine:
    """An engine for a department database, with connect and statement timeouts."""
    args: dict[str, Any] = {}
    parsed = sa.engine.make_url(url)
    if password is not None:
        parsed = parsed.set(password=password)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        args = {"connect_timeout": timeout, "options": f"-c statement_timeout={timeout * 1000}"}
    elif backend in ("mysql", "mariadb"):
        args = {"connect_timeout": timeout, "read_timeout": timeout, "charset": "utf8mb4"}
    return sa.create_engine(parsed, connect_args=args, poolclass=sa.pool.NullPool)


def _statement(config: dict[str, Any]) -> sa.TextClause | sa.Select:
    if config.get("table"):
        schema, _, name = config["table"].rpartition(".")
        return sa.select(sa.text("*")).select_from(sa.table(name, schema=schema or None))
    return sa.text(config["query"])


def sql_rows(url: str, config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every row of the configured table or query, in a read-only transaction."""
    for item in sql_table(url, config):
        if isinstance(item, dict):
            yield item


def sql_table(url: str, config: dict[str, Any]) -> Iterator[Any]:
    """The columns of the table or query first — a list of ``(name, kind)``, kind
    one of :data:`COLUMN_KINDS` — then every row, in a read-only transaction."""
    password = None
    if config.get("password_env"):
        password = os.environ.get(config["password_env"])
        if password is None:
            raise SourceError(
                N_("The environment variable {name} (password_env) is not set for the harvest workers"),
                name=config["password_env"],
            )
    try:
        engine = engine_for(url, config["timeout"], password)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as err:
        raise SourceError(N_("Not a usable database URL: {error}"), error=str(err)[:200]) from None
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            result = conn.execution_options(stream_results=True).execute(_statement(config))
            backend = engine.dialect.name
            yield [(d[0], column_kind(backend, d[1])) for d in result.cursor.description]
            for row in result.mappings():
                yield mapping.plain_record(row)
            conn.rollback()
    except sa.exc.OperationalError as err:
        raise SourceError(
            N_("Cannot read the department database: {error}"),
            error=str(err.orig).strip().splitlines()[0][:300],
        ) from None
    except sa.exc.DBAPIError as err:
        raise SourceError(
            N_("The department database refused the query: {error}"),
            error=str(err.orig).strip().splitlines()[0][:300],
        ) from None
    finally:
        engine.dispose()
