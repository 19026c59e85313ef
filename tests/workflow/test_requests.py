"""Sharing requests and open-data applications: every transition, the
forbidden ones, expiry, grants, bad input, and the audit rows they leave."""

from __future__ import annotations

import datetime as dt

import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan import model
from ckanext.lyg.workflow import grants, workdays

from .conftest import act

INTERNAL = pytest.mark.ckan_config("ckanext.lyg.portal", "internal")


def _future(days: int = 90) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def share_request(w, user=None, entry=None, **kw):
    data = {"package_id": (entry or w.conditional)["id"], "kind": "share", "purpose": "办理社保待遇资格认证",
            "fields": ["姓名", "公民身份号码"], "basis": "《社会保险法》第七十四条", "end_date": _future()}
    data.update(kw)
    return act("lyg_request_create", user or w.staff, **data)


def audit_events(object_id: str) -> list[str]:
    return list(model.Session.execute(sa.text(
        "SELECT event FROM lyg_access_audit WHERE object_id = :id ORDER BY id"), {"id": object_id}).scalars())


def count_requests() -> int:
    return model.Session.execute(sa.text("SELECT count(*) FROM lyg_workflow_request")).scalar_one()


@INTERNAL
class TestSharingRequest:
    def test_create_is_pending_and_due_in_ten_working_days(self, world):
        req = share_request(world)
        assert req["state"] == "pending" and req["kind"] == "share"
        assert req["requester_org"]["name"] == "lyg-rsj"  # the user's only department
        assert req["provider_org"]["name"] == "lyg-gaj"
        assert req["fields"] == ["姓名", "公民身份号码"]
        assert req["due_date"] == workdays.add_working_days(dt.date.today(), 10).isoformat()
        assert not req["overdue"] and not req["grants_access"]
        assert grants.granted_package_ids(world.staff["name"]) == set()
        assert audit_events(req["id"]) == ["request.create.share"]

    def test_approve_grants_the_department_until_the_end_date(self, world):
        req = share_request(world)
        done = act("lyg_request_approve", world.provider_editor, id=req["id"], reason="同意")
        assert done["state"] == "approved" and done["grants_access"] and done["decided_by"] == "gaj-editor"
        # every member of the requesting department, not the others
        for user in (world.staff, world.staff_member, world.both):
            assert grants.granted_package_ids(user["name"]) == {world.conditional["id"]}
        assert grants.granted_package_ids(model.User.get("rsj-member")) == {world.conditional["id"]}
        assert grants.granted_package_ids(world.other_staff["name"]) == set()
        assert grants.granted_package_ids(world.citizen["name"]) == set()
        assert grants.granted_package_ids(None) == set()
        assert grants.granted_package_ids(world.staff["name"], kind="open") == set()
        assert audit_events(req["id"]) == ["request.create.share", "request.approve"]

    def test_refuse_needs_a_reason_and_grants_nothing(self, world):
        req = share_request(world)
        with pytest.raises(tk.ValidationError) as err:
            act("lyg_request_refuse", world.provider_admin, id=req["id"], reason=" ")
        assert "reason" in err.value.error_dict
        assert act("lyg_request_show", world.staff, id=req["id"])["state"] == "pending"
        done = act("lyg_request_refuse", world.provider_admin, id=req["id"], reason="用途超出共享条件")
        assert done["state"] == "refused" and done["reason"] == "用途超出共享条件"
        assert grants.granted_package_ids(world.staff["name"]) == set()

    def test_withdraw_only_by_the_applicant_while_pending(self, world):
        req = share_request(world)
        with pytest.raises(tk.NotAuthorized):
            act("lyg_request_withdraw", world.staff_member, id=req["id"])
        with pytest.raises(tk.NotAuthorized):
            act("lyg_request_withdraw", world.sysadmin, id=req["id"])
        assert act("lyg_request_withdraw", world.staff, id=req["id"])["state"] == "withdrawn"
        with pytest.raises(tk.ValidationError) as err:
            act("lyg_request_approve", world.provider_editor, id=req["id"])
        assert "state" in err.value.error_dict

    def test_withdrawing_after_the_decision_fails(self, world):
        req = share_request(world)
        act("lyg_request_approve", world.provider_editor, id=req["id"])
        with pytest.raises(tk.ValidationError) as err:
            act("lyg_request_withdraw", world.staff, id=req["id"])
        assert "state" in err.value.error_dict

    def test_approving_twice_or_refusing_after_approval_fails(self, world):
        req = share_request(world)
        act("lyg_request_approve", world.provider_editor, id=req["id"])
        for action, user in (("lyg_request_approve", world.provider_editor),
                             ("lyg_request_refuse", world.provider_admin)):
            with pytest.raises(tk.ValidationError) as err:
                act(action, user, id=req["id"], reason="再次")
            assert "state" in err.value.error_dict
        assert audit_events(req["id"]) == ["request.create.share", "request.approve"]

    def test_approving_your_own_departments_request_is_forbidden(self, world):
        req = share_request(world)
        # both-editor is an editor of the provider AND of the requesting department
        with pytest.raises(tk.NotAuthorized):
            act("lyg_request_approve", world.both, id=req["id"])
        # and nobody decides on their own request
        own = share_request(world, user=world.both, requester_org="lyg-rsj", entry=world.open_conditional)
        with pytest.raises(tk.NotAuthorized):
            act("lyg_request_refuse", world.both, id=own["id"], reason="x")

    def test_acting_on_another_departments_queue_is_forbidden(self, world):
        req = share_request(world)
        for user in (world.other_staff, world.staff, world.provider_member, world.authority,
                     world.reviewer, world.citizen, world.sysadmin):
            with pytest.raises(tk.NotAuthorized):
                act("lyg_request_approve", user, id=req["id"])
            with pytest.raises(tk.NotAuthorized):
                act("lyg_request_refuse", user, id=req["id"], reason="不是我的")
        with pytest.raises(tk.NotAuthorized):
            act("lyg_request_approve", None, id=req["id"])
        assert act("lyg_request_show", world.staff, id=req["id"])["state"] == "pending"
        # the other department does not even see it
        with pytest.raises(tk.NotAuthorized):
            act("lyg_request_show", world.other_staff, id=req["id"])
        assert act("lyg_request_list", world.other_staff, scope="queue")["count"] == 0

    def test_lists(self, world):
        req = share_request(world)
        mine = act("lyg_request_list", world.staff_member, scope="mine")  # the department's requests
        assert [r["id"] for r in mine["results"]] == [req["id"]]
        queue = act("lyg_request_list", world.provider_member, scope="queue")
        assert [r["id"] for r in queue["results"]] == [req["id"]]
        assert act("lyg_request_list", world.citizen)["count"] == 0
        with pytest.raises(tk.NotAuthorized):
            act("lyg_request_list", world.staff, scope="overdue")
        assert act("lyg_request_list", world.authority, scope="all")["count"] == 1
        assert act("lyg_request_list", world.authority, scope="overdue")["count"] == 0

    def test_overdue_after_ten_working_days(self, world):
        req = share_request(world)
        created = dt.date.today() - dt.timedelta(days=30)
        model.Session.execute(sa.text("UPDATE lyg_workflow_request SET due_date = :d WHERE id = :id"),
                              {"d": workdays.add_working_days(created, 10), "id": req["id"]})
        model.Session.commit()
        shown = act("lyg_request_show", world.provider_editor, id=req["id"])
        assert shown["overdue"]
        overdue = act("lyg_request_list", world.authority, scope="overdue")
        assert [r["id"] for r in overdue["results"]] == [req["id"]]
        # an answer ends the overdue state
        act("lyg_request_approve", world.provider_editor, id=req["id"])
        assert act("lyg_request_list", world.authority, scope="overdue")["count"] == 0

    def test_expiry(self, world):
        req = share_request(world)
        act("lyg_request_approve", world.provider_editor, id=req["id"])
        assert grants.granted_package_ids(world.staff["name"]) == {world.conditional["id"]}
        # the period ends: access stops by itself, before anyone runs expire
        yesterday = dt.date.today() - dt.timedelta(days=1)
        model.Session.execute(sa.text("UPDATE lyg_workflow_request SET end_date = :d WHERE id = :id"),
                              {"d": yesterday, "id": req["id"]})
        model.Session.commit()
        assert grants.granted_package_ids(world.staff["name"]) == set()
        assert not act("lyg_request_show", world.staff, id=req["id"])["grants_access"]
        # only sysadmins run expire
        with pytest.raises(tk.NotAuthorized):
            act("lyg_request_expire", world.authority)
        result = act("lyg_request_expire", world.sysadmin)
        assert result == {"expired": 1, "ids": [req["id"]]}
        assert act("lyg_request_show", world.staff, id=req["id"])["state"] == "expired"
        assert act("lyg_request_expire", world.sysadmin)["expired"] == 0
        assert audit_events(req["id"])[-1] == "request.expire"
        # an expired request can be asked for again
        again = share_request(world)
        assert again["state"] == "pending"

    def test_only_conditional_entries_and_never_your_own(self, world):
        for entry in (world.unconditional, world.not_shared):
            with pytest.raises(tk.ValidationError) as err:
                share_request(world, entry=entry)
            assert "package_id" in err.value.error_dict
        with pytest.raises(tk.ValidationError) as err:
            share_request(world, user=world.provider_editor)  # the provider itself
        assert "requester_org" in err.value.error_dict
        with pytest.raises(tk.ValidationError) as err:
            share_request(world, user=world.both, requester_org="lyg-gaj")
        assert "requester_org" in err.value.error_dict
        with pytest.raises(tk.ValidationError) as err:
            share_request(world, requester_org="lyg-wjw")  # not the user's department
        assert "requester_org" in err.value.error_dict
        with pytest.raises(tk.NotAuthorized):
            share_request(world, user=world.citizen)  # public users apply for opening
        with pytest.raises(tk.NotAuthorized):
            act("lyg_request_create", None, package_id=world.conditional["id"], kind="share")
        assert count_requests() == 0

    def test_one_open_request_per_department_and_entry(self, world):
        share_request(world)
        with pytest.raises(tk.ValidationError) as err:
            share_request(world, user=world.staff_member)
        assert "package_id" in err.value.error_dict
        assert count_requests() == 1

    @pytest.mark.parametrize("field, value", [
        ("purpose", ""), ("purpose", "长" * 2001), ("basis", None), ("basis", {"a": 1}),
        ("end_date", ""), ("end_date", "明天"), ("end_date", "2020-01-01"), ("end_date", "2999-01-01"),
        ("fields", []), ("fields", ["姓名", "不存在的项"]), ("fields", [1, 2]),
        ("package_id", ""), ("package_id", "no-such-entry"), ("requester_org", "no-such-dept"),
    ])
    def test_bad_input_is_a_field_error_and_saves_nothing(self, world, field, value):
        with pytest.raises(tk.ValidationError) as err:
            share_request(world, **{field: value})
        assert field in err.value.error_dict, err.value.error_dict
        assert count_requests() == 0
        assert model.Session.execute(sa.text("SELECT count(*) FROM lyg_access_audit")).scalar_one() == 0

    def test_decision_on_unknown_request(self, world):
        with pytest.raises(tk.ObjectNotFound):
            act("lyg_request_approve", world.provider_editor, id="nope")
        with pytest.raises(tk.ValidationError) as err:
            act("lyg_request_approve", world.provider_editor)
        assert "id" in err.value.error_dict


