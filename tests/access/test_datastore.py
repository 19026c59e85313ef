"""DataStore reads obey the access rule: rows only with the ``data`` level,
404 for hidden entries (``datastore_search`` and ``datastore_search_sql``).

The DataStore needs a database of its own and a read-only role: this module
creates them (``<test db>_ds``, role ``<test db>_ro``) on the test server."""

from __future__ import annotations

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ..conftest import make_org, with_catalog_plugins
from .conftest import BASE


@pytest.fixture
def ckan_config(ckan_config, monkeypatch, datastore_urls):
    write, read = datastore_urls
    monkeypatch.setitem(ckan_config, "ckan.plugins", with_catalog_plugins(ckan_config["ckan.plugins"])
                        + ["datastore"])
    monkeypatch.setitem(ckan_config, "ckan.datastore.write_url", write)
    monkeypatch.setitem(ckan_config, "ckan.datastore.read_url", read)
    monkeypatch.setitem(ckan_config, "ckan.datastore.sqlsearch.enabled", True)
    return ckan_config


@pytest.fixture
def tables(clean_db):
    factories.Sysadmin(name="ds-admin")
    factories.User(name="ds-staff")
    factories.User(name="ds-other")
    org = make_org("ds-gaj", "连云港市公安局", users=[{"name": "ds-staff", "capacity": "editor"}])
    make_org("ds-tjj", "连云港市统计局", users=[{"name": "ds-other", "capacity": "member"}])
    out = {}
    for name, fields in (("ds-open", {"share_type": "unconditional", "open_type": "unconditional"}),
                         ("ds-cond", {"share_type": "conditional", "share_condition": "政务用途",
                                      "open_type": "none"})):
        pkg = call_action("package_create", context={"user": "ds-staff"},
                          **dict(BASE, name=name, title=f"{name} 标题", owner_org=org["id"], **fields))
        res = call_action("datastore_create", context={"user": "ds-staff"},
                          resource={"package_id": pkg["id"], "name": f"{name} rows"},
                          fields=[{"id": "姓名", "type": "text"}], records=[{"姓名": "张三"}])
        out[name] = {"package_id": pkg["id"], "resource_id": res["resource_id"]}
    return out


def _search(app, resource_id, user=None):
    headers = {"Authorization": factories.APIToken(user=user)["token"]} if user else {}
    return app.get("/api/3/action/datastore_search", query_string={"resource_id": resource_id},
                   headers=headers, status=None)


def _sql(app, resource_id, user=None):
    headers = {"Authorization": factories.APIToken(user=user)["token"]} if user else {}
    return app.get("/api/3/action/datastore_search_sql",
                   query_string={"sql": f'SELECT * FROM "{resource_id}"'}, headers=headers, status=None)


def test_public_portal(app, tables):
    ok = _search(app, tables["ds-open"]["resource_id"])
    assert ok.status_code == 200 and ok.json["result"]["records"][0]["姓名"] == "张三"
    assert _sql(app, tables["ds-open"]["resource_id"]).status_code == 200
    for res in (_search(app, tables["ds-cond"]["resource_id"]), _sql(app, tables["ds-cond"]["resource_id"]),
                _search(app, tables["ds-cond"]["resource_id"], user="ds-staff")):
        assert res.status_code == 404, res.body
        assert "ds-cond" not in res.body and "张三" not in res.body


def test_internal_portal(app, tables, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "ckanext.lyg.portal", "internal")
    cond = tables["ds-cond"]
    refused = _search(app, cond["resource_id"], user="ds-other")
    assert refused.status_code == 403 and "张三" not in refused.body
    assert f"/catalog/request/new?package={cond['package_id']}" in refused.json["error"]["message"]
    sql = _sql(app, cond["resource_id"], user="ds-other")
    assert sql.status_code == 403 and "张三" not in sql.body
    both = app.get("/api/3/action/datastore_search_sql", status=None,
                   headers={"Authorization": factories.APIToken(user="ds-other")["token"]},
                   query_string={"sql": f'SELECT * FROM "{tables["ds-open"]["resource_id"]}" '
                                        f'UNION ALL SELECT * FROM "{cond["resource_id"]}"'})
    assert both.status_code == 403 and "张三" not in both.body
    assert _search(app, tables["ds-open"]["resource_id"], user="ds-other").status_code == 200
    own = _search(app, cond["resource_id"], user="ds-staff")
    assert own.status_code == 200 and own.json["result"]["records"][0]["姓名"] == "张三"
    assert _search(app, cond["resource_id"]).status_code == 401  # the portal gate
    # the provider's reads of its conditional entry are audited, the open entry's are not
    rows = call_action("lyg_audit_list", context={"user": "ds-admin"}, event="data.datastore")["results"]
    assert [(r["actor"], r["package_id"], r["detail"]["action"]) for r in rows] == [
        ("ds-staff", cond["package_id"], "datastore_search")]
