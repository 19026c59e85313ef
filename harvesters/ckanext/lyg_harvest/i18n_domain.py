"""The ``ckanext-lyg_harvest`` gettext domain (English msgids, zh_Hans_CN catalog).

The .po files are in git and the .mo files are build products (gitignored):
:func:`compile_catalogs` builds a missing or stale .mo when CKAN asks for the
domain's directory, so a fresh checkout shows Chinese messages without a step.
"""

from __future__ import annotations

from pathlib import Path

from ckan.lib.plugins import DefaultTranslation

I18N_DIR = Path(__file__).parent / "i18n"
DOMAIN = "ckanext-lyg_harvest"


def compile_catalogs() -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in I18N_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f)
        try:
            with mo.open("wb") as f:
                write_mo(f, catalog)
        except OSError:  # a read-only install: keep whatever is there
            continue


class HarvestTranslation(DefaultTranslation):
    def i18n_directory(self) -> str:
        compile_catalogs()
        return str(I18N_DIR)

    def i18n_domain(self) -> str:
        return DOMAIN
