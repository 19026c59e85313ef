"""The map filter of the dataset search page, driven in a real browser.

A real HTTP server serves the portal; headless Chromium (Debian's package,
driven by Playwright) opens /dataset, draws a rectangle on ckanext-spatial's
map widget and applies it; the page must then list exactly the datasets the
engine finds for that bounding box.
"""

from __future__ import annotations

import urllib.parse

import pytest
from ckan.tests.helpers import call_action

from ..browser import chromium_page, needs_chromium
from .conftest import names

pytestmark = [pytest.mark.usefixtures("catalog"), needs_chromium]


@pytest.fixture
def page(portal_url):
    with chromium_page() as page:
        yield page


def test_drawing_a_box_on_the_map_filters_the_search(portal_url, page):
    page.goto(f"{portal_url}/dataset/", wait_until="load")
    small_map = page.locator("#dataset-map-container.leaflet-container")
    small_map.wait_for(state="visible", timeout=30000)
    # the pencil button opens the drawing dialog, already in rectangle mode
    small_map.locator(".leaflet-control-custom-button").click()
    draw_map = page.locator("#draw-map-container.leaflet-container")
    draw_map.wait_for(state="visible", timeout=30000)
    box = draw_map.bounding_box()
    assert box is not None
    x0, y0 = box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1
    x1, y1 = box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.9
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
    page.mouse.move(x1, y1, steps=5)
    page.mouse.up()
    apply = page.locator(".modal .apply")
    page.wait_for_function(
        "() => !document.querySelector('.modal .apply').classList.contains('disabled')",
        timeout=30000)
    with page.expect_navigation():
        apply.click()
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    bbox = query["ext_bbox"][0]
    minx, miny, maxx, maxy = (float(v) for v in bbox.split(","))
    assert minx < maxx and miny < maxy
    expected = names(call_action("package_search", ext_bbox=bbox, rows=100))
    assert expected  # the drawn box lies over Lianyungang, where the datasets are
    listed = set(page.locator(".dataset-heading a").evaluate_all(
        "els => els.map(a => a.getAttribute('href').split('/').pop())"))
    assert listed == expected
