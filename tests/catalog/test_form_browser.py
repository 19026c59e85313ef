"""The info-item rows of the entry form in a real browser: add rows past the
tenth, remove one, move one, save; the entry keeps the rows in the order the
form showed them.

A real HTTP server serves the portal; headless Chromium (Debian's package,
driven by Playwright) edits an entry as a sysadmin (API token header).
"""

from __future__ import annotations

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ..browser import chromium_page, needs_chromium
from .conftest import create

pytestmark = needs_chromium
GROUP = '.scheming-subfield-group[data-field="info_items"]'


@pytest.fixture
def browser_page(portal_url, sysadmin):
    token = factories.APIToken(user=sysadmin["name"])["token"]
    with chromium_page(extra_http_headers={"Authorization": token}) as page:
        yield page


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
