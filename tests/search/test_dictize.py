"""The batch read of re-indexing (``dictize.show_many``) gives exactly what
CKAN's ``package_show_default_and_custom_schemas`` gives, dataset by dataset."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan import logic, model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.lyg_search import dictize


def _ckan(ids):
    return {i: logic.package_show_default_and_custom_schemas({"ignore_auth": True}, i)
            for i in ids}


@pytest.fixture
def varied(clean_db):
    """Datasets with every kind of related row package_show reads."""
    sysadmin = factories.Sysadmin()
    ctx = {"user": sysadmin["name"]}
    org = factories.Organization(name="tongji", title="市统计局")
    other = factories.Organization(name="gaj", title="市公安局")
    factories.Group(name="renkou", title="人口基础库")
    factories.Group(name="renkou-2", title="人口基础库")  # same title: sorted by title
    factories.Group(name="faren", title="法人单位基础库")
    vocab = call_action("vocabulary_create", name="topics", tags=[{"name": "经济"}])

    def ds(**kw):
        return call_action("package_create", context=dict(ctx), **kw)

    full = ds(name="full", title="  人口统计  ", owner_org=org["id"], notes="说明",
              groups=[{"name": "renkou"}, {"name": "faren"}, {"name": "renkou-2"}],
              tags=[{"name": "人口"}, {"name": "户籍"},
                    {"name": "经济", "vocabulary_id": vocab["id"]}],
              license_id="cc-by", extras=[{"key": "share_type", "value": "conditional"}],
              resources=[{"url": "http://example.com/a.csv", "format": "CSV", "name": "甲"},
                         {"url": "http://example.com/b.json", "format": "JSON", "name": "乙"},
                         {"url": "http://example.com/c.pdf", "format": "PDF", "name": "丙"}])
    # a deleted resource and a removed tag stay in their tables
    call_action("resource_delete", context=dict(ctx), id=full["resources"][1]["id"])
    call_action("package_patch", context=dict(ctx), id=full["id"],
                tags=[{"name": "人口"}, {"name": "经济", "vocabulary_id": vocab["id"]}])
    same_groups = ds(name="same-groups", owner_org=other["id"],
                     groups=[{"name": "renkou"}, {"name": "faren"}, {"name": "renkou-2"}])
    ds(name="bare", owner_org=org["id"])
    ds(name="private", owner_org=org["id"], private=True, tags=[{"name": "人口"}])
    ds(name="draft", owner_org=org["id"], state="draft")
    gone = ds(name="gone", owner_org=org["id"], groups=[{"name": "faren"}])
    call_action("package_delete", context=dict(ctx), id=gone["id"])
    # an organization that is deleted afterwards: package_show gives no organization
    closed = factories.Organization(name="closed")
    orphan = ds(name="orphan", owner_org=closed["id"])
    model.Group.get(closed["id"]).state = "deleted"  # (the action refuses while it has datasets)
    model.Session.commit()
    related = ds(name="related", owner_org=org["id"])
    call_action("package_relationship_create", context=dict(ctx), subject=related["id"],
                object=same_groups["id"], type="depends_on")
    return {"orphan": orphan}


def test_the_batch_read_equals_ckans(varied):
    ids = [r[0] for r in model.Session.execute(sa.text("SELECT id FROM package ORDER BY name"))]
    assert len(ids) == 8
    ours = dictize.show_many({"ignore_auth": True}, ids)
    expected = _ckan(ids)
    assert list(ours) == ids
    for i in ids:
        assert ours[i] == expected[i], expected[i]["name"]
    full = next(v for v in ours.values() if v[0]["name"] == "full")[1]
    # the cases above are there: groups (two of one title), a vocabulary tag, live resources
    assert sorted(g["name"] for g in full["groups"]) == ["faren", "renkou", "renkou-2"]
    assert {t["name"] for t in full["tags"]} == {"人口", "经济"}
    assert [r["name"] for r in full["resources"]] == ["甲", "丙"]
    assert ours[varied["orphan"]["id"]][1]["organization"] is None


def test_names_and_unknown_ids(varied):
    ours = dictize.show_many({"ignore_auth": True}, ["full", "no-such-dataset"])
    assert list(ours) == ["full"]
    assert ours["full"] == _ckan(["full"])["full"]


def test_indexing_skips_only_the_name_query_and_discarded_messages():
    from ckan.lib.navl.validators import not_empty
    from ckan.logic.schema import default_show_package_schema
    from ckan.logic.validators import package_name_validator

    schema = default_show_package_schema()
    read = dictize._read(schema)
    assert package_name_validator in schema["name"]
    assert read["name"] == [v for v in schema["name"] if v is not package_name_validator]
    assert schema["extras"] == {"key": [not_empty], "value": [not_empty]}
    assert read["extras"] == {"key": [dictize._stop_if_empty], "value": [dictize._stop_if_empty]}
    assert {k: v for k, v in read.items() if k not in ("name", "extras")} == {
        k: v for k, v in schema.items() if k not in ("name", "extras")}


@pytest.mark.parametrize("value", [tk.missing, None, "", [], "x", 0, 0.0, False, ["a"]])
def test_the_quiet_check_stops_and_keeps_data_as_not_empty_does(value, app):
    from ckan.lib.navl.dictization_functions import StopOnError
    from ckan.lib.navl.validators import not_empty

    def run(check):
        data, errors = {("k",): value}, {("k",): []}
        try:
            check(("k",), data, errors, {})
            stopped = False
        except StopOnError:
            stopped = True
        return stopped, data

    with app.flask_app.test_request_context():  # (not_empty's message is translated)
        assert run(dictize._stop_if_empty) == run(not_empty)
