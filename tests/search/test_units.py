"""Pure parts of the engine: segmentation, mm, dates, spatial functions, rows."""

from __future__ import annotations

import datetime as dt

import pytest
from ckanext.lyg_search import query, spatial, store, text


class TestSegmentation:
    def test_compound_words_yield_their_parts(self):
        words = text.tokens("连云港市户籍人口统计")
        assert {"连云港", "户籍人口", "人口", "户籍", "统计"} <= set(words)

    def test_user_dictionary_terms_stay_whole(self):
        assert "统一社会信用代码" in text.tokens("企业统一社会信用代码查询")
        assert "不动产登记" in text.tokens("不动产登记信息")

    def test_query_compounds_spelled_by_their_parts_are_left_to_them(self):
        # an index entry for 地区生产总值 holds 生产 and 总值, not 生产总值
        assert text.query_words("生产总值") == ["生产", "总值"]
        assert text.query_words("社会信用代码") == ["社会", "信用", "代码"]
        assert "连云港" in text.query_words("连云港")
        assert text.query_words("Air quality") == ["Air", "quality"]

    def test_punctuation_dropped_latin_kept(self):
        assert text.tokens("人口，统计。") == ["人口", "统计"]
        assert text.tokens("Air quality, 2024") == ["Air", "quality,", "2024"]
        assert text.segment(None) == ""

    def test_short_texts_are_remembered_as_they_are_segmented(self):
        short, long_ = "市统计局 户籍人口", "连云港市户籍人口统计" * 10
        assert len(short) <= text.SHORT_TEXT < len(long_)
        for s in (short, long_):
            assert text.tokens(s) == text._tokens(s)
        words = text.tokens(short)
        words.append("x")  # the caller's list is its own
        assert text.tokens(short) == text._tokens(short)


class TestMinimumShouldMatch:
    @pytest.mark.parametrize("n,need", [(1, 1), (2, 2), (3, 2), (5, 4), (6, 4), (10, 8)])
    def test_ckan_default(self, n, need):
        assert query.min_should_match(n, "2<-1 5<80%") == need

    def test_plain_forms(self):
        assert query.min_should_match(4, "1") == 1
        assert query.min_should_match(4, "-1") == 3
        assert query.min_should_match(4, "50%") == 2
        assert query.min_should_match(4, None) == 4


class TestDates:
    def test_iso_and_now_math(self):
        assert query.parse_date("2024-03-01T10:00:00Z") == dt.datetime(
            2024, 3, 1, 10, tzinfo=dt.UTC)
        assert query.parse_date("2024-03-01").day == 1
        now = dt.datetime.now(dt.UTC)
        assert abs((query.parse_date("NOW-1DAY") - (now - dt.timedelta(days=1))).total_seconds()) < 5
        assert query.parse_date("NOW/DAY").hour == 0
        assert query.parse_date("2024-01-31T00:00:00Z+1MONTH").date() == dt.date(2024, 2, 29)
        assert query.parse_date("2024-02-29T00:00:00Z+1YEAR").date() == dt.date(2025, 2, 28)

    @pytest.mark.parametrize("bad", ["yesterday", "2024-13-01", "NOW+1FORTNIGHT",
                                     "NOW+99999YEARS", "NOW+99999999999DAYS"])
    def test_bad_dates(self, bad):
        with pytest.raises(query.QueryError):
            query.parse_date(bad)


class TestSpatialFunctions:
    BF = ("div(mul(mul(max(0,sub(min(120.0,maxx),max(119.2,minx))),"
          "max(0,sub(min(35.0,maxy),max(34.6,miny)))),2),"
          "add(0.32,mul(sub(maxy,miny),sub(maxx,minx))))")

    def test_ckanext_spatial_ratio_is_understood(self):
        ratio = spatial.parse_bf(self.BF)
        assert ratio is not None and ratio.params == [119.2, 34.6, 120.0, 35.0, 0.32]
        flt = spatial.parse_frange("{!frange incl=false l=0 u=1}" + self.BF)
        assert "d.bbox &&" in flt.sql

    def test_other_functions_are_refused(self):
        assert spatial.parse_bf("recip(ms(NOW,metadata_modified),3.16e-11,1,1)") is None
        assert spatial.parse_frange("+name:x") is None
        with pytest.raises(query.QueryError):
            spatial.parse_frange("{!frange incl=false l=0 u=1}sum(1,2)")


