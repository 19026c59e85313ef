"""Demo harvest sources for ``make run``: department systems it serves itself.

So that a new user sees harvesting work, ``make run`` sets up three kinds of
department systems on this machine and a harvest source for each:

* a catalog workbook (``catalog.xlsx``, national template) of 市交通运输局 and a
  paged JSON API of 市卫生健康委, both served by ``demo-server`` (a honcho
  process; files written to ``<var>/demo/``, the API pages ``records.json``);
* a "department database" of 市生态环境局: the database ``<db>_dept_demo`` on
  the same PostgreSQL (created and filled here, so it works with the embedded
  server too), with a catalog table (one entry a row, ``lyg_sql``) and a table
  of daily air quality readings loaded into the DataStore as one entry's data
  (``lyg_sql`` with ``load_data``).

:func:`prepare` writes the files and the database (idempotent);
``python -m ckanext.lyg_dev demo-sources`` (run by :func:`create_sources`)
creates the sources through CKAN's actions when they are missing, with a
daily frequency, and queues one job for each at every start (the gather and
fetch consumers then run them; an unchanged source reports "not modified").
The department database's password is not in the source URL: the workers
read it from ``LYG_DEMO_DEPT_PASSWORD`` (``password_env``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse, urlsplit, urlunsplit

from .util import info, warn

PASSWORD_ENV = "LYG_DEMO_DEPT_PASSWORD"
DEFAULT_PORT = 5009
STATIONS = ["墟沟", "新浦", "海州", "赣榆", "东海", "灌云", "灌南", "连云"]

WORKBOOK_ROWS = [
    ("连云港市公交线路信息", "全市公交线路、站点及首末班时间。", "01", "每月", "公交；线路"),
    ("连云港市出租汽车经营许可信息", "出租汽车经营者及车辆许可信息。", "01", "每月", "出租车；许可"),
    ("连云港市道路运输从业人员信息", "道路运输从业人员资格证信息。", "01", "每季度", "道路运输；从业资格"),
    ("连云港市港口货物吞吐量统计", "连云港港分货类吞吐量月度统计。", "01", "每月", "港口；吞吐量"),
    ("连云港市公共自行车站点信息", "公共自行车站点位置及车位数。", "01", "每周", "自行车；站点"),
]  # fmt: skip
API_RECORDS = [
    ("wjw-001", "连云港市医疗机构名录", "全市医疗机构名称、等级、地址。", "每月"),
    ("wjw-002", "连云港市预防接种门诊信息", "预防接种门诊地址及服务时间。", "每季度"),
    ("wjw-003", "连云港市执业医师注册信息", "执业医师注册及执业范围信息。", "每月"),
    ("wjw-004", "连云港市献血点信息", "固定献血点及流动采血车位置。", "每周"),
    ("wjw-005", "连云港市120急救站点信息", "院前急救站点分布。", "每年"),
    ("wjw-006", "连云港市卫生监督检查结果", "公共场所卫生监督检查结果公示。", "每月"),
]  # fmt: skip
DB_ROWS = [
    (1, "连云港市重点排污单位名录", "重点排污单位名称、行业及排放类别。", "每年"),
    (2, "连云港市环境影响评价审批信息", "建设项目环评审批结果。", "每月"),
    (3, "连云港市地表水水质监测信息", "国省考断面水质月报。", "每月"),
    (4, "连云港市排污许可证信息", "排污许可证核发及变更信息。", "每月"),
]  # fmt: skip

JSON_CONFIG = {
    "records": "data.items",
    "record_id": "id",
    "paging": {"type": "page", "param": "page", "start": 1, "size_param": "size", "size": 4},
    "fields": {"title": "name", "notes": "summary", "update_cycle": "cycle", "tags": "keywords",
               "info_items": "fields[].{name: name, data_type: type, length: len}"},
    "defaults": {"catalog_class": "2", "catalog_item": "02", "format_class": "服务接口",
                 "format_type": "REST", "share_type": "unconditional", "open_type": "unconditional",
                 "share_mode_class": "共享平台方式", "share_mode_type": "接口"},
}  # fmt: skip
SQL_CONFIG = {
    "table": "catalog_entries",
    "record_id": "entry_id",
    "columns": {"title": "title", "notes": "summary", "update_cycle": "cycle", "info_items": "columns_json"},
    "defaults": {"catalog_class": "2", "catalog_item": "11", "format_class": "数据库",
                 "format_type": "postgresql", "share_type": "conditional",
                 "share_condition": "用于生态环境监管和政务服务。", "open_type": "none",
                 "share_mode_class": "共享平台方式", "share_mode_type": "数据库"},
    "password_env": PASSWORD_ENV,
}  # fmt: skip
AIR_CONFIG = {
    "table": "air_quality_daily",
    "load_data": True,
    "entry": {"title": "连云港市空气质量日报", "notes": "全市各监测站点每日空气质量指数（AQI）和PM2.5浓度。",
              "catalog_class": "2", "catalog_item": "11", "tags": "空气质量；AQI"},
    "defaults": {"share_type": "unconditional", "open_type": "unconditional", "update_cycle": "每日",
                 "share_mode_class": "共享平台方式", "share_mode_type": "数据库"},
    "password_env": PASSWORD_ENV,
}  # fmt: skip


def demo_port() -> int:
    return int(os.environ.get("LYG_DEMO_PORT", DEFAULT_PORT))


# --- files -------------------------------------------------------------------


def write_files(folder: Path) -> None:
    """The workbook of 市交通运输局 and the API records of 市卫生健康委."""
    from ckanext.lyg.catalog.exchange import COLUMNS, ENTRIES_SHEET, ITEM_COLUMNS, ITEMS_SHEET
    from openpyxl import Workbook

    folder.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    entries = book.active
    entries.title = ENTRIES_SHEET
    headers = [h for _k, h, _v in COLUMNS]
    entries.append(headers)
    items = book.create_sheet(ITEMS_SHEET)
    items.append([h for _k, h in ITEM_COLUMNS])
    for title, notes, item, cycle, keywords in WORKBOOK_ROWS:
        row = {"信息资源名称": title, "信息资源摘要": notes, "信息资源提供方": "连云港市交通运输局",
               "类": "2", "项": item, "信息资源格式分类": "电子表格", "信息资源格式类型": "xlsx",
               "共享类型": "无条件共享", "共享方式分类": "共享平台方式", "共享方式类型": "文件",
               "开放属性": "无条件开放", "更新周期": cycle, "关键词": keywords}  # fmt: skip
        entries.append([row.get(h, "") for h in headers])
        items.append([title, 1, "名称", "字符型", 100, "", "是", "否"])
        items.append([title, 2, "更新日期", "日期型", "", "", "否", "否"])
    book.save(folder / "catalog.xlsx")
    records = [
        {"id": ident, "name": name, "summary": summary, "cycle": cycle, "keywords": "卫生健康",
         "fields": [{"name": "机构名称", "type": "字符型", "len": 100},
                    {"name": "地址", "type": "C", "len": 200}]}
        for ident, name, summary, cycle in API_RECORDS
    ]  # fmt: skip
    (folder / "records.json").write_text(json.dumps(records, ensure_ascii=False, indent=1), "utf-8")


# --- the department database ---------------------------------------------------


def dept_db_name(main_url: str) -> str:
    return urlsplit(main_url).path.lstrip("/") + "_dept_demo"


def _with_db(url: str, db: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + db, parts.query, ""))


def ensure_dept_db(main_url: str, admin_url: str) -> str | None:
    """Create and fill ``<db>_dept_demo``; returns its URL (with password) or
    None when it cannot be created (a database user without CREATEDB)."""
    import psycopg2

    name = dept_db_name(main_url)
    owner = urlsplit(main_url).username
    try:
        conn = psycopg2.connect(admin_url or main_url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if not cur.fetchone():
                owner_sql = f' OWNER "{owner}"' if admin_url and owner else ""
                cur.execute(f"CREATE DATABASE \"{name}\"{owner_sql} ENCODING 'UTF8' TEMPLATE template0")
                info(f"created the demo department database {name}")
        conn.close()
    except psycopg2.Error as err:
        warn(f"no demo department database ({str(err).strip().splitlines()[0]}): its sources are skipped")
        return None
    url = _with_db(main_url, name)
    columns = json.dumps([{"name": "单位名称", "data_type": "C", "length": 200, "is_key": True},
                          {"name": "统一社会信用代码", "data_type": "C", "length": 18}], ensure_ascii=False)
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS catalog_entries (entry_id INTEGER PRIMARY KEY, title TEXT,"
            " summary TEXT, cycle TEXT, columns_json TEXT)"
        )
        for entry_id, title, summary, cycle in DB_ROWS:
            cur.execute(
                "INSERT INTO catalog_entries VALUES (%s, %s, %s, %s, %s) ON CONFLICT (entry_id) DO NOTHING",
                (entry_id, title, summary, cycle, columns),
            )
        cur.execute(
            "CREATE TABLE IF NOT EXISTS air_quality_daily (station TEXT, day DATE, aqi INTEGER,"
            " pm25 NUMERIC(6,1), PRIMARY KEY (station, day))"
        )
        start = dt.date(2026, 11, 1)
        for n in range(14):
            day = start + dt.timedelta(days=n)
            for k, station in enumerate(STATIONS):
                aqi = 35 + (n * 7 + k * 11) % 80
                cur.execute(
                    "INSERT INTO air_quality_daily VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (station, day, aqi, round(aqi * 0.62, 1)),
                )
    conn.close()
    return url


def prepare(var: Path, main_url: str, admin_url: str) -> dict[str, str]:
    """Files and database of the demo systems; returns what ``demo-sources`` needs."""
    write_files(var / "demo")
    dept = ensure_dept_db(main_url, admin_url)
    out = {"base": f"http://127.0.0.1:{demo_port()}"}
    if dept:
        parts = urlsplit(dept)
        out["dept_url"] = urlunsplit(
            (parts.scheme, f"{parts.username}@{parts.hostname}:{parts.port or 5432}", parts.path, "", "")
        )
        out["dept_password"] = parts.password or ""
    return out


# --- the sources ---------------------------------------------------------------


def sources(base: str, dept_url: str | None) -> list[dict]:
    found = [
        {"name": "demo-jtysj-workbook", "title": "市交通运输局 目录工作簿（演示）",
         "source_type": "lyg_workbook", "url": f"{base}/catalog.xlsx", "owner_org": "lyg-jtysj",
         "config": {}},
        {"name": "demo-wjw-api", "title": "市卫生健康委 目录接口（演示）", "source_type": "lyg_json",
         "url": f"{base}/api/catalog", "owner_org": "lyg-wjw", "config": JSON_CONFIG},
    ]  # fmt: skip
    if dept_url:
        found += [
            {"name": "demo-sthjj-db", "title": "市生态环境局 业务数据库（演示）", "source_type": "lyg_sql",
             "url": dept_url, "owner_org": "lyg-sthjj", "config": SQL_CONFIG},
            {"name": "demo-sthjj-air", "title": "市生态环境局 空气质量数据（演示）", "source_type": "lyg_sql",
             "url": dept_url, "owner_org": "lyg-sthjj", "config": AIR_CONFIG},
        ]  # fmt: skip
    return found


def create_sources(ini: str, env: dict, base: str, dept_url: str | None) -> None:
    """Run ``demo-sources`` in a CKAN process (creates missing sources, queues a job each)."""
    cmd = [sys.executable, "-m", "ckanext.lyg_dev", "demo-sources", "--ini", ini, "--base", base]
    if dept_url:
        cmd += ["--dept-url", dept_url]
    proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL)
    if proc.returncode:
        warn(f"demo harvest sources: exit {proc.returncode} (see above); the portals start anyway")


def ensure_sources(ini: str, base: str, dept_url: str | None) -> None:
    """In a CKAN app context: the demo sources, created when missing, a job each."""
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(ini))
    flask_app = app._wsgi_app if hasattr(app, "_wsgi_app") else app
    with flask_app.test_request_context():
        import ckan.plugins.toolkit as tk
        from ckan import model

        site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]

        def context() -> dict:
            return {"user": site_user, "ignore_auth": True, "model": model, "session": model.Session}

        enabled = set(tk.config.get("ckan.plugins"))
        for spec in sources(base, dept_url):
            if spec["source_type"] not in enabled:
                continue
            if spec["config"].get("load_data") and "datastore" not in enabled:
                continue
            if model.Group.get(spec["owner_org"]) is None:
                warn(f"demo source {spec['name']}: no department {spec['owner_org']} (seed the catalog)")
                continue
            try:
                source = tk.get_action("harvest_source_show")(context(), {"id": spec["name"]})
            except tk.ObjectNotFound:
                data = dict(spec, frequency="DAILY", config=json.dumps(spec["config"], ensure_ascii=False))
                try:
                    source = tk.get_action("harvest_source_create")(context(), data)
                except tk.ValidationError as err:
                    warn(f"demo source {spec['name']}: {err.error_dict}")
                    continue
                info(f"created the demo harvest source {spec['name']} ({spec['source_type']})")
            try:
                tk.get_action("harvest_job_create")(context(), {"source_id": source["id"], "run": True})
            except Exception as err:  # noqa: BLE001 - a job already waiting is fine
                info(f"demo source {spec['name']}: no new job ({type(err).__name__})")


# --- the demo server -------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    root: Path

    def log_message(self, fmt, *args):
        pass

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's name
        url = urlparse(self.path)
        if url.path == "/api/catalog":
            query = parse_qs(url.query)
            records = json.loads((self.root / "records.json").read_text("utf-8"))
            page, size = int(query.get("page", ["1"])[0]), int(query.get("size", ["100"])[0])
            body = {"code": 0, "total": len(records),
                    "data": {"items": records[(page - 1) * size : page * size]}}  # fmt: skip
            return self._send(200, json.dumps(body, ensure_ascii=False).encode(), "application/json")
        path = (self.root / url.path.lstrip("/")).resolve()
        if path.is_file() and self.root in path.parents:
            kind = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                    if path.suffix == ".xlsx" else "application/octet-stream")  # fmt: skip
            return self._send(200, path.read_bytes(), kind)
        return self._send(404, b'{"error": "not found"}', "application/json")


def serve(folder: Path, port: int) -> int:
    """The demo department systems over HTTP until stopped."""
    handler = type("Handler", (_Handler,), {"root": folder.resolve()})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    info(f"demo department systems on http://127.0.0.1:{port}/ (catalog.xlsx, api/catalog)")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0
