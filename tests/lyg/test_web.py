"""The portal's pages: Chinese by default, English at /en/, title per portal."""

from __future__ import annotations

import pytest

PUBLIC_ZH = "连云港市公共数据开放平台"
PUBLIC_EN = "Lianyungang Public Data Open Platform"
INTERNAL_ZH = "连云港市政务信息共享平台"


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_home_is_chinese_with_the_public_title(app):
    body = app.get("/").body
    assert "<title>" in body and PUBLIC_ZH in body
    assert 'lang="zh-Hans-CN"' in body or 'lang="zh' in body
    assert "连云港市人民政府" in body
    assert "人口基础信息库" in body and "基础信息资源库" in body
    assert PUBLIC_EN not in body
    assert "登录" in body and "登陆" not in body  # our catalog corrects CKAN's typo


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_en_switches_to_english(app):
    body = app.get("/en/").body
    assert PUBLIC_EN in body
    assert PUBLIC_ZH not in body
    assert 'lang="en"' in body
    assert "Datasets" in body  # CKAN's own strings follow the locale too
    assert "Population database" in body


@pytest.mark.usefixtures("clean_db", "clean_index")
@pytest.mark.ckan_config("ckanext.lyg.portal", "internal")
def test_internal_portal_title(app):
    body = app.get("/").body
    assert INTERNAL_ZH in body and PUBLIC_ZH not in body
    assert "Lianyungang Government Information Sharing Platform" in app.get("/en/").body


@pytest.mark.usefixtures("clean_db", "clean_index")
@pytest.mark.ckan_config("ckan.site_title", "测试门户")
def test_configured_title_wins(app):
    body = app.get("/").body
    assert "测试门户" in body and PUBLIC_ZH not in body


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_dataset_and_static_pages(app):
    assert app.get("/dataset/").status_code == 200
    assert app.get("/organization/").status_code == 200
    css = app.get("/lyg/lyg.css")
    assert css.status_code == 200 and "lyg-govbar" in css.body
