"""The index migrations on a database that already holds an index."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from ckan import model
from ckan.cli.cli import ckan as ckan_cli
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .conftest import names


def run(cli, *args):
    result = cli.invoke(ckan_cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def columns():
    rows = model.Session.execute(sa.text(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'lyg_search_doc'"))
    return {r[0] for r in rows}


@pytest.mark.usefixtures("clean_db")
def test_upgrade_from_the_first_schema_keeps_and_completes_existing_rows(cli):
    org = factories.Organization(name="tongji", title="市统计局")
    factories.Dataset(name="gdp", title="地区生产总值季度数据", owner_org=org["id"],
                      tags=[{"name": "宏观经济"}])
    model.Session.commit()
    model.Session.remove()
    run(cli, "db", "downgrade", "-p", "lyg_search", "--version", "0001_search_index")
    assert "terms" not in columns() and "tsv_title" not in columns()
    assert model.Session.execute(sa.text("SELECT count(*) FROM lyg_search_doc")).scalar() == 1
    model.Session.remove()
    run(cli, "db", "upgrade", "-p", "lyg_search")
    assert {"terms", "tsv_head", "tsv_title", "facets", "doc_no"} <= columns()
    # 0007: no index on permission labels (every user's labels include "public")
    indexes = model.Session.execute(sa.text(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'lyg_search_doc'")).scalars().all()
    assert "lyg_search_doc_labels" not in indexes
    # 0006 counted the rows already there
    sigs = model.Session.execute(sa.text("SELECT sum(n) FROM lyg_search_sig")).scalar()
    tags = model.Session.execute(sa.text(
        "SELECT sum(n) FROM lyg_search_sig_facet WHERE key = E'tags\\x1f宏观经济'")).scalar()
    assert (sigs, tags) == (1, 1)
    # the upgraded row answers exact matches, facets, title search and ranking
    res = call_action("package_search", q="title:生产总值",
                      **{"facet.field": '["tags","organization"]'})
    assert names(res) == {"gdp"}
    assert res["facets"] == {"tags": {"宏观经济": 1}, "organization": {"tongji": 1}}
    assert names(call_action("package_search", fq='tags:"宏观经济"')) == {"gdp"}
    # and the generation trigger of 0002 is in place again
    before = model.Session.execute(sa.text("SELECT last_value FROM lyg_search_generation")).scalar()
    model.Session.execute(sa.text("UPDATE lyg_search_doc SET state = state"))
    after = model.Session.execute(sa.text("SELECT last_value FROM lyg_search_generation")).scalar()
    model.Session.rollback()
    assert after > before


@pytest.mark.usefixtures("clean_db")
def test_stats_command(cli):
    factories.Dataset(owner_org=factories.Organization()["id"])
    assert "documents: 1" in run(cli, "lyg-search", "stats")


def _layout():
    """The table's columns in order, with its indexes, constraints, triggers
    and the sequence that numbers its rows."""
    def all_(sql):
        return model.Session.execute(sa.text(sql)).all()

    return {
        "columns": [r[0] for r in all_(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'lyg_search_doc'::regclass "
            "AND attnum > 0 AND NOT attisdropped ORDER BY attnum")],
        "indexes": sorted(all_("SELECT indexname, indexdef FROM pg_indexes "
                               "WHERE tablename = 'lyg_search_doc'")),
        "constraints": sorted(all_("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                                   "WHERE conrelid = 'lyg_search_doc'::regclass")),
        "triggers": sorted(r[0] for r in all_(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = 'lyg_search_doc'::regclass AND NOT tgisinternal")),
        "storage": sorted(all_("SELECT attname, attstorage FROM pg_attribute "
                               "WHERE attrelid = 'lyg_search_doc'::regclass AND attnum > 0 "
                               "AND NOT attisdropped")),
        "options": all_("SELECT reloptions FROM pg_class WHERE oid = 'lyg_search_doc'::regclass"),
        "sequence": all_("SELECT pg_get_serial_sequence('lyg_search_doc', 'doc_no')"),
        "rows": sorted(all_("SELECT index_id, doc_no, facet_codes, facets FROM lyg_search_doc")),
    }


@pytest.mark.usefixtures("clean_db")
def test_hot_columns_first_rewrite_keeps_everything_but_the_order(cli):
    org = factories.Organization(name="tongji", title="市统计局")
    for i in range(3):
        factories.Dataset(name=f"gdp-{i}", title=f"地区生产总值第{i}季度", owner_org=org["id"],
                          tags=[{"name": "宏观经济"}])
    model.Session.commit()
    after = _layout()
    assert after["columns"][:3] == ["doc_no", "indexed_at", "metadata_modified"]
    assert after["columns"].index("tsv_head") < after["columns"].index("doc")
    # 0012: the public label's flag with the fixed-width columns
    assert after["columns"][4] == "labels_public"
    model.Session.remove()

    run(cli, "db", "downgrade", "-p", "lyg_search", "--version", "0010_hot_columns_first")
    at_0010 = _layout()
    model.Session.remove()
    run(cli, "db", "downgrade", "-p", "lyg_search", "--version", "0009_doc_numbers")
    before = _layout()
    assert before["columns"][0] == "index_id" and before["columns"][-1] == "doc_no"
    assert sorted(before["columns"]) == sorted(at_0010["columns"])
    assert {k: v for k, v in before.items() if k != "columns"} == \
        {k: v for k, v in at_0010.items() if k != "columns"}
    model.Session.remove()

    run(cli, "db", "upgrade", "-p", "lyg_search")
    assert _layout() == after
    # the triggers work on the rewritten table: a new entry is numbered after
    # the others, counted, and found
    last = max(r[1] for r in after["rows"])
    factories.Dataset(name="gdp-new", title="地区生产总值年度", owner_org=org["id"],
                      tags=[{"name": "宏观经济"}])
    doc_no = model.Session.execute(sa.text(
        "SELECT doc_no FROM lyg_search_doc WHERE doc->>'name' = 'gdp-new'")).scalar()
    assert doc_no > last
    res = call_action("package_search", q="生产总值", **{"facet.field": '["tags"]'})
    assert res["count"] == 4 and res["facets"] == {"tags": {"宏观经济": 4}}


def _gin_options() -> dict[str, list[str] | None]:
    return dict(model.Session.execute(sa.text(
        "SELECT c.relname, c.reloptions FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_am a ON a.oid = c.relam "
        "WHERE i.indrelid = 'lyg_search_doc'::regclass AND a.amname = 'gin'")).all())


@pytest.mark.usefixtures("clean_db")
def test_text_indexes_keep_short_pending_lists(cli):
    factories.Dataset(name="gdp", title="地区生产总值季度数据",
                      owner_org=factories.Organization()["id"])
    model.Session.commit()
    upgraded = _gin_options()
    assert {"lyg_search_doc_tsv", "lyg_search_doc_tsv_title", "lyg_search_doc_facets",
            "lyg_search_doc_suggest"} <= set(upgraded)
    assert all(opts == ["gin_pending_list_limit=256"] for opts in upgraded.values()), upgraded
    model.Session.remove()
    run(cli, "db", "downgrade", "-p", "lyg_search", "--version", "0010_hot_columns_first")
    assert set(_gin_options().values()) == {None}
    model.Session.remove()
    run(cli, "db", "upgrade", "-p", "lyg_search")
    assert _gin_options() == upgraded
    # the entry written before is found through the indexes
    assert names(call_action("package_search", q="生产总值")) == {"gdp"}
