"""Startup and memory figures for `make run` (run by `make bench`).

Prints:
  * cold `make run` to first 200: a new var directory and an empty database
    (bootstrap, migrations, sysadmin, seed), .venv already installed;
  * warm restart to first 200: Ctrl-C, then `make run` again;
  * RSS of each portal worker after 100 requests to each portal.

It runs on its own ports, var directory and database (``lyg_bench_<pid>``),
all removed at the end, so it does not disturb a running `make run`.
``LYG_EMBEDDED=1`` benchmarks against the embedded servers instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from ckanext.lyg_dev.util import free_port

ROOT = Path(__file__).resolve().parents[1]

PATHS = ["/", "/dataset", "/organization", "/group", "/api/3/action/status_show",
         "/api/3/action/package_search?rows=10", "/dataset?q=%E6%95%B0%E6%8D%AE"]


def status(url: str, timeout: float = 10) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def start(env: dict, log: Path) -> subprocess.Popen:
    fh = open(log, "ab")
    return subprocess.Popen(["make", "--no-print-directory", "run"], cwd=ROOT, env=env,
                            stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)


def first_200(proc: subprocess.Popen, ports: list[int], t0: float, log: Path,
              timeout: float = 1800) -> dict[int, float]:
    seen: dict[int, float] = {}
    while len(seen) < len(ports):
        if proc.poll() is not None:
            sys.exit(f"make run exited with {proc.returncode}; see {log}")
        if time.monotonic() - t0 > timeout:
            sys.exit(f"no 200 within {timeout}s; see {log}")
        for port in ports:
            if port not in seen and status(
                    f"http://127.0.0.1:{port}/api/3/action/status_show", 2) == 200:
                seen[port] = time.monotonic() - t0
        time.sleep(0.1)
    return seen


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def workers(name: str) -> list[tuple[int, float]]:
    """(pid, RSS MB) of gunicorn workers of portal ``name`` (children of its master)."""
    procs = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            st = (d / "status").read_text()
        except OSError:
            continue
        if "gunicorn" in cmd and f"lyg-{name}" in cmd:
            fields = dict(line.split(":", 1) for line in st.splitlines() if ":" in line)
            rss = int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
            procs[int(d.name)] = (int(fields["PPid"]), rss)
    return [(pid, rss) for pid, (ppid, rss) in sorted(procs.items()) if ppid in procs]


def main() -> int:
    var = Path(tempfile.mkdtemp(prefix="lyg-bench-"))
    os.chmod(var, 0o755)
    db = f"lyg_bench_{os.getpid()}"
    ports = [free_port(), free_port()]
    env = dict(os.environ, LYG_VAR_DIR=str(var), LYG_DB_NAME=db,
               LYG_PUBLIC_PORT=str(ports[0]), LYG_INTERNAL_PORT=str(ports[1]),
               LYG_ADMIN_PASSWORD="bench-admin-pw", NO_COLOR="1")
    log = var / "make-run.log"
    print(f"bench/startup: var={var} db={db} ports={ports} log={log}", flush=True)
    proc = None
    try:
        t0 = time.monotonic()
        proc = start(env, log)
        cold = first_200(proc, ports, t0, log)
        stop(proc)

        t0 = time.monotonic()
        proc = start(env, log)
        warm = first_200(proc, ports, t0, log)

        for port in ports:
            for i in range(100):
                status(f"http://127.0.0.1:{port}{PATHS[i % len(PATHS)]}", 30)
        rss = {name: workers(name) for name in ("public", "internal")}
        stop(proc)
        proc = None

        print(f"cold make run to first 200 (s): {min(cold.values()):.1f}"
              f"  (both portals: {max(cold.values()):.1f})")
        print(f"warm restart to first 200 (s): {min(warm.values()):.1f}"
              f"  (both portals: {max(warm.values()):.1f})")
        for name, procs in rss.items():
            for pid, mb in procs:
                print(f"RSS {name} worker pid {pid} after 100 requests (MB): {mb:.0f}")
        tracebacks = log.read_text(errors="replace").count("Traceback")
        print(f"tracebacks in the make run log: {tracebacks}")
        return 0
    finally:
        if proc is not None:
            stop(proc)
        subprocess.run([sys.executable, "-m", "ckanext.lyg_dev", "stop"], env=env,
                       cwd=ROOT, capture_output=True)
        _drop(env, db)
        if os.environ.get("LYG_BENCH_KEEP"):
            print(f"kept {var}")
        else:
            shutil.rmtree(var, ignore_errors=True)


def _drop(env: dict, db: str) -> None:
    """Drop the databases this script created (system PostgreSQL only)."""
    if env.get("CKAN_SQLALCHEMY_URL") or env.get("LYG_EMBEDDED"):
        return
    try:
        import psycopg2

        conn = psycopg2.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                                connect_timeout=3)
        conn.autocommit = True
        with conn.cursor() as cur:
            for name in (f"{db}_datastore", db):
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()
    except Exception as exc:  # pragma: no cover - best effort cleanup
        print(f"could not drop {db}: {exc}")


if __name__ == "__main__":
    sys.exit(main())
