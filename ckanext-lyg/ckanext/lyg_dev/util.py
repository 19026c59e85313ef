"""Small shared helpers: paths, messages, ports."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path


class SetupError(RuntimeError):
    """An environment problem the user must fix; shown without a traceback."""


def repo_root() -> Path:
    """The checkout this package was installed from (editable install)."""
    env = os.environ.get("LYG_ROOT")
    if env:
        return Path(env).resolve()
    # ckanext-lyg/ckanext/lyg_dev/util.py -> repo root is three levels up
    here = Path(__file__).resolve()
    root = here.parents[3]
    if (root / "setup.py").exists():
        return root
    return Path.cwd().resolve()


def var_dir() -> Path:
    """Where generated state lives: rendered inis, secrets, embedded data."""
    path = Path(os.environ.get("LYG_VAR_DIR") or repo_root() / "var").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def venv_bin() -> Path:
    """The bin directory of the running interpreter's environment."""
    return Path(sys.executable).parent


_COLOR = sys.stderr.isatty() and not os.environ.get("NO_COLOR")


def _style(text: str, code: str) -> str:
    return f"\033[{code}m{text}\033[0m" if _COLOR else text


def step(msg: str) -> None:
    print(_style("==>", "1;34"), msg, file=sys.stderr, flush=True)


def info(msg: str) -> None:
    print("   ", msg, file=sys.stderr, flush=True)


def warn(msg: str) -> None:
    print(_style("warning:", "1;33"), msg, file=sys.stderr, flush=True)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return not port_open(host, port, timeout=0.2)


def free_port(preferred: int | None = None) -> int:
    """``preferred`` when nothing listens there, else a free port from the OS."""
    if preferred and port_free(preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
