"""Messages of the harvesters: English msgids, a complete Chinese catalog, shown in the user's language."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from ckan.plugins import toolkit as tk
from ckanext.lyg_harvest import i18n_domain

from .conftest import JSON_CONFIG


def _extracted() -> set[str]:
    keywords = dict(DEFAULT_KEYWORDS, N_=None)
    package = i18n_domain.I18N_DIR.parent
    method_map = [("i18n/**", "ignore"), ("**.py", "python")]
    return {msg for _f, _l, msg, _c, _x in extract_from_dir(str(package), method_map, keywords=keywords)}


def test_every_message_has_a_chinese_translation_with_its_placeholders():
    po = i18n_domain.I18N_DIR / "zh_Hans_CN" / "LC_MESSAGES" / f"{i18n_domain.DOMAIN}.po"
    with po.open("rb") as f:
        zh = {m.id: m.string for m in read_po(f) if m.id and m.string and not m.fuzzy}
    extracted = _extracted()
    assert len(extracted) > 40
    assert not sorted(extracted - set(zh)), "translate the new messages in the .po file"
    for msgid, msgstr in zh.items():
        assert sorted(re.findall(r"\{\w+\}", msgid)) == sorted(re.findall(r"\{\w+\}", msgstr)), msgid


@pytest.mark.parametrize("lang, expected", [
    ("zh_Hans_CN", "timeout: 须为 1 至 300 之间的整数"),
    ("en", "timeout: Must be a whole number from 1 to 300"),
])  # fmt: skip
def test_config_mistakes_are_shown_in_the_users_language(app, harvest, api, lang, expected):
    with app.flask_app.test_request_context(environ_base={"CKAN_LANG": lang}):
        with pytest.raises(tk.ValidationError) as err:
            harvest.source("lyg_json", api.url("/api/catalog"), dict(JSON_CONFIG, timeout=0))
    assert expected in " ".join(err.value.error_dict["config"])
