"""What a search sends to PostgreSQL: the planner setting a text search
needs made and undone in round trips the search makes anyway, the page read
without the stored documents CKAN does not ask for, and the filters every
search repeats parsed once."""

from __future__ import annotations

import contextlib

import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.lyg_search import cache, query
from sqlalchemy import event


@pytest.fixture
def datasets(clean_db):
    org = factories.Organization(name="tongji")
    return [factories.Dataset(name=f"ds-{i:02d}", title=f"户籍人口统计 {i}", owner_org=org["id"],
                              notes="常住人口")
            for i in range(4)]


@contextlib.contextmanager
def statements():
    """The SQL statements run meanwhile, as sent."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    bind = model.Session.get_bind()
    event.listen(bind, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(bind, "before_cursor_execute", record)


def _seqscan() -> str:
    return model.Session.connection().exec_driver_sql("SHOW enable_seqscan").scalar()


@pytest.mark.parametrize("params,found", [
    ({"q": "户籍人口"}, 4),  # a page: the fetch undoes the setting
    ({"q": "户籍人口", "rows": 0}, 4),  # no page read
    ({"q": "户籍人口", "start": 50}, 4),  # past the end: no page read
    ({"q": "没有这个词"}, 0),
])
def test_text_search_keeps_the_planner_setting_to_itself(datasets, params, found):
    cache.clear()
    with statements() as sent:
        res = call_action("package_search", **params)
        after = _seqscan()  # same transaction
    assert res["count"] == found
    assert after == "on"
    joined = "\n".join(sent)
    # set and undone with other work, not in round trips of their own
    assert joined.count("set_config('enable_seqscan', 'off', true)") == 1
    assert joined.count("set_config('enable_seqscan', 'on', true)") == 1
    own = [s for s in sent if s.strip().startswith("SELECT set_config('enable_seqscan'")]
    assert own == ([] if params.get("rows", 10) and found > params.get("start", 0)
                   else ["SELECT set_config('enable_seqscan', 'on', true)"])
    main = next(s for s in sent if "WITH hits" in s or "count(*)" in s)
    assert sent.index(main) > next(i for i, s in enumerate(sent) if "'off'" in s)


def test_match_all_leaves_the_planner_alone(datasets):
    cache.clear()
    with statements() as sent:
        res = call_action("package_search", q="*:*")
    assert res["count"] == 4
    assert not any("enable_seqscan" in s for s in sent)
    assert _seqscan() == "on"


def test_page_read_without_the_stored_documents(datasets):
    cache.clear()
    with statements() as sent:
        res = call_action("package_search", q="户籍人口", rows=2, sort="name asc")
    fetch = [s for s in sent if "d.validated_data_dict" in s]
    assert len(fetch) == 1
    assert "d.doc" not in fetch[0]  # CKAN asks for the id and the validated dict only
    assert [r["name"] for r in res["results"]] == ["ds-00", "ds-01"]
    assert res["results"][0]["title"] == "户籍人口统计 0"
    assert res["results"][0]["organization"]["name"] == "tongji"
    # a field list naming stored fields still reads them
    named = call_action("package_search", q="户籍人口", rows=1, sort="name asc",
                        fl="name,title")
    assert named["results"] == [{"name": "ds-00", "title": "户籍人口统计 0"}]


def test_filters_are_parsed_once_and_errors_every_time():
    query._parse_kept.cache_clear()
    fq = '+capacity:public +state:active -dataset_type:harvest +site_id:"x"'
    first = query.parse(fq)
    assert query.parse(fq) is first  # the tree is shared, never modified
    assert query._parse_kept.cache_info().hits == 1
    assert (query.Translator().lucene(fq).sql == query.Translator().lucene(fq).sql)
    for _ in range(2):
        with pytest.raises(query.QueryError, match="Cannot parse"):
            query.parse("title:(户籍")
    long_q = "a " * (query.PARSED_KEPT_LENGTH // 2 + 1)
    assert query.parse(long_q) is not query.parse(long_q)  # long queries are not kept
