"""Make a PostgreSQL server ready for CKAN: roles, databases, tables, admin.

Every step checks first and does nothing when already done, so a warm
``make run`` spends milliseconds here and starts no ``ckan`` process:

* roles and databases are looked up in ``pg_catalog``;
* migrations are skipped while a fingerprint of the enabled plugins and their
  migration files matches the one recorded in ``<var>/state/`` after the last
  successful run, and the core tables exist;
* the sysadmin and the dataset count are read with one query each.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import secrets as _secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .config import write_private
from .services import Services, pg_answers, pg_connect, with_db
from .util import SetupError, info, step, venv_bin, warn

DB_OWNER = os.environ.get("LYG_DB_USER", "lyg")
DS_READER = os.environ.get("LYG_DATASTORE_RO_USER", "lyg_datastore_ro")


@dataclass
class DbPlan:
    """The CKAN database (and DataStore database) a process will use."""

    main_url: str
    ds_write_url: str = ""
    ds_read_url: str = ""
    admin_url: str = ""  # superuser URL on the same server, when we have one

    @property
    def dbname(self) -> str:
        return urlsplit(self.main_url).path.lstrip("/")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _url(user: str, password: str, admin_url: str, dbname: str) -> str:
    parts = urlsplit(admin_url)
    host = parts.hostname or "127.0.0.1"
    port = f":{parts.port}" if parts.port else ""
    from urllib.parse import quote

    return f"postgresql://{quote(user)}:{quote(password)}@{host}{port}/{dbname}"


def plan(services: Services, secrets: dict[str, str], dbname: str,
         datastore: bool, superuser: bool = False) -> DbPlan:
    """Decide the URLs for ``dbname`` on the resolved server.

    ``superuser``: CKAN connects with the server's superuser rather than the
    ``lyg`` role (the test database, like test.ini's own default URL).
    """
    if services.pg_source == "env":
        main = services.pg_url
        name = urlsplit(main).path.lstrip("/")
        write = os.environ.get("CKAN_DATASTORE_WRITE_URL") or with_db(main, f"{name}_datastore")
        read = os.environ.get("CKAN_DATASTORE_READ_URL") or ""
        return DbPlan(main, write if datastore else "", read if datastore else "", "")
    admin = services.pg_url
    main = with_db(admin, dbname) if superuser else \
        _url(DB_OWNER, secrets["db_password"], admin, dbname)
    if not datastore:
        return DbPlan(main, admin_url=admin)
    ds = f"{dbname}_datastore"
    return DbPlan(
        main,
        _url(DB_OWNER, secrets["db_password"], admin, ds),
        _url(DS_READER, secrets["datastore_ro_password"], admin, ds),
        admin,
    )


# --------------------------------------------------------------------------
# roles and databases


def _autocommit(url: str):
    conn = pg_connect(url)
    conn.autocommit = True
    return conn


def _ensure_role(cur, name: str, password: str) -> None:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
    verb = "ALTER" if cur.fetchone() else "CREATE"
    cur.execute(f"{verb} ROLE {_ident(name)} LOGIN PASSWORD {_lit(password)}")
    if verb == "CREATE":
        info(f"created role {name}")


def _ensure_db(cur, name: str, owner: str | None) -> bool:
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    if cur.fetchone():
        return False
    owner_sql = f" OWNER {_ident(owner)}" if owner else ""
    cur.execute(
        f"CREATE DATABASE {_ident(name)}{owner_sql} ENCODING 'UTF8' TEMPLATE template0"
    )
    info(f"created database {name}")
    return True


def ensure_databases(p: DbPlan, secrets: dict[str, str]) -> None:
    """Create the roles and databases of ``p`` that do not exist yet."""
    if p.admin_url:
        conn = _autocommit(p.admin_url)
        try:
            with conn.cursor() as cur:
                _ensure_role(cur, DB_OWNER, secrets["db_password"])
                _ensure_db(cur, p.dbname, DB_OWNER)
                if p.ds_write_url:
                    _ensure_role(cur, DS_READER, secrets["datastore_ro_password"])
                    _ensure_db(cur, urlsplit(p.ds_write_url).path.lstrip("/"), DB_OWNER)
        finally:
            conn.close()
        return
    # Given a URL only: create the database(s) if that user may.
    for url in filter(None, [p.main_url, p.ds_write_url]):
        ok, why = pg_answers(url)
        if ok:
            continue
        if "does not exist" not in why:
            raise SetupError(f"cannot connect to {urlsplit(url).path.lstrip('/')}: {why}")
        name = urlsplit(url).path.lstrip("/")
        try:
            conn = _autocommit(with_db(url, "postgres"))
            with conn.cursor() as cur:
                _ensure_db(cur, name, None)
            conn.close()
        except Exception as exc:
            raise SetupError(
                f"database {name!r} does not exist and its user may not create it ({exc}).\n"
                f"    Create it (createdb -O USER {name}) or give a superuser URL."
            ) from exc
    if p.ds_write_url and not p.ds_read_url:
        # No separate read-only role can be assumed on a server we only have a URL for.
        p.ds_read_url = p.ds_write_url
        warn("CKAN_DATASTORE_READ_URL not set: the DataStore reads with the write user")


# --------------------------------------------------------------------------
# migrations


def _plugin_dirs(plugins: list[str]) -> dict[str, Path]:
    """``{plugin: migration dir}`` for the enabled plugins that have one."""
    eps = {ep.name: ep for ep in importlib.metadata.entry_points(group="ckan.plugins")}
    found: dict[str, Path] = {}
    for name in plugins:
        ep = eps.get(name)
        if ep is None:
            continue
        module = ep.value.split(":", 1)[0]
        parts = module.split(".")
        # CKAN looks for migration/<plugin>/ in the ckanext.<pkg> folder.
        pkg = ".".join(parts[:2]) if parts[0] == "ckanext" and len(parts) > 1 else module
        try:
            spec = importlib.util.find_spec(pkg)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.submodule_search_locations:
            continue
        for loc in spec.submodule_search_locations:
            mdir = Path(loc) / "migration" / name
            if (mdir / "versions").is_dir():
                found[name] = mdir
    return found


def _fingerprint(plugins: list[str], mdirs: dict[str, Path], url: str) -> str:
    h = hashlib.sha256()
    h.update(importlib.metadata.version("ckan").encode())
    h.update(" ".join(plugins).encode())
    parts = urlsplit(url)
    h.update(f"{parts.hostname}:{parts.port}{parts.path}".encode())
    import ckan  # only to locate core migrations; no app is created

    core = Path(ckan.__file__).parent / "migration" / "versions"
    for label, d in [("core", core), *sorted(mdirs.items())]:
        h.update(label.encode())
        for f in sorted(Path(d).rglob("*.py")):
            st = f.stat()
            h.update(f"{f.name}:{st.st_size}".encode())
    return h.hexdigest()


def _state_file(var: Path, url: str) -> Path:
    parts = urlsplit(url)
    key = f"{parts.hostname}:{parts.port}/{parts.path.lstrip('/')}"
    d = var / "state"
    d.mkdir(parents=True, exist_ok=True)
    return d / ("db-" + hashlib.sha1(key.encode()).hexdigest()[:12] + ".json")


def _read_state(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _tables(url: str, names: list[str]) -> dict[str, bool]:
    conn = pg_connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relname = ANY(%s)",
                (names,),
            )
            present = {r[0] for r in cur.fetchall()}
    finally:
        conn.close()
    return {n: n in present for n in names}


def ckan_cli(ini: Path, *args: str, env: dict | None = None, capture: bool = False,
             check: bool = True) -> subprocess.CompletedProcess:
    """Run ``ckan -c INI ARGS`` from this virtualenv."""
    exe = venv_bin() / "ckan"
    cmd = [str(exe), "-c", str(ini), *args]
    proc = subprocess.run(cmd, env=env or os.environ.copy(), text=True,
                          capture_output=capture, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        out = (proc.stdout or "") + (proc.stderr or "") if capture else ""
        raise SetupError(f"`ckan {' '.join(args)}` failed (exit {proc.returncode})\n{out[-4000:]}")
    return proc


def migrate(var: Path, ini: Path, p: DbPlan, plugins: list[str], env: dict) -> bool:
    """Bring the schema up to date; returns True when migrations ran."""
    mdirs = _plugin_dirs(plugins)
    fp = _fingerprint(plugins, mdirs, p.main_url)
    state_path = _state_file(var, p.main_url)
    state = _read_state(state_path)
    version_tables = [f"{name}_alembic_version" for name in mdirs]
    tables = _tables(p.main_url, ["alembic_version", "package", *version_tables])
    if state.get("migrations") == fp and all(tables.values()):
        info("database schema up to date")
        return False
    step(f"migrating database {p.dbname} (ckan db init; plugins: {', '.join(mdirs) or '-'})")
    ckan_cli(ini, "db", "init", env=env)
    # `db init` also applies the migrations of enabled plugins it knows to be
    # pending; apply explicitly any plugin whose version table is still missing.
    tables = _tables(p.main_url, version_tables)
    for name in mdirs:
        if not tables.get(f"{name}_alembic_version"):
            step(f"ckan db upgrade -p {name}")
            ckan_cli(ini, "db", "upgrade", "-p", name, env=env)
    state["migrations"] = fp
    state_path.write_text(json.dumps(state, indent=2))
    return True


def set_datastore_permissions(var: Path, p: DbPlan) -> None:
    """What ``ckan datastore set-permissions | psql`` does, once per database."""
    if not p.ds_write_url:
        return
    state_path = _state_file(var, p.main_url)
    state = _read_state(state_path)
    key = f"{p.ds_write_url}|{p.ds_read_url}"
    key = hashlib.sha1(key.encode()).hexdigest()
    if state.get("datastore_permissions") == key:
        return
    step("setting DataStore permissions")
    from ckanext.datastore.cli import permissions_sql

    def user(url: str) -> str:
        return unquote(urlsplit(url).username or "")

    sql = permissions_sql(
        maindb=p.dbname,
        datastoredb=urlsplit(p.ds_write_url).path.lstrip("/"),
        mainuser=user(p.main_url),
        writeuser=user(p.ds_write_url),
        readuser=user(p.ds_read_url),
    )
    # The script starts with psql's `\connect <datastore db>`: we connect there.
    sql = "\n".join(line for line in sql.splitlines() if not line.startswith("\\connect"))
    target = with_db(p.admin_url, urlsplit(p.ds_write_url).path.lstrip("/")) \
        if p.admin_url else p.ds_write_url
    try:
        conn = _autocommit(target)
        with conn.cursor() as cur:
            cur.execute(sql)
        conn.close()
    except Exception as exc:
        warn(f"could not set DataStore permissions ({exc}).\n"
             "    Run as a superuser: ckan -c INI datastore set-permissions | psql ...")
        return
    state["datastore_permissions"] = key
    state_path.write_text(json.dumps(state, indent=2))


# --------------------------------------------------------------------------
# sysadmin and demo catalog


def _scalar(url: str, sql: str, args: tuple = ()):
    conn = pg_connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            row = cur.fetchone()
            return row[0] if row else None
    finally:
        conn.close()


def ensure_admin(var: Path, ini: Path, p: DbPlan, env: dict) -> tuple[str, str | None, bool]:
    """Make sure sysadmin ``admin`` exists: (name, password-or-None, created)."""
    name = os.environ.get("LYG_ADMIN_USER", "admin")
    pw_file = var / "admin-password"
    is_admin = _scalar(p.main_url, 'SELECT sysadmin FROM "user" WHERE name = %s AND state = %s',
                       (name, "active"))
    if is_admin:
        stored = pw_file.read_text().strip() if pw_file.exists() else None
        return name, stored, False
    password = os.environ.get("LYG_ADMIN_PASSWORD") or (
        pw_file.read_text().strip() if pw_file.exists() else _secrets.token_urlsafe(12)
    )
    if len(password) < 8:
        raise SetupError("LYG_ADMIN_PASSWORD must have at least 8 characters (CKAN's rule)")
    step(f"creating sysadmin {name!r}")
    if is_admin is None:
        ckan_cli(ini, "user", "add", name, f"email={name}@lyg.example",
                 f"password={password}", env=env, capture=True)
    ckan_cli(ini, "sysadmin", "add", name, env=env, capture=True)
    write_private(pw_file, password + "\n")
    return name, password, True


def dataset_count(p: DbPlan) -> int:
    return int(_scalar(p.main_url, "SELECT count(*) FROM package WHERE state = 'active'") or 0)


def seed_if_empty(ini: Path, p: DbPlan, env: dict) -> None:
    if os.environ.get("LYG_SKIP_SEED"):
        return
    if dataset_count(p):
        return
    step("seeding the demo catalog (ckan lyg seed)")
    proc = ckan_cli(ini, "lyg", "seed", env=env, check=False)
    if proc.returncode == 2:  # click's usage error: no such command
        warn("`ckan lyg seed` is not available: the database stays empty")
    elif proc.returncode != 0:
        raise SetupError(f"`ckan lyg seed` failed (exit {proc.returncode}); see the output above")


def ckan_env(p: DbPlan, redis_url: str, base: dict | None = None) -> dict:
    """Environment for ``ckan`` subprocesses: URLs from the plan win over the ini."""
    env = dict(base if base is not None else os.environ)
    env["CKAN_SQLALCHEMY_URL"] = p.main_url
    env["CKAN_REDIS_URL"] = redis_url
    if p.ds_write_url:
        env["CKAN_DATASTORE_WRITE_URL"] = p.ds_write_url
        env["CKAN_DATASTORE_READ_URL"] = p.ds_read_url or p.ds_write_url
    env.setdefault("PYTHONUNBUFFERED", "1")
    path = env.get("PATH", "")
    if str(venv_bin()) not in path.split(os.pathsep):
        env["PATH"] = str(venv_bin()) + os.pathsep + path
    return env
