"""The entry page (grouped, badges, info items), the form and the facets."""

from __future__ import annotations

import pytest
from ckan.tests import factories

from .conftest import create

# Pages of entries that are not open are shown on the internal portal only
# (access.md: on the public portal nobody sees more than the anonymous public).
INTERNAL = pytest.mark.ckan_config("ckanext.lyg.portal", "internal")


def auth_for(user) -> dict:
    """Pages as this user (the internal portal asks everybody to log in)."""
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}


@INTERNAL
@pytest.mark.usefixtures("clean_db")
class TestPages:
    def test_entry_page_grouped_with_badges_and_info_items(self, app, sysadmin, org):
        pkg = create(sysadmin, org, name="hukou", data_level="重要", temporal_start="2020-01-01")
        auth = auth_for(sysadmin)
        page = app.get("/dataset/hukou", headers=auth).body
        for text in ("基本信息", "共享与开放", "更新", "信息项", "有条件共享", "不予开放", "每日",
                     pkg["resource_code"], "1 基础信息资源类 / 01 人口 / 001 户籍人口", "公民身份号码",
                     "C 字符型", "电子表格 / xlsx", "共享平台方式 / 文件", "2020-01-01 — …"):
            assert text in page, text
        en = app.get("/en/dataset/hukou", headers=auth).body
        for text in ("Basic information", "Sharing and opening", "Shared on conditions", "Daily",
                     "Basic information resources", "Character"):
            assert text in en, text

    def test_pending_badge(self, app, sysadmin, org):
        create(sysadmin, org, name="secret", share_type="none", open_type="none", share_basis="《保密法》",
               share_review="pending")
        page = app.get("/dataset/secret", headers=auth_for(sysadmin)).body
        assert "不予共享（待认定）" in page and "《保密法》" in page

    def test_new_entry_form(self, app, sysadmin, org):
        token = factories.APIToken(user=sysadmin["name"])["token"]
        page = app.get("/dataset/new", headers={"Authorization": token}).body
        for text in ("信息资源分类（类）", "1 基础信息资源类", "01 人口", "共享类型", "无条件共享", "信息项",
                     "数据类型", "更新周期", "lyg-format-types", "catalog-form.js", "lyg-rule-messages"):
            assert text in page, text

    def test_organization_form_and_page(self, app, sysadmin, org):
        token = factories.APIToken(user=sysadmin["name"])["token"]
        page = app.get(f"/organization/edit/{org['name']}", headers={"Authorization": token}).body
        assert "统一社会信用代码" in page and org["provider_code"] in page
        about = app.get(f"/organization/about/{org['name']}", headers={"Authorization": token}).body
        assert org["provider_code"] in about

    def test_facets_with_labels(self, app, sysadmin, org):
        create(sysadmin, org, name="a1")
        create(sysadmin, org, name="a2", share_type="unconditional", open_type="unconditional")
        auth = auth_for(sysadmin)
        page = app.get("/dataset/", headers=auth).body
        for text in ("共享类型", "开放属性", "更新周期", "信息资源格式", "信息资源分类", "无条件共享",
                     "有条件共享", "1 基础信息资源类"):
            assert text in page, text
        filtered = app.get("/dataset/", headers=auth, query_string={"share_type": "unconditional"}).body
        assert "/dataset/a2" in filtered and "/dataset/a1" not in filtered


