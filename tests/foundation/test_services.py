"""How PostgreSQL and Redis are found, and the messages for a bad environment."""

from __future__ import annotations

import pytest
from ckanext.lyg_dev import services
from ckanext.lyg_dev.util import SetupError, free_port


def test_env_urls_win(tmp_path, monkeypatch):
    pg = services.SYSTEM_PG
    rd = services.SYSTEM_REDIS
    if not services.pg_answers(f"postgresql://postgres@{pg[0]}:{pg[1]}/postgres")[0]:
        pytest.skip("no system PostgreSQL here")
    if not services.redis_ping(f"redis://{rd[0]}:{rd[1]}/0"):
        pytest.skip("no system Redis here")
    url = f"postgresql://postgres@{pg[0]}:{pg[1]}/lyg_does_not_exist_yet"
    monkeypatch.setenv("CKAN_SQLALCHEMY_URL", url)
    monkeypatch.setenv("CKAN_REDIS_URL", f"redis://{rd[0]}:{rd[1]}/3")
    found = services.resolve(tmp_path, embedded=True)  # env beats LYG_EMBEDDED
    assert (found.pg_source, found.pg_url) == ("env", url)
    assert (found.redis_source, found.redis_url) == ("env", f"redis://{rd[0]}:{rd[1]}/3")
    assert found.pg is None and found.redis is None
    assert not list(tmp_path.iterdir())  # nothing embedded was started


def test_unreachable_env_postgres_is_a_clear_error(tmp_path, monkeypatch):
    port = free_port()
    monkeypatch.setenv("CKAN_SQLALCHEMY_URL", f"postgresql://postgres@127.0.0.1:{port}/x")
    with pytest.raises(SetupError, match="CKAN_SQLALCHEMY_URL is set but PostgreSQL"):
        services.resolve(tmp_path)


def test_unreachable_env_redis_is_a_clear_error(tmp_path, monkeypatch):
    pg = services.SYSTEM_PG
    url = f"postgresql://postgres@{pg[0]}:{pg[1]}/postgres"
    if not services.pg_answers(url)[0]:
        pytest.skip("no system PostgreSQL here")
    monkeypatch.setenv("CKAN_SQLALCHEMY_URL", url)
    monkeypatch.setenv("CKAN_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(SetupError, match="CKAN_REDIS_URL is set but Redis did not answer"):
        services.resolve(tmp_path)


def test_url_helpers():
    assert services.with_db("postgresql://u:p@h:5/a", "b") == "postgresql://u:p@h:5/b"
    assert services.with_redis_db("redis://h:6379/0", 2) == "redis://h:6379/2"
    assert services.truthy("1") and services.truthy("yes") and not services.truthy("0")
