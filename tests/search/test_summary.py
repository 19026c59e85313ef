"""Running counts per filter signature (migration 0006, ``summary.py``).

Searches without a keyword take their count and facets from the counts the
triggers keep; these tests hold them to the hits they summarise: after
creates, updates, deletes, purges, private/public switches and a rolled-back
write, the counts equal a fresh aggregate of the index, and every answer
equals the one read from the hits themselves.
"""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest
import sqlalchemy as sa
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.lyg_search import summary
from ckanext.lyg_search.query import Sql

from .conftest import search_as

FACETS = '["organization","tags","res_format","license_id","groups","share_type"]'
# the same filters plus one on a column outside the signatures: read from the hits
FROM_HITS = "+metadata_modified:[* TO *]"


def fresh_counts() -> tuple[dict, dict]:
    """What the running counts must hold, aggregated from the index now."""
    rows = model.Session.execute(sa.text(
        f"SELECT {summary._SIG_KEY} AS sig, count(*) FROM lyg_search_doc d GROUP BY 1"))
    sigs = {r[0]: r[1] for r in rows}
    rows = model.Session.execute(sa.text(
        f"SELECT {summary._SIG_KEY}, k, count(*) FROM lyg_search_doc d, unnest(d.facets) k "
        "WHERE split_part(k, E'\\x1f', 1) IN (SELECT field FROM lyg_search_counted) "
        "GROUP BY 1, 2"))
    keys = {(r[0], r[1]): r[2] for r in rows}
    return sigs, keys


def running_counts() -> tuple[dict, dict]:
    sigs = {r[0]: r[1] for r in model.Session.execute(
        sa.text("SELECT sig, n FROM lyg_search_sig WHERE n <> 0"))}
    keys = {(r[0], r[1]): r[2] for r in model.Session.execute(
        sa.text("SELECT sig, key, n FROM lyg_search_sig_facet WHERE n <> 0"))}
    return sigs, keys


def assert_consistent():
    model.Session.rollback()
    assert running_counts() == fresh_counts()


class Statements:
    """The SQL statements run while the block runs (an event listener); with
    ``threads``, as (thread name, statement) pairs."""

    def __init__(self, threads: bool = False):
        self.threads = threads

    def __enter__(self):
        self.seen = []
        sa.event.listen(model.meta.engine, "before_cursor_execute", self._record)
        return self.seen

    def __exit__(self, *exc):
        sa.event.remove(model.meta.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, *args):
        self.seen.append((threading.current_thread().name, statement) if self.threads
                         else statement)


def from_counts(statements) -> bool:
    return any("FROM lyg_search_sig d" in s for s in statements)


def both_ways(user, **params):
    """The answer from the running counts and the one from the hits."""
    with Statements() as seen:
        fast = search_as(user, rows=0, **{"facet.field": FACETS}, **params)
    assert from_counts(seen)
    fq = f'{params.pop("fq", "")} {FROM_HITS}'.strip()
    with Statements() as seen:
        slow = search_as(user, rows=0, fq=fq, **{"facet.field": FACETS}, **params)
    assert not from_counts(seen)
    return fast, slow


@pytest.fixture
def site(clean_db):
    boss = factories.Sysadmin(name="boss")
    factories.User(name="staff")
    a = factories.Organization(name="dept-a", users=[{"name": "staff", "capacity": "member"}])
    b = factories.Organization(name="dept-b")
    factories.Group(name="renkou")
    ctx = {"user": boss["name"]}

    def ds(name, org, **kw):
        return call_action("package_create", context=dict(ctx), name=name, owner_org=org["id"],
                           **kw)

    made = [
        ds("a1", a, tags=[{"name": "人口"}, {"name": "户籍"}], license_id="cc-by",
           groups=[{"name": "renkou"}], resources=[{"url": "http://x/a.csv", "format": "CSV"}],
           extras=[{"key": "share_type", "value": "conditional"}]),
        ds("a2", a, tags=[{"name": "人口"}], private=True,
           resources=[{"url": "http://x/a.xlsx", "format": "XLSX"}]),
        ds("b1", b, tags=[{"name": "企业"}], license_id="odc-by",
           extras=[{"key": "share_type", "value": "unconditional"}]),
        ds("b2", b, tags=[{"name": "企业"}, {"name": "人口"}],
           resources=[{"url": "http://x/b.csv", "format": "CSV"},
                      {"url": "http://x/b.json", "format": "JSON"}]),
    ]
    return {"ctx": ctx, "a": a, "b": b, "made": made}


