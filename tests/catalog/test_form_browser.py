"""The info-item rows of the entry form in a real browser: add rows past the
tenth, remove one, move one, save; the entry keeps the rows in the order the
form showed them.

A real HTTP server serves the portal; headless Chromium (Debian's package,
driven by Playwright) edits an entry as a sysadmin (API token header).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from werkzeug.serving import make_server

from .conftest import create

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# `make test` installs Debian's chromium; in CI its absence is a failure, not a skip.
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="Debian's chromium is not installed (make test installs it)")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
GROUP = '.scheming-subfield-group[data-field="info_items"]'


@pytest.fixture
def live_port(ckan_config, monkeypatch):
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
def browser_page(portal_url, sysadmin):
    from playwright.sync_api import sync_playwright

    token = factories.APIToken(user=sysadmin["name"])["token"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", extra_http_headers={"Authorization": token})
        context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/]).*"), lambda r: r.abort())
        try:
            yield context.new_page()
        finally:
            browser.close()


def _visible_names(page):
    return page.locator(f"{GROUP} input[name$='-name']").evaluate_all("els => els.map(e => e.value)")


@pytest.mark.ckan_config("ckanext.lyg.portal", "internal")  # the entry is not open
@pytest.mark.usefixtures("clean_db")
def test_add_remove_move_rows_in_the_form(portal_url, browser_page, sysadmin, org):
    page = browser_page
    create(sysadmin, org, name="rows", info_items=[{"name": "甲", "data_type": "C"},
                                                  {"name": "乙", "data_type": "C"}])
    page.goto(f"{portal_url}/dataset/edit/rows", wait_until="load")
    # CKAN's modules started (scheming's took its row template out of the page) and ours ran
    page.wait_for_function("() => !document.querySelector('[name=\"repeating-template\"]')"
                           " && document.querySelector('.lyg-move-up')", timeout=30000)
    assert _visible_names(page) == ["甲", "乙"]

    # ten more rows (12 in all), each filled in as it is added
    added = [f"列{n:02d}" for n in range(3, 13)]
    for name in added:
        page.locator("a[name='repeating-add']").click()
        page.locator(f"{GROUP} input[name$='-name']").last.fill(name)
        page.locator(f"{GROUP} select[name$='-data_type']").last.select_option("N")
    assert page.locator(GROUP).count() == 12
    names = page.locator(f"{GROUP} input[name$='-name']").evaluate_all("els => els.map(e => e.name)")
    assert names == [f"info_items-{n}-name" for n in range(12)]  # numbered in page order

    # remove 乙 (row 2)
    page.locator(GROUP).nth(1).locator("a[name='repeating-remove']").click()
    page.wait_for_function(
        f"() => document.querySelectorAll(`{GROUP} input[name$='-name']`).length === 11", timeout=10000)
    # move the last row to the top, one step at a time (past the removed one too)
    for n in range(11, 0, -1):
        page.locator(GROUP).nth(n).locator(".lyg-move-up").click()
    expected = ["列12", "甲", *added[:-1]]
    assert _visible_names(page) == expected

    with page.expect_navigation():
        page.locator("button.btn-primary[name='save']").click()
    pkg = call_action("package_show", id="rows")
    assert [i["name"] for i in pkg["info_items"]] == expected
    assert [i["data_type"] for i in pkg["info_items"]] == ["N", "C"] + ["N"] * 9
