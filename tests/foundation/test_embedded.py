"""``LYG_EMBEDDED=1`` works: embedded PostgreSQL and Redis, then CKAN on them.

Starts both servers from the wheels on free ports under a temporary
directory, bootstraps the CKAN and DataStore databases exactly as
``make run`` does, boots a portal under gunicorn against them and asks it for
``/api/3/action/status_show``. Everything started here is stopped here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from ckanext.lyg_dev import bootstrap as bs
from ckanext.lyg_dev.config import Settings, ini_plugins, load_secrets, render
from ckanext.lyg_dev.services import (
    EmbeddedPostgres,
    Services,
    pg_connect,
    redis_ping,
    resolve,
)
from ckanext.lyg_dev.util import free_port, venv_bin


@pytest.fixture(scope="module")
def workdir():
    # Not pytest's tmp_path: its parents are private to root, and the embedded
    # server runs as an unprivileged user when we are root.
    path = Path(tempfile.mkdtemp(prefix="lyg-embedded-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def embedded(workdir):
    saved = {k: os.environ.pop(k) for k in ("CKAN_SQLALCHEMY_URL", "CKAN_REDIS_URL")
             if k in os.environ}
    os.environ["LYG_EMBEDDED_PG_PORT"] = str(free_port())
    os.environ["LYG_EMBEDDED_REDIS_PORT"] = str(free_port())
    try:
        svc = resolve(workdir, embedded=True)
    finally:
        os.environ.pop("LYG_EMBEDDED_PG_PORT")
        os.environ.pop("LYG_EMBEDDED_REDIS_PORT")
        os.environ.update(saved)
    yield svc
    svc.stop_started()


def test_servers_start_and_answer(embedded, workdir):
    assert embedded.pg_source == "embedded" and embedded.redis_source == "embedded"
    assert embedded.pg.data == workdir / "postgres" / "data"
    conn = pg_connect(embedded.pg_url)
    with conn.cursor() as cur:
        cur.execute("SHOW server_version")
        assert cur.fetchone()[0].split(".")[0].isdigit()
    conn.close()
    assert redis_ping(embedded.redis_url)
    if os.geteuid() == 0:  # PostgreSQL refuses root: it runs as a system user
        assert embedded.pg.data.stat().st_uid != 0


def test_bootstrap_and_ckan_status_show(embedded, workdir):
    secrets = load_secrets(workdir)
    plan = bs.plan(embedded, secrets, "lyg_embedded", datastore=True)
    bs.ensure_databases(plan, secrets)
    bs.ensure_databases(plan, secrets)  # idempotent
    conn = pg_connect(plan.main_url)  # the owner role can log in
    conn.close()

    port = free_port()
    settings = Settings(plan.main_url, plan.ds_write_url, plan.ds_read_url,
                        embedded.redis_url, str(workdir / "storage"), port, free_port())
    inis = render(workdir, settings, secrets, variants=("test",))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CKAN_")}
    env = bs.ckan_env(plan, embedded.redis_url, base=env)
    assert bs.migrate(workdir, inis["test"], plan, ini_plugins(inis["test"]), env)
    assert not bs.migrate(workdir, inis["test"], plan, ini_plugins(inis["test"]), env)
    bs.set_datastore_permissions(workdir, plan)
    name, password, created = bs.ensure_admin(workdir, inis["test"], plan, env)
    assert created and password and name == "admin"
    assert bs.ensure_admin(workdir, inis["test"], plan, env)[2] is False

    log = open(workdir / "gunicorn.log", "w+")
    proc = subprocess.Popen(
        [str(venv_bin() / "gunicorn"), "-c", "python:ckanext.lyg_dev.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "ckanext.lyg_dev.wsgi:application"],
        env=dict(env, CKAN_INI=str(inis["test"])), stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        body = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/api/3/action/status_show", timeout=5) as r:
                    assert r.status == 200
                    body = json.load(r)
                    break
            except OSError:
                time.sleep(0.5)
        log.seek(0)
        output = log.read()
        assert body is not None, output[-3000:]
        assert body["success"] is True
        assert "Traceback" not in output, output[-3000:]
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


def test_restart_keeps_data(embedded, workdir):
    pg = embedded.pg
    port = pg.port
    pg.stop()
    again = EmbeddedPostgres(workdir / "postgres").start()
    try:
        assert again.port == port  # remembered in var/postgres/port
        conn = pg_connect(again.url())
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = 'lyg_embedded'")
            assert cur.fetchone()
        conn.close()
    finally:
        again.stop()
    # The module fixture's stop is then a no-op.
    embedded.pg = None


def test_services_object_describes_itself(embedded):
    assert isinstance(embedded, Services)
    assert any("embedded" in line for line in embedded.describe())