class TestDocumentRows:
    def test_bounds_from_geojson_when_spatial_plugin_absent(self):
        doc = {"extras_spatial": '{"type":"Point","coordinates":[119.2,34.6]}'}
        assert store.bounds_of(doc) == (119.2, 34.6, 119.2, 34.6)
        doc = {"minx": "1", "miny": "2", "maxx": "3", "maxy": "4"}
        assert store.bounds_of(doc) == (1.0, 2.0, 3.0, 4.0)
        assert store.bounds_of({"extras_spatial": "not json"}) is None

    def test_json_extras_feed_their_words(self):
        words = list(store._leaf_strings('[{"name": "身份证号", "data_type": "C"}]'))
        assert "身份证号" in words

    def test_normalise(self):
        assert store.normalise(True) == "true"
        assert store.normalise([1, None, "a"]) == ["1", "a"]
        assert store.normalise({"a": 1}) == '{"a": 1}'


def test_nul_characters_are_dropped_from_documents():
    params = store.row_params({"index_id": "x", "id": "x", "title": "人口\x00统计",
                               "tags": ["a\x00b"], "data_dict": "{}"})
    assert not any("\x00" in p for p in params if isinstance(p, str))


def test_ext_bbox_parsing_and_function_round_trip():
    assert spatial.parse_ext_bbox("118.4,33.9,119.9,35.1") == (118.4, 33.9, 119.9, 35.1)
    for bad in ("1,2,3", "a,b,c,d", "10,10,0,0", "0,0,200,10", "nan,0,1,1"):
        assert spatial.parse_ext_bbox(bad) is None
    ratio = spatial.parse_bf(spatial.ratio_function(118.4, 33.9, 119.9, 35.1))
    assert ratio is not None and ratio.params[:4] == [118.4, 33.9, 119.9, 35.1]


def test_permission_labels_filter_is_not_an_index_condition():
    """Every user's labels include "public": the filter keeps nearly every row,
    and an index on it only misled the planner (see ``query._overlap``)."""
    many = query.Translator().lucene('+permission_labels:("public" OR "member-x")')
    one = query.Translator().lucene('permission_labels:"public"')
    assert many.sql == "(d.permission_labels && %s::text[]) IS TRUE"
    assert many.params == [["public", "member-x"]]
    assert one.sql == "(d.permission_labels && %s::text[]) IS TRUE"
    assert one.params == [["public"]]


def test_the_public_label_is_read_from_the_rows_flag():
    t = query.Translator(public_flag=True)
    assert t.lucene('permission_labels:"public"').sql == "d.labels_public"
    many = t.lucene('+permission_labels:("public" OR "member-x" OR "creator-y")')
    assert many.sql == "(d.labels_public OR (d.permission_labels && %s::text[]) IS TRUE)"
    assert many.params == [["member-x", "creator-y"]]
    # labels without "public" (a collaborator's own page) test the array
    assert t.lucene('permission_labels:"member-x"').sql == \
        "(d.permission_labels && %s::text[]) IS TRUE"
    assert t.lucene('-permission_labels:"public"').sql == "(NOT COALESCE(d.labels_public, FALSE))"


def test_a_range_bound_luqum_reads_as_an_operator_is_a_literal():
    # found by the property test: luqum reads the "-0" of [a TO -0] as "NOT 0"
    sql = query.Translator().lucene("name:[人口 TO -0]")
    assert sql.params == ["人口", "-0"]


def test_facet_key_filters_test_the_in_row_codes_first():
    """With facet codes (0008) a filter read row by row rules out most rows
    on the in-row codes; the exact test on the (out-of-line) keys follows."""
    one = query.Translator(codes=True).lucene('share_type:"none"')
    assert one.sql == ("(d.facet_codes @> ARRAY[hashtextextended(%s, 0)] "
                       "AND d.facets @> ARRAY[%s]::text[])")
    assert one.params == ["share_type\x1fnone"] * 2
    many = query.Translator(codes=True).lucene("share_type:(none OR conditional)")
    assert many.sql.startswith("(d.facet_codes && ARRAY[hashtextextended(%s, 0), ")
    assert query.Translator().lucene('share_type:"none"').sql == \
        "d.facets @> ARRAY[%s]::text[]"
    # several required keys: every code is tested before any key is read
    both = query.Translator(codes=True).lucene('share_type:"none" update_cycle:"每月" title:x')
    assert both.sql.startswith("((d.facet_codes @> ARRAY[hashtextextended(%s, 0), hashtextextended(%s, 0)] "
                               "AND d.facets @> ARRAY[%s, %s]::text[]) AND ")
    keys = ["share_type\x1fnone", "update_cycle\x1f每月"]
    assert both.params[:4] == keys * 2
    assert query.Translator().lucene('+share_type:"none" +update_cycle:"每月"').sql == \
        "d.facets @> ARRAY[%s, %s]::text[]"
    # not merged across OR, nor into a negation
    either = query.Translator(codes=True).lucene('share_type:"none" OR update_cycle:"每月"')
    assert either.sql.count("facet_codes @>") == 2
    negated = query.Translator(codes=True).lucene('share_type:"none" -update_cycle:"每月"')
    assert negated.sql.count("facet_codes @>") == 2 and "NOT COALESCE" in negated.sql
