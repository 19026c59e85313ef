"""The map filter of the dataset search page, driven in a real browser.

A real HTTP server serves the portal; headless Chromium (Debian's package,
driven by Playwright) opens /dataset, draws a rectangle on ckanext-spatial's
map widget and applies it; the page must then list exactly the datasets the
engine finds for that bounding box.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import urllib.parse

import pytest
from ckan.tests.helpers import call_action
from werkzeug.serving import make_server

from .conftest import names

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# `make test` installs Debian's chromium; in CI its absence is a failure, not a skip.
pytestmark = [
    pytest.mark.usefixtures("catalog"),
    pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                       reason="Debian's chromium is not installed (make test installs it)"),
]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture
def live_port(ckan_config, monkeypatch):
    """A free port, made the site URL before the app is built (the pages'
    scripts call the API at ckan.site_url)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setitem(ckan_config, "ckan.site_url", f"http://127.0.0.1:{port}")
    return port


@pytest.fixture
def portal_url(live_port, app):
    server = make_server("127.0.0.1", live_port, app.flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture
def page(portal_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN")
        # No map tiles here (no internet): refuse them at once instead of waiting.
        context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/]).*"), lambda r: r.abort())
        try:
            yield context.new_page()
        finally:
            browser.close()


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
