"""Start the portals and harvest workers under honcho, and the harvest scheduler.

``write_procfile`` writes ``<var>/Procfile``; ``supervise`` runs honcho on it,
waits for both portals to answer, prints where they are, and on Ctrl-C (or
SIGTERM) lets honcho stop every process before returning.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .util import info, repo_root, step, venv_bin, warn

TITLES = {"public": "连云港市公共数据开放平台", "internal": "连云港市政务信息共享平台"}


def write_procfile(var: Path, inis: dict[str, Path], ports: tuple[int, int],
                   harvest: bool = True, demo_port: int = 0) -> Path:
    bin_ = venv_bin()
    q = shlex.quote
    lines = []
    for portal, port in zip(("public", "internal"), ports, strict=True):
        lines.append(
            f"{portal}: exec env CKAN_INI={q(str(inis[portal]))} {q(str(bin_ / 'gunicorn'))} "
            f"-c python:ckanext.lyg_dev.gunicorn_conf --bind 127.0.0.1:{port} "
            f"--name lyg-{portal} ckanext.lyg_dev.wsgi:application"
        )
    if demo_port:
        lines.append(
            f"demo: exec {q(str(bin_ / 'python'))} -m ckanext.lyg_dev demo-server "
            f"--dir {q(str(var / 'demo'))} --port {demo_port}"
        )
    if harvest:
        worker_ini = q(str(inis["internal"]))
        harvester = f"{q(str(bin_ / 'python'))} -m ckanext.lyg_dev harvester --ini {worker_ini}"
        # nice: the portals get the CPU first while everything starts at once.
        lines.append(f"gather: exec nice -n 10 {harvester} gather-consumer")
        lines.append(f"fetch: exec nice -n 10 {harvester} fetch-consumer")
        lines.append(
            f"scheduler: exec nice -n 10 {q(str(bin_ / 'python'))} -m ckanext.lyg_dev "
            f"scheduler --ini {worker_ini}"
        )
    path = var / "Procfile"
    path.write_text("\n".join(lines) + "\n")
    return path


def fetch_consumers(env: dict) -> int:
    """Harvest fetch consumers to start: ``LYG_FETCH_CONSUMERS``, else one per
    core (at most 4): the import stage is CPU-bound and scales by consumers."""
    configured = str(env.get("LYG_FETCH_CONSUMERS") or "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, min(os.cpu_count() or 1, 4))


def http_status(url: str, timeout: float = 5) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def supervise(var: Path, procfile: Path, env: dict, ports: tuple[int, int],
              banner_lines: list[str]) -> int:
    """Run honcho until it exits; returns its exit code."""
    root = str(repo_root())
    cmd = [str(venv_bin() / "honcho"), "-f", str(procfile), "-d", root, "start"]
    if any(line.startswith("fetch:") for line in procfile.read_text().splitlines()):
        cmd += ["-c", f"fetch={fetch_consumers(env)}"]
    step("starting: " + ", ".join(line.split(":")[0] for line in procfile.read_text().splitlines()))
    stopping = {"flag": False}
    proc = subprocess.Popen(cmd, env=env, cwd=root)

    def on_signal(signum, _frame):
        # Ctrl-C reaches honcho and its children directly (same process
        # group); SIGTERM sent to us alone is forwarded.
        if not stopping["flag"]:
            stopping["flag"] = True
            print("\nstopping…", file=sys.stderr, flush=True)
        if signum == signal.SIGTERM and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    urls = [f"http://127.0.0.1:{p}/api/3/action/status_show" for p in ports]
    deadline = time.monotonic() + float(os.environ.get("LYG_START_TIMEOUT", "180"))
    pending = set(urls)
    while pending and proc.poll() is None and not stopping["flag"]:
        for url in list(pending):
            # the internal portal asks for a login (401) even there: it is up
            if http_status(url, timeout=2) in (200, 401):
                pending.discard(url)
        if time.monotonic() > deadline:
            warn("portals did not answer within LYG_START_TIMEOUT; check the log above")
            break
        time.sleep(0.3)
    if not pending and proc.poll() is None and not stopping["flag"]:
        print("\n" + "\n".join(banner_lines) + "\n", file=sys.stderr, flush=True)
    while True:
        try:
            rc = proc.wait()
            # A stop the user asked for (Ctrl-C, SIGTERM) is a clean exit.
            return 0 if stopping["flag"] else rc
        except KeyboardInterrupt:  # pragma: no cover - handler above catches it
            continue


def banner(ports: tuple[int, int], admin: tuple[str, str | None, bool], var: Path,
           services_desc: list[str]) -> list[str]:
    name, password, created = admin
    lines = ["=" * 64, "  lyg portal is up  连云港市政务信息资源目录"]
    for portal, port in zip(("public", "internal"), ports, strict=True):
        lines.append(f"  {portal:<9} {TITLES[portal]}  http://127.0.0.1:{port}/")
    if created and password:
        lines.append(f"  sysadmin  {name} / {password}   (shown once; kept in "
                     f"{var / 'admin-password'})")
    elif password:
        lines.append(f"  sysadmin  {name} (password in {var / 'admin-password'})")
    else:
        lines.append(f"  sysadmin  {name} (password not stored here; "
                     "`ckan -c var/internal.ini user setpass admin`)")
    lines += ["  " + d for d in services_desc]
    lines += ["  Ctrl-C stops everything.", "=" * 64]
    return lines


# --------------------------------------------------------------------------
# harvest scheduler


def scheduler(ini: str, interval: int, first_delay: int) -> int:
    """Run ``ckan harvester run`` every ``interval`` seconds until stopped."""
    stop = {"flag": False, "child": None}

    def on_signal(_signum, _frame):
        stop["flag"] = True
        child = stop["child"]
        if child is not None and child.poll() is None:
            child.terminate()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    info(f"harvest scheduler: `ckan harvester run` every {interval}s")
    wait = first_delay
    while not stop["flag"]:
        end = time.monotonic() + wait
        while not stop["flag"] and time.monotonic() < end:
            time.sleep(0.5)
        if stop["flag"]:
            break
        child = subprocess.Popen([str(venv_bin() / "ckan"), "-c", ini, "harvester", "run"])
        stop["child"] = child
        rc = child.wait()
        stop["child"] = None
        if rc and not stop["flag"]:
            warn(f"`ckan harvester run` exited {rc}")
        wait = interval
    return 0
