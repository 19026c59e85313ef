"""Generated secrets and rendered ini files.

Templates live in ``config/`` (committed, no secrets); the rendered files go
to ``<var>/`` (never committed): ``base.ini`` with the URLs and secrets, and
one file per portal that extends it with ``use = config:base.ini``.
"""

from __future__ import annotations

import json
import os
import secrets as _secrets
from dataclasses import dataclass
from pathlib import Path
from string import Template

from .util import SetupError, repo_root

SECRET_NAMES = ("secret_key", "csrf_secret", "jwt_secret", "db_password", "datastore_ro_password")
PORTALS = ("public", "internal")


def config_dir() -> Path:
    return repo_root() / "config"


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only, atomically."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def load_secrets(var: Path) -> dict[str, str]:
    """The secrets in ``<var>/secrets.json``, generating any that are missing."""
    var.mkdir(parents=True, exist_ok=True)
    path = var / "secrets.json"
    data: dict[str, str] = {}
    if path.exists():
        try:
            data = json.loads(path.read_text())
        except ValueError as exc:
            raise SetupError(f"{path} is not valid JSON ({exc}); fix or delete it") from exc
    changed = False
    for name in SECRET_NAMES:
        if not data.get(name):
            data[name] = _secrets.token_urlsafe(32 if "secret" in name else 18)
            changed = True
    if changed:
        write_private(path, json.dumps(data, indent=2) + "\n")
    return data


@dataclass
class Settings:
    sqlalchemy_url: str
    datastore_write_url: str
    datastore_read_url: str
    redis_url: str
    storage_path: str
    public_port: int = 5000
    internal_port: int = 5001
    solr_url: str = ""

    def site_url(self, portal: str) -> str:
        env = os.environ.get(f"LYG_{portal.upper()}_URL")
        if env:
            return env.rstrip("/")
        port = self.public_port if portal == "public" else self.internal_port
        return f"http://127.0.0.1:{port}"


def portal_ports() -> tuple[int, int]:
    try:
        return (int(os.environ.get("LYG_PUBLIC_PORT") or 5000),
                int(os.environ.get("LYG_INTERNAL_PORT") or 5001))
    except ValueError as exc:
        raise SetupError(f"LYG_PUBLIC_PORT/LYG_INTERNAL_PORT must be numbers: {exc}") from exc


def _fill(template: Path, values: dict[str, str]) -> str:
    try:
        return Template(template.read_text(encoding="utf-8")).substitute(values)
    except (KeyError, ValueError) as exc:
        raise SetupError(f"{template}: bad placeholder {exc}") from exc


def render(var: Path, settings: Settings, secrets: dict[str, str],
           variants: tuple[str, ...] = PORTALS, out: Path | None = None) -> dict[str, Path]:
    """Render ``config/base.ini`` and each variant into ``out`` (default ``var``).

    Returns ``{"base": path, "public": path, ...}``.
    """
    out = out or var
    out.mkdir(parents=True, exist_ok=True)
    src = config_dir()
    if not (src / "base.ini").exists():
        raise SetupError(f"ini templates not found in {src}")
    solr = settings.solr_url
    values = {
        "secret_key": secrets["secret_key"],
        "csrf_secret": secrets["csrf_secret"],
        "jwt_secret": secrets["jwt_secret"],
        "sqlalchemy_url": settings.sqlalchemy_url,
        "datastore_write_url": settings.datastore_write_url,
        "datastore_read_url": settings.datastore_read_url,
        "redis_url": settings.redis_url,
        "storage_path": settings.storage_path,
        # With an external Solr, lyg_search hands the search layer back to
        # CKAN's own Solr connection (ckanext.lyg.search_backend = solr).
        "search_backend": "solr" if solr else "postgres",
        "solr_line": f"solr_url = {solr}" if solr
        else "# solr_url: unused, lyg_search indexes in PostgreSQL",
        "site_url": settings.site_url("public"),
    }
    written = {"base": out / "base.ini"}
    write_private(written["base"], _fill(src / "base.ini", values))
    for name in variants:
        portal = "internal" if name == "internal" else "public"
        values["site_url"] = settings.site_url(portal)
        path = out / f"{name}.ini"
        write_private(path, _fill(src / f"{name}.ini", values))
        written[name] = path
    return written


def ini_plugins(path: Path) -> list[str]:
    """The ``ckan.plugins`` of an ini (following ``use = config:`` chains)."""
    import configparser

    chain: list[Path] = []
    current: Path | None = path
    while current is not None and current not in chain:
        chain.append(current)
        parser = configparser.RawConfigParser(strict=False)
        parser.read(current, encoding="utf-8")
        use = parser.get("app:main", "use", fallback="")
        current = current.parent / use.split(":", 1)[1] if use.startswith("config:") else None
    for p in chain:  # the most specific file wins
        parser = configparser.RawConfigParser(strict=False)
        parser.read(p, encoding="utf-8")
        if parser.has_option("app:main", "ckan.plugins"):
            return parser.get("app:main", "ckan.plugins").split()
    return []
