"""A small, fixed catalog that the search tests query (created once a module).

Every assertion compares exact sets of dataset names: the rows Solr would
give for the same query on the same datasets.
"""

from __future__ import annotations

import json

import pytest
from ckan import plugins
from ckan.lib import search
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ..conftest import MIGRATED_PLUGINS


def polygon(minx, miny, maxx, maxy):
    return json.dumps({
        "type": "Polygon",
        "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]],
    })


def extras(**kw):
    return [{"key": k, "value": v} for k, v in kw.items()]


@pytest.fixture(scope="module")
def catalog(reset_db, migrate_db_for):
    """Two departments, two groups and eight datasets of known content."""
    plugins.load_all()
    try:
        return _create_catalog(reset_db, migrate_db_for)
    finally:
        # Tests load their plugins themselves (with_plugins); keeping them
        # loaded here would hide per-test ckan_config changes.
        plugins.unload_all()


def _create_catalog(reset_db, migrate_db_for):
    reset_db()
    for plugin in MIGRATED_PLUGINS:
        migrate_db_for(plugin)
    search.clear_all()
    sysadmin = factories.Sysadmin(name="boss")
    member = factories.User(name="police-staff")
    outsider = factories.User(name="citizen")
    police = factories.Organization(
        name="police", title="市公安局",
        users=[{"name": member["name"], "capacity": "member"}])
    stats = factories.Organization(name="stats", title="市统计局")
    factories.Group(name="renkou", title="人口基础库")
    factories.Group(name="faren", title="法人单位基础库")
    ctx = {"user": sysadmin["name"]}

    def ds(**kw):
        return call_action("package_create", context=dict(ctx), **kw)

    ds(name="hukou", title="连云港市户籍人口统计", owner_org=police["id"],
       notes="全市户籍人口按区县、性别、年龄统计", groups=[{"name": "renkou"}],
       tags=[{"name": "人口"}, {"name": "户籍"}], license_id="cc-by",
       extras=extras(share_type="conditional", open_type="none", update_cycle="每月",
                     resource_code="101001001/000001",
                     spatial=polygon(119.0, 34.5, 119.5, 34.8)),
       resources=[{"url": "http://example.com/hukou.csv", "format": "CSV",
                   "name": "户籍人口表"}])
    ds(name="budongchan", title="不动产登记信息", owner_org=stats["id"],
       notes="不动产权属登记与抵押信息", tags=[{"name": "不动产"}], license_id="odc-by",
       extras=extras(share_type="unconditional", open_type="unconditional",
                     update_cycle="每日", resource_code="103001002/000002",
                     spatial=polygon(118.5, 34.0, 118.9, 34.3)),
       resources=[{"url": "http://example.com/a.pdf", "format": "PDF"},
                  {"url": "http://example.com/b.xlsx", "format": "XLSX"}])
    ds(name="qiye", title="企业登记信息 Enterprise registry", owner_org=stats["id"],
       notes="Registered enterprises of Lianyungang, with 统一社会信用代码",
       groups=[{"name": "faren"}], tags=[{"name": "企业"}, {"name": "registry"}],
       extras=extras(share_type="none", open_type="none", update_cycle="每年",
                     resource_code="102001001/000003", views_recent="7"),
       resources=[{"url": "http://example.com/q.json", "format": "JSON",
                   "description": "企业名录接口"}])
    ds(name="kongqi", title="空气质量监测数据 Air quality", owner_org=police["id"],
       notes="monitoring stations hourly readings", tags=[{"name": "环境"}],
       extras=extras(share_type="unconditional", open_type="conditional",
                     update_cycle="实时", resource_code="212001001/000004",
                     issued_date="2024-03-01", views_recent="30",
                     spatial=polygon(119.2, 34.6, 119.3, 34.7)),
       resources=[{"url": "http://example.com/aq.csv", "format": "csv"}])
    ds(name="private-renkou", title="内部人口数据", owner_org=police["id"], private=True,
       tags=[{"name": "人口"}], extras=extras(share_type="conditional"))
    ds(name="draft-renkou", title="草稿人口数据", owner_org=police["id"], state="draft",
       tags=[{"name": "人口"}])
    gone = ds(name="deleted-renkou", title="已删除人口数据", owner_org=police["id"],
              tags=[{"name": "人口"}])
    call_action("package_delete", context=dict(ctx), id=gone["id"])
    ds(name="zz-untitled", owner_org=stats["id"], notes="no title at all",
       extras=extras(share_type="unconditional"))
    return {"sysadmin": sysadmin, "member": member, "outsider": outsider,
            "police": police, "stats": stats}


def names(result):
    return {r["name"] if isinstance(r, dict) else r for r in result["results"]}


def search_as(user, **params):
    return call_action("package_search", context={"user": user or "",
                                                  "ignore_auth": False}, **params)
