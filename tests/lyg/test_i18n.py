"""The ckanext-lyg gettext domain is complete and compiles."""

from __future__ import annotations

from babel.messages.pofile import read_po
from ckanext.lyg import translations


def _catalog(locale):
    with translations.po_path(locale).open("rb") as src:
        return read_po(src, locale=locale)


def test_every_message_has_a_chinese_translation():
    extracted = {m.id for m in translations.extract() if m.id}
    assert "Lianyungang Public Data Open Platform" in extracted
    zh = _catalog("zh_Hans_CN")
    translated = {m.id: m.string for m in zh if m.id and m.string and not m.fuzzy}
    missing = sorted(extracted - set(translated))
    assert not missing, f"run `python -m ckanext.lyg.translations update` and translate: {missing}"
    assert translated["Lianyungang Public Data Open Platform"] == "连云港市公共数据开放平台"
    assert translated["Lianyungang Government Information Sharing Platform"] == "连云港市政务信息共享平台"
    # placeholders survive translation
    for msgid, msgstr in translated.items():
        for placeholder in ("{0}", "{count}", "{chars}", "{expected}", "{actual}"):
            assert (placeholder in msgid) == (placeholder in msgstr), msgid


def test_english_catalog_exists_and_everything_compiles():
    en = _catalog("en")
    assert {m.id for m in en if m.id} >= {"Lianyungang Public Data Open Platform"}
    compiled = translations.compile_catalogs(force=True)
    assert {p.parent.parent.name for p in compiled} == {"zh_Hans_CN", "en"}
    assert all(p.stat().st_size > 0 for p in compiled)
