"""One test per caller of the search layer (spec/search.md, "Who calls")."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa
from ckan import model
from ckan.cli.cli import ckan as ckan_cli
from ckan.lib import search
from ckan.lib.search.index import PackageSearchIndex
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .conftest import names, polygon


def index_rows(**where):
    sql = "SELECT name FROM lyg_search_doc"
    if where:
        sql += " WHERE " + " AND ".join(f"{k} = :{k}" for k in where)
    return {r[0] for r in model.Session.execute(sa.text(sql), where)}


@pytest.mark.usefixtures("catalog")
class TestReadCallers:
    def test_package_search_api(self, app):
        res = app.get("/api/3/action/package_search", query_string={
            "q": "人口", "facet.field": '["organization","tags"]'})
        body = res.json["result"]
        assert res.status_code == 200
        assert {r["name"] for r in body["results"]} == {"hukou"}
        assert body["facets"]["organization"] == {"police": 1}

    def test_search_page(self, app):
        res = app.get("/dataset/", query_string={"q": "不动产"})
        assert res.status_code == 200
        assert "不动产登记信息" in res.body
        assert "连云港市户籍人口统计" not in res.body

    def test_home_page(self, app):
        assert app.get("/").status_code == 200

    def test_organization_and_group_counts(self, app):
        anon = {"user": "", "ignore_auth": False}
        orgs = {o["name"]: o["package_count"]
                for o in call_action("organization_list", context=anon, all_fields=True)}
        assert orgs == {"police": 2, "stats": 3}
        # a sysadmin's counts include the private dataset, never the draft
        orgs = {o["name"]: o["package_count"]
                for o in call_action("organization_list", context={"user": "boss"},
                                     all_fields=True)}
        assert orgs == {"police": 3, "stats": 3}
        groups = {g["name"]: g["package_count"]
                  for g in call_action("group_list", all_fields=True)}
        assert groups == {"renkou": 1, "faren": 1}
        assert app.get("/organization/police").status_code == 200
        assert "连云港市户籍人口统计" in app.get("/organization/police").body
        assert "企业登记信息" in app.get("/group/faren").body

    def test_tag_dictize(self):
        tag = call_action("tag_show", id="人口", include_datasets=True)
        assert {d["name"] for d in tag["packages"]} == {"hukou"}

    def test_package_show_uses_index_cache(self):
        doc = search.show("hukou")
        assert doc["name"] == "hukou" and json.loads(doc["validated_data_dict"])["name"] == "hukou"
        shown = call_action("package_show", id="hukou", use_cache=True)
        assert shown["title"] == "连云港市户籍人口统计"
        with pytest.raises(search.SearchError):
            search.show("no-such-dataset")

    def test_autocomplete(self, app):
        got = call_action("package_autocomplete", q="户籍")
        assert [d["name"] for d in got] == ["hukou"]
        res = app.get("/api/2/util/dataset/autocomplete", query_string={"incomplete": "dongch"})
        assert [d["name"] for d in res.json["ResultSet"]["Result"]] == ["budongchan"]

    def test_dcat_catalog_endpoint(self, app):
        res = app.get("/catalog.jsonld")
        assert res.status_code == 200
        graph = json.dumps(res.json, ensure_ascii=False)
        assert "连云港市户籍人口统计" in graph
        assert "内部人口数据" not in graph  # private
        assert "草稿人口数据" not in graph  # draft

    def test_feeds(self, app):
        res = app.get("/feeds/dataset.atom")
        assert res.status_code == 200 and "不动产登记信息" in res.body

    def test_bbox_search(self, app):
        res = call_action("package_search", ext_bbox="119.2,34.6,120,35")
        assert names(res) == {"hukou", "kongqi"}
        # Without a sort, ckanext-spatial's overlap ratio 2·overlap/(query+dataset
        # area) orders them: hukou 0.26, kongqi (small, inside the box) 0.06.
        assert [r["name"] for r in res["results"]] == ["hukou", "kongqi"]
        assert names(call_action("package_search", ext_bbox="118,33,118.6,34.1")) \
            == {"budongchan"}
        assert names(call_action("package_search", ext_bbox="0,0,1,1")) == set()
        by_name = call_action("package_search", ext_bbox="118,33,120,35", sort="name asc")
        assert [r["name"] for r in by_name["results"]] == ["budongchan", "hukou", "kongqi"]
        res = app.get("/api/3/action/package_search", query_string={"ext_bbox": "a,b,c"},
                      status=409)
        assert res.json["success"] is False
        page = app.get("/dataset/", query_string={"ext_bbox": "119.2,34.6,120,35"})
        assert page.status_code == 200 and "空气质量监测数据" in page.body

    def test_startup_check_does_not_touch_solr(self, caplog):
        with caplog.at_level(logging.WARNING):
            assert search.check_solr_schema_version() is False
        assert not [r for r in caplog.records if "SOLR" in r.getMessage().upper()]


@pytest.mark.usefixtures("clean_db")
class TestWriteCallers:
    def test_create_update_delete_keep_index_in_step(self):
        user = factories.Sysadmin()
        ctx = {"user": user["name"]}
        org = factories.Organization()
        d = factories.Dataset(owner_org=org["id"], title="渔业捕捞许可")
        assert index_rows(id=d["id"]) == {d["name"]}
        assert names(call_action("package_search", q="捕捞")) == {d["name"]}
        call_action("package_patch", context=dict(ctx), id=d["id"], title="港口吞吐量月报")
        assert names(call_action("package_search", q="捕捞")) == set()
        assert names(call_action("package_search", q="吞吐量")) == {d["name"]}
        call_action("package_delete", context=dict(ctx), id=d["id"])
        assert index_rows(id=d["id"]) == set()

    def test_rolled_back_write_leaves_no_index_row(self):
        """A dataset write that fails at COMMIT (a deferred constraint refuses
        it) takes its index row down with it: both were one transaction."""
        org = factories.Organization()
        user = factories.Sysadmin()
        model.Session.execute(sa.text("""
            CREATE OR REPLACE FUNCTION lyg_test_refuse() RETURNS trigger AS $$
            BEGIN
              IF NEW.name = 'rolled-back' THEN RAISE EXCEPTION 'refused at commit'; END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE CONSTRAINT TRIGGER lyg_test_refuse AFTER INSERT ON package
              DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION lyg_test_refuse();
        """))
        model.Session.commit()
        try:
            with pytest.raises(sa.exc.DBAPIError, match="refused at commit"):
                call_action("package_create", context={"user": user["name"]},
                            name="rolled-back", owner_org=org["id"], title="回滚的数据集")
            model.Session.rollback()
            assert index_rows(name="rolled-back") == set()
            assert model.Package.get("rolled-back") is None
            assert names(call_action("package_search", q="回滚")) == set()
        finally:
            model.Session.rollback()
            model.Session.execute(sa.text(
                "DROP TRIGGER IF EXISTS lyg_test_refuse ON package; "
                "DROP FUNCTION IF EXISTS lyg_test_refuse()"))
            model.Session.commit()

    def test_spatial_harvester_style_direct_indexing(self):
        org = factories.Organization()
        d = factories.Dataset(owner_org=org["id"],
                              extras=[{"key": "spatial", "value": polygon(119, 34, 119.1, 34.1)}])
        model.Session.execute(sa.text("DELETE FROM lyg_search_doc"))
        model.Session.commit()
        pkg = call_action("package_show", id=d["id"])
        PackageSearchIndex().index_package(dict(pkg, with_custom_schema=pkg))
        assert names(call_action("package_search", ext_bbox="118.9,33.9,119.2,34.2")) \
            == {d["name"]}

    def test_harvest_source_clear(self):
        from ckanext.harvest.model import HarvestJob, HarvestObject, HarvestSource

        sysadmin = factories.Sysadmin()
        ctx = {"user": sysadmin["name"]}
        org = factories.Organization()
        src = call_action("harvest_source_create", context=dict(ctx), name="dept-portal",
                          url="http://127.0.0.1:9/", source_type="ckan", title="部门门户",
                          owner_org=org["id"])
        d = factories.Dataset(title="采集的数据集", owner_org=org["id"])
        other = factories.Dataset(title="手工录入", owner_org=org["id"])
        job = HarvestJob(source=HarvestSource.get(src["id"]))
        job.save()
        HarvestObject(guid="g1", job=job, source=job.source, package_id=d["id"],
                      current=True).save()
        search.rebuild(d["id"])
        assert names(call_action("package_search", fq=f'+harvest_source_id:"{src["id"]}"')) \
            == {d["name"]}
        call_action("harvest_source_clear", context=dict(ctx), id=src["id"])
        assert index_rows(id=d["id"]) == set()
        assert index_rows(id=other["id"]) == {other["name"]}
        # harvest sources themselves are datasets of type "harvest"
        assert names(call_action("package_search", fq="+dataset_type:harvest")) \
            == {"dept-portal"}
        assert other["name"] in names(call_action("package_search",
                                                  fq="-dataset_type:harvest"))


@pytest.mark.usefixtures("clean_db")
class TestSearchIndexCli:
    def run(self, cli, *args):
        result = cli.invoke(ckan_cli, ["search-index", *args])
        assert result.exit_code == 0, result.output
        return result.output

    def test_rebuild_check_show_clear_orphans(self, cli):
        org = factories.Organization()
        a = factories.Dataset(owner_org=org["id"], title="甲")
        b = factories.Dataset(owner_org=org["id"], title="乙")
        model.Session.execute(sa.text("DELETE FROM lyg_search_doc"))
        model.Session.commit()
        out = self.run(cli, "check")
        assert "Packages not indexed = 2 out of 2" in out
        assert "Found 2 unindexed" in self.run(cli, "list-unindexed")
        self.run(cli, "rebuild")
        assert index_rows() == {a["name"], b["name"]}
        assert "Packages not indexed = 0 out of 2" in self.run(cli, "check")
        assert a["name"] in self.run(cli, "show", a["name"])
        self.run(cli, "clear", a["name"])
        assert index_rows() == {b["name"]}
        self.run(cli, "rebuild", "--only-missing")
        assert index_rows() == {a["name"], b["name"]}
        # an orphan: an index row whose dataset is gone from the database
        model.Session.execute(sa.text(
            "UPDATE lyg_search_doc SET id = 'ghost', index_id = 'ghost' WHERE name = :n"),
            {"n": b["name"]})
        model.Session.commit()
        assert "Found 1 orphaned" in self.run(cli, "list-orphans")
        self.run(cli, "clear-orphans")
        assert "Found 0 orphaned" in self.run(cli, "list-orphans")
        self.run(cli, "clear")
        assert index_rows() == set()


@pytest.mark.ckan_config("ckanext.lyg.search_backend", "solr")
@pytest.mark.ckan_config("solr_url", "http://127.0.0.1:9/solr/ckan")
def test_solr_backend_gives_the_search_layer_back_to_ckan():
    import ckan.lib.search.common as common
    import pysolr
    from ckanext.lyg_search import wiring

    assert not wiring.installed()
    assert isinstance(common.make_connection(), pysolr.Solr)


def test_shipped_solr_schema_is_accepted_by_ckan():
    from pathlib import Path

    from ckanext.lyg_search import wiring

    schema = Path(__file__).resolve().parents[2] / "config" / "solr" / "schema.xml"
    assert wiring._ORIGINAL_CHECK_SCHEMA(schema_file=str(schema)) is True
    assert "CJKBigramFilterFactory" in schema.read_text()


def test_every_module_holding_make_connection_reaches_the_engine():
    import ckan.lib.search as search_pkg
    import ckan.lib.search.common as common
    import ckan.lib.search.index as index
    import ckan.lib.search.query as query
    import ckanext.harvest.logic.action.update as harvest_update
    from ckanext.lyg_search import engine, wiring

    for module in (search_pkg, common, index, query, harvest_update):
        assert module.make_connection is wiring.postgres_connection, module.__name__
    assert isinstance(common.make_connection(), engine.PostgresSolr)
    assert search_pkg.check_solr_schema_version is wiring.check_schema_version

