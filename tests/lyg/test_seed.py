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


def _site():
    return {"user": tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]}


def _show(action, name):
    return tk.get_action(action)(_site(), {"id": name})


# `make run` seeds through the internal portal's configuration: on the public
# portal not even a sysadmin reads entries that are not open
INTERNAL = pytest.mark.ckan_config("ckanext.lyg.portal", "internal")


@INTERNAL
@pytest.mark.usefixtures("clean_db", "clean_index")
def test_seed_creates_the_demo_catalog_once(storage_path):
    report = seed(ENTRIES, progress=False, workflow=False)
    assert report.workflow is None
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

    result = tk.get_action("package_search")(_site(), {"rows": 100})
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
    again = seed(ENTRIES, progress=False, workflow=False)
    assert set(again.created.values()) == {0}
    assert again.existing["entries"] == ENTRIES
    assert tk.get_action("package_search")(_site(), {})["count"] == ENTRIES

    # a bigger count only adds the new entries
    more = seed(ENTRIES + 2, progress=False, workflow=False)
    assert more.created["entries"] == 2 and more.created["organizations"] == 0


@pytest.fixture
def demo_var(monkeypatch, tmp_path):
    """The demo password is kept in a var directory of the test's own."""
    monkeypatch.setenv("LYG_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("LYG_ADMIN_PASSWORD", raising=False)
    return tmp_path / "var"


@INTERNAL
@pytest.mark.usefixtures("clean_db", "clean_index", "storage_path")
def test_seed_workflow_demo_in_every_state(demo_var):
    import sqlalchemy as sa
    from ckan import authz, model
    from ckanext.lyg.access import roles
    from ckanext.lyg.seed import workflow

    report = seed(2, progress=False)
    demo = report.workflow
    assert demo is not None and demo.created["requests"] == 9 and demo.created["reviews"] == 2
    password = (demo_var / "demo-password").read_text().strip()
    assert len(password) >= 12 and oct((demo_var / "demo-password").stat().st_mode)[-3:] == "600"
    names = [u[0] for u in workflow.demo_users()]
    assert demo.users == names and "demo-password" in str(demo)
    # every role: data authority and secrecy reviewer (stored roles, not config), staff, a public user
    assert roles.is_data_authority("dsj-admin") and roles.page_users("data_authority") == ["dsj-admin"]
    assert roles.is_secrecy_reviewer("bmj-reviewer")
    assert authz.users_role_for_group_or_org("lyg-gaj", "gaj-admin") == "admin"
    assert authz.users_role_for_group_or_org("lyg-rsj", "rsj-member") == "member"
    assert not roles.departments("citizen")
    # the demo password logs them in
    assert model.User.get("gaj-editor").validate_password(password)
    # requests and applications in every state, overdue included
    rows = model.Session.execute(sa.text(
        "SELECT kind, state, due_date < current_date AS late FROM lyg_workflow_request")).all()
    share = sorted((r.state, r.late) for r in rows if r.kind == "share")
    assert share == [("approved", False), ("expired", False), ("pending", False), ("pending", True),
                     ("refused", False), ("withdrawn", False)]
    assert sorted(r.state for r in rows if r.kind == "open") == ["approved", "pending", "refused"]
    # not-shared reviews pending, confirmed and rejected
    reviews = {name: _show("package_show", name) for name, _title, _d in workflow.REVIEW_ENTRIES}
    assert [reviews[n].get("share_review") for n in sorted(reviews)] == ["confirmed", None, "pending"]
    assert reviews["lyg-demo-bygx-2"]["share_type"] == "conditional"
    # idempotent
    again = seed(2, progress=False).workflow
    assert again is not None and set(again.created.values()) == {0}
    assert model.Session.execute(sa.text("SELECT count(*) FROM lyg_workflow_request")).scalar_one() == 9


@INTERNAL
@pytest.mark.usefixtures("clean_db", "clean_index", "storage_path", "demo_var")
def test_seed_command(cli):
    result = cli.invoke(ckan_cli, ["lyg", "seed", "--entries", "2", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "entries: 2 created" in result.output
    result = cli.invoke(ckan_cli, ["lyg", "seed", "--entries", "2", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "entries: 0 created, 2 already there" in result.output
