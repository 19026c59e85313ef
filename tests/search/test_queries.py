"""Query forms: q syntax, every fq form of the search contract, sort, paging."""

from __future__ import annotations

import pytest
from ckan.lib.search import SearchQueryError

from .conftest import names, search_as

pytestmark = pytest.mark.usefixtures("catalog")

PUBLIC_ACTIVE = {"hukou", "budongchan", "qiye", "kongqi", "zz-untitled"}


def q(query="", **kw):
    return names(search_as("boss", q=query, rows=100, **kw))


def fql(filter_, **kw):
    """One fq_list item: parsed on its own, as Solr parses each fq."""
    return names(search_as("boss", fq_list=[filter_], rows=100, **kw))


def fq(filter_, **kw):
    return names(search_as("boss", fq=filter_, rows=100, **kw))


class TestQuerySyntax:
    def test_empty_and_match_all(self):
        assert q("") == PUBLIC_ACTIVE
        assert q("*:*") == PUBLIC_ACTIVE

    def test_free_text_chinese(self):
        assert q("人口") == {"hukou"}
        assert q("户籍人口") == {"hukou"}
        assert q("不动产") == {"budongchan"}
        assert q("登记信息") == {"budongchan", "qiye"}

    def test_free_text_latin_case_insensitive(self):
        assert q("enterprise") == {"qiye"}
        assert q("AIR Quality") == {"kongqi"}

    def test_free_text_department_and_group_titles(self):
        assert q("公安局") == {"hukou", "kongqi"}
        assert q("法人单位基础库") == {"qiye"}

    def test_free_text_resources_and_extras(self):
        assert q("企业名录接口") == {"qiye"}
        assert q("101001001/000001") == {"hukou"}

    def test_minimum_should_match(self):
        # dismax mm "2<-1 5<80%": three clauses need two.
        assert q("户籍 人口 nonexistentword") == {"hukou"}
        assert q("户籍 nonexistentword") == set()

    def test_must_and_must_not_marks(self):
        assert q("登记信息 -企业") == {"budongchan"}
        assert q("+登记信息 +企业") == {"qiye"}

    def test_phrase(self):
        assert q('"air quality"') == {"kongqi"}
        assert q('"quality air"') == set()

    def test_fielded(self):
        assert q("name:hukou") == {"hukou"}
        assert q('title:"户籍人口"') == {"hukou"}
        assert q("title:enterprise") == {"qiye"}
        assert q("tags:人口") == {"hukou"}
        assert q("notes:monitoring") == {"kongqi"}

    def test_string_fields_are_exact(self):
        assert q("name:huk") == set()
        assert q("tags:人") == set()
        # CKAN stores formats unified ("csv" → "CSV"); the match is exact.
        assert q("res_format:csv") == set()
        assert q("res_format:CSV") == {"hukou", "kongqi"}

    def test_boolean_operators(self):
        assert q("name:hukou OR name:qiye") == {"hukou", "qiye"}
        assert q("name:hukou AND tags:户籍") == {"hukou"}
        assert q("name:hukou AND tags:企业") == set()
        assert q("(name:hukou OR name:qiye) AND NOT tags:企业") == {"hukou"}
        assert q("tags:人口 -name:hukou") == set()

    def test_prefix_wildcard(self):
        assert q("name:bu*") == {"budongchan"}
        assert q("name:?iye") == {"qiye"}
        assert q("enterpr*") == {"qiye"}

    def test_field_exists(self):
        assert q("views_recent:*") == {"qiye", "kongqi"}

    def test_ranges(self):
        assert q("views_recent:[10 TO *]") == {"kongqi"}
        assert q("views_recent:[* TO 10]") == {"qiye"}
        assert q("views_recent:{7 TO 30]") == {"kongqi"}
        assert q("issued_date:[2024-01-01T00:00:00Z TO 2024-12-31T00:00:00Z]") == {"kongqi"}
        assert q("metadata_modified:[2000-01-01T00:00:00Z TO *]") == PUBLIC_ACTIVE
        assert q("metadata_modified:[* TO 2000-01-01T00:00:00Z]") == set()
        assert q("metadata_modified:[NOW-1DAY TO NOW+1DAY]") == PUBLIC_ACTIVE

    def test_unknown_field_is_an_indexed_extra(self):
        assert q("share_type:none") == {"qiye"}
        assert q("update_cycle:每日") == {"budongchan"}
        assert q("no_such_field:x") == set()


