"""Random queries built from the Lucene grammar: a result or a search error."""

from __future__ import annotations

import pytest
from ckan.lib.search import SearchError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import search_as

pytestmark = pytest.mark.usefixtures("catalog")

FIELDS = st.sampled_from(["", "name:", "title:", "tags:", "res_format:", "share_type:",
                          "metadata_modified:", "views_recent:", "text:", "x-y.z:", "*:"])
WORDS = st.one_of(
    st.sampled_from(["人口", "hukou", "不动产", "*", "a*", "?b", "登记信息", "2024",
                     "NOW-1DAY", "\\:", "'", ";", "--", "%", "_", "\\", "AND", "OR"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6),
)


@st.composite
def clause(draw, depth=0):
    kind = draw(st.integers(0, 5 if depth < 2 else 2))
    field = draw(FIELDS)
    if kind == 0:
        return field + draw(WORDS)
    if kind == 1:
        return field + '"' + draw(WORDS) + " " + draw(WORDS) + '"'
    if kind == 2:
        lo, hi = draw(WORDS), draw(WORDS)
        return f"{field}{draw(st.sampled_from('[{'))}{lo or '*'} TO {hi or '*'}" \
               f"{draw(st.sampled_from(']}'))}"
    if kind == 3:
        op = draw(st.sampled_from([" AND ", " OR ", " ", " NOT ", " && "]))
        return draw(clause(depth + 1)) + op + draw(clause(depth + 1))
    if kind == 4:
        return draw(st.sampled_from(["+", "-", "!", ""])) + "(" + draw(clause(depth + 1)) + ")"
    return draw(clause(depth + 1)) + draw(st.sampled_from(["^2", "~1", "", ")", "("]))


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(q=clause(), fq=st.one_of(st.none(), clause()),
       sort=st.sampled_from([None, "name asc", "score desc, metadata_modified desc",
                             "views_recent desc", "title_string desc", "bogus"]))
def test_random_queries_give_results_or_search_errors(q, fq, sort):
    params = {"q": q, "rows": 3}
    if fq is not None:
        params["fq"] = fq
    if sort:
        params["sort"] = sort
    try:
        res = search_as("boss", **params)
    except SearchError:
        return
    assert res["count"] >= len(res["results"])
