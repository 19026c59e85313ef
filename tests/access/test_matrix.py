"""The leak matrix: every role × every entry class × both portals × every path.

The expected outcome is written out below as the table of ``spec/access.md``
(not computed by the code under test): ``data`` (entry and data), ``metadata``
(entry shown, data refused with a way to apply) or ``none`` (404 everywhere,
absent from search, counts, facets, autocomplete, activity, feeds, DCAT and
user/organization pages, never named in an error).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from .conftest import AUTHORITY, ENTRIES, REVIEWER

D, M, N = "data", "metadata", "none"
CLASSES = list(ENTRIES)

PUBLIC_COLUMN = {"open": D, "open_cond_su": M, "open_cond_sc": M, "share": N, "share_cond": N,
                 "none_pending": N, "none_confirmed": N, "private": N}
OTHER_DEPT = {"open": D, "open_cond_su": D, "open_cond_sc": M, "share": D, "share_cond": M,
              "none_pending": M, "none_confirmed": M, "private": N}
EVERYTHING = dict.fromkeys(CLASSES, D)
NOTHING = dict.fromkeys(CLASSES, N)

EXPECTED = {
    "public": {
        "anonymous": PUBLIC_COLUMN,
        "citizen": PUBLIC_COLUMN,
        "citizen_app": dict(PUBLIC_COLUMN, open_cond_su=D, open_cond_sc=D),  # approved applications
        "other": PUBLIC_COLUMN,
        "other_req": PUBLIC_COLUMN,
        "reviewer": PUBLIC_COLUMN,
        "provider": PUBLIC_COLUMN,
        "authority": PUBLIC_COLUMN,
        "sysadmin": PUBLIC_COLUMN,
    },
    "internal": {
        "anonymous": NOTHING,  # the portal gate: login page / 401
        "citizen": NOTHING,
        "citizen_app": NOTHING,
        "other": OTHER_DEPT,
        "other_req": dict(OTHER_DEPT, share_cond=D, open_cond_sc=D),  # approved sharing requests
        "reviewer": OTHER_DEPT,
        "provider": EVERYTHING,
        "authority": EVERYTHING,
        "sysadmin": EVERYTHING,
    },
}
GRANT_ROLES = ("citizen_app", "other_req")

@pytest.fixture
def cat(matrix_catalog, ckan_config, monkeypatch, request):
    portal = request.node.callspec.params["portal"]
    monkeypatch.setitem(ckan_config, "ckan.storage_path", matrix_catalog["storage"])
    monkeypatch.setitem(ckan_config, "ckanext.lyg.data_authority_users", [AUTHORITY])
    monkeypatch.setitem(ckan_config, "ckanext.lyg.secrecy_reviewer_users", [REVIEWER])
    monkeypatch.setitem(ckan_config, "ckanext.lyg.portal", portal)
    return matrix_catalog


def _grants_available() -> bool:
    try:
        from ckanext.lyg.workflow import grants  # noqa: F401
    except ImportError:
        return False
    return True


def _named(res, e: dict, url: str) -> bool:
    """The entry's title, or its name outside the URL the user asked for, is in the response."""
    body = res.body.replace(url, "")
    return e["title"] in body or e["name"] in body


class Client:
    """Requests as one role (API token in the Authorization header, pages too)."""

    def __init__(self, app, token: str | None):
        self.app = app
        self.headers = {"Authorization": token} if token else {}

    def get(self, url, **kw):
        return self.app.get(url, headers=self.headers, status=None, follow_redirects=False, **kw)

    def action(self, name, **params):
        res = self.get(f"/api/3/action/{name}", query_string=params)
        return res.status_code, (res.json if res.content_type.startswith("application/json") else None)


def _gate_refuses(client: Client, cat: dict) -> None:
    """Internal portal, not staff: login page for pages, 401/403 for the API."""
    entry = cat["entries"]["open"]
    for url in ("/", "/dataset/", f"/dataset/{entry['name']}", "/organization/", "/feeds/dataset.atom",
                "/catalog.jsonld", f"/dataset/{entry['id']}/resource/{entry['resource_id']}/download/x.csv"):
        res = client.get(url)
        assert res.status_code == 302 and "/user/login" in res.headers["Location"], url
    for name, params in (("package_search", {}), ("package_show", {"id": entry["id"]}),
                         ("organization_list", {})):
        status, body = client.action(name, **params)
        assert status in (401, 403) and body["success"] is False, name
    assert client.get("/user/login").status_code == 200