class TestFilterForms:
    """Every fq string of the search contract, compared with its rows."""

    def test_core_filters(self):
        assert fq("+capacity:public") == PUBLIC_ACTIVE
        assert fq('+site_id:"test.ckan.net"') == PUBLIC_ACTIVE
        assert fq("+state:active") == PUBLIC_ACTIVE
        assert fq('+permission_labels:("public")') == PUBLIC_ACTIVE

    def test_states(self):
        got = names(search_as("boss", fq="+state:(active OR draft)", rows=100,
                              include_private=True))
        assert got == PUBLIC_ACTIVE | {"draft-renkou", "private-renkou"}
        got = names(search_as("boss", q="*:*", rows=100, include_drafts=True))
        assert got == PUBLIC_ACTIVE | {"draft-renkou"}

    def test_facet_filters_from_search_page(self):
        assert fq(' tags:"人口"') == {"hukou"}
        assert fq(' organization:"police" tags:"环境"') == {"kongqi"}
        assert fq('+dataset_type:dataset') == PUBLIC_ACTIVE
        assert fql('res_format:"pdf" OR res_format:"PDF"') == {"budongchan"}
        # In one fq string with CKAN's "+capacity:public … +state:(…)" around it,
        # Lucene makes OR-ed clauses optional: Solr filters nothing here.
        assert fq('res_format:"pdf" OR res_format:"PDF"') == PUBLIC_ACTIVE
        assert fq('license_id:"cc-by"') == {"hukou"}

    def test_organization_and_group_pages(self, catalog):
        org = catalog["police"]["id"]
        assert fq(f'owner_org:"{org}"') == {"hukou", "kongqi"}
        assert fq(f'+owner_org:"{org}"') == {"hukou", "kongqi"}
        assert fq('groups:"renkou"') == {"hukou"}
        assert fq('+groups:"renkou"') == {"hukou"}
        assert fq("groups:faren") == {"qiye"}

    def test_user_and_misc_filters(self, catalog):
        uid = catalog["sysadmin"]["id"]
        assert fq(f"+creator_user_id:{uid}") == PUBLIC_ACTIVE
        assert fq('capacity:"public"') == PUBLIC_ACTIVE
        assert fq('tags: "户籍"') == {"hukou"}
        assert fq("entity_type:package") == PUBLIC_ACTIVE
        assert fql('name:"qiye" OR id:"qiye"') == {"qiye"}
        assert names(search_as("boss", q='name:"qiye" OR id:"qiye"',
                               fq="+entity_type:package")) == {"qiye"}

    def test_autocomplete_filter_form(self):
        assert q('name_ngram:"dongch" OR title_ngram:"dongch" OR name:"dongch" OR '
                 'title:"dongch"') == {"budongchan"}
        assert q('name_ngram:"户籍" OR title_ngram:"户籍" OR name:"户籍" OR title:"户籍"') \
            == {"hukou"}

    def test_harvest_filters(self):
        assert fq("-dataset_type:harvest") == PUBLIC_ACTIVE
        assert fq("+dataset_type:harvest") == set()
        assert fq('+harvest_source_id:"nope"') == set()

    def test_lucene_clause_semantics(self):
        # Lucene's classic parser has no precedence: "+x a OR b +y" requires x
        # and y and leaves a and b optional, so this fq filters on tags only.
        assert fq("+tags:人口 organization:stats OR organization:nobody") == {"hukou"}
        assert q("name:hukou OR name:qiye tags:企业") == {"qiye"}
        assert q("name:hukou AND tags:户籍 OR name:qiye") == {"hukou"}

    def test_remote_ckan_harvester_filters(self):
        assert fq("organization:police OR organization:stats") == PUBLIC_ACTIVE
        assert fq("-organization:police") == {"budongchan", "qiye", "zz-untitled"}
        assert fql("groups:renkou OR groups:faren") == {"hukou", "qiye"}
        assert fql("organization:police OR organization:nobody") == {"hukou", "kongqi"}
        assert fq("-groups:renkou") == PUBLIC_ACTIVE - {"hukou"}
        assert fq("metadata_modified:[2000-01-01T00:00:00Z TO *]") == PUBLIC_ACTIVE
        got = search_as("boss", fq="organization:police OR organization:stats",
                        sort="id asc", rows=100)
        ids = [r["id"] for r in got["results"]]
        assert ids == sorted(ids)

    def test_fq_list(self):
        assert names(search_as("boss", fq_list=["tags:人口", "organization:police"],
                               rows=100)) == {"hukou"}


