"""Tag and format lists show only what the user may see: a tag or format that
only hidden entries carry does not appear (``spec/access.md``: nothing
anywhere)."""

from __future__ import annotations

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ..conftest import make_org
from .conftest import BASE


@pytest.fixture
def site(clean_db):
    admin = factories.Sysadmin(name="l-admin")
    staff = factories.User(name="l-staff")
    org = make_org(name="l-dept", title="连云港市测试局",
                   users=[{"name": staff["name"], "capacity": "editor"}])
    ctx = {"user": admin["name"]}
    call_action("package_create", context=dict(ctx), **dict(
        BASE, name="l-open", title="开放条目", owner_org=org["id"], share_type="unconditional",
        open_type="unconditional", tags=[{"name": "公开标签"}],
        resources=[{"url": "http://example.com/a.csv", "format": "CSV"}]))
    call_action("package_create", context=dict(ctx), **dict(
        BASE, name="l-secret", title="共享条目", owner_org=org["id"], share_type="unconditional",
        open_type="none", tags=[{"name": "内部标签"}],
        resources=[{"url": "http://example.com/a.shp", "format": "SHP"}]))
    return {"admin": admin, "staff": staff}


def _ask(action, user, **kw):
    return call_action(action, context={"user": user or "", "ignore_auth": False}, **kw)


def test_public_portal_lists_only_open_tags_and_formats(site):
    assert "公开标签" in _ask("tag_list", None) and "内部标签" not in _ask("tag_list", None)
    names = [t["name"] for t in _ask("tag_list", None, all_fields=True)]
    assert "内部标签" not in names and "公开标签" in names
    assert _ask("tag_autocomplete", None, q="标签") == ["公开标签"]
    assert _ask("format_autocomplete", None, q="s") == ["csv"]



def test_public_portal_api_for_a_sysadmin_too(app, site):
    token = factories.APIToken(user="l-admin")["token"]
    res = app.get("/api/3/action/tag_list", headers={"Authorization": token})
    assert "公开标签" in res.json["result"] and "内部标签" not in res.json["result"]


@pytest.mark.ckan_config("ckanext.lyg.portal", "internal")
def test_internal_portal_lists_what_staff_may_see(site):
    assert set(_ask("tag_autocomplete", "l-staff", q="标签")) == {"公开标签", "内部标签"}
    assert set(_ask("format_autocomplete", "l-staff", q="s")) == {"csv", "shp"}