class TestOpenDataApplication:
    def _apply(self, w, user=None, entry=None, **kw):
        data = {"package_id": (entry or w.open_conditional)["id"], "kind": "open", "purpose": "出行服务研究",
                "fields": "姓名，户籍地址", "basis": "实名注册用户", "end_date": _future(30)}
        data.update(kw)
        return act("lyg_request_create", user or w.citizen, **data)

    def test_apply_approve_grants_the_user(self, world):
        req = self._apply(world)
        assert req["kind"] == "open" and req["requester_org"] is None
        assert req["fields"] == ["姓名", "户籍地址"]
        act("lyg_request_approve", world.provider_editor, id=req["id"])
        assert grants.granted_package_ids(world.citizen["name"]) == {world.open_conditional["id"]}
        opened = grants.granted_package_ids(world.citizen["name"], kind="open")
        assert opened == {world.open_conditional["id"]}
        assert grants.granted_package_ids(world.staff["name"]) == set()

    def test_only_open_conditional_entries_and_only_public_users(self, world):
        with pytest.raises(tk.ValidationError) as err:
            self._apply(world, entry=world.conditional)  # open none
        assert "package_id" in err.value.error_dict
        with pytest.raises(tk.NotAuthorized):
            self._apply(world, user=world.staff)  # department staff file sharing requests
        with pytest.raises(tk.ValidationError) as err:
            self._apply(world, kind="borrow")
        assert "kind" in err.value.error_dict
        assert count_requests() == 0

    def test_a_hidden_entry_reads_as_missing(self, world):
        # not shared: hidden on the public portal — the same answer as an entry that does not exist
        errors = []
        for ref in ("ajxx", "no-such-entry"):
            with pytest.raises(tk.ValidationError) as err:
                self._apply(world, package_id=ref)
            errors.append(err.value.error_dict["package_id"][0].replace(ref, "<ref>"))
        assert errors[0] == errors[1]
        assert count_requests() == 0

    def test_grants_by_user_object_and_id(self, world):
        req = self._apply(world)
        act("lyg_request_approve", world.provider_editor, id=req["id"])
        account = model.User.get(world.citizen["name"])
        assert grants.granted_package_ids(account) == {world.open_conditional["id"]}
        assert grants.granted_package_ids(account.id) == {world.open_conditional["id"]}
        account.state = "deleted"
        model.Session.commit()
        assert grants.granted_package_ids(account) == set()

    def test_refuse_and_withdraw(self, world):
        req = self._apply(world)
        act("lyg_request_refuse", world.provider_admin, id=req["id"], reason="申请用途不明确")
        assert grants.granted_package_ids(world.citizen["name"]) == set()
        second = self._apply(world)
        assert act("lyg_request_withdraw", world.citizen, id=second["id"])["state"] == "withdrawn"
        states = [r["state"] for r in act("lyg_request_list", world.citizen)["results"]]
        assert states == ["withdrawn", "refused"]
