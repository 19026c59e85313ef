"""Roles (data authority, secrecy reviewer, departments) and the append-only audit log."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan import model
from ckan.tests import factories
from ckanext.lyg.access import audit, roles
from ckanext.lyg.catalog import authority

from tests.conftest import make_org


@pytest.mark.usefixtures("clean_db")
def test_departments_of_member_editor_admin_and_none():
    a = make_org("lyg-a", "连云港市甲局")
    b = make_org("lyg-b", "连云港市乙局")
    user = factories.User()
    other = factories.User()
    for dept, role in ((a, "member"), (b, "editor")):
        tk.get_action("organization_member_create")(
            {"ignore_auth": True, "user": ""}, {"id": dept["id"], "username": user["name"], "role": role})
    assert roles.departments(user["name"]) == sorted([a["id"], b["id"]])
    assert roles.departments(model.User.get(user["name"])) == sorted([a["id"], b["id"]])
    assert roles.departments(other["name"]) == []
    assert roles.departments(None) == [] and roles.departments("") == []


@pytest.mark.usefixtures("clean_db")
@pytest.mark.ckan_config("ckanext.lyg.data_authority_users", "dsj")
@pytest.mark.ckan_config("ckanext.lyg.secrecy_reviewer_users", "bmj")
def test_roles_from_config_and_sysadmin():
    factories.User(name="dsj")
    factories.User(name="bmj")
    admin = factories.Sysadmin()
    assert roles.is_data_authority("dsj") and not roles.is_secrecy_reviewer("dsj")
    assert roles.is_secrecy_reviewer("bmj") and not roles.is_data_authority("bmj")
    assert roles.is_data_authority(admin["name"]) and not roles.is_secrecy_reviewer(admin["name"])
    assert not roles.is_data_authority(None) and not roles.is_secrecy_reviewer("")
    assert authority.is_data_authority({"user": "dsj"}) and not authority.is_data_authority({"user": ""})


@pytest.mark.usefixtures("clean_db")
def test_roles_from_page_list():
    user = factories.User()
    assert not roles.is_secrecy_reviewer(user["name"])
    added, removed = roles.set_page_users(roles.SECRECY_REVIEWER, [user["name"]])
    model.Session.commit()
    assert added == [user["name"]] and removed == []
    assert roles.is_secrecy_reviewer(user["name"])
    assert roles.is_secrecy_reviewer(model.User.get(user["name"]))


@pytest.mark.usefixtures("clean_db")
def test_audit_record_is_append_only():
    audit.record("test.event", actor="someone", object_type="package", object_id="p1",
                 package_id="p1", detail={"why": "测试"}, portal="internal")
    audit.record("test.event", actor=None, object_type="package", object_id="p2")
    model.Session.commit()
    total, rows = audit.query({"event": "test.event"})
    assert total == 2
    assert rows[1]["detail"] == {"why": "测试"} and rows[1]["portal"] == "internal"
    assert rows[0]["portal"] == "public"  # test.ini's default portal
    for statement in ("UPDATE lyg_access_audit SET actor = 'x'", "DELETE FROM lyg_access_audit"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            model.Session.execute(sa.text(statement))
        model.Session.rollback()
    assert audit.query({})[0] == 2
