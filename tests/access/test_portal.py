"""Portal modes, roles and audit pages, download audit, CSRF and tokens."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ..conftest import make_org
from ..harvest.conftest import JSON_CONFIG
from .conftest import BASE, _upload


@pytest.fixture
def site(clean_db, ckan_config, monkeypatch, tmp_path):
    monkeypatch.setitem(ckan_config, "ckan.storage_path", str(tmp_path))
    monkeypatch.setitem(ckan_config, "ckanext.lyg.data_authority_users", ["p-dsj"])
    admin = factories.Sysadmin(name="p-admin")
    factories.User(name="p-dsj")
    factories.User(name="p-citizen")
    factories.User(name="p-staff", password="Correct-horse-123")
    org = make_org("p-gaj", "连云港市公安局", users=[{"name": "p-staff", "capacity": "editor"}])
    ctx = {"user": "p-staff"}
    entries = {}
    for name, fields in (("p-open", {"share_type": "unconditional", "open_type": "unconditional"}),
                         ("p-cond", {"share_type": "conditional", "share_condition": "政务用途",
                                     "open_type": "conditional", "open_condition": "实名"})):
        pkg = call_action("package_create", context=dict(ctx), **dict(BASE, name=name, title=name,
                                                                      owner_org=org["id"], **fields))
        res = call_action("resource_create", context=dict(ctx), package_id=pkg["id"], name=f"{name}.csv",
                          url=f"{name}.csv", upload=_upload(name), format="CSV")
        entries[name] = {"id": pkg["id"], "resource_id": res["id"]}
    tokens = {u: factories.APIToken(user=u)["token"] for u in ("p-admin", "p-dsj", "p-citizen", "p-staff")}
    return {"admin": admin, "org": org, "entries": entries, "tokens": tokens}


def _auth(site, user):
    return {"Authorization": site["tokens"][user]}


def _set_portal(ckan_config, monkeypatch, mode):
    monkeypatch.setitem(ckan_config, "ckanext.lyg.portal", mode)


class TestInternalPortal:
    @pytest.fixture(autouse=True)
    def _internal(self, ckan_config, monkeypatch):
        _set_portal(ckan_config, monkeypatch, "internal")

    def test_anonymous_gets_the_login_page(self, app, site):
        res = app.get("/dataset/", follow_redirects=False)
        assert res.status_code == 302 and "/user/login" in res.headers["Location"]
        login = app.get("/user/login")
        assert login.status_code == 200 and "password" in login.body
        assert app.get("/api/i18n/zh_Hans_CN").status_code == 200
        assets = re.findall(r'(?:src|href)="(/(?:webassets|lyg|base)/[^"?]+)', login.body)
        assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
        for asset in assets:  # what the login page needs is served to anyone
            assert app.get(asset, follow_redirects=False).status_code == 200, asset

    def test_api_without_token_is_401(self, app, site):
        res = app.get("/api/3/action/package_search", status=401)
        assert res.json["success"] is False

    def test_no_registration(self, app, site):
        assert app.get("/user/register", status=404)
        res = app.post("/api/3/action/user_create", json={"name": "x1", "email": "x@example.com",
                                                             "password": "Passw0rd-long"}, status=None)
        assert res.status_code in (401, 403)
        assert model.User.get("x1") is None

    def test_public_user_is_logged_out(self, app, site):
        res = app.get("/dataset/", headers=_auth(site, "p-citizen"), follow_redirects=False)
        assert res.status_code == 302 and "/user/login" in res.headers["Location"]
        api = app.get("/api/3/action/package_search", headers=_auth(site, "p-citizen"), status=403)
        assert api.json["success"] is False

    def test_staff_and_authority_get_in(self, app, site):
        for user in ("p-staff", "p-dsj", "p-admin"):
            assert app.get("/dataset/", headers=_auth(site, user)).status_code == 200

    def test_roles_page_and_audited_changes(self, app, site):
        assert app.get("/ckan-admin/lyg-roles", headers=_auth(site, "p-staff"), status=403)
        page = app.get("/ckan-admin/lyg-roles", headers=_auth(site, "p-dsj"))
        assert "p-dsj" in page.body and "readonly" in page.body  # the authority sees, cannot edit
        res = app.post("/api/3/action/lyg_roles_update", headers=_auth(site, "p-dsj"),
                       json={"role": "secrecy_reviewer", "users": ["p-citizen"]}, status=403)
        assert res.json["success"] is False
        res = app.post("/api/3/action/lyg_roles_update", headers=_auth(site, "p-admin"),
                       json={"role": "secrecy_reviewer", "users": ["p-citizen", "nobody-here"]}, status=409)
        assert "nobody-here" in res.json["error"]["users"][0]
        res = app.post("/api/3/action/lyg_roles_update", headers=_auth(site, "p-admin"),
                       json={"role": "secrecy_reviewer", "users": "p-citizen\np-staff"})
        assert res.json["result"]["added"] == ["p-citizen", "p-staff"]
        res = app.post("/api/3/action/lyg_roles_update", headers=_auth(site, "p-admin"),
                       json={"role": "secrecy_reviewer", "users": ["p-staff"]})
        assert res.json["result"]["removed"] == ["p-citizen"]
        rows = call_action("lyg_audit_list", context={"user": "p-dsj"}, event="role.grant")["results"]
        assert {r["detail"]["user"] for r in rows} == {"p-citizen", "p-staff"}
        assert all(r["actor"] == "p-admin" and r["portal"] == "internal" for r in rows)
        revoked = call_action("lyg_audit_list", context={"user": "p-dsj"}, event="role.revoke")["results"]
        assert [r["detail"]["user"] for r in revoked] == ["p-citizen"]
        shown = call_action("lyg_roles_show", context={"user": "p-dsj"})
        assert shown["secrecy_reviewer"]["page"] == ["p-staff"]
        assert shown["data_authority"]["config"] == ["p-dsj"]

    def test_roles_form_by_sysadmin(self, app, site):
        page = app.get("/ckan-admin/lyg-roles", headers=_auth(site, "p-admin"))
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.body)
        data = {"data_authority": "p-staff", "secrecy_reviewer": ""}
        if token:
            data["_csrf_token"] = token.group(1)
        res = app.post("/ckan-admin/lyg-roles", headers=_auth(site, "p-admin"), data=data)
        assert res.status_code == 200
        shown = call_action("lyg_roles_show", context={"user": "p-admin"})
        assert shown["data_authority"]["page"] == ["p-staff"]

    def test_downloads_audited_and_audit_readable_by_authority_only(self, app, site):
        e = site["entries"]
        for name in ("p-open", "p-cond"):
            url = f"/dataset/{e[name]['id']}/resource/{e[name]['resource_id']}/download/{name}.csv"
            assert app.get(url, headers=_auth(site, "p-staff")).status_code == 200
        rows = call_action("lyg_audit_list", context={"user": "p-dsj"}, event="data.download")["results"]
        assert [(r["package_id"], r["actor"], r["portal"]) for r in rows] == [(e["p-cond"]["id"], "p-staff",
                                                                                "internal")]
        assert app.get("/ckan-admin/lyg-audit", headers=_auth(site, "p-staff"), status=403)
        page = app.get("/ckan-admin/lyg-audit", headers=_auth(site, "p-dsj"),
                       query_string={"event": "data.download"})
        assert "p-staff" in page.body and e["p-cond"]["id"] in page.body
        bad = app.get("/ckan-admin/lyg-audit", headers=_auth(site, "p-dsj"), query_string={"since": "昨天"})
        assert bad.status_code == 200 and "2026-01-31" in bad.body
        res = app.get("/ckan-admin/lyg-audit.csv", headers=_auth(site, "p-dsj"))
        body = res.body.lstrip("\ufeff")
        table = list(csv.reader(io.StringIO(body)))
        assert table[0][:3] == ["id", "created", "event"] and table[1][2] == "data.download"
        assert app.get("/ckan-admin/lyg-audit.csv", headers=_auth(site, "p-citizen"), status=302,
                       follow_redirects=False)
        status = app.get("/api/3/action/lyg_audit_list", headers=_auth(site, "p-staff"), status=403)
        assert status.json["success"] is False


    def test_authority_profile_links_to_audit_and_roles(self, app, site):
        page = app.get("/user/p-dsj", headers=_auth(site, "p-dsj")).body
        assert "/ckan-admin/lyg-audit" in page and "/ckan-admin/lyg-roles" in page
        assert "/ckan-admin/lyg-audit" not in app.get("/user/p-staff", headers=_auth(site, "p-staff")).body


class TestPublicPortal:
    def test_registration_and_gov_pages(self, app, site):
        assert app.get("/user/register").status_code == 200
        for url in ("/ckan-admin/lyg-roles", "/ckan-admin/lyg-audit", "/catalog/import"):
            assert app.get(url, headers=_auth(site, "p-admin"), status=404)

    def test_harvest_sources_are_not_on_the_public_portal(self, app, site):
        """Harvest sources name the departments' systems (URLs, tables)."""
        call_action("harvest_source_create", context={"user": "p-admin"}, name="p-src",
                    url="http://127.0.0.1:9/catalog.json", source_type="lyg_json",
                    owner_org=site["org"]["id"], config=json.dumps(JSON_CONFIG))
        for url in ("/harvest/", "/harvest/p-src", "/harvest/p-src/job", "/harvest/new"):
            assert app.get(url, headers=_auth(site, "p-admin"), status=404)
        for action in ("harvest_source_list", "harvest_source_show?id=p-src"):
            res = app.get(f"/api/3/action/{action}", status=404)
            assert res.json["success"] is False and "p-src" not in res.body

    def test_refused_data_says_how_to_apply(self, app, site):
        e = site["entries"]["p-cond"]
        url = f"/dataset/{e['id']}/resource/{e['resource_id']}/download/p-cond.csv"
        res = app.get(url, headers=_auth(site, "p-staff"), status=403)  # staff too: the public column
        assert f"/catalog/request/new?package={e['id']}" in res.body
        en = app.get("/en" + url, status=403)
        assert "Apply at" in en.body

    def test_api_write_without_token_refused(self, app, site):
        res = app.post("/api/3/action/package_create", json={"name": "x", "owner_org": site["org"]["id"]},
                       status=403)
        assert res.json["success"] is False

    def test_form_post_without_csrf_token_refused(self, app, site):
        # a script's token-authenticated request to the form (CKAN exempts the
        # view from CSRF for that request) must not leave it unprotected
        app.get("/dataset/new", headers=_auth(site, "p-admin"))
        page = app.get("/user/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.body).group(1)
        app.post("/user/login", data={"login": "p-staff", "password": "Correct-horse-123",
                                      "_csrf_token": token})
        res = app.post("/dataset/new", data={"name": "sneaky", "title": "x", "owner_org": site["org"]["id"]},
                       status=None)
        assert res.status_code == 400 and "CSRF" in res.body
        assert model.Package.get("sneaky") is None


def test_request_link_leads_to_the_workflow_form(app, site, ckan_config, monkeypatch):
    e = site["entries"]["p-cond"]
    res = app.get("/catalog/request/new", query_string={"package": e["id"]}, follow_redirects=False)
    assert res.status_code == 302 and f"/workflow/new/open/{e['id']}" in res.headers["Location"]
    monkeypatch.setitem(ckan_config, "ckanext.lyg.portal", "internal")
    res = app.get("/catalog/request/new", query_string={"package": e["id"]},
                  headers=_auth(site, "p-staff"), follow_redirects=False)
    assert res.status_code == 302 and f"/workflow/new/share/{e['id']}" in res.headers["Location"]
    assert app.get("/catalog/request/new", query_string={"package": "no-such"},
                   headers=_auth(site, "p-staff"), status=404)


def test_writers_still_write_entries_hidden_on_the_public_portal(app, site):
    """Writes follow CKAN's permissions on either portal; reading stays the public column."""
    entry = call_action("package_create", context={"user": "p-staff"},
                        **dict(BASE, name="p-secret", title="p-secret", owner_org=site["org"]["id"],
                               share_type="none", open_type="none", share_basis="《保密法》"))
    res = call_action("resource_create", context={"user": "p-staff"}, package_id=entry["id"],
                      name="x.csv", url="http://example.com/x.csv")
    assert res["package_id"] == entry["id"]
    site_user = call_action("get_site_user", context={"ignore_auth": True})["name"]
    call_action("package_patch", context={"user": site_user}, id=entry["id"], notes="改")
    for user in ("p-staff", "p-admin"):
        assert app.get(f"/api/3/action/package_show?id={entry['id']}", headers=_auth(site, user),
                       status=404).json["success"] is False
