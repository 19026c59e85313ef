"""Text holding a NUL character (PostgreSQL cannot store it) is a field error
on every write path, never a database error, and nothing is saved."""

from __future__ import annotations

import pytest
from ckan import logic, model
from ckan.tests.helpers import call_action

from .conftest import create, entry


def test_create_with_a_nul_is_a_field_error(sysadmin, org):
    with pytest.raises(logic.ValidationError) as err:
        create(sysadmin, org, name="nul-title", title="户籍\x00人口")
    assert list(err.value.error_dict) == ["title"]
    model.Session.rollback()
    assert model.Package.get("nul-title") is None


def test_nested_nul_names_the_top_field(sysadmin, org):
    items = entry()["info_items"] + [{"name": "住址\x00", "data_type": "C", "length": 9}]
    with pytest.raises(logic.ValidationError) as err:
        create(sysadmin, org, name="nul-items", info_items=items)
    assert list(err.value.error_dict) == ["info_items"]


def test_update_with_a_nul_keeps_the_entry(sysadmin, org):
    made = create(sysadmin, org, name="nul-update")
    with pytest.raises(logic.ValidationError):
        call_action("package_patch", context={"user": sysadmin["name"]}, id=made["id"],
                    notes="说明\x00")
    model.Session.rollback()
    assert call_action("package_show", id=made["id"])["notes"] == made["notes"]


def test_api_answers_409_in_chinese(app, sysadmin, org):
    from ckan.tests import factories

    token = factories.APIToken(user=sysadmin["name"])["token"]
    data = entry(name="nul-api", title="户籍\x00人口", owner_org=org["id"])
    res = app.post("/api/3/action/package_create", json=data,
                   headers={"Authorization": token}, status=409)
    assert "NUL" in res.json["error"]["title"][0]
    assert "不能" in res.json["error"]["title"][0]
