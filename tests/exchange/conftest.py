"""Fixtures of the exchange tests: real peers on 127.0.0.1.

* ``county``: one of our portals, run as a real HTTP server (gunicorn, public
  mode: ``ckanext.lyg.portal = public``) on its own database
  (``lyg_t_remote_peer``), with the catalog of ``county_data.py``; once per
  session. The test process is the *other* CKAN site, on the test database:
  with our plugins it harvests with ``lyg_ckan`` / ``lyg_dcat``; marked
  ``stock_site`` it is a stock CKAN (no catalog schema, no lyg plugin) that
  harvests with ckanext-harvest's ``ckan`` and ckanext-dcat's ``dcat_rdf``;
* ``peer``: an HTTP server of files (``data/``) and of failures: ``/status/<code>/…``
  answers that status, ``/slow/<seconds>/…`` waits first, ``/malformed/…`` sends a
  broken body; ``/foreign/api/3/action/package_search`` is a foreign CKAN's
  search answer recorded in ``data/foreign_ckan.json``;
* ``pycsw``: a real pycsw server with the ISO 19139 records of ``data/iso/``
  (see ``pycsw_server.py``; own venv under ``var/``).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import sqlalchemy as sa

from tests.exchange.pycsw_server import PycswServer
from tests.harvest.conftest import Harvest, entries  # noqa: F401 (re-exported for the tests)

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
DATA = HERE / "data"
BIN = Path(sys.executable).parent
PEER_DB = os.environ.get("LYG_EXCHANGE_PEER_DB", "lyg_t_remote_peer")
COUNTY_PLUGINS = (
    "lyg_search lyg scheming_datasets scheming_organizations activity spatial_metadata spatial_query "
    "harvest dcat dcat_json_interface structured_data"
)
# The provincial platform as a stock CKAN: CKAN's own dataset schema, the stock
# harvesters (our search engine stands in for Solr, which this machine has not).
STOCK_PLUGINS = "lyg_search activity harvest ckan_harvester dcat dcat_rdf_harvester"


def pytest_configure(config):
    config.addinivalue_line("markers", "stock_site: the test site is a stock CKAN (no catalog schema)")


@pytest.fixture
def ckan_config(request, ckan_config, monkeypatch):
    if request.node.get_closest_marker("stock_site"):
        monkeypatch.setitem(ckan_config, "ckan.plugins", STOCK_PLUGINS.split())
    return ckan_config


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    from ckanext.lyg import translations
    from ckanext.lyg_harvest import i18n_domain

    translations.compile_catalogs()
    i18n_domain.compile_catalogs()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (connection refused)."""
    return free_port()


