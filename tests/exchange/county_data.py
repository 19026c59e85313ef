"""The catalog of the county portal the exchange tests harvest (run in its own process).

``python tests/exchange/county_data.py <ini>`` loads the county site's CKAN
(its own database) and creates, through the actions of the catalog schema,
two departments and the entries below; it prints them as JSON (name →
package dict) for the tests to compare with what arrives on the other site.

Entries: what the public portal may show (open unconditionally or on
conditions) and what it may not (not open, not shared / pending review,
private, deleted).
"""

from __future__ import annotations

import json
import sys

from ckan.cli import load_config
from ckan.config.middleware import make_app
from ckan.plugins import toolkit as tk

ORGS = [
    {"name": "gy-tjj", "title": "连云港市赣榆区统计局", "short_name": "赣榆统计局"},
    {"name": "gy-gaj", "title": "连云港市赣榆区公安分局", "short_name": "赣榆公安分局"},
]

BASE = {
    "catalog_class": "2",
    "catalog_item": "01",
    "format_class": "电子文件",
    "format_type": "pdf",
    "share_mode_class": "共享平台方式",
    "share_mode_type": "文件",
    "update_cycle": "每年",
    "area_scope": "赣榆区",
}


def entries() -> list[dict]:
    item = [
        {"name": "年份", "data_type": "C", "length": 4},
        {"name": "常住人口", "data_type": "I", "length": 10},
    ]
    return [
        dict(BASE, org="gy-tjj", name="gy-tjgb-2025", title="赣榆区2025年国民经济和社会发展统计公报",
             notes="全区国民经济和社会发展主要指标。", share_type="unconditional", open_type="unconditional",
             tags=[{"name": "统计公报"}, {"name": "国民经济"}],
             resources=[{"name": "统计公报全文", "url": "http://county.example/tjgb.pdf", "format": "PDF"}]),
        dict(BASE, org="gy-tjj", name="gy-rkjc", title="赣榆区常住人口基本情况",
             notes="按乡镇统计的常住人口。", format_class="电子表格", format_type="xlsx", info_items=item,
             share_type="unconditional", open_type="conditional", open_condition="用于科研与公共服务。",
             update_cycle="每季度", tags=[{"name": "人口"}],
             resources=[{"name": "常住人口表", "url": "http://county.example/rk.xlsx", "format": "XLSX"}]),
        dict(BASE, org="gy-gaj", name="gy-hjrk", title="赣榆区户籍人口数量", notes="按派出所统计的户籍人口。",
             catalog_class="1", catalog_item="01", share_type="unconditional", open_type="unconditional",
             update_cycle="每月", resources=[{"name": "户籍人口数量", "url": "http://county.example/hjrk.pdf",
                                             "format": "PDF"}]),
        # not open: the public portal must not show it
        dict(BASE, org="gy-gaj", name="gy-hjbl", title="赣榆区户籍办理业务统计",
             notes="户籍业务办理量。", share_type="conditional", share_condition="用于政务服务。",
             open_type="none", resources=[{"name": "办理量", "url": "http://county.example/hj.pdf",
                                           "format": "PDF"}]),
        # not shared: held for review on the county site; not open
        dict(BASE, org="gy-gaj", name="gy-ajxx", title="赣榆区案件侦办信息",
             notes="刑事案件侦办过程信息。", share_type="none", open_type="none",
             share_basis="《中华人民共和国刑事诉讼法》", share_mode_class="", share_mode_type=""),
        # private
        dict(BASE, org="gy-tjj", name="gy-ncgz", title="赣榆区统计内部工作底稿", notes="内部底稿。",
             share_type="unconditional", open_type="unconditional", private=True),
        # deleted below
        dict(BASE, org="gy-tjj", name="gy-old", title="赣榆区2019年统计公报（已撤回）", notes="已撤回。",
             share_type="unconditional", open_type="unconditional"),
    ]  # fmt: skip


def main(ini: str) -> None:
    app = make_app(load_config(ini))
    with app._wsgi_app.test_request_context():
        from ckan import model
        from ckanext.lyg import uscc

        site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
        context = {"user": site_user["name"], "ignore_auth": True}
        orgs = {}
        for org in ORGS:
            orgs[org["name"]] = tk.get_action("organization_create")(
                dict(context),
                dict(org, provider_code=uscc.generate(org["title"]), kind="县区"),
            )
        out = {}
        for entry in entries():
            data = dict(entry)
            data["owner_org"] = orgs[data.pop("org")]["id"]
            data = {k: v for k, v in data.items() if v != ""}
            pkg = tk.get_action("package_create")(dict(context), data)
            out[pkg["name"]] = pkg
        tk.get_action("package_delete")(dict(context), {"id": "gy-old"})
        out["gy-old"]["state"] = "deleted"
        model.Session.commit()
        print(json.dumps({"orgs": orgs, "entries": out}, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
