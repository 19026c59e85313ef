"""Resource codes (分类码/顺序码), look-up by code, groups in step with the
classification, and search by code and by info item."""

from __future__ import annotations

import threading

import ckan.plugins.toolkit as tk
import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.lyg.catalog import codes

from .conftest import create


@pytest.mark.usefixtures("clean_db")
class TestAssignment:
    def test_per_class_sequence(self, sysadmin, org):
        a = create(sysadmin, org, name="aa")
        b = create(sysadmin, org, name="bb")
        c = create(sysadmin, org, name="cc", catalog_sub="002")
        d = create(sysadmin, org, name="dd", catalog_sub="001", catalog_detail="002")
        assert [a["resource_code"], b["resource_code"], c["resource_code"], d["resource_code"]] == [
            "101001/000001", "101001/000002", "101002/000001", "101001002/000001"]

    def test_failed_creation_gives_its_number_back(self, sysadmin, org):
        with pytest.raises(tk.ValidationError):
            create(sysadmin, org, name="bad", share_condition="")
        assert create(sysadmin, org, name="good")["resource_code"] == "101001/000001"

    def test_supplied_code_kept_and_sequence_moves_past_it(self, sysadmin, org):
        kept = create(sysadmin, org, name="kept", resource_code="101001/000120")
        assert kept["resource_code"] == "101001/000120"
        assert create(sysadmin, org, name="next")["resource_code"] == "101001/000121"

    @pytest.mark.parametrize("code", ["102001/000001", "101001/1", "101001/000000", "abc"])
    def test_bad_supplied_code(self, sysadmin, org, code):
        with pytest.raises(tk.ValidationError) as err:
            create(sysadmin, org, resource_code=code)
        assert "resource_code" in err.value.error_dict

    def test_duplicate_supplied_code(self, sysadmin, org):
        create(sysadmin, org, name="first", resource_code="101001/000007")
        with pytest.raises(tk.ValidationError) as err:
            create(sysadmin, org, name="second", resource_code="101001/000007")
        assert "in use" in err.value.error_dict["resource_code"][0] or err.value.error_dict["resource_code"]

    def test_never_changes_after_publication(self, sysadmin, org):
        pkg = create(sysadmin, org)
        ctx = {"user": sysadmin["name"]}
        with pytest.raises(tk.ValidationError):
            call_action("package_patch", context=dict(ctx), id=pkg["id"], resource_code="101001/000999")
        moved = call_action("package_patch", context=dict(ctx), id=pkg["id"], catalog_sub="002")
        assert moved["resource_code"] == pkg["resource_code"]
        # updates without the field (resource_create → package_update) keep it
        call_action("resource_create", context=dict(ctx), package_id=pkg["id"], url="http://x/a.csv")
        assert call_action("package_show", id=pkg["id"])["resource_code"] == pkg["resource_code"]

    def test_draft_moved_to_another_class_gets_a_new_code(self, sysadmin, org):
        draft = create(sysadmin, org, state="draft")
        assert draft["resource_code"] == "101001/000001"
        moved = call_action("package_patch", context={"user": sysadmin["name"]}, id=draft["id"],
                            catalog_sub="002", resource_code=draft["resource_code"])
        assert moved["resource_code"] == "101002/000001"
        published = call_action("package_patch", context={"user": sysadmin["name"]}, id=draft["id"],
                                state="active")
        assert published["resource_code"] == "101002/000001" and published["issued"]


@pytest.mark.usefixtures("clean_db")
def test_two_concurrent_creations_get_different_codes(sysadmin, org):
    """Threads with their own sessions (scoped per thread) create at once."""
    results, failures = [], []
    start = threading.Barrier(6)

    def worker(n):
        try:
            start.wait()
            for k in range(3):
                pkg = create(sysadmin, org, name=f"t{n}-{k}")
                results.append(pkg["resource_code"])
        except Exception as err:  # noqa: BLE001 - reported below
            failures.append(err)
        finally:
            model.Session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert sorted(results) == [f"101001/{n:06d}" for n in range(1, 19)]


