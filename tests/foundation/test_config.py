"""The rendered ini files: portal, locale and plugin settings; secrets stay in var/."""

from __future__ import annotations

import re
import stat
import subprocess
from pathlib import Path

import pytest
from ckanext.lyg_dev.config import (
    SECRET_NAMES,
    Settings,
    config_dir,
    ini_plugins,
    load_secrets,
    render,
)

ROOT = Path(__file__).resolve().parents[2]


def _settings(tmp: Path, **kw) -> Settings:
    return Settings(
        sqlalchemy_url="postgresql://lyg:pw@127.0.0.1:5432/lyg",
        datastore_write_url="postgresql://lyg:pw@127.0.0.1:5432/lyg_datastore",
        datastore_read_url="postgresql://lyg_datastore_ro:pw2@127.0.0.1:5432/lyg_datastore",
        redis_url="redis://127.0.0.1:6379/0",
        storage_path=str(tmp / "storage"),
        public_port=5000,
        internal_port=5001,
        **kw,
    )


def _load(path: Path) -> dict:
    """The ini as CKAN reads it (following `use = config:` chains)."""
    from ckan.cli import CKANConfigLoader

    return CKANConfigLoader(str(path)).get_config()


@pytest.fixture
def rendered(tmp_path, monkeypatch):
    for var in ("LYG_PUBLIC_URL", "LYG_INTERNAL_URL"):
        monkeypatch.delenv(var, raising=False)
    secrets = load_secrets(tmp_path)
    inis = render(tmp_path, _settings(tmp_path), secrets)
    return tmp_path, secrets, inis


def test_portals_differ_only_where_they_should(rendered):
    _var, _secrets, inis = rendered
    public, internal = _load(inis["public"]), _load(inis["internal"])
    assert public["ckanext.lyg.portal"] == "public"
    assert internal["ckanext.lyg.portal"] == "internal"
    assert public["ckan.site_title"] == "连云港市公共数据开放平台"
    assert internal["ckan.site_title"] == "连云港市政务信息共享平台"
    assert public["ckan.site_url"] == "http://127.0.0.1:5000"
    assert internal["ckan.site_url"] == "http://127.0.0.1:5001"
    assert public["SESSION_COOKIE_NAME"] != internal["SESSION_COOKIE_NAME"]
    for conf in (public, internal):
        assert conf["ckan.locale_default"] == "zh_Hans_CN"
        assert conf["ckan.locales_offered"].split() == ["zh_Hans_CN", "en"]
        assert conf["ckan.site_id"] == "lyg"  # one search index for both
        assert conf["sqlalchemy.url"] == "postgresql://lyg:pw@127.0.0.1:5432/lyg"
        assert conf["ckan.redis.url"] == "redis://127.0.0.1:6379/0"
        assert conf["ckanext.spatial.search_backend"] == "solr-bbox"


def test_plugins_lyg_search_first(rendered):
    _var, _secrets, inis = rendered
    for name in ("public", "internal"):
        plugins = ini_plugins(inis[name])
        assert plugins[0] == "lyg_search"
        for required in ("lyg", "activity", "datastore", "spatial_metadata", "spatial_query",
                         "harvest", "ckan_harvester", "dcat", "dcat_json_interface",
                         "structured_data", "text_view", "datatables_view"):
            assert required in plugins
        assert len(plugins) == len(set(plugins))


def test_secrets_generated_once_private_and_used(rendered):
    var, secrets, inis = rendered
    assert set(SECRET_NAMES) <= set(secrets)
    assert load_secrets(var) == secrets  # stable across runs
    path = var / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    conf = _load(inis["public"])
    assert conf["SECRET_KEY"] == secrets["secret_key"]
    assert conf["beaker.session.secret"] == secrets["secret_key"]
    assert conf["WTF_CSRF_SECRET_KEY"] == secrets["csrf_secret"]
    assert conf["api_token.jwt.encode.secret"] == "string:" + secrets["jwt_secret"]
    assert conf["api_token.jwt.decode.secret"] == "string:" + secrets["jwt_secret"]
    for path in inis.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    other = load_secrets(var / "elsewhere")
    assert other["secret_key"] != secrets["secret_key"]


SECRET_KEYS = re.compile(
    r"^\s*(SECRET_KEY|beaker\.session\.secret|WTF_CSRF_SECRET_KEY|api_token\.jwt\.\w+\.secret"
    r"|sqlalchemy\.url|ckan\.datastore\.\w+_url)\s*=\s*(.*)$",
    re.M,
)


def test_templates_hold_placeholders_not_secrets():
    seen = 0
    for template in config_dir().glob("*.ini"):
        for key, value in SECRET_KEYS.findall(template.read_text(encoding="utf-8")):
            seen += 1
            assert "${" in value, f"{template.name}: {key} must be a placeholder, got {value!r}"
    assert seen >= 7


def test_nothing_generated_is_tracked_by_git():
    proc = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip("not a git checkout")
    tracked = proc.stdout.splitlines()
    assert not [f for f in tracked if f.startswith(("var/", ".venv/"))]
    assert "secrets.json" not in {Path(f).name for f in tracked}
    ignored = subprocess.run(["git", "check-ignore", "-q", "var/secrets.json"], cwd=ROOT)
    assert ignored.returncode == 0


def test_external_solr_switches_the_search_backend(tmp_path):
    secrets = load_secrets(tmp_path)
    inis = render(tmp_path, _settings(tmp_path, solr_url="http://127.0.0.1:8983/solr/lyg"),
                  secrets)
    conf = _load(inis["public"])
    assert conf["solr_url"] == "http://127.0.0.1:8983/solr/lyg"
    assert conf["ckanext.lyg.search_backend"] == "solr"
    # lyg_search stays loaded (first) and hands the search layer back to CKAN's Solr
    assert conf["ckan.plugins"].split()[0] == "lyg_search"


def test_postgres_search_backend_by_default(tmp_path):
    conf = _load(render(tmp_path, _settings(tmp_path), load_secrets(tmp_path))["public"])
    assert conf["ckanext.lyg.search_backend"] == "postgres"
    assert conf["ckan.plugins"].split()[0] == "lyg_search"


def test_site_urls_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LYG_PUBLIC_URL", "https://data.lyg.gov.cn/")
    monkeypatch.setenv("LYG_INTERNAL_URL", "https://share.lyg.gov.cn")
    inis = render(tmp_path, _settings(tmp_path), load_secrets(tmp_path))
    assert _load(inis["public"])["ckan.site_url"] == "https://data.lyg.gov.cn"
    assert _load(inis["internal"])["ckan.site_url"] == "https://share.lyg.gov.cn"
