"""When decisions go out by e-mail (``ckanext.lyg.workflow.email``)."""

from __future__ import annotations

import pytest
from ckanext.lyg.workflow import notify


@pytest.mark.parametrize(("mode", "server", "expected"), [
    ("auto", "localhost", False),  # CKAN's default: no mail server was configured
    ("auto", "smtp.lyg.gov.cn:587", True),
    ("auto", "", False),
    ("on", "localhost", True),
    ("off", "smtp.lyg.gov.cn:587", False),
])
def test_email_switch(ckan_config, monkeypatch, mode, server, expected):
    monkeypatch.setitem(ckan_config, "ckanext.lyg.workflow.email", mode)
    monkeypatch.setitem(ckan_config, "smtp.server", server)
    assert notify.email_on() is expected


def test_no_mail_server_sends_nothing_and_forgets(ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "smtp.server", "localhost")
    box = notify.Outbox()
    box.add([("张三", "zhangsan@lyg.gov.cn")], "Your request was approved.", {})
    assert box.send() == 0 and box.mails == []
