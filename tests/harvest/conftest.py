"""Fixtures of the harvest tests: real department systems on 127.0.0.1.

* ``api``: a threaded ``http.server`` serving real JSON files from a
  directory and a paged catalog API that reads ``records.json`` on every
  request (tests rewrite the file to change the source), plus routes that
  answer HTTP 500 and malformed JSON;
* ``dept_db``: a department database, PostgreSQL (``lyg_dept_pg_<pid>``) or MariaDB
  (``lyg_dept_my_<pid>``), one pair per test session, with a table of catalog rows;
* ``harvest``: creates a source and runs a job through ckanext-harvest's own
  stages (gather, fetch, import, ``harvest_jobs_run``) without queues.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from ckan import model
from ckan.tests.helpers import call_action
from ckanext.harvest.model import HarvestJob, HarvestObject
from ckanext.harvest.tests.lib import run_harvest_job

# The PostgreSQL department database lives on CKAN's own server (any machine
# that runs the suite has one); MariaDB is the one on 127.0.0.1:3306.
MY_ADMIN = os.environ.get("LYG_DEPT_MY_URL", "mysql+pymysql://root@127.0.0.1:3306/")
# One pair of department databases per test session (several suites may run at
# once on a machine), dropped when the session ends.
PG_DB, MY_DB = f"lyg_dept_pg_{os.getpid()}", f"lyg_dept_my_{os.getpid()}"


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    from ckanext.lyg import translations

    translations.compile_catalogs()


def record(n: int, **kw) -> dict:
    """A catalog record as a department's JSON API sends it."""
    data = {
        "id": f"gaj-{n:03d}",
        "name": f"连云港市户籍人口信息{n}",
        "desc": f"全市户籍人口登记信息，第{n}批。",
        "class": "1",
        "item": "01",
        "format": {"class": "电子表格", "type": "xlsx"},
        "items": [
            {"name": "姓名", "type": "字符型", "len": 50},
            {"name": "公民身份号码", "type": "C", "len": 18},
        ],
        "share": "有条件共享",
        "condition": "用于政务服务身份核验。",
        "open": "不予开放",
        "cycle": "每日",
        "tags": "人口,户籍",
    }
    data.update(kw)
    return data


JSON_CONFIG = {
    "records": "data.items",
    "record_id": "id",
    "paging": {"type": "page", "param": "page", "start": 1, "size_param": "size", "size": 2},
    "fields": {
        "title": "name",
        "notes": "desc",
        "catalog_class": "class",
        "catalog_item": "item",
        "format_class": "format.class",
        "format_type": "format.type",
        "info_items": "items[].{name: name, data_type: type, length: len}",
        "share_type": "share",
        "share_condition": "condition",
        "open_type": "open",
        "update_cycle": "cycle",
        "tags": "tags",
    },
    "defaults": {"share_mode_class": "共享平台方式", "share_mode_type": "文件"},
}


class _Handler(BaseHTTPRequestHandler):
    root: Path

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path == "/api/catalog":
            records = json.loads((self.root / "records.json").read_text("utf-8"))
            page, size = int(query.get("page", ["1"])[0]), int(query.get("size", ["100"])[0])
            chunk = records[(page - 1) * size : page * size]
            body = {"code": 0, "total": len(records), "data": {"items": chunk}}
            return self._send(200, json.dumps(body, ensure_ascii=False).encode("utf-8"))
        if url.path == "/api/offset":
            records = json.loads((self.root / "records.json").read_text("utf-8"))
            offset, limit = int(query.get("offset", ["0"])[0]), int(query.get("limit", ["100"])[0])
            return self._send(200, json.dumps(records[offset : offset + limit]).encode("utf-8"))
        if url.path == "/api/slow":
            time.sleep(float(query.get("delay", ["3"])[0]))
            return self._send(200, b'{"data": {"items": []}}')
        if url.path == "/api/error":
            return self._send(500, b'{"error": "internal"}')
        if url.path == "/api/malformed":
            return self._send(200, b'{"data": {"items": [{"id": "x", ')
        path = self.root / url.path.lstrip("/")
        if path.is_file() and self.root in path.resolve().parents:
            return self._send(200, path.read_bytes())
        return self._send(404, b'{"error": "not found"}')


class Api:
    def __init__(self, root: Path, server: ThreadingHTTPServer) -> None:
        self.root, self.server = root, server
        self.base = f"http://127.0.0.1:{server.server_address[1]}"
        self.running = True

    def stop(self) -> None:
        """The department's system goes down (nothing listens on the port any more)."""
        if self.running:
            self.running = False
            self.server.shutdown()
            self.server.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def publish(self, records: list[dict]) -> None:
        (self.root / "records.json").write_text(json.dumps(records, ensure_ascii=False), "utf-8")


