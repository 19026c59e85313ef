"""Each rule of catalog.md, as a pure function and through package_create/update."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.lyg import uscc
from ckanext.lyg.catalog import rules

from .conftest import VALID, create, entry


def problems(**kw):
    return {k: [p.message for p in v] for k, v in rules.check(entry(**kw)).items()}


class TestPureRules:
    def test_valid_entry_has_no_problems(self):
        assert problems() == {}

    @pytest.mark.parametrize("share, open_, ok", [
        ("unconditional", "unconditional", True),
        ("unconditional", "conditional", True),
        ("unconditional", "none", True),
        ("conditional", "conditional", True),
        ("conditional", "none", True),
        ("conditional", "unconditional", False),
        ("none", "none", True),
        ("none", "conditional", False),
        ("none", "unconditional", False),
    ])
    def test_share_open_matrix(self, share, open_, ok):
        found = problems(share_type=share, open_type=open_, share_condition="条件", open_condition="条件",
                         share_basis="《保密法》")
        assert ("open_type" not in found) is ok

    def test_none_needs_basis(self):
        assert "share_basis" in problems(share_type="none", open_type="none")
        assert "share_basis" not in problems(share_type="none", open_type="none", share_basis="依据")

    def test_conditional_share_needs_condition(self):
        assert "share_condition" in problems(share_condition="")

    def test_conditional_open_needs_condition(self):
        found = problems(share_type="unconditional", share_condition="", open_type="conditional")
        assert list(found) == ["open_condition"]

    def test_structured_format_needs_info_items(self):
        for fmt, fmt_type in (("电子表格", "xlsx"), ("数据库", "mysql"), ("服务接口", "REST")):
            mode = "接口" if fmt != "电子表格" else "文件"
            found = problems(format_class=fmt, format_type=fmt_type, info_items=[], share_mode_type=mode)
            assert list(found) == ["info_items"], fmt
        assert problems(format_class="电子文件", format_type="pdf", info_items=[]) == {}

    def test_format_pairs(self):
        assert "format_type" in problems(format_class="电子表格", format_type="pdf")
        assert "format_type" in problems(format_type="")
        assert problems(format_class="自描述格式", format_type="JSON-LD", info_items=[]) == {}

    def test_share_mode_follows_format(self):
        assert "share_mode_type" in problems(format_class="数据库", format_type="mysql",
                                             share_mode_type="文件")
        assert problems(format_class="数据库", format_type="mysql", share_mode_type="接口") == {}
        assert "share_mode_type" in problems(share_mode_type="接口")  # a spreadsheet is a file
        assert "share_mode_class" in problems(share_mode_class="", share_mode_type="")
        assert problems(share_mode_class="邮件或介质方式", share_mode_type="") == {}
        assert "share_mode_type" in problems(share_mode_class="邮件或介质方式")
        # not shared: no sharing mode needed
        assert problems(share_type="none", open_type="none", share_basis="依据",
                        share_mode_class="", share_mode_type="") == {}

    def test_classification(self):
        assert "catalog_class" in problems(catalog_class="4")
        assert "catalog_item" in problems(catalog_item="07")  # six basic databases
        assert problems(catalog_class="2", catalog_item="12", catalog_sub="001") == {}
        assert "catalog_sub" in problems(catalog_sub="999")
        assert problems(catalog_sub="001", catalog_detail="002") == {}
        assert "catalog_detail" in problems(catalog_detail="009")
        assert "catalog_detail" in problems(catalog_sub="", catalog_detail="001")

    def test_info_items(self):
        items = [dict(VALID["info_items"][0]), dict(VALID["info_items"][0])]
        assert "info_items" in problems(info_items=items)  # duplicate name
        assert "info_items" in problems(info_items=[{"name": "x", "data_type": "Q"}])
        assert "info_items" in problems(info_items=[{"name": "", "data_type": "C"}])

    def test_time_range(self):
        assert "temporal_end" in problems(temporal_start="2024-02-01", temporal_end="2024-01-01")
        assert problems(temporal_start="2024-01-01", temporal_end="2024-01-01") == {}

    def test_resource_code_syntax(self):
        assert rules.parse_code("101001001/000123") == ("101001001", 123)
        assert rules.parse_code("101001/000001") == ("101001", 1)
        for bad in ("", "101001001", "101001001/123", "401001/000001", "1/000001", "101001001/00012a"):
            assert rules.parse_code(bad) is None, bad


def errors_of(user, org, **kw):
    with pytest.raises(tk.ValidationError) as err:
        create(user, org, **kw)
    return err.value.error_dict


@pytest.mark.usefixtures("clean_db")
class TestThroughTheApi:
    def test_every_rule_on_create(self, sysadmin, org):
        assert "open_type" in errors_of(sysadmin, org, share_type="none", share_basis="依据",
                                        open_type="conditional", open_condition="x")
        assert "share_basis" in errors_of(sysadmin, org, share_type="none", open_type="none")
        assert "open_type" in errors_of(sysadmin, org, open_type="unconditional")
        assert "open_condition" in errors_of(sysadmin, org, open_type="conditional")
        assert "share_condition" in errors_of(sysadmin, org, share_condition=None)
        assert "info_items" in errors_of(sysadmin, org, info_items=[])

    @pytest.mark.parametrize("field, value", [
        ("share_type", "sometimes"), ("open_type", "无条件开放x"), ("update_cycle", "hourly"),
        ("format_class", "纸质"), ("catalog_class", "9"), ("catalog_item", "abc"),
        ("data_level", "绝密"), ("area_scope", "南京市"), ("issued", "2024-13-45"),
        ("temporal_start", "yesterday"), ("record_count", "-1"), ("storage_size", "many"),
        ("related_codes", ["999/000001"]), ("title", ""), ("notes", ""),
    ])
    def test_bad_values(self, sysadmin, org, field, value):
        assert field in errors_of(sysadmin, org, **{field: value})

    @pytest.mark.parametrize("field, value, stored", [
        ("data_level", "核心", "核心"), ("area_scope", "灌南县", "灌南县"),
        ("issued", "2024-03-01", "2024-03-01"), ("temporal_start", "2020-01-01T08:00:00", "2020-01-01"),
        ("record_count", "1200", "1200"), ("storage_size", 99, "99"), ("source_system", " 人口库 ", "人口库"),
    ])
    def test_good_values(self, sysadmin, org, field, value, stored):
        assert create(sysadmin, org, **{field: value})[field] == stored

    def test_messages_in_chinese_and_english(self, sysadmin, org, app):
        token = factories.APIToken(user=sysadmin["name"])["token"]
        body = dict(entry(share_type="none", open_type="none"), name="x1", owner_org=org["id"])
        for prefix, message in (("", "请填写不予共享的法律、法规或规章依据"),
                                ("/en", "Give the law, regulation or rule that forbids sharing")):
            res = app.post(f"{prefix}/api/3/action/package_create", json=body,
                           headers={"Authorization": token}, status=409)
            assert res.json["error"]["share_basis"] == [message]

    def test_rules_on_update_and_patch(self, sysadmin, org):
        pkg = create(sysadmin, org)
        ctx = {"user": sysadmin["name"]}
        with pytest.raises(tk.ValidationError) as err:
            call_action("package_patch", context=dict(ctx), id=pkg["id"], open_type="unconditional")
        assert "open_type" in err.value.error_dict
        patched = call_action("package_patch", context=dict(ctx), id=pkg["id"], share_type="unconditional",
                              open_type="unconditional")
        assert patched["open_type"] == "unconditional"

    def test_provider_code_copied_from_the_department(self, sysadmin, org):
        pkg = create(sysadmin, org, provider_code=uscc.generate("别的单位"))
        assert pkg["provider_code"] == call_action("organization_show", id=org["id"])["provider_code"]

    def test_department_without_code(self, sysadmin):
        bare = factories.Organization()
        assert "provider_code" in errors_of(sysadmin, bare)

    def test_organization_provider_code_validated(self, sysadmin):
        with pytest.raises(tk.ValidationError) as err:
            factories.Organization(provider_code="11320700544980115X")
        assert "provider_code" in err.value.error_dict
        org = factories.Organization(provider_code=" 11320700544980115h ", kind="县区")
        assert org["provider_code"] == "11320700544980115H" and org["kind"] == "县区"
        with pytest.raises(tk.ValidationError):
            factories.Organization(kind="省级部门")


@pytest.mark.usefixtures("clean_db")
class TestNotSharedReview:
    def _dept_user(self, org):
        user = factories.User()
        call_action("organization_member_create", id=org["id"], username=user["name"], role="editor")
        return user

    def test_department_sets_none_pending(self, org):
        user = self._dept_user(org)
        pkg = create(user, org, share_type="none", open_type="none", share_basis="《保守国家秘密法》")
        assert pkg["share_review"] == "pending"

    def test_department_cannot_confirm(self, org):
        user = self._dept_user(org)
        err = errors_of(user, org, share_type="none", open_type="none", share_basis="依据",
                        share_review="confirmed")
        assert "share_review" in err
        pkg = create(user, org, share_type="none", open_type="none", share_basis="依据")
        with pytest.raises(tk.ValidationError):
            call_action("package_patch", context={"user": user["name"]}, id=pkg["id"],
                        share_review="confirmed")

    def test_authority_confirms_then_department_edits_keep_it(self, org, sysadmin, ckan_config, monkeypatch):
        user = self._dept_user(org)
        authority = factories.User()
        monkeypatch.setitem(ckan_config, "ckanext.lyg.data_authority_users", [authority["name"]])
        pkg = create(user, org, share_type="none", open_type="none", share_basis="依据")
        confirmed = call_action("package_patch", context={"user": sysadmin["name"]}, id=pkg["id"],
                                share_review="confirmed")
        assert confirmed["share_review"] == "confirmed"
        # the department edits something else: the confirmation stays
        again = call_action("package_patch", context={"user": user["name"]}, id=pkg["id"], title="新名称")
        assert again["share_review"] == "confirmed"
        # the authority rejects: sets the sharing type the entry gets; the review state goes away
        rejected = call_action("package_patch", context={"user": sysadmin["name"]}, id=pkg["id"],
                               share_type="conditional", share_condition="审批后共享",
                               share_mode_class="共享平台方式", share_mode_type="文件")
        assert "share_review" not in rejected
        # a listed authority user counts as the data authority
        from ckanext.lyg.catalog.authority import is_data_authority
        assert is_data_authority({"user": authority["name"]})
        assert not is_data_authority({"user": user["name"]})
