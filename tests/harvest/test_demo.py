"""The demo department systems of ``make run`` harvest into the catalog:
the workbook and JSON API served by ``demo-server``, the department database
``<db>_dept_demo`` (a catalog table and a table loaded into the DataStore)."""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from ckan.plugins import toolkit as tk
from ckanext.lyg_dev import demo

from tests.conftest import make_org
from tests.harvest.conftest import entries
from tests.harvest.test_datastore import ckan_config, datastore_app  # noqa: F401

pytestmark = pytest.mark.usefixtures("clean_db", "datastore_app")


@pytest.fixture
def demo_systems(tmp_path, monkeypatch):
    """The demo server on a free port, and the department database on the test server."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    monkeypatch.setenv("LYG_DEMO_PORT", str(port))
    main = tk.config["sqlalchemy.url"]
    admin = urlunsplit(urlsplit(main)._replace(path="/postgres"))
    name = demo.dept_db_name(main)
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    out = demo.prepare(tmp_path, main, admin)
    out = demo.prepare(tmp_path, main, admin)  # idempotent: a second start changes nothing
    handler = type("Handler", (demo._Handler,), {"root": (tmp_path / "demo").resolve()})
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv(demo.PASSWORD_ENV, out.get("dept_password", ""))
    yield out
    server.shutdown()
    server.server_close()
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def test_demo_sources_harvest_into_the_catalog(harvest, demo_systems):
    for name, title in (("lyg-jtysj", "连云港市交通运输局"), ("lyg-wjw", "连云港市卫生健康委员会"),
                        ("lyg-sthjj", "连云港市生态环境局")):  # fmt: skip
        make_org(name, title)
    specs = demo.sources(demo_systems["base"], demo_systems["dept_url"])
    assert urlsplit(demo_systems["dept_url"]).password is None  # the workers read it from the environment
    expected = {
        "demo-jtysj-workbook": len(demo.WORKBOOK_ROWS),
        "demo-wjw-api": len(demo.API_RECORDS),
        "demo-sthjj-db": len(demo.DB_ROWS),
        "demo-sthjj-air": 1,
    }
    for spec in specs:
        harvest.org = {"id": tk.get_action("organization_show")({}, {"id": spec["owner_org"]})["id"]}
        source = harvest.source(spec["source_type"], spec["url"], spec["config"], name=spec["name"])
        report = harvest.run(source)
        assert report["counts"] == {"added": expected[spec["name"]]}, (spec["name"], report)
        assert harvest.run(source)["counts"] == {"not modified": expected[spec["name"]]}
        for entry in entries(source["id"]).values():
            assert entry["organization"]["name"] == spec["owner_org"]
    (air,) = [e for e in entries().values() if e["title"] == "连云港市空气质量日报"]
    rows = tk.get_action("datastore_search")({}, {"resource_id": air["resources"][0]["id"], "limit": 0})
    assert rows["total"] == 14 * len(demo.STATIONS)
    assert [i["name"] for i in air["info_items"]] == ["station", "day", "aqi", "pm25"]