@pytest.mark.parametrize("portal", ["public", "internal"])
@pytest.mark.parametrize("role", list(EXPECTED["public"]))
def test_leak_matrix(app, cat, portal, role):
    if role in GRANT_ROLES and not _grants_available():
        pytest.skip("approved requests/applications need ckanext.lyg.workflow.grants")
    expected = EXPECTED[portal][role]
    client = Client(app, cat["tokens"].get(role))
    entries = cat["entries"]
    if portal == "internal" and role in ("anonymous", "citizen", "citizen_app"):
        _gate_refuses(client, cat)
        return
    problems: list[str] = []

    def check(cond: bool, what: str) -> None:
        if not cond:
            problems.append(what)

    visible = {cls for cls, lvl in expected.items() if lvl != N}
    for cls, e in entries.items():
        lvl = expected[cls]
        # package_show / resource_show (API)
        status, body = client.action("package_show", id=e["id"])
        check(status == (404 if lvl == N else 200), f"{cls}: package_show {status}")
        if lvl == N:
            check(e["name"] not in json.dumps(body, ensure_ascii=False), f"{cls}: name in 404 body")
        status, _ = client.action("resource_show", id=e["resource_id"])
        check(status == (404 if lvl == N else 200), f"{cls}: resource_show {status}")
        status, _ = client.action("package_activity_list", id=e["id"])
        check(status == (404 if lvl == N else 200), f"{cls}: package_activity_list {status}")
        # entry page, resource page
        page = client.get(f"/dataset/{e['name']}")
        check(page.status_code == (404 if lvl == N else 200), f"{cls}: entry page {page.status_code}")
        # links only: the schema.org description (structured_data) names the URL, which stays refused
        download = f"/dataset/{e['id']}/resource/{e['resource_id']}/download/{e['name']}.csv"
        if lvl == N:
            check(not _named(page, e, f"/dataset/{e['name']}"), f"{cls}: named in 404 page")
        else:
            shown = f'{download}"' in page.body.replace(f'"schema:url": "http://test.ckan.net{download}"', "")
            check(shown == (lvl == D), f"{cls}: download link shown={shown}")
        rpage = client.get(f"/dataset/{e['name']}/resource/{e['resource_id']}")
        check(rpage.status_code == (404 if lvl == N else 200), f"{cls}: resource page {rpage.status_code}")
        if lvl != N:
            check((f'{download}"' in rpage.body) == (lvl == D), f"{cls}: resource page download link")
        # the file itself
        res = client.get(download)
        want = {D: 200, M: 403, N: 404}[lvl]
        check(res.status_code == want, f"{cls}: download {res.status_code} (want {want})")
        if lvl == M:
            check(f"/catalog/request/new?package={e['id']}" in res.body, f"{cls}: refusal without link")
        if lvl == N:
            check(not _named(res, e, download), f"{cls}: named in download 404")

    # search: results, counts and facet numbers
    status, body = client.action("package_search", q="*:*", rows=100, include_private=True,
                                 **{"facet.field": '["share_type","organization"]'})
    found = {r["name"] for r in body["result"]["results"]}
    want = {entries[c]["name"] for c in visible}
    check(found == want, f"search: {sorted(found ^ want)} differ")
    check(body["result"]["count"] == len(want), f"search count {body['result']['count']}")
    facet = {i["name"]: i["count"] for i in body["result"]["search_facets"]["share_type"]["items"]}
    want_facet = Counter(entries[c]["share_type"] for c in visible)
    check(facet == dict(want_facet), f"share_type facet {facet} != {dict(want_facet)}")
    orgs = {i["name"]: i["count"] for i in body["result"]["search_facets"]["organization"]["items"]}
    check(orgs == ({"acc-gaj": len(want)} if want else {}), f"organization facet {orgs}")
    # the search page
    spage = client.get("/dataset/", query_string={"q": "测试条目"})
    for cls, e in entries.items():
        check((f"/dataset/{e['name']}" in spage.body) == (cls in visible), f"{cls}: search page")
    # autocomplete
    status, body = client.action("package_autocomplete", q="acc-", limit=50)
    found = {r["name"] for r in body["result"]}
    check(found == {entries[c]["name"] for c in visible}, f"autocomplete {sorted(found)}")
    # package_list (public, active names) and the department's member list
    status, body = client.action("package_list")
    listed = set(body["result"]) & {e["name"] for e in entries.values()}
    check(listed == {entries[c]["name"] for c in visible - {"private"}}, f"package_list {sorted(listed)}")
    status, body = client.action("member_list", id="acc-gaj", object_type="package")
    members = {m[0] for m in body["result"]} if status == 200 else set()
    hidden_ids = {entries[c]["id"] for c in CLASSES if c not in visible}
    check(status == 200 and not members & hidden_ids, f"member_list {status} {members & hidden_ids}")
    # resource_search (resources of public, active packages)
    status, body = client.action("resource_search", query="name:acc-")
    found = {r["package_id"] for r in body["result"]["results"]}
    want_ids = {entries[c]["id"] for c in visible - {"private"}}
    check(found == want_ids and body["result"]["count"] == len(want_ids), f"resource_search {len(found)}")
    # organization counts (list and show)
    status, body = client.action("organization_list", all_fields=True)
    counts = {o["name"]: o["package_count"] for o in body["result"]}
    check(counts.get("acc-gaj") == len(visible), f"organization_list count {counts.get('acc-gaj')}")
    status, body = client.action("organization_show", id="acc-gaj")
    count = body["result"]["package_count"]
    # CKAN counts private entries on a department's page for its members (and sysadmins) only
    members = role in ("provider", "sysadmin")
    check(count == len(visible if members else visible - {"private"}), f"organization_show {count}")
    # activity of the department and of the provider user
    for name, params in (("organization_activity_list", {"id": "acc-gaj", "limit": 100}),
                         ("user_activity_list", {"id": "acc-provider", "limit": 100})):
        status, body = client.action(name, **params)
        text = json.dumps(body["result"], ensure_ascii=False)
        for cls, e in entries.items():
            if cls != "private":  # CKAN records no activity of private datasets
                check((e["id"] in text) == (cls in visible), f"{cls}: {name}")
    # pages listing entries: organization, user, feeds, DCAT
    for url in ("/organization/acc-gaj", "/user/acc-provider", "/feeds/dataset.atom",
                "/feeds/organization/acc-gaj.atom", "/catalog.jsonld", "/catalog.ttl"):
        res = client.get(url)
        check(res.status_code == 200, f"{url}: {res.status_code}")
        for cls, e in entries.items():
            if cls == "private":
                continue  # listed only with include_private pages
            shown = e["name"] in res.body or e["title"] in res.body
            check(shown == (cls in visible) or (shown is False and url.startswith("/user/")),
                  f"{cls}: {url} shows={shown}")
    assert not problems, "\n".join(problems)