class TestSortAndPaging:
    def test_title_sort(self):
        got = search_as("boss", sort="title_string asc", rows=100)["results"]
        titles = [r["title"] for r in got]
        assert titles == sorted(titles)
        got = search_as("boss", sort="title_string desc", rows=100)["results"]
        assert [r["title"] for r in got] == sorted(titles, reverse=True)

    def test_name_and_modified_sort(self):
        got = [r["name"] for r in search_as("boss", sort="name asc", rows=100)["results"]]
        assert got == sorted(PUBLIC_ACTIVE)
        got = search_as("boss", sort="metadata_modified desc", rows=100)["results"]
        stamps = [r["metadata_modified"] for r in got]
        assert stamps == sorted(stamps, reverse=True)

    def test_numeric_sort(self):
        got = [r["name"] for r in search_as("boss", sort="views_recent desc", rows=2)["results"]]
        assert got == ["kongqi", "qiye"]

    def test_relevance_ranks_title_above_description(self):
        got = [r["name"] for r in search_as("boss", q="统一社会信用代码 OR 企业",
                                            rows=10)["results"]]
        assert got[0] == "qiye"
        got = [r["name"] for r in search_as("boss", q="人口", rows=10)["results"]]
        assert got == ["hukou"]

    def test_paging(self):
        all_ = [r["name"] for r in search_as("boss", sort="name asc", rows=100)["results"]]
        pages = []
        for start in range(0, len(all_), 2):
            res = search_as("boss", sort="name asc", rows=2, start=start)
            assert res["count"] == len(all_)
            pages.extend(r["name"] for r in res["results"])
        assert pages == all_
        assert search_as("boss", rows=2, start=1000)["results"] == []

    def test_fl_lists(self):
        res = search_as("boss", q="name:hukou", fl=["id", "name"])
        assert res["results"][0]["name"] == "hukou" and "id" in res["results"][0]


class TestBadInput:
    @pytest.mark.parametrize("query", [
        "(unbalanced", '"half a phrase', "name:(a OR", "title:[a TO", "name:(a AND AND b)",
        "name:/regex/",
    ])
    def test_unparsable_query_is_a_query_error(self, query):
        with pytest.raises(SearchQueryError):
            search_as("boss", q=query)

    @pytest.mark.parametrize("sort", ["nonsense", "name upward", "name asc; drop table x",
                                      "score desc, 'x' asc"])
    def test_bad_sort(self, sort):
        with pytest.raises(SearchQueryError):
            search_as("boss", sort=sort)

    def test_injection_attempts_are_data(self):
        assert q("name:\"x' OR '1'='1\"") == set()
        assert q("'; DROP TABLE package; --") == set()
        assert fq("tags:\"人口'); DELETE FROM lyg_search_doc; --\"") == set()
        assert q("*:*") == PUBLIC_ACTIVE

    def test_bad_date(self):
        with pytest.raises(SearchQueryError):
            search_as("boss", q="metadata_modified:[yesterday TO *]")
