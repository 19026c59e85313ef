"""Fixtures of the workflow tests: three departments, their staff, the data
authority, the secrecy reviewer, a public user and entries of each class."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from tests.conftest import make_org

PASSWORD = "workflow-Pass-123"

ENTRY = {
    "notes": "全市户籍人口登记信息。",
    "catalog_class": "1",
    "catalog_item": "01",
    "catalog_sub": "001",
    "format_class": "电子表格",
    "format_type": "xlsx",
    "info_items": [
        {"name": "姓名", "data_type": "C", "length": 50, "description": "", "is_key": False,
         "sensitive": True},
        {"name": "公民身份号码", "data_type": "C", "length": 18, "description": "", "is_key": True,
         "sensitive": True},
        {"name": "户籍地址", "data_type": "C", "length": 200, "description": "", "is_key": False,
         "sensitive": False},
    ],
    "share_type": "conditional",
    "share_condition": "用于政务服务身份核验。",
    "share_mode_class": "共享平台方式",
    "share_mode_type": "文件",
    "open_type": "none",
    "update_cycle": "每日",
}


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    from ckanext.lyg import translations

    translations.compile_catalogs()


def make_entry(user: dict, org: dict, name: str, title: str, **kw) -> dict:
    data = copy.deepcopy(ENTRY)
    data.update(kw)
    data = {k: v for k, v in data.items() if v is not None}
    return call_action("package_create", context={"user": user["name"]}, name=name, title=title,
                       owner_org=org["id"], **data)


def _user(name: str, **kw) -> dict:
    return factories.User(name=name, password=PASSWORD, email=f"{name}@lyg.example", **kw)


@pytest.fixture
def world(clean_db, ckan_config, monkeypatch):
    """Departments gaj (provider), rsj (requester), wjw (another); staff of
    each; data authority dsj; secrecy reviewer bmj; public user citizen."""
    w = SimpleNamespace()
    w.provider = make_org("lyg-gaj", "连云港市公安局")
    w.requester = make_org("lyg-rsj", "连云港市人力资源和社会保障局")
    w.other = make_org("lyg-wjw", "连云港市卫生健康委员会")
    w.provider_admin = _user("gaj-admin")
    w.provider_editor = _user("gaj-editor")
    w.provider_member = _user("gaj-member")
    w.staff = _user("rsj-editor")           # requesting department staff
    w.staff_member = _user("rsj-member")
    w.other_staff = _user("wjw-editor")
    w.both = _user("both-editor")           # editor of the provider and of the requester
    w.citizen = _user("citizen")
    w.authority = _user("dsj")
    w.reviewer = _user("bmj")
    w.sysadmin = factories.Sysadmin(name="root", password=PASSWORD, email="root@lyg.example")
    for org, user, role in (
        (w.provider, w.provider_admin, "admin"), (w.provider, w.provider_editor, "editor"),
        (w.provider, w.provider_member, "member"), (w.requester, w.staff, "editor"),
        (w.requester, w.staff_member, "member"), (w.other, w.other_staff, "editor"),
        (w.provider, w.both, "editor"), (w.requester, w.both, "editor"),
    ):
        call_action("organization_member_create", id=org["id"], username=user["name"], role=role)
    monkeypatch.setitem(ckan_config, "ckanext.lyg.data_authority_users", [w.authority["name"]])
    monkeypatch.setitem(ckan_config, "ckanext.lyg.secrecy_reviewer_users", [w.reviewer["name"]])
    # entries of the provider: share conditional (open none); share conditional + open
    # conditional; share unconditional; not shared (pending review)
    w.conditional = make_entry(w.provider_editor, w.provider, "hjrk", "户籍人口信息")
    w.open_conditional = make_entry(w.provider_editor, w.provider, "jdc", "机动车登记信息",
                                    open_type="conditional", open_condition="实名注册用户申请")
    w.unconditional = make_entry(w.provider_editor, w.provider, "jgxx", "警务公开信息",
                                 share_type="unconditional", share_condition=None)
    w.not_shared = make_entry(w.provider_editor, w.provider, "ajxx", "案件侦办信息",
                              share_type="none", share_condition=None, share_mode_class=None,
                              share_mode_type=None, share_basis="《中华人民共和国保守国家秘密法》")
    return w


def act(action: str, user: dict | None, **data):
    """Call an action as ``user`` (None: anonymous), with CKAN's auth."""
    return call_action(action, context={"user": user["name"] if user else "", "ignore_auth": False}, **data)


def pytest_configure(config):
    config.addinivalue_line("markers", "ckan_config(key, value): CKAN config for the test")
