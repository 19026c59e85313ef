"""Fixtures of the catalog tests: departments with 统一社会信用代码 and a
valid entry to vary."""

from __future__ import annotations

import copy

import pytest
from ckan.tests.helpers import call_action


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    from ckanext.lyg import translations

    translations.compile_catalogs()



VALID = {
    "title": "连云港市户籍人口信息",
    "notes": "全市户籍人口登记信息。",
    "catalog_class": "1",
    "catalog_item": "01",
    "catalog_sub": "001",
    "format_class": "电子表格",
    "format_type": "xlsx",
    "info_items": [
        {"name": "姓名", "data_type": "C", "length": 50, "description": "公民姓名", "is_key": False,
         "sensitive": True},
        {"name": "公民身份号码", "data_type": "C", "length": 18, "description": "", "is_key": True,
         "sensitive": True},
    ],
    "share_type": "conditional",
    "share_condition": "用于政务服务身份核验。",
    "share_mode_class": "共享平台方式",
    "share_mode_type": "文件",
    "open_type": "none",
    "update_cycle": "每日",
}


def entry(**kw) -> dict:
    data = copy.deepcopy(VALID)
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def create(user: dict, org: dict, **kw) -> dict:
    data = entry(**kw)
    data.setdefault("name", f"e-{abs(hash(str(sorted(data.items())))) % 10**10}")
    data["owner_org"] = org["id"]
    return call_action("package_create", context={"user": user["name"]}, **data)