@pytest.mark.parametrize("portal", ["internal"])
def test_notices_for_refused_data(app, cat, portal):
    """Other departments see the basis and the review state of a not-shared
    entry, and where to apply for conditional data (zh and en)."""
    client = Client(app, cat["tokens"]["other"])
    pending = cat["entries"]["none_pending"]
    page = client.get(f"/dataset/{pending['name']}").body
    assert "不予共享（待认定）" in page and "《保守国家秘密法》第九条" in page
    rpage = client.get(f"/dataset/{pending['name']}/resource/{pending['resource_id']}").body
    assert "不予共享（待认定）：不提供数据。" in rpage and "《保守国家秘密法》第九条" in rpage
    confirmed = cat["entries"]["none_confirmed"]
    rpage = client.get(f"/dataset/{confirmed['name']}/resource/{confirmed['resource_id']}").body
    assert "不予共享（已认定）：不提供数据。" in rpage
    cond = cat["entries"]["share_cond"]
    apply = f"/catalog/request/new?package={cond['id']}"
    assert apply in client.get(f"/dataset/{cond['name']}").body
    download = f"/dataset/{cond['id']}/resource/{cond['resource_id']}/download/{cond['name']}.csv"
    zh = client.get(download)
    assert zh.status_code == 403 and "本目录的数据需申请后获取" in zh.body and apply in zh.body
    en = client.get("/en" + download)
    assert en.status_code == 403 and "available on request" in en.body
    status, body = client.action("datastore_search", resource_id=cond["resource_id"])
    assert status in (400, 403, 404)  # no DataStore here: never rows
