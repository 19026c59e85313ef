"""Fixtures of the lyg tests (the suite-wide ones are in tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    """The .mo files are build products (gitignored): make sure they exist and
    are current before any app is created."""
    from ckanext.lyg import translations

    translations.compile_catalogs()


@pytest.fixture
def storage_path(ckan_config, monkeypatch, tmp_path):
    """A private file store for uploads made by the test."""
    monkeypatch.setitem(ckan_config, "ckan.storage_path", str(tmp_path))
    return tmp_path


def pytest_configure(config):
    config.addinivalue_line("markers", "ckan_config(key, value): CKAN config for the test")
