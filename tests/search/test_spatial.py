"""Spatial search: the map filter, and bbox search with and without ckanext-spatial."""

from __future__ import annotations

import pytest
from ckan.lib import search
from ckan.tests.helpers import call_action

from .conftest import names


@pytest.mark.usefixtures("catalog")
def test_dataset_search_page_has_the_map_filter(app):
    page = app.get("/dataset/")
    assert 'data-module="spatial-query"' in page.body
    filtered = app.get("/dataset/", query_string={"ext_bbox": "118,33,118.6,34.1"})
    assert "不动产登记信息" in filtered.body and "连云港市户籍人口统计" not in filtered.body


@pytest.mark.usefixtures("catalog")
@pytest.mark.ckan_config("ckan.plugins", "lyg_search activity")
def test_bbox_search_without_ckanext_spatial():
    """lyg_search alone answers ext_bbox (stock CKAN site, no spatial plugins)."""
    from ckan import plugins

    assert not plugins.plugin_loaded("spatial_query")
    res = call_action("package_search", ext_bbox="119.2,34.6,120,35")
    assert [r["name"] for r in res["results"]] == ["hukou", "kongqi"]
    assert names(call_action("package_search", ext_bbox="118,33,118.6,34.1")) == {"budongchan"}
    with pytest.raises(search.SearchError):
        call_action("package_search", ext_bbox="1,2,3")
