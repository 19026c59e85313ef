"""The fixture catalog of the leak matrix: one provider department, two other
departments, a user of every role and an entry of every class of
``spec/access.md`` (each with an uploaded file), built once per module."""

from __future__ import annotations

import io

import pytest
from ckan import model, plugins
from ckan.common import config
from ckan.lib import search
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ..conftest import MIGRATED_PLUGINS, _reset_plugin_tables, make_org, with_catalog_plugins

AUTHORITY = "lyg-dsj"
REVIEWER = "lyg-bmj"

BASE = {
    "notes": "用于访问控制测试的目录条目。",
    "catalog_class": "1", "catalog_item": "01", "catalog_sub": "001",
    "format_class": "电子表格", "format_type": "xlsx",
    "info_items": [{"name": "姓名", "data_type": "C", "length": 50, "description": "", "is_key": False,
                    "sensitive": False}],
    "update_cycle": "每日", "share_mode_class": "共享平台方式", "share_mode_type": "文件",
}
# entry class → (name, title, catalog fields)
ENTRIES = {
    "open": ("acc-open", "无条件开放测试条目",
             {"share_type": "unconditional", "open_type": "unconditional"}),
    "open_cond_su": ("acc-opencond-su", "有条件开放无条件共享测试条目",
                     {"share_type": "unconditional", "open_type": "conditional",
                      "open_condition": "实名申请"}),
    "open_cond_sc": ("acc-opencond-sc", "有条件开放有条件共享测试条目",
                     {"share_type": "conditional", "share_condition": "政务用途", "open_type": "conditional",
                      "open_condition": "实名申请"}),
    "share": ("acc-share", "无条件共享不予开放测试条目",
              {"share_type": "unconditional", "open_type": "none"}),
    "share_cond": ("acc-sharecond", "有条件共享不予开放测试条目",
                   {"share_type": "conditional", "share_condition": "政务用途", "open_type": "none"}),
    "none_pending": ("acc-none-pending", "不予共享待认定测试条目",
                     {"share_type": "none", "open_type": "none", "share_basis": "《保守国家秘密法》第九条"}),
    "none_confirmed": ("acc-none-confirmed", "不予共享已认定测试条目",
                       {"share_type": "none", "open_type": "none", "share_basis": "《保守国家秘密法》第九条",
                        "share_review": "confirmed"}),
    "private": ("acc-private", "私有无条件开放测试条目",
                {"share_type": "unconditional", "open_type": "unconditional", "private": True}),
}


def _grants(entries: dict) -> None:
    """Approved open-data applications of acc-citizen-app (open-conditional
    entries) and sharing requests of acc-other-req's department (share-conditional
    entries), through the workflow's actions."""
    import datetime as dt

    end = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    for user, kind, classes, mode in (
            ("acc-citizen-app", "open", ("open_cond_su", "open_cond_sc"), "public"),
            ("acc-other-req", "share", ("share_cond", "open_cond_sc"), "internal")):
        config["ckanext.lyg.portal"] = mode
        for cls in classes:
            req = call_action("lyg_request_create", context={"user": user}, package_id=entries[cls]["id"],
                              kind=kind, purpose="业务办理", fields=["姓名"],
                              basis="《政务信息资源共享管理办法》", end_date=end)
            call_action("lyg_request_approve", context={"user": "acc-provider"}, id=req["id"])
    config.pop("ckanext.lyg.portal", None)


def _upload(name: str):
    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO("姓名\n张三\n".encode()), filename=f"{name}.csv", content_type="text/csv")


@pytest.fixture(scope="module")
def matrix_catalog(reset_db, migrate_db_for, tmp_path_factory):
    """Departments, users, tokens and one entry per class (returned as a dict)."""
    saved = {k: config.get(k) for k in ("ckan.plugins", "ckan.storage_path", "ckanext.lyg.portal",
                                         "ckanext.lyg.data_authority_users",
                                         "ckanext.lyg.secrecy_reviewer_users")}
    storage = str(tmp_path_factory.mktemp("access-storage"))
    config["ckan.plugins"] = with_catalog_plugins(config["ckan.plugins"])
    config["ckan.storage_path"] = storage
    config["ckanext.lyg.data_authority_users"] = [AUTHORITY]
    config["ckanext.lyg.secrecy_reviewer_users"] = [REVIEWER]
    plugins.load_all()
    try:
        data = _build(reset_db, migrate_db_for)
        data["storage"] = storage
        return data
    finally:
        plugins.unload_all()
        for key, value in saved.items():
            if value is None:
                config.pop(key, None)
            else:
                config[key] = value


def _build(reset_db, migrate_db_for) -> dict:
    reset_db()
    for plugin in MIGRATED_PLUGINS:
        migrate_db_for(plugin)
    _reset_plugin_tables()
    search.clear_all()
    users = {
        "sysadmin": factories.Sysadmin(name="acc-admin"),
        "authority": factories.User(name=AUTHORITY),
        "reviewer": factories.User(name=REVIEWER),
        "citizen": factories.User(name="acc-citizen"),
        "citizen_app": factories.User(name="acc-citizen-app"),
        "provider": factories.User(name="acc-provider"),
        "other": factories.User(name="acc-other"),
        "other_req": factories.User(name="acc-other-req"),
    }
    provider = make_org("acc-gaj", "连云港市公安局",
                        users=[{"name": "acc-provider", "capacity": "editor"}])
    other = make_org("acc-tjj", "连云港市统计局", users=[{"name": "acc-other", "capacity": "member"}])
    third = make_org("acc-mzj", "连云港市民政局", users=[{"name": "acc-other-req", "capacity": "editor"}])
    ctx = {"user": "acc-provider"}
    entries = {}
    for cls, (name, title, fields) in ENTRIES.items():
        review = fields.get("share_review")
        data = dict(BASE, name=name, title=title, owner_org=provider["id"],
                    **{k: v for k, v in fields.items() if k != "share_review"})
        pkg = call_action("package_create", context=dict(ctx), **data)
        if review:  # only the data authority confirms
            pkg = call_action("package_patch", context={"user": "acc-admin"}, id=pkg["id"],
                              share_review=review)
        res = call_action("resource_create", context=dict(ctx), package_id=pkg["id"], name=f"{name}.csv",
                          url=f"{name}.csv", upload=_upload(name), format="CSV")
        entries[cls] = {"id": pkg["id"], "name": name, "title": title, "resource_id": res["id"],
                        "share_type": fields["share_type"]}
    _grants(entries)
    tokens = {role: factories.APIToken(user=u["name"])["token"] for role, u in users.items()}
    model.Session.commit()
    return {"users": users, "tokens": tokens, "entries": entries, "provider": provider, "other": other,
            "third": third}