# --- the HTTP peer of files and failures ---------------------------------------------


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
        parts = url.path.strip("/").split("/")
        if parts[0] == "status":
            return self._send(int(parts[1]), b"<html>Internal Server Error</html>", "text/html")
        if parts[0] == "slow":
            time.sleep(float(parts[1]))
            return self._send(200, b"{}")
        if parts[0] == "malformed":
            kind = "text/turtle" if url.path.endswith(".ttl") else "application/json"
            if "csw" in parts:
                kind = "application/xml"
                return self._send(200, b'<?xml version="1.0"?><csw:Capabilities xmlns:csw="x"><broken', kind)
            if kind == "text/turtle":
                return self._send(200, b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<a> dcat:x [ ", kind)
            return self._send(200, b'{"success": true, "result": {"count": 2, "results": [{"id": ')
        if url.path == "/foreign/api/3/action/package_search":
            start = int(parse_qs(url.query).get("start", ["0"])[0])
            answer = json.loads((self.root / "foreign_ckan.json").read_text("utf-8"))
            if start > 0:
                answer["result"]["results"] = []
            return self._send(200, json.dumps(answer, ensure_ascii=False).encode("utf-8"))
        path = (self.root / url.path.lstrip("/")).resolve()
        if path.is_file() and self.root in path.parents:
            kind = {".ttl": "text/turtle", ".xml": "application/xml", ".json": "application/json"}.get(
                path.suffix, "application/octet-stream"
            )
            return self._send(200, path.read_bytes(), kind)
        return self._send(404, b'{"error": "not found"}')


class Peer:
    def __init__(self, root: Path, server: ThreadingHTTPServer) -> None:
        self.root, self.server = root, server
        self.base = f"http://127.0.0.1:{server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def peer(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    for item in DATA.iterdir():
        if item.is_file():
            (root / item.name).write_bytes(item.read_bytes())
    handler = type("Handler", (_Handler,), {"root": root.resolve()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    served = Peer(root.resolve(), server)
    yield served
    served.stop()


# --- pycsw -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pycsw(tmp_path_factory):
    server = PycswServer(tmp_path_factory.mktemp("pycsw"), free_port()).start()
    yield server
    server.stop()


# --- the county portal: one of ours, over HTTP ---------------------------------------


def _admin_engine() -> tuple[sa.Engine, sa.URL]:
    from ckan.plugins import toolkit as tk

    url = sa.engine.make_url(tk.config.get("sqlalchemy.url"))
    engine = sa.create_engine(
        url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    return engine, url


def _ini(path: Path, settings: dict[str, str]) -> Path:
    """test.ini with ``settings`` replaced or added in ``[app:main]``."""
    text = (ROOT / "test.ini").read_text("utf-8").replace("%(here)s", str(ROOT))
    for key, value in settings.items():
        line = f"{key} = {value}"
        pattern = re.compile(rf"^{re.escape(key)}\s*=.*$", re.MULTILINE)
        if pattern.search(text):
            text = pattern.sub(line.replace("\\", "\\\\"), text, count=1)
        else:
            text = text.replace("[app:main]\n", f"[app:main]\n{line}\n", 1)
    path.write_text(text, "utf-8")
    return path


def _env(ini: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CKAN_", "CKANEXT_"))}
    env["CKAN_INI"] = str(ini)
    return env


def _ckan(ini: Path, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(BIN / "ckan"), "-c", str(ini), *args], env=_env(ini), capture_output=True, text=True, cwd=ROOT
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ckan {' '.join(args)} failed:\n{(proc.stdout + proc.stderr)[-3000:]}")
    return proc


class County:
    def __init__(self, url: str, data: dict) -> None:
        self.url = url
        self.orgs: dict[str, dict] = data["orgs"]
        self.entries: dict[str, dict] = data["entries"]

    def public(self) -> dict[str, dict]:
        """What the public portal may show: active, not private, open (not ``none``)."""
        return {
            name: e
            for name, e in self.entries.items()
            if e.get("state", "active") == "active" and not e.get("private") and e.get("open_type") != "none"
        }


@pytest.fixture(scope="session")
def county(tmp_path_factory):
    admin, url = _admin_engine()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PEER_DB}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{PEER_DB}"'))
    home = tmp_path_factory.mktemp("county")
    port = free_port()
    ini = _ini(
        home / "county.ini",
        {
            "sqlalchemy.url": url.set(database=PEER_DB).render_as_string(hide_password=False),
            "ckan.redis.url": os.environ.get("CKAN_REDIS_URL", "redis://127.0.0.1:6379/6"),
            "ckan.site_url": f"http://127.0.0.1:{port}",
            "ckan.site_id": "lyg-county-portal",
            "ckan.storage_path": str(home / "storage"),
            "ckan.plugins": COUNTY_PLUGINS,
            "ckanext.lyg.portal": "public",
            "ckanext.dcat.rdf.profiles": "euro_dcat_ap_3 lyg_catalog",
            "testing": "false",
        },
    )
    server = None
    try:
        _ckan(ini, "db", "init")
        for plugin in ("lyg_search", "activity", "harvest", "lyg"):
            _ckan(ini, "db", "upgrade", "-p", plugin)
        made = subprocess.run(
            [sys.executable, str(HERE / "county_data.py"), str(ini)],
            env=_env(ini),
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if made.returncode != 0:
            raise RuntimeError(f"county_data.py failed:\n{(made.stdout + made.stderr)[-3000:]}")
        data = json.loads(made.stdout.strip().splitlines()[-1])
        log = (home / "gunicorn.log").open("w")
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "4",
             "ckanext.lyg_dev.wsgi:application"],  # fmt: skip
            env=_env(ini),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the county portal exited: {(home / 'gunicorn.log').read_text()[-3000:]}")
            try:
                if requests.get(base + "/api/3/action/status_show", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the county portal did not answer within 180 s")
            time.sleep(0.5)
        yield County(base, data)
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            server.wait(20)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PEER_DB}" WITH (FORCE)'))
        admin.dispose()
