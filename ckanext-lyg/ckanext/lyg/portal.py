"""Which portal this process serves and what it is called.

One code base runs as two portals (access.md): ``ckanext.lyg.portal`` is
``public`` (公共数据开放平台) or ``internal`` (政务信息共享平台).  The site
title follows the portal unless ``ckan.site_title`` is configured to
something else than CKAN's default.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk


def N_(message: str) -> str:
    """Mark a message for extraction; translated where it is shown."""
    return message


CKAN_DEFAULT_TITLE = "CKAN"
# portal → (Chinese title, English msgid of the ckanext-lyg domain)
TITLES = {
    "public": ("连云港市公共数据开放平台", N_("Lianyungang Public Data Open Platform")),
    "internal": ("连云港市政务信息共享平台", N_("Lianyungang Government Information Sharing Platform")),
}


DESCRIPTIONS = {
    "public": N_("Open data from the departments of Lianyungang"),
    "internal": N_("Data sharing among the government departments of Lianyungang"),
}


def current(config: Any = None) -> str:
    return (config or tk.config).get("ckanext.lyg.portal")


def apply_site_title(config: Any) -> None:
    """Set ``ckan.site_title`` to the portal's Chinese title unless configured."""
    portal = current(config)
    if portal in TITLES and not _configured(config.get("ckan.site_title")):
        # (an unknown portal is reported by the config validation that follows)
        config["ckan.site_title"] = TITLES[portal][0]


def _configured(title: str | None) -> bool:
    """True for a title set by the operator, not CKAN's default or one of ours."""
    return title not in (CKAN_DEFAULT_TITLE, "", None, *(zh for zh, _ in TITLES.values()))


def site_title() -> str:
    """The site title in the language of the request.

    The portal's own title is translated; a title configured by the operator
    (in the ini file or the admin page) is shown as configured.
    """
    configured = tk.config.get("ckan.site_title")
    if _configured(configured):
        return configured
    zh, msgid = TITLES[current()]
    translated = tk._(msgid)
    if translated == msgid and tk.h.lang().startswith("zh"):
        return zh  # catalogs not compiled yet: still Chinese for Chinese
    return translated