@pytest.mark.usefixtures("clean_db")
def test_sequence_row_lock_serialises_transactions():
    """A second transaction waits for the first one's number, then takes the next."""
    first = model.Session()
    assert codes.next_code("201001") == "201001/000001"  # uncommitted, row locked
    got = []

    def second():
        got.append(codes.next_code("201001"))
        model.Session.commit()
        model.Session.remove()

    t = threading.Thread(target=second)
    t.start()
    t.join(timeout=1)
    assert t.is_alive() and not got  # blocked on the lock
    first.commit()
    t.join(timeout=10)
    assert got == ["201001/000002"]


@pytest.mark.usefixtures("clean_db")
class TestLookup:
    def test_action_and_redirect(self, sysadmin, org, app):
        # open, so that anonymous visitors of the public portal see it (access rule)
        pkg = create(sysadmin, org, name="hukou", share_type="unconditional", open_type="unconditional")
        found = call_action("lyg_catalog_show_by_code", code=pkg["resource_code"])
        assert found["id"] == pkg["id"]
        with pytest.raises(tk.ObjectNotFound):
            call_action("lyg_catalog_show_by_code", code="101001/999999")
        with pytest.raises(tk.ValidationError):
            call_action("lyg_catalog_show_by_code", code="")
        res = app.get(f"/catalog/{pkg['resource_code']}", follow_redirects=False)
        assert res.status_code == 302 and res.headers["Location"].endswith("/dataset/hukou")
        app.get("/catalog/101001/999999", status=404)

    def test_private_entry_not_found_for_others(self, sysadmin, org, app):
        pkg = create(sysadmin, org, name="secret", private=True)
        with pytest.raises((tk.NotAuthorized, tk.ObjectNotFound)):  # the access rule hides it
            call_action("lyg_catalog_show_by_code", context={"user": factories.User()["name"],
                                                             "ignore_auth": False},
                        code=pkg["resource_code"])
        app.get(f"/catalog/{pkg['resource_code']}", status=404)

    def test_search_by_code_and_info_item(self, sysadmin, org):
        pkg = create(sysadmin, org, name="hukou")
        other = create(sysadmin, org, name="other", title="企业登记信息", info_items=[
            {"name": "统一社会信用代码", "data_type": "C"}])
        hits = call_action("package_search", q=f'resource_code:"{pkg["resource_code"]}"')
        assert [r["name"] for r in hits["results"]] == ["hukou"]
        hits = call_action("package_search", q="公民身份号码")
        assert [r["name"] for r in hits["results"]] == ["hukou"]
        hits = call_action("package_search", q="统一社会信用代码")
        assert other["name"] in [r["name"] for r in hits["results"]]


@pytest.mark.usefixtures("clean_db")
class TestGroups:
    def _groups(self, pkg_id):
        return {g["name"] for g in call_action("package_show", id=pkg_id)["groups"]}

    def test_groups_follow_classification(self, sysadmin, org):
        for name in ("population", "legal-entity", "public-service", "health"):
            factories.Group(name=name)
        ctx = {"user": sysadmin["name"]}
        pkg = create(sysadmin, org)
        assert self._groups(pkg["id"]) == {"population"}
        call_action("package_patch", context=dict(ctx), id=pkg["id"], catalog_item="02")
        assert self._groups(pkg["id"]) == {"legal-entity"}
        call_action("package_patch", context=dict(ctx), id=pkg["id"], catalog_class="2", catalog_item="01")
        assert self._groups(pkg["id"]) == {"public-service"}
        # a hand-made thematic cross-listing stays; the old thematic group goes on reclassification
        call_action("member_create", context=dict(ctx), id="health", object=pkg["id"],
                    object_type="package", capacity="public")
        call_action("package_patch", context=dict(ctx), id=pkg["id"], catalog_class="3",
                    catalog_item="01")
        assert self._groups(pkg["id"]) == {"health"}

    def test_department_user_entry_joins_its_group(self, org):
        factories.Group(name="population")
        user = factories.User()
        call_action("organization_member_create", id=org["id"], username=user["name"], role="editor")
        pkg = create(user, org)
        assert self._groups(pkg["id"]) == {"population"}
        hits = call_action("package_search", fq="groups:population")
        assert hits["count"] == 1

