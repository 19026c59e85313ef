"""Exchange with the provincial platform: a stock CKAN harvests our public portal.

The county portal (``county``: one of ours, public mode, a real HTTP server on
its own database) is harvested into this test site, which here is a *stock*
CKAN (marked ``stock_site``: CKAN's own dataset schema, no lyg or scheming
plugin, on the test database), with ckanext-harvest's stock ``ckan`` harvester
(whose queries our search engine answers) and ckanext-dcat's stock
``dcat_rdf`` harvester reading our ``catalog.ttl``.
"""

from __future__ import annotations

import json

import pytest
from ckan import model
from ckan.tests import factories
from ckanext.harvest.model import HarvestObject
from ckanext.lyg_harvest import remote_mapping

from tests.exchange.conftest import Harvest

pytestmark = pytest.mark.stock_site


@pytest.fixture
def province(reset_db, migrate_db_for, with_plugins) -> Harvest:
    """The provincial platform: a stock CKAN, empty, with a harvesting department."""
    from ckan.lib import search

    reset_db()
    for plugin in ("lyg_search", "activity", "harvest"):
        migrate_db_for(plugin)
    search.clear_all()
    return Harvest(factories.Sysadmin(), factories.Organization(name="js-dsj", title="江苏省大数据管理中心"))


def arrived(source_id: str) -> dict[str, dict]:
    """The active datasets of a source on the stock site, by name."""
    from ckan.tests.helpers import call_action

    ids = (
        model.Session.query(HarvestObject.package_id)
        .join(model.Package, model.Package.id == HarvestObject.package_id)
        .filter(HarvestObject.harvest_source_id == source_id, HarvestObject.current.is_(True))
        .filter(model.Package.state == "active")
    )
    return {pkg["name"]: pkg for pkg in (call_action("package_show", id=pid) for (pid,) in ids)}


def _extras(pkg: dict) -> dict[str, str]:
    return {e["key"]: e["value"] for e in pkg.get("extras", [])}


def test_stock_ckan_harvester_takes_every_public_entry_with_its_fields(province, county):
    source = province.source("ckan", county.url, "", name="lyg-county")
    report = province.run(source)
    public = county.public()
    assert report["status"] == "Finished"
    assert not report["gather_errors"] and not report["object_errors"], report
    got = arrived(source["id"])
    assert set(got) == set(public)
    for name, remote in public.items():
        pkg = got[name]
        assert pkg["id"] == remote["id"]  # the stock harvester keeps the remote id
        assert (pkg["title"], pkg["notes"]) == (remote["title"], remote["notes"])
        assert sorted(t["name"] for t in pkg["tags"]) == sorted(t["name"] for t in remote["tags"])
        assert [(r["url"], r["format"], r["name"]) for r in pkg["resources"]] == [
            (r["url"], r["format"], r["name"]) for r in remote["resources"]
        ]
        assert pkg["owner_org"] == province.org["id"]


def test_nothing_the_public_portal_may_not_show_arrives(province, county):
    """Not open (``open_type = none``), not shared, private or deleted entries
    of the county never reach the provincial platform."""
    source = province.source("ckan", county.url, "", name="lyg-county")
    province.run(source)
    hidden = set(county.entries) - set(county.public())
    assert hidden == {"gy-hjbl", "gy-ajxx", "gy-ncgz", "gy-old"}
    got = set(arrived(source["id"]))
    assert not hidden & got
    assert got == set(county.public())


def test_stock_dcat_harvester_reads_our_catalog_ttl(province, county):
    source = province.source("dcat_rdf", county.url + "/catalog.ttl", "", name="lyg-county-dcat")
    report = province.run(source)
    public = county.public()
    assert report["status"] == "Finished"
    assert not report["gather_errors"] and not report["object_errors"], report
    got = {pkg["title"]: pkg for pkg in arrived(source["id"]).values()}
    assert set(got) == {e["title"] for e in public.values()}
    for remote in public.values():
        pkg = got[remote["title"]]
        assert pkg["notes"] == remote["notes"]
        assert sorted(r["url"] for r in pkg["resources"]) == sorted(r["url"] for r in remote["resources"])
        # the lyg_catalog profile: dct:identifier is the resource code, dcat:theme the
        # classification, dct:accrualPeriodicity the update cycle
        extras = _extras(pkg)
        assert extras.get("identifier") == remote["resource_code"]
        assert remote_mapping.theme_uri(remote) in json.loads(extras["theme"])
        cycle = remote_mapping.EU_FREQUENCY_BY_CYCLE[remote["update_cycle"]]
        assert extras.get("frequency") == remote_mapping.EU_FREQUENCY_BASE + cycle
