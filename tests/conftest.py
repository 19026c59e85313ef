"""Shared fixtures for the whole suite.

CKAN's ``clean_db`` drops (first use) or empties (later uses) the tables in
CKAN's metadata. Plugin tables live outside it and are created by alembic
migrations, so after every reset the migrations of our plugins are applied
again and the search index is emptied.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

MIGRATED_PLUGINS = ("lyg_search", "activity", "harvest", "lyg")
# The catalog schema (scheming plugins, configured in test.ini), loaded right
# after ``lyg`` so that lyg's templates come first.
CATALOG_PLUGINS = ("scheming_datasets", "scheming_organizations")
# Test directories that run on CKAN's stock dataset schema: the search-engine
# tests create datasets with plain package_create and arbitrary extras.
STOCK_SCHEMA_DIRS = ("search",)


def with_catalog_plugins(plugins: str | list[str]) -> list[str]:
    listed = plugins.split() if isinstance(plugins, str) else plugins
    names = [n for n in listed if n not in CATALOG_PLUGINS]
    at = names.index("lyg") + 1 if "lyg" in names else len(names)
    return names[:at] + list(CATALOG_PLUGINS) + names[at:]


def _stock_schema(request) -> bool:
    parts = request.node.path.parts
    if "tests" not in parts:
        return False
    return parts[parts.index("tests") + 1] in STOCK_SCHEMA_DIRS


@pytest.fixture
def ckan_config(request, ckan_config, monkeypatch):
    """test.ini's config, plus the catalog schema plugins outside tests/search."""
    if not _stock_schema(request):
        monkeypatch.setitem(ckan_config, "ckan.plugins", with_catalog_plugins(ckan_config["ckan.plugins"]))
    return ckan_config


@pytest.fixture(autouse=True)
def _lyg_plugins(with_plugins):
    """Every test runs with the plugins of test.ini loaded (CKAN's pytest
    plugin loads none by default); tests narrow them with ``ckan_config``."""


@pytest.fixture
def clean_db(reset_db, migrate_db_for, with_plugins):
    from ckan.lib import search

    reset_db()
    for plugin in MIGRATED_PLUGINS:
        migrate_db_for(plugin)
    _reset_plugin_tables()
    search.clear_all()


def _reset_plugin_tables():
    """Empty the lyg tables CKAN's reset does not know (resource-code sequences,
    audit log, workflow tables); the search index is emptied by ``clear_all``."""
    import sqlalchemy as sa
    from ckan import model

    tables = model.Session.execute(sa.text(
        "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema()"
        " AND tablename LIKE 'lyg\\_%' AND tablename NOT LIKE 'lyg\\_search\\_%'"
    )).scalars().all()
    if tables:
        model.Session.execute(sa.text(f"TRUNCATE {', '.join(tables)} CASCADE"))
    model.Session.commit()


def make_org(name: str = "lyg-gaj", title: str = "连云港市公安局", **kw) -> dict:
    """A department as the catalog schema wants it (valid 统一社会信用代码)."""
    from ckan.tests import factories
    from ckanext.lyg import uscc

    return factories.Organization(name=name, title=title, provider_code=uscc.generate(title),
                                  short_name=title[4:], kind="市级部门", **kw)


@pytest.fixture
def org(clean_db):
    return make_org()


@pytest.fixture
def sysadmin(clean_db):
    from ckan.tests import factories

    return factories.Sysadmin()


def _db_url(base: str, db: str, user: str | None = None) -> str:
    parts = urlsplit(base)
    netloc = parts.netloc if user is None else f"{user}@{parts.hostname}:{parts.port or 5432}"
    return urlunsplit((parts.scheme, netloc, "/" + db, "", ""))


@pytest.fixture(scope="session")
def datastore_urls():
    """A DataStore database and read-only role next to the test database
    (created once; ``make test`` does not create one: test.ini has no DataStore)."""
    from ckan.common import config
    from ckanext.datastore.cli import permissions_sql

    main = config["sqlalchemy.url"]
    main_db = urlsplit(main).path.lstrip("/")
    ds_db, ro = f"{main_db}_ds", f"{main_db}_ro"
    admin = psycopg2.connect(_db_url(main, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (ds_db,))
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{ds_db}"')
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ro,))
        if not cur.fetchone():
            cur.execute(f'CREATE ROLE "{ro}" LOGIN')
    admin.close()
    write = _db_url(main, ds_db)
    owner = urlsplit(main).username or "postgres"
    sql = permissions_sql(maindb=main_db, datastoredb=ds_db, mainuser=owner, writeuser=owner, readuser=ro)
    conn = psycopg2.connect(write)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("\n".join(line for line in sql.splitlines() if not line.startswith("\\connect")))
    conn.close()
    return write, _db_url(main, ds_db, ro)


@pytest.fixture
def live_port(ckan_config, monkeypatch):
    """A free port, made the site URL before the app is built (the pages'
    scripts call the API at ckan.site_url)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setitem(ckan_config, "ckan.site_url", f"http://127.0.0.1:{port}")
    return port


@pytest.fixture
def portal_url(live_port, app):
    """The portal served over HTTP on loopback while the test runs."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", live_port, app.flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()

