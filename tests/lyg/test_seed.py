"""``ckan lyg seed`` against the test database: real actions, real uploads."""

from __future__ import annotations

import json
import os

import ckan.plugins.toolkit as tk
import pytest
from ckan.cli.cli import ckan as ckan_cli
from ckanext.lyg import uscc
from ckanext.lyg.seed import generate
from ckanext.lyg.seed.load import seed

ENTRIES = 13  # entries 0, 6 and 12 get data files


def _extras(obj):
    return {e["key"]: e["value"] for e in obj.get("extras", [])}


def _show(action, name):
    return tk.get_action(action)({"ignore_auth": True}, {"id": name})


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_seed_creates_the_demo_catalog_once(storage_path):
    report = seed(ENTRIES, progress=False)
    assert report.created == {
        "organizations": len(generate.organizations()),
        "groups": len(generate.groups()),
        "entries": ENTRIES,
        "resources": report.created["resources"],
    }
    assert report.created["resources"] >= 3

    orgs = tk.get_action("organization_list")({}, {})
    assert sorted(orgs) == sorted(o["name"] for o in generate.organizations())
    police = _show("organization_show", "lyg-gaj")
    assert police["title"] == "连云港市公安局"
    # departments: the catalog fields of the organization schema
    assert uscc.is_valid(police["provider_code"])
    assert police["short_name"] == "市公安局" and police["kind"] == "市级部门"
    assert police["contact_phone"].startswith("0518-")

    group_names = tk.get_action("group_list")({}, {})
    assert {"population", "macro-economy", "emergency-stability"} <= set(group_names)
    assert len(group_names) == 18

    result = tk.get_action("package_search")({"ignore_auth": True}, {"rows": 100})
    assert result["count"] == ENTRIES

    for entry in generate.entries(ENTRIES):
        pkg = _show("package_show", entry["name"])
        assert pkg["title"] == entry["title"]
        assert pkg["organization"]["name"] == entry["owner_org"]
        assert not _extras(pkg), "every catalog field goes through the schema"
        fields = entry["fields"]
        assert pkg["resource_code"] == fields["resource_code"]
        assert pkg["provider_code"] == _show("organization_show", entry["owner_org"])["provider_code"]
        assert pkg["info_items"] == fields["info_items"]
        for key, value in fields.items():
            if key in ("spatial", "info_items") or value in ("", None):
                continue
            expected = value if isinstance(value, list) else str(value)
            assert pkg[key] == expected, key
        if "spatial" in fields:
            assert json.loads(pkg["spatial"])["type"] == "Polygon"
        assert {g["name"] for g in pkg["groups"]} == set(entry["groups"])
        assert {t["name"] for t in pkg["tags"]} == set(entry["tags"])
        if not entry["with_resources"]:
            assert pkg["resources"] == []
            continue
        assert pkg["resources"]
        for res in pkg["resources"]:
            assert res["url_type"] == "upload"
            assert res["last_modified"]
            assert res["size"] > 100
            assert res["format"] in ("CSV", "XLSX", "JSON", "GeoJSON")
            stored = storage_path / "resources" / res["id"][:3] / res["id"][3:6] / res["id"][6:]
            assert stored.is_file() and os.path.getsize(stored) == res["size"]

    # re-running creates nothing
    again = seed(ENTRIES, progress=False)
    assert set(again.created.values()) == {0}
    assert again.existing["entries"] == ENTRIES
    assert tk.get_action("package_search")({"ignore_auth": True}, {})["count"] == ENTRIES

    # a bigger count only adds the new entries
    more = seed(ENTRIES + 2, progress=False)
    assert more.created["entries"] == 2 and more.created["organizations"] == 0


@pytest.mark.usefixtures("clean_db", "clean_index", "storage_path")
def test_seed_command(cli):
    result = cli.invoke(ckan_cli, ["lyg", "seed", "--entries", "2", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "entries: 2 created" in result.output
    result = cli.invoke(ckan_cli, ["lyg", "seed", "--entries", "2", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "entries: 0 created, 2 already there" in result.output