@pytest.fixture
def api(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = type("Handler", (_Handler,), {"root": root.resolve()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served = Api(root.resolve(), server)
    served.publish([record(n) for n in (1, 2, 3)])
    yield served
    served.stop()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (connection refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


# --- department databases ------------------------------------------------------

ROWS = [
    {"entry_id": n, "title": f"连云港市不动产登记信息{n}", "summary": f"不动产登记簿数据，第{n}批。",
     "cls": "1", "item": "3", "fmt_type": "postgresql",
     "columns_json": json.dumps([{"name": "不动产单元号", "data_type": "C", "length": 28, "is_key": True}],
                                ensure_ascii=False),
     "cycle": "每月"}
    for n in (1, 2, 3)
]  # fmt: skip
SQL_CONFIG = {
    "table": "catalog_entries",
    "record_id": "entry_id",
    "columns": {
        "title": "title",
        "notes": "summary",
        "catalog_class": "cls",
        "catalog_item": "item",
        "format_type": "fmt_type",
        "info_items": "columns_json",
        "update_cycle": "cycle",
    },
    "defaults": {
        "format_class": "数据库",
        "share_type": "unconditional",
        "open_type": "none",
        "share_mode_class": "共享平台方式",
        "share_mode_type": "数据库",
    },
}


class DeptDB:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

    def reset(self, rows: list[dict]) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS catalog_entries"))
            conn.execute(
                sa.text(
                    "CREATE TABLE catalog_entries (entry_id INTEGER PRIMARY KEY, title VARCHAR(200),"
                    " summary TEXT, cls VARCHAR(2), item VARCHAR(4), fmt_type VARCHAR(40), columns_json TEXT,"
                    " cycle VARCHAR(10), updated_at DATE)"
                )
            )
            self.insert(rows, conn)

    def insert(self, rows: list[dict], conn=None) -> None:
        sql = sa.text(
            "INSERT INTO catalog_entries (entry_id, title, summary, cls, item, fmt_type, columns_json,"
            " cycle, updated_at) VALUES (:entry_id, :title, :summary, :cls, :item, :fmt_type,"
            " :columns_json, :cycle, '2026-01-01')"
        )
        if conn is None:
            with self.engine.begin() as conn:
                conn.execute(sql, rows)
        elif rows:
            conn.execute(sql, rows)

    def execute(self, statement: str, **params) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text(statement), params)


@pytest.fixture(scope="session")
def pg_dept():
    """The PostgreSQL department database, on CKAN's own server."""
    from ckan.plugins import toolkit as tk

    ckan_url = sa.engine.make_url(tk.config.get("sqlalchemy.url"))
    admin = sa.create_engine(
        ckan_url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{PG_DB}"'))
    db = DeptDB(ckan_url.set(database=PG_DB).render_as_string(hide_password=False))
    db.kind = "postgresql"
    yield db
    db.engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def my_dept():
    """The MariaDB department database (skipped when no MariaDB/MySQL answers)."""
    url = sa.engine.make_url(MY_ADMIN)
    try:
        socket.create_connection((url.host or "127.0.0.1", url.port or 3306), timeout=2).close()
    except OSError:
        pytest.skip(f"no MariaDB/MySQL answers at {url.host}:{url.port or 3306} (set LYG_DEPT_MY_URL)")
    admin = sa.create_engine(MY_ADMIN, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{MY_DB}`"))
        conn.execute(sa.text(f"CREATE DATABASE `{MY_DB}` CHARACTER SET utf8mb4"))
    db = DeptDB(MY_ADMIN + MY_DB + "?charset=utf8mb4")
    db.kind = "mariadb"
    yield db
    db.engine.dispose()
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{MY_DB}`"))
    admin.dispose()


@pytest.fixture(params=["postgresql", "mariadb"])
def dept_db(request) -> DeptDB:
    db = request.getfixturevalue("pg_dept" if request.param == "postgresql" else "my_dept")
    db.reset(ROWS)
    return db


# --- harvesting ----------------------------------------------------------------




class Harvest:
    def __init__(self, user: dict, org: dict) -> None:
        self.user, self.org = user, org

    def source(self, source_type: str, url: str, config: dict | str, name: str = "dept-src", **kw) -> dict:
        return call_action(
            "harvest_source_create",
            context={"user": self.user["name"]},
            name=name,
            title=name,
            url=url,
            source_type=source_type,
            owner_org=self.org["id"],
            config=config if isinstance(config, str) else json.dumps(config, ensure_ascii=False),
            **kw,
        )

    def run(self, source: dict) -> dict:
        """One job of ``source`` through gather, fetch, import and harvest_jobs_run."""
        from ckanext.harvest.queue import get_harvester

        job_dict = call_action(
            "harvest_job_create", context={"user": self.user["name"]}, source_id=source["id"], run=False
        )
        job = HarvestJob.get(job_dict["id"])
        run_harvest_job(job, get_harvester(source["source_type"]))
        model.Session.remove()
        job = HarvestJob.get(job_dict["id"])
        counts: dict[str, int] = {}
        errors = []
        for obj in model.Session.query(HarvestObject).filter_by(harvest_job_id=job.id):
            counts[obj.report_status] = counts.get(obj.report_status, 0) + 1
            errors.extend((obj.guid, e.stage, e.message) for e in obj.errors)
        return {
            "status": job.status,
            "counts": counts,
            "object_errors": errors,
            "gather_errors": [e.message for e in job.gather_errors],
        }


@pytest.fixture
def harvest(sysadmin, org) -> Harvest:
    return Harvest(sysadmin, org)


def entries(source_id: str | None = None, state: str = "active") -> dict[str, dict]:
    """The harvested entries by guid (of current harvest objects)."""
    query = (
        model.Session.query(HarvestObject.guid, model.Package.id)
        .join(model.Package, model.Package.id == HarvestObject.package_id)
        .filter(HarvestObject.current.is_(True), model.Package.state == state)
    )
    if source_id:
        query = query.filter(HarvestObject.harvest_source_id == source_id)
    return {guid: call_action("package_show", id=pid) for guid, pid in query}
