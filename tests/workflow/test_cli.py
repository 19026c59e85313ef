"""``ckan lyg workflow expire``: the daily command that records expiry."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from ckan import model
from ckan.cli.cli import ckan as ckan_cli
from ckanext.lyg.workflow import grants

from .conftest import act


@pytest.mark.ckan_config("ckanext.lyg.portal", "internal")
def test_expire_command(world, cli):
    from .test_requests import share_request

    ended = share_request(world)
    act("lyg_request_approve", world.provider_editor, id=ended["id"])
    running = share_request(world, entry=world.open_conditional)
    act("lyg_request_approve", world.provider_editor, id=running["id"])
    model.Session.execute(sa.text("UPDATE lyg_workflow_request SET end_date = :d WHERE id = :id"),
                          {"d": dt.date.today() - dt.timedelta(days=2), "id": ended["id"]})
    model.Session.commit()
    assert grants.granted_package_ids(world.staff["name"]) == {world.open_conditional["id"]}
    # the CLI reloads the plugins: the last step of the test
    result = cli.invoke(ckan_cli, ["lyg", "workflow", "expire"])
    assert result.exit_code == 0, result.output
    assert "1 requests expired" in result.output
    states = dict(model.Session.execute(sa.text("SELECT id, state FROM lyg_workflow_request")).all())
    assert states == {ended["id"]: "expired", running["id"]: "approved"}
