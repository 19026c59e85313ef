"""The workflow pages over HTTP, in Chinese and English: the entry page's
apply buttons, the request form, the department queue with due dates and
overdue highlighting, the data authority's overdue list, the not-shared
review queue, notices on the dashboard, CSRF and API tokens."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .conftest import PASSWORD, act

INTERNAL = pytest.mark.ckan_config("ckanext.lyg.portal", "internal")
PUBLIC = pytest.mark.ckan_config("ckanext.lyg.portal", "public")


def _future(days: int = 60) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def login(app, user: dict) -> None:
    """Log in through the login form: a browser session (cookie, not an API
    token, so CSRF applies)."""
    app.client = app.test_client()  # a new browser
    form = app.get("/user/login").body
    res = app.post("/user/login", data={"login": user["name"], "password": PASSWORD,
                                        "_csrf_token": token_of(form)}, follow_redirects=False)
    assert res.status_code == 302, res.body


def token_of(body: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', body)
    assert match, "the page has no CSRF field"
    return match.group(1)


def _state(request_id: str) -> str:
    return model.Session.execute(sa.text("SELECT state FROM lyg_workflow_request WHERE id = :id"),
                                 {"id": request_id}).scalar_one()


def _share(w, **kw):
    data = {"package_id": w.conditional["id"], "kind": "share", "purpose": "社保资格认证",
            "fields": ["姓名"], "basis": "《社会保险法》", "end_date": _future()}
    data.update(kw)
    return act("lyg_request_create", w.staff, **data)


@INTERNAL
class TestInternalPages:
    def test_apply_button_on_the_entry_page(self, app, world):
        login(app, world.staff)
        page = app.get("/dataset/hjrk").body
        assert "申请共享" in page and "/workflow/new/share/hjrk" in page
        assert "申请共享" not in app.get("/dataset/jgxx").body  # shared unconditionally
        assert "Apply for sharing" in app.get("/en/dataset/hjrk").body
        login(app, world.provider_editor)  # the provider needs no request
        assert "/workflow/new/share/hjrk" not in app.get("/dataset/hjrk").body

    def test_request_form_then_queue_then_approval(self, app, world):
        login(app, world.staff)
        form = app.get("/workflow/new/share/hjrk").body
        assert "有条件共享申请" in form and "户籍人口信息" in form and "公民身份号码" in form
        res = app.post("/workflow/new/share/hjrk", data={
            "_csrf_token": token_of(form), "requester_org": world.requester["id"], "purpose": "社保资格认证",
            "fields": ["姓名", "公民身份号码"], "basis": "《社会保险法》", "end_date": _future(),
        }, follow_redirects=False)
        assert res.status_code == 302, res.body
        request_id = res.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
        assert _state(request_id) == "pending"
        mine = app.get("/workflow/mine").body
        assert "我的申请" in mine and "户籍人口信息" in mine and "待审核" in mine

        login(app, world.provider_editor)
        queue = app.get("/workflow/queue").body
        due = act("lyg_request_show", world.staff, id=request_id)["due_date"]
        assert "待办申请" in queue and "户籍人口信息" in queue and due in queue
        assert "连云港市人力资源和社会保障局" in queue
        page = app.get(f"/workflow/request/{request_id}").body
        assert "批准" in page and "退回" in page
        res = app.post(f"/workflow/request/{request_id}/approve",
                       data={"_csrf_token": token_of(page), "reason": "同意"}, follow_redirects=False)
        assert res.status_code == 302
        assert _state(request_id) == "approved"
        # the requesting department sees the decision on its dashboard and its list
        login(app, world.staff_member)
        dashboard = app.get("/dashboard/").body
        assert "户籍人口信息" in dashboard and "我的申请" in dashboard
        assert "已批准" in app.get("/workflow/mine").body

    def test_form_errors_are_shown_per_field_and_nothing_is_saved(self, app, world):
        login(app, world.staff)
        form = app.get("/workflow/new/share/hjrk").body
        res = app.post("/workflow/new/share/hjrk", data={
            "_csrf_token": token_of(form), "purpose": "", "basis": "依据", "end_date": "2001-01-01",
            "fields": ["姓名"]}, status=200)
        assert 'data-field="purpose"' in res.body and 'data-field="end_date"' in res.body
        assert "使用期限须晚于今天" in res.body
        assert model.Session.execute(sa.text("SELECT count(*) FROM lyg_workflow_request")).scalar_one() == 0

    def test_queue_due_dates_and_overdue_highlighted_in_both_languages(self, app, world):
        late = _share(world)
        model.Session.execute(sa.text("UPDATE lyg_workflow_request SET due_date = :d WHERE id = :id"),
                              {"d": dt.date.today() - dt.timedelta(days=3), "id": late["id"]})
        model.Session.commit()
        login(app, world.provider_member)
        zh = app.get("/workflow/queue").body
        assert "lyg-overdue" in zh and "已逾期" in zh
        en = app.get("/en/workflow/queue").body
        assert "Department queue" in en and "Overdue" in en and "lyg-overdue" in en
        # the data authority's list of every overdue request
        login(app, world.authority)
        overdue = app.get("/workflow/overdue").body
        assert "逾期申请" in overdue and "户籍人口信息" in overdue and "连云港市公安局" in overdue
        assert "Overdue requests" in app.get("/en/workflow/overdue").body
        login(app, world.staff)
        app.get("/workflow/overdue", status=403)
        # another department's queue does not show it
        login(app, world.other_staff)
        assert "户籍人口信息" not in app.get("/workflow/queue").body

    def test_post_without_csrf_token_is_refused(self, app, world):
        req = _share(world)
        login(app, world.provider_editor)
        app.post(f"/workflow/request/{req['id']}/approve", data={"reason": "同意"}, status=400)
        assert _state(req["id"]) == "pending"
        app.post("/workflow/reviews/ajxx/confirm", data={}, status=400)
        assert call_action("package_show", id="ajxx")["share_review"] == "pending"

    def test_other_departments_cannot_decide_through_the_page(self, app, world):
        req = _share(world)
        login(app, world.other_staff)
        app.get(f"/workflow/request/{req['id']}", status=404)
        login(app, world.provider_member)  # a member sees it but does not decide
        page = app.get(f"/workflow/request/{req['id']}").body
        assert "户籍人口信息" in page and "formaction" not in page
        app.post(f"/workflow/request/{req['id']}/approve", data={"_csrf_token": token_of(page)}, status=403)
        assert _state(req["id"]) == "pending"

    def test_review_queue_page(self, app, world):
        login(app, world.reviewer)
        page = app.get("/workflow/reviews").body
        assert "不予共享认定" in page and "案件侦办信息" in page and "保守国家秘密法" in page
        assert "Not-shared review" in app.get("/en/workflow/reviews").body
        res = app.post("/workflow/reviews/" + call_action("package_show", id="ajxx")["id"] + "/confirm",
                       data={"_csrf_token": token_of(page), "reason": "涉密"}, follow_redirects=False)
        assert res.status_code == 302
        assert call_action("package_show", id="ajxx")["share_review"] == "confirmed"
        assert "已认定" in app.get("/workflow/reviews").body or "涉密" in app.get("/workflow/reviews").body
        for user in (world.provider_admin, world.staff):
            login(app, user)
            app.get("/workflow/reviews", status=403)

    def test_bad_rejection_on_the_page(self, app, world):
        login(app, world.authority)
        page = app.get("/workflow/reviews").body
        pkg_id = call_action("package_show", id="ajxx")["id"]
        res = app.post(f"/workflow/reviews/{pkg_id}/reject", data={
            "_csrf_token": token_of(page), "share_type": "conditional", "share_mode_class": "共享平台方式",
            "share_mode_type": "文件", "reason": ""}, status=400)
        assert 'data-field="reason"' in res.body
        assert call_action("package_show", id="ajxx")["share_review"] == "pending"

    def test_api_without_token_is_refused(self, app, world):
        res = app.post("/api/3/action/lyg_request_create", json={
            "package_id": "hjrk", "kind": "share", "purpose": "x", "basis": "y", "end_date": _future()})
        assert res.status_code in (401, 403) and res.json["success"] is False
        assert app.get("/api/3/action/lyg_request_list").status_code in (401, 403)
        assert model.Session.execute(sa.text("SELECT count(*) FROM lyg_workflow_request")).scalar_one() == 0

    def test_api_field_errors_in_chinese_and_english(self, app, world):
        token = factories.APIToken(user=world.staff["name"])["token"]
        body = {"package_id": "hjrk", "kind": "share", "purpose": "社保", "basis": "依据",
                "fields": ["不存在的项"], "end_date": "2001-01-01"}
        zh = app.post("/api/3/action/lyg_request_create", json=body, headers={"Authorization": token},
                      status=409).json["error"]
        assert zh["end_date"] == ["使用期限须晚于今天"]
        assert zh["fields"] == ["不是该目录的信息项：不存在的项"]
        en = app.post("/en/api/3/action/lyg_request_create", json=body, headers={"Authorization": token},
                      status=409).json["error"]
        assert en["end_date"] == ["The period must end after today"]


@PUBLIC
class TestPublicPages:
    def test_open_application_on_the_public_portal(self, app, world):
        page = app.get("/dataset/jdc").body
        assert "登录" in page and "/workflow/new/open/jdc" in page  # log in to apply
        login(app, world.citizen)
        page = app.get("/dataset/jdc").body
        assert "申请开放" in page
        form = app.get("/workflow/new/open/jdc").body
        assert "有条件开放申请" in form
        res = app.post("/workflow/new/open/jdc", data={
            "_csrf_token": token_of(form), "purpose": "交通研究", "fields": ["姓名"],
            "basis": "实名注册", "end_date": _future()}, follow_redirects=False)
        assert res.status_code == 302
        assert "机动车登记信息" in app.get("/workflow/mine").body

    def test_government_pages_are_absent(self, app, world):
        login(app, world.authority)
        for url in ("/workflow/queue", "/workflow/overdue", "/workflow/reviews",
                    "/workflow/new/share/hjrk"):
            app.get(url, status=404)

    def test_anonymous_is_sent_to_login(self, app, world):
        res = app.get("/workflow/mine", follow_redirects=False)
        assert res.status_code == 302 and "/user/login" in res.headers["Location"]
