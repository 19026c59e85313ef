"""The not-shared review (不予共享认定): the queue, confirm, reject, the
forbidden ones, the department's notice and e-mail through a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import socket
import time

import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from ckan import model
from ckan.tests.helpers import call_action

from .conftest import act, make_entry

INTERNAL = pytest.mark.ckan_config("ckanext.lyg.portal", "internal")


class Mailbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(ckan_config, monkeypatch):
    """A real SMTP server on 127.0.0.1 that CKAN's mailer is pointed at."""
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{port}")
    yield box
    controller.stop()


def _wait_for(box: Mailbox, count: int) -> None:
    # delivery is synchronous in CKAN's mailer; the server thread may still be storing it
    for _ in range(100):
        if len(box.messages) >= count:
            return
        time.sleep(0.05)


def _entry(pkg_id: str) -> dict:
    return call_action("package_show", id=pkg_id)


def _reviews() -> int:
    return model.Session.execute(sa.text("SELECT count(*) FROM lyg_share_review")).scalar_one()


@INTERNAL
class TestReview:
    def test_queue_lists_pending_entries_for_authority_and_reviewer(self, world):
        for user in (world.authority, world.reviewer, world.sysadmin):
            queue = act("lyg_share_review_list", user)
            assert [e["name"] for e in queue["pending"]] == ["ajxx"]
            assert queue["pending"][0]["share_basis"] == "《中华人民共和国保守国家秘密法》"
        for user in (world.provider_admin, world.staff, world.citizen):
            with pytest.raises(tk.NotAuthorized):
                act("lyg_share_review_list", user)

    def test_confirm(self, world, smtp):
        done = act("lyg_share_review_confirm", world.reviewer, package_id="ajxx", reason="涉及国家秘密")
        assert done["decision"] == "confirmed"
        pkg = _entry("ajxx")
        assert pkg["share_type"] == "none" and pkg["share_review"] == "confirmed"
        assert act("lyg_share_review_list", world.authority)["pending"] == []
        decisions = act("lyg_share_review_list", world.authority)["decisions"]
        assert [(d["decision"], d["decided_by"]) for d in decisions] == [("confirmed", "bmj")]
        events = model.Session.execute(sa.text(
            "SELECT event, actor FROM lyg_access_audit WHERE package_id = :p"), {"p": pkg["id"]}).all()
        assert [tuple(e) for e in events] == [("share_review.confirm", "bmj")]
        # confirming twice fails
        with pytest.raises(tk.ValidationError) as err:
            act("lyg_share_review_confirm", world.authority, package_id="ajxx")
        assert "share_review" in err.value.error_dict
        # the department is told: a notice every member sees, an e-mail to its contact and admins
        for user in (world.provider_member, world.provider_admin):
            notices = act("lyg_notice_list", user)
            assert [n["object_id"] for n in notices] == [pkg["id"]]
            assert "案件侦办信息" in notices[0]["text"]
        assert act("lyg_notice_list", world.staff) == []
        _wait_for(smtp, 1)
        recipients = sorted(m["X-Envelope-To"] for m in smtp.messages)
        assert recipients == ["gaj-admin@lyg.example"]
        message = smtp.messages[0]
        assert "案件侦办信息" in message["Subject"]
        assert "/dataset/ajxx" in message.get_content()

    def test_reject_sets_the_sharing_type(self, world, smtp):
        with pytest.raises(tk.ValidationError) as err:  # a conditional entry needs its condition
            act("lyg_share_review_reject", world.authority, package_id="ajxx", share_type="conditional",
                reason="可脱敏后共享", share_mode_class="共享平台方式", share_mode_type="文件")
        assert "share_condition" in err.value.error_dict
        assert _entry("ajxx")["share_review"] == "pending" and _reviews() == 0
        done = act("lyg_share_review_reject", world.authority, package_id="ajxx", share_type="conditional",
                   reason="可脱敏后共享", share_condition="脱敏后用于统计分析",
                   share_mode_class="共享平台方式", share_mode_type="文件")
        assert done["decision"] == "rejected" and done["share_type"] == "conditional"
        pkg = _entry("ajxx")
        assert pkg["share_type"] == "conditional" and "share_review" not in pkg
        assert pkg["share_condition"] == "脱敏后用于统计分析"
        notices = act("lyg_notice_list", world.provider_editor)
        assert "可脱敏后共享" in notices[0]["text"]
        _wait_for(smtp, 1)
        assert len(smtp.messages) == 1

    def test_a_department_cannot_review_its_own(self, world):
        # the department itself cannot confirm through the catalog form or API …
        with pytest.raises(tk.ValidationError):
            act("package_patch", world.provider_admin, id="ajxx", share_review="confirmed")
        # … nor as a reviewer: the authority user who is also staff of the department
        call_action("organization_member_create", id=world.provider["id"], username="dsj", role="editor")
        with pytest.raises(tk.ValidationError) as err:
            act("package_patch", world.authority, id="ajxx", share_review="confirmed")
        assert "share_review" in err.value.error_dict
        for action in ("lyg_share_review_confirm", "lyg_share_review_reject"):
            with pytest.raises(tk.NotAuthorized):
                act(action, world.authority, package_id="ajxx", share_type="unconditional", reason="x",
                    share_mode_class="共享平台方式", share_mode_type="文件")
        # … and a sysadmin who is staff of the department neither
        call_action("organization_member_create", id=world.provider["id"], username="root", role="admin")
        with pytest.raises(tk.NotAuthorized):
            act("lyg_share_review_confirm", world.sysadmin, package_id="ajxx")
        for user in (world.provider_admin, world.other_staff, world.citizen):
            with pytest.raises(tk.NotAuthorized):
                act("lyg_share_review_confirm", user, package_id="ajxx")
        assert _entry("ajxx")["share_review"] == "pending" and _reviews() == 0

    @pytest.mark.parametrize("data, field", [
        ({"share_type": "none"}, "share_type"),
        ({"share_type": ""}, "share_type"),
        ({"reason": ""}, "reason"),
        ({"reason": "理" * 2001}, "reason"),
        ({"share_mode_class": "飞鸽传书"}, "share_mode_class"),
    ])
    def test_bad_rejections_are_field_errors_and_change_nothing(self, world, data, field):
        body = {"package_id": "ajxx", "share_type": "unconditional", "reason": "不涉密",
                "share_mode_class": "共享平台方式", "share_mode_type": "文件", **data}
        with pytest.raises(tk.ValidationError) as err:
            act("lyg_share_review_reject", world.authority, **body)
        assert field in err.value.error_dict, err.value.error_dict
        assert _entry("ajxx")["share_review"] == "pending"
        assert _reviews() == 0
        assert model.Session.execute(sa.text("SELECT count(*) FROM lyg_access_audit")).scalar_one() == 0

    def test_only_entries_awaiting_review(self, world):
        with pytest.raises(tk.ValidationError) as err:
            act("lyg_share_review_confirm", world.authority, package_id=world.conditional["id"])
        assert "share_review" in err.value.error_dict
        with pytest.raises(tk.ObjectNotFound):
            act("lyg_share_review_confirm", world.authority, package_id="no-such-entry")
        with pytest.raises(tk.ValidationError) as err:
            act("lyg_share_review_confirm", world.authority)
        assert "package_id" in err.value.error_dict

    def test_a_rejected_entry_set_to_none_again_is_pending_again(self, world):
        act("lyg_share_review_reject", world.authority, package_id="ajxx", share_type="unconditional",
            reason="不涉密", share_mode_class="共享平台方式", share_mode_type="文件")
        again = call_action("package_patch", context={"user": world.provider_editor["name"]}, id="ajxx",
                            share_type="none", share_basis="新依据")
        assert again["share_review"] == "pending"
        assert [e["name"] for e in act("lyg_share_review_list", world.reviewer)["pending"]] == ["ajxx"]

    def test_no_smtp_no_mail_but_the_notice(self, world):
        make_entry(world.provider_editor, world.provider, "ajxx2", "另一个不予共享目录", share_type="none",
                   share_condition=None, share_mode_class=None, share_mode_type=None, share_basis="依据")
        act("lyg_share_review_confirm", world.authority, package_id="ajxx2")
        assert len(act("lyg_notice_list", world.provider_member)) == 1


@INTERNAL
def test_request_decision_mails_the_applicant(world, smtp):
    from .test_requests import share_request

    req = share_request(world)
    _wait_for(smtp, 1)  # the provider department is told of the new request
    assert sorted(m["X-Envelope-To"] for m in smtp.messages) == ["gaj-admin@lyg.example"]
    act("lyg_request_refuse", world.provider_editor, id=req["id"], reason="用途不符")
    _wait_for(smtp, 2)
    assert smtp.messages[-1]["X-Envelope-To"] == "rsj-editor@lyg.example"
    assert "用途不符" in smtp.messages[-1].get_content()
    notices = act("lyg_notice_list", world.staff_member)  # the requesting department sees it too
    assert any(n["object_id"] == req["id"] and "用途不符" in n["text"] for n in notices)