def test_counts_follow_every_write(site):
    assert_consistent()
    ctx = site["ctx"]
    call_action("package_patch", context=dict(ctx), id="a1", tags=[{"name": "水质"}])
    assert_consistent()
    call_action("package_patch", context=dict(ctx), id="b2", private=True)
    assert_consistent()
    call_action("package_delete", context=dict(ctx), id="b1")
    assert_consistent()
    call_action("dataset_purge", context=dict(ctx), id="b1")
    assert_consistent()
    call_action("package_patch", context=dict(ctx), id="a2", owner_org=site["b"]["id"])
    assert_consistent()


def test_rolled_back_write_leaves_counts_alone(site):
    before = running_counts()
    call_action("package_patch", context=dict(site["ctx"]), id="a1", tags=[{"name": "新标签"}])
    model.Session.rollback()  # already committed: the counts moved with it
    after_patch = running_counts()
    assert after_patch != before
    # a write that never commits moves nothing
    model.Session.execute(sa.text("UPDATE lyg_search_doc SET state = 'deleted'"))
    model.Session.rollback()
    assert running_counts() == after_patch
    assert_consistent()


QUERIES = [
    {"q": "*:*"},
    {"q": "*:*", "include_private": True},
    {"q": "*:*", "fq": 'owner_org:"{a}"', "include_private": True},
    {"q": "*:*", "fq": '-owner_org:"{a}"'},
    {"q": "*:*", "include_drafts": True, "include_private": True},
]


def test_answers_equal_those_read_from_the_hits(site):
    for user in (None, "staff", "boss"):
        for query in QUERIES:
            params = {k: (v.format(a=site["a"]["id"]) if isinstance(v, str) else v)
                      for k, v in query.items()}
            fast, slow = both_ways(user, **params)
            assert (fast["count"], fast["facets"]) == (slow["count"], slow["facets"]), (user, query)
            assert fast["count"] > 0


def test_only_signature_filters_are_answered_from_counts():
    where_ok = Sql("d.state = %s AND d.permission_labels && ARRAY[%s]::text[]", ["active", "public"])
    assert summary.answerable(where_ok, ["tags", "owner_org"])
    assert not summary.answerable(Sql("d.metadata_modified IS NOT NULL"), [])
    assert not summary.answerable(Sql("d.tsv @@ plainto_tsquery('simple', %s)", ["x"]), [])
    assert not summary.answerable(
        Sql("EXISTS (SELECT 1 FROM jsonb_each(d.terms) v WHERE d.state = %s)", ["x"]), [])
    assert not summary.answerable(where_ok, ["permission_labels"])


def test_a_site_facet_field_is_counted_when_first_asked(site):
    model.Session.execute(sa.text("DELETE FROM lyg_search_counted WHERE field = 'share_type'"))
    model.Session.execute(sa.text(
        "DELETE FROM lyg_search_sig_facet WHERE key LIKE 'share\\_type%'"))
    model.Session.commit()
    assert "share_type" in summary.site_facet_fields()  # the lyg plugin's facet
    fast, slow = both_ways(None, q="*:*")
    assert fast["facets"]["share_type"] == slow["facets"]["share_type"] == {
        "conditional": 1, "unconditional": 1}
    assert "share_type" in summary.counted(model.Session.connection())
    assert_consistent()


def test_an_unknown_facet_field_is_read_from_the_hits_and_not_counted(site):
    res = search_as(None, q="*:*", rows=0, **{"facet.field": '["res_url"]'})
    assert set(res["facets"]["res_url"]) == {"http://x/a.csv", "http://x/b.csv",
                                              "http://x/b.json"}
    assert "res_url" not in summary.counted(model.Session.connection())


def test_or_list_on_a_string_field_is_one_condition(site):
    from ckanext.lyg_search.query import Translator

    sql = Translator().lucene('share_type:(conditional OR unconditional OR none)')
    assert sql.sql == "d.facets && %s::text[]"
    res = search_as(None, q="*:*", fq="share_type:(conditional OR unconditional OR none)")
    assert {r["name"] for r in res["results"]} == {"a1", "b1"}


def test_a_change_to_the_counted_fields_is_a_new_generation(site):
    from ckanext.lyg_search import cache

    conn = model.Session.connection()
    before = cache.generation(conn)
    assert "tags" in summary.counted(conn, before)
    model.Session.execute(sa.text("DELETE FROM lyg_search_counted WHERE field = 'tags'"))
    after = cache.generation(model.Session.connection())
    assert after != before
    assert "tags" not in summary.counted(model.Session.connection(), after)
    model.Session.rollback()


