"""The ``ckanext-lyg`` gettext domain: extract, update and compile catalogs.

The .po files under ``i18n/<locale>/LC_MESSAGES/`` are in git; the .mo files
are built (gitignored).  Usable without a CKAN config, e.g. at install time::

    python -m ckanext.lyg.translations compile   # .po → .mo (what the Makefile runs)
    python -m ckanext.lyg.translations update    # re-extract .pot, merge into the .po files

``ckan lyg i18n-compile`` does the same as ``compile``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PACKAGE_DIR = Path(__file__).parent
I18N_DIR = PACKAGE_DIR / "i18n"
DOMAIN = "ckanext-lyg"
LOCALES = ("zh_Hans_CN", "en")
HEADER = "# Messages of ckanext-lyg (连云港市政务信息资源目录), domain ckanext-lyg."
METHOD_MAP = [
    ("i18n/**", "ignore"),
    ("**.py", "python"),
    ("**/templates/**.html", "ckan.lib.extract:extract_ckan"),
]


def po_path(locale: str) -> Path:
    return I18N_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    """A catalog of every message of the extension's code and templates."""
    catalog = Catalog(project=DOMAIN, domain=DOMAIN, charset="utf-8", header_comment=HEADER)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE_DIR), METHOD_MAP, keywords={**DEFAULT_KEYWORDS, "N_": None}
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def update() -> list[Path]:
    """Rewrite the .pot and merge it into each locale's .po."""
    template = extract()
    pot = I18N_DIR / f"{DOMAIN}.pot"
    with pot.open("wb") as out:
        write_po(out, template, width=100, omit_header=False)
    written = [pot]
    for locale in LOCALES:
        path = po_path(locale)
        if path.exists():
            with path.open("rb") as src:
                catalog = read_po(src, locale=locale, domain=DOMAIN)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=locale, domain=DOMAIN, project=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.header_comment = HEADER
        catalog.fuzzy = False
        with path.open("wb") as out:
            write_po(out, catalog, width=100, ignore_obsolete=True)
        written.append(path)
    return written


def compile_catalogs(force: bool = False) -> list[Path]:
    """Compile each .po into its .mo (only when stale unless ``force``)."""
    written = []
    for po in sorted(I18N_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as src:
            catalog = read_po(src, locale=po.parent.parent.name, domain=DOMAIN)
        try:
            with mo.open("wb") as out:
                write_mo(out, catalog, use_fuzzy=False)
        except OSError:  # a read-only install: keep whatever is there
            continue
        written.append(mo)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ckanext.lyg.translations")
    parser.add_argument("command", choices=("compile", "update"))
    parser.add_argument("--force", action="store_true", help="compile even when up to date")
    args = parser.parse_args(argv)
    paths = compile_catalogs(args.force) if args.command == "compile" else update()
    for path in paths:
        print(path.relative_to(PACKAGE_DIR.parent.parent.parent))


if __name__ == "__main__":
    main()
