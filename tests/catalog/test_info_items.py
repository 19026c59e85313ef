"""Info items (信息项) keep their order past the tenth row: through the API,
the entry form (new, edit, rows added, removed and moved), the entry page
and the export."""

from __future__ import annotations

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.lyg.catalog import exchange, subfields

from .conftest import create

NAMES = [f"字段{n:02d}" for n in range(12)]  # 字段00 … 字段11


def items(names):
    return [{"name": name, "data_type": "C", "length": n + 1, "description": f"第{n + 1}列"}
            for n, name in enumerate(names)]


def names_of(pkg):
    return [i["name"] for i in pkg["info_items"]]


def positions(page, names):
    return [page.index(f"<td>{name}</td>") for name in names]


def test_expand_orders_rows_by_number():
    data = {f"info_items-{n}-name": f"r{n}" for n in (11, 0, 10, 2, 1, 3)}
    data["info_items-2-length"] = "5"
    data["info_items-x-name"] = "not a row"
    data["title"] = "t"
    subfields.expand(data)
    assert [r["name"] for r in data["info_items"]] == ["r0", "r1", "r2", "r3", "r10", "r11"]
    assert data["info_items"][2] == {"name": "r2", "length": "5"}
    assert data["info_items-x-name"] == "not a row" and data["title"] == "t"
    given = {"info_items": [{"name": "b"}, {"name": "a"}], "info_items-0-name": "ignored"}
    subfields.expand(given)
    assert given["info_items"] == [{"name": "b"}, {"name": "a"}]  # an API list is kept as sent


@pytest.mark.ckan_config("ckanext.lyg.portal", "internal")  # pages of entries not open
@pytest.mark.usefixtures("clean_db")
class TestOrder:
    def test_api_page_and_export(self, app, sysadmin, org):
        pkg = create(sysadmin, org, name="twelve", info_items=items(NAMES))
        assert names_of(pkg) == NAMES
        assert names_of(call_action("package_show", id="twelve")) == NAMES
        auth = {"Authorization": factories.APIToken(user=sysadmin["name"])["token"]}
        page = app.get("/dataset/twelve", headers=auth).body
        assert positions(page, NAMES) == sorted(positions(page, NAMES))
        assert "<td>12</td>" in page  # the row number column
        assert [r["信息项名称"] for r in exchange.item_rows(pkg)] == NAMES
        assert [r["序号"] for r in exchange.item_rows(pkg)] == [str(n) for n in range(1, 13)]
        # reordered through the API
        updated = call_action("package_patch", context={"user": sysadmin["name"]}, id="twelve",
                              info_items=items(NAMES[::-1]))
        assert names_of(updated) == NAMES[::-1]
        assert call_action("package_search", q="字段11")["count"] == 1

    def _form(self, org, rows):
        data = {
            "title": "表单信息项", "name": "form-items", "notes": "十二个信息项。",
            "catalog_class": "1", "catalog_item": "1:01", "catalog_sub": "101:002", "catalog_detail": "",
            "owner_org": org["id"], "format_class": "数据库", "format_type": "mysql",
            "share_type": "unconditional", "share_mode_class": "共享平台方式", "share_mode_type": "接口",
            "open_type": "none", "update_cycle": "每月", "save": "continue",
        }
        for number, name in rows:
            data.update({f"info_items-{number}-name": name, f"info_items-{number}-data_type": "C",
                         f"info_items-{number}-length": "10"})
        return data

    def test_form_new_and_edit(self, app, sysadmin, org):
        auth = {"Authorization": factories.APIToken(user=sysadmin["name"])["token"]}
        res = app.post("/dataset/new", headers=auth, data=self._form(org, enumerate(NAMES)),
                       follow_redirects=False)
        assert res.status_code == 302, res.body[:2000]
        assert names_of(call_action("package_show", id="form-items")) == NAMES

        # the edit form lists the rows in order, numbered 0 … 11
        edit = app.get("/dataset/edit/form-items", headers=auth).body
        at = [edit.index(f'name="info_items-{n}-name"') for n in range(12)]
        assert at == sorted(at)
        for n, name in enumerate(NAMES):
            assert f'name="info_items-{n}-name"' in edit
            field = edit[at[n]:at[n] + 400]
            assert f'value="{name}"' in field, (n, field)

        # edited in the form: row 3 removed (its inputs are gone), the last row
        # moved to the top (the form renumbers the rows), a new row added at the end
        order = [NAMES[11]] + [n for n in NAMES[:11] if n != NAMES[3]] + ["新增字段"]
        data = self._form(org, enumerate(order))
        data["save"] = ""
        res = app.post("/dataset/edit/form-items", headers=auth, data=data, follow_redirects=False)
        assert res.status_code == 302, res.body[:2000]
        assert names_of(call_action("package_show", id="form-items")) == order

        # numbers with gaps (a browser without the renumbering script) keep their order
        rows = list(zip([0, 2, 5, 9, 10, 11, 20, 100], NAMES[:8], strict=True))
        res = app.post("/dataset/edit/form-items", headers=auth, data=dict(self._form(org, rows), save=""),
                       follow_redirects=False)
        assert res.status_code == 302, res.body[:2000]
        assert names_of(call_action("package_show", id="form-items")) == NAMES[:8]

    def test_form_error_keeps_the_rows_in_order(self, app, sysadmin, org):
        auth = {"Authorization": factories.APIToken(user=sysadmin["name"])["token"]}
        res = app.post("/dataset/new", headers=auth,
                       data=self._form(org, enumerate(NAMES)) | {"share_type": "conditional"})
        assert "请填写共享条件" in res.body  # re-shown with the error
        at = [res.body.index(f'value="{name}"') for name in NAMES]
        assert at == sorted(at)