@INTERNAL
@pytest.mark.usefixtures("clean_db")
class TestCatalogDownloadAndUpload:
    def test_download_whole_part_and_search(self, app, sysadmin, org):
        from io import BytesIO

        from openpyxl import load_workbook

        create(sysadmin, org, name="a1")
        create(sysadmin, org, name="a2", title="企业信息", share_type="unconditional",
               open_type="unconditional")
        auth = auth_for(sysadmin)
        page = app.get("/dataset/", headers=auth).body
        assert "/catalog/export/xlsx" in page
        res = app.get("/catalog/export/xlsx", headers=auth)
        assert res.headers["Content-Type"].startswith("application/vnd.openxmlformats")
        book = load_workbook(BytesIO(res.data))
        assert book["信息资源目录"].max_row == 3
        res = app.get("/catalog/export/json", headers=auth, query_string={"share_type": "unconditional"})
        assert [e["title"] for e in res.json] == ["企业信息"]
        res = app.get("/catalog/export/csv", headers=auth, query_string={"organization": org["name"]})
        assert res.body.count("\n") == 3 and "信息资源代码" in res.body
        org_page = app.get(f"/organization/{org['name']}", headers=auth).body
        assert "/catalog/export/xlsx?organization=" in org_page
        app.get("/catalog/export/pdf", headers=auth, status=404)

    def test_upload_page(self, app, sysadmin, org, tmp_path):
        """The upload page is on the internal portal (absent on the public one)."""
        from ckanext.lyg.catalog import exchange

        create(sysadmin, org, name="a1")
        path = tmp_path / "c.xlsx"
        exchange.write_xlsx(exchange.packages({"user": sysadmin["name"]}), path)
        assert app.get("/catalog/import", follow_redirects=False).status_code in (302, 401, 403)
        outsider = factories.User()
        other = {"Authorization": factories.APIToken(user=outsider["name"])["token"]}
        res = app.get("/catalog/import", headers=other, follow_redirects=False)
        assert res.status_code in (302, 401, 403)
        auth = {"Authorization": factories.APIToken(user=sysadmin["name"])["token"]}
        assert "导入" in app.get("/catalog/import", headers=auth).body
        res = app.post("/catalog/import", headers=auth, data={
            "dry_run": "1", "file": (path.open("rb"), "c.xlsx")})
        assert "未变 1 条" in res.body

    @pytest.mark.ckan_config("ckanext.lyg.import_page_max_rows", 2)
    def test_upload_page_refuses_a_file_longer_than_it_can_write(self, app, sysadmin, org, tmp_path):
        """The page writes in its web worker: a file it could not finish in the
        worker's time is refused whole, saying how many rows and what to do."""
        from ckan import model
        from ckanext.lyg.catalog import exchange

        for n in range(3):
            create(sysadmin, org, name=f"row-{n}")
        path = tmp_path / "c.xlsx"
        exchange.write_xlsx(exchange.packages({"user": sysadmin["name"]}), path)
        model.Session.query(model.Package).filter(model.Package.name == "row-0").first().title = "改名"
        model.Session.commit()
        auth = {"Authorization": factories.APIToken(user=sysadmin["name"])["token"]}
        res = app.post("/catalog/import", headers=auth, data={"file": (path.open("rb"), "c.xlsx")})
        assert res.status_code == 200
        assert "文件共有 3 行，本页面一次最多导入 2 行" in res.body and "ckan lyg catalog import" in res.body
        assert model.Package.get("row-0").title == "改名"  # nothing written


@INTERNAL
@pytest.mark.usefixtures("clean_db")
class TestFormWritePath:
    def _form(self, org, **kw):
        data = {
            "title": "网页表单登记的条目", "name": "web-entry", "notes": "通过表单登记。",
            "catalog_class": "1", "catalog_item": "1:01", "catalog_sub": "101:002", "catalog_detail": "",
            "owner_org": org["id"], "format_class": "数据库", "format_type": "mysql",
            "share_type": "conditional", "share_condition": "凭公函申请", "share_mode_class": "共享平台方式",
            "share_mode_type": "接口", "open_type": "none", "update_cycle": "每月",
            "info_items-0-name": "姓名", "info_items-0-data_type": "C", "info_items-0-length": "50",
            "info_items-1-name": "出生日期", "info_items-1-data_type": "D", "info_items-1-is_key": "true",
            "save": "continue",
        }
        data.update(kw)
        return data

    def test_create_through_the_form(self, app, sysadmin, org):
        from ckan.tests.helpers import call_action

        auth = {"Authorization": factories.APIToken(user=sysadmin["name"])["token"]}
        res = app.post("/dataset/new", headers=auth, data=self._form(org), follow_redirects=False)
        assert res.status_code == 302, res.body[:2000]
        pkg = call_action("package_show", id="web-entry")
        assert pkg["catalog_item"] == "01" and pkg["catalog_sub"] == "002"
        assert pkg["resource_code"] == "101002/000001"
        assert [i["name"] for i in pkg["info_items"]] == ["姓名", "出生日期"]
        assert pkg["info_items"][1]["is_key"] is True and pkg["info_items"][0]["is_key"] is False
        edit = app.get("/dataset/edit/web-entry", headers=auth).body
        assert "101002/000001" in edit and 'value="1:01" selected' in edit.replace('selected="selected"',
                                                                                  "selected")

    def test_form_shows_rule_errors(self, app, sysadmin, org):
        auth = {"Authorization": factories.APIToken(user=sysadmin["name"])["token"]}
        res = app.post("/dataset/new", headers=auth,
                       data=self._form(org, share_mode_type="文件", share_condition=""))
        assert "请填写共享条件" in res.body
        assert "数据库格式的信息资源的共享方式类型应为 数据库 / 接口" in res.body