def test_a_recreated_generation_sequence_is_a_new_generation(site):
    """A sequence created again (restore, migrations down and up) starts at 1:
    answers remembered for the old one must not be met."""
    from ckanext.lyg_search import cache

    before = cache.generation(model.Session.connection())
    model.Session.execute(sa.text("DROP SEQUENCE lyg_search_generation CASCADE"))
    model.Session.execute(sa.text("CREATE SEQUENCE lyg_search_generation"))
    model.Session.execute(sa.text("SELECT setval('lyg_search_generation', :v, true)"),
                          {"v": before[1]})
    after = cache.generation(model.Session.connection())
    assert after[1] == before[1] and after != before
    model.Session.rollback()


def expected_facets(results: list[dict]) -> dict[str, dict[str, int]]:
    """Facet numbers counted from the dataset dicts themselves."""
    out: dict[str, Counter] = {f: Counter() for f in
                               ("organization", "tags", "groups", "res_format", "license_id",
                                "res_url")}
    for r in results:
        if (r.get("organization") or {}).get("name"):
            out["organization"][r["organization"]["name"]] += 1
        out["tags"].update({t["name"] for t in r.get("tags") or []})
        out["groups"].update({g["name"] for g in r.get("groups") or []})
        out["res_format"].update({x["format"] for x in r.get("resources") or [] if x["format"]})
        out["res_url"].update({x["url"] for x in r.get("resources") or [] if x["url"]})
        if r.get("license_id"):
            out["license_id"][r["license_id"]] += 1
    return {f: dict(c) for f, c in out.items()}


def test_facets_of_hits_counted_as_codes_equal_the_hits(site, ckan_config, monkeypatch):
    """A keyword's facets on counted fields are counted as codes (migration
    0008), other fields' (res_url) from the text keys, in the same request;
    both equal the numbers counted from the hits themselves, for every user,
    after writes too."""
    from ckanext.lyg_search import cache

    counted_fields = ["organization", "tags", "res_format", "license_id", "groups"]
    # (in memory when the process holds them: see test_facet_memory.py)
    monkeypatch.setitem(ckan_config, "ckanext.lyg_search.facet_memory", False)

    def check():
        hits = 0
        for user in (None, "staff", "boss"):
            for params in ({"q": "人口"}, {"q": "企业 OR 户籍"}, {"q": "人口", "fq": "-tags:户籍"},
                           {"q": "*:*", "fq": FROM_HITS, "include_private": True}):
                for fields in (counted_fields, [*counted_fields, "res_url"]):
                    cache.clear()  # answers remembered for the same filters
                    with Statements() as seen:
                        res = search_as(user, rows=1000, **{"facet.field": json.dumps(fields)},
                                        **params)
                    assert any("facet_codes" in s for s in seen)
                    assert any("unnest(h.facets)" in s for s in seen) == ("res_url" in fields)
                    expected = expected_facets(res["results"])
                    assert res["facets"] == {f: expected[f] for f in fields}, (user, params)
                    hits += res["count"]
        assert hits

    check()
    call_action("package_patch", context=dict(site["ctx"]), id="a1",
                tags=[{"name": "人口"}, {"name": "水质"}])
    call_action("package_patch", context=dict(site["ctx"]), id="b2", private=True)
    check()


def test_facet_codes_name_every_key_of_the_counted_fields(site):
    from ckanext.lyg_search import cache

    conn = model.Session.connection()
    generation = cache.generation(conn)
    codes, keys = summary.facet_codes(conn, generation, ["tags", "organization"])
    stored = model.Session.execute(sa.text(
        "SELECT DISTINCT c, k FROM lyg_search_doc d, unnest(d.facet_codes, d.facets) AS u(c, k) "
        "WHERE split_part(k, E'\\x1f', 1) IN ('tags', 'organization')")).all()
    assert stored and set(stored) <= set(zip(codes, keys, strict=True))
    # a field that is not counted has no complete list of keys: read as text
    assert summary.facet_codes(conn, generation, ["tags", "res_url"]) is None


def test_a_site_facet_field_is_counted_when_a_keyword_first_asks(site):
    model.Session.execute(sa.text("DELETE FROM lyg_search_counted WHERE field = 'share_type'"))
    model.Session.execute(sa.text(
        "DELETE FROM lyg_search_sig_facet WHERE key LIKE 'share\\_type%'"))
    model.Session.commit()
    res = search_as(None, q="人口", rows=0, **{"facet.field": '["share_type"]'})
    assert res["facets"]["share_type"] == {"conditional": 1}
    assert "share_type" in summary.counted(model.Session.connection())
    assert_consistent()
