"""Results, counts and facet numbers under each permission situation."""

from __future__ import annotations

import pytest

from .conftest import names, search_as

pytestmark = pytest.mark.usefixtures("catalog")

FACETS = '["organization","tags","share_type","res_format","groups","license_id"]'


def facets(user, **kw):
    return search_as(user, q="*:*", rows=100, **{"facet.field": FACETS}, **kw)


class TestVisibility:
    def test_anonymous_sees_public_active_only(self):
        res = facets(None)
        assert names(res) == {"hukou", "budongchan", "qiye", "kongqi", "zz-untitled"}
        assert res["count"] == 5
        assert res["facets"]["tags"]["人口"] == 1
        assert res["facets"]["organization"] == {"police": 2, "stats": 3}
        assert res["facets"]["share_type"] == {"unconditional": 3, "conditional": 1, "none": 1}

    def test_private_is_hidden_even_when_asked_for(self):
        res = search_as("citizen", q="*:*", rows=100, include_private=True)
        assert "private-renkou" not in names(res)
        assert res["count"] == 5

    def test_member_sees_private_of_own_department(self):
        res = facets("police-staff", include_private=True)
        assert "private-renkou" in names(res)
        assert res["count"] == 6
        assert res["facets"]["tags"]["人口"] == 2
        assert res["facets"]["organization"] == {"police": 3, "stats": 3}
        assert res["facets"]["share_type"]["conditional"] == 2

    def test_member_without_include_private(self):
        res = facets("police-staff")
        assert res["count"] == 5 and "private-renkou" not in names(res)

    def test_sysadmin_sees_everything_but_deleted(self):
        res = facets("boss", include_private=True, include_drafts=True)
        assert names(res) == {"hukou", "budongchan", "qiye", "kongqi", "zz-untitled",
                              "private-renkou", "draft-renkou"}
        assert res["facets"]["tags"]["人口"] == 3

    def test_drafts_for_department_members_creator_and_sysadmin(self):
        # CKAN labels a draft "member-<org>" and "creator-<user>", not "public".
        assert "draft-renkou" not in names(search_as("citizen", include_drafts=True, rows=100))
        assert "draft-renkou" not in names(search_as(None, include_drafts=True, rows=100))
        assert "draft-renkou" in names(search_as("police-staff", include_drafts=True,
                                                 include_private=True, rows=100))
        assert "draft-renkou" in names(search_as("boss", include_drafts=True, rows=100))

    def test_deleted_datasets_are_removed_from_the_index(self):
        res = search_as("boss", include_deleted=True, include_private=True, rows=100)
        assert "deleted-renkou" not in names(res)
        res = search_as("boss", q="name:deleted-renkou", include_deleted=True)
        assert res["count"] == 0


class TestFacets:
    def test_counts_cover_the_whole_result_not_the_page(self):
        res = search_as(None, q="*:*", rows=1, **{"facet.field": FACETS})
        assert len(res["results"]) == 1
        assert sum(res["facets"]["organization"].values()) == 5

    def test_counts_follow_the_query(self):
        res = search_as(None, q="登记信息", **{"facet.field": FACETS})
        assert res["facets"]["organization"] == {"stats": 2}
        assert res["facets"]["res_format"] == {"PDF": 1, "XLSX": 1, "JSON": 1}

    def test_limit_and_mincount(self):
        res = search_as(None, q="*:*", **{"facet.field": '["res_format"]',
                                         "facet.limit": 1})
        assert res["facets"]["res_format"] == {"CSV": 2}
        res = search_as(None, q="*:*", **{"facet.field": '["res_format"]',
                                         "facet.limit": -1, "facet.mincount": 2})
        assert res["facets"]["res_format"] == {"CSV": 2}
        res = search_as(None, q="*:*", **{"facet.field": '["res_format"]',
                                         "facet.limit": -1})
        assert res["facets"]["res_format"] == {"CSV": 2, "PDF": 1, "XLSX": 1, "JSON": 1}

    def test_search_facets_structure_uses_titles(self):
        res = search_as(None, q="*:*", **{"facet.field": '["organization","groups"]'})
        items = {i["name"]: i["display_name"]
                 for i in res["search_facets"]["organization"]["items"]}
        assert items == {"police": "市公安局", "stats": "市统计局"}

    def test_no_results_no_facet_values(self):
        res = search_as(None, q="没有这样的词语", **{"facet.field": FACETS})
        assert res["count"] == 0
        assert all(v == {} for v in res["facets"].values())
