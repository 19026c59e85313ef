"""Catalog facets of the dataset search page, and their item labels."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckanext.lyg import reference


def N_(message: str) -> str:
    """Mark a message for extraction; translated where it is shown."""
    return message


# facet field → (title msgid, vocabulary whose labels name its items)
FACETS = {
    "catalog_class": (N_("Class"), None),
    "share_type": (N_("Sharing type"), "share_type"),
    "open_type": (N_("Open type"), "open_type"),
    "update_cycle": (N_("Update cycle"), "update_cycle"),
    "format_class": (N_("Format class"), "format_class"),
}


def dataset_facets(facets_dict: dict[str, Any]) -> dict[str, Any]:
    """CKAN's facets with the catalog's after the organization and group ones."""
    for field, (title, _vocabulary) in FACETS.items():
        facets_dict[field] = tk._(title)
    return facets_dict


def _lang() -> str:
    try:
        return tk.h.lang() or "zh_Hans_CN"
    except Exception:  # noqa: BLE001 - outside a request
        return tk.config.get("ckan.locale_default") or "zh_Hans_CN"


def item_label(field: str, value: str, lang: str) -> str:
    if field == "catalog_class":
        return f"{value} {reference.class_title(value, lang)}"
    vocabulary = FACETS[field][1]
    return reference.label(vocabulary, value, lang) if vocabulary else value


def label_items(search_facets: dict[str, Any]) -> None:
    """Give facet items their vocabulary label (无条件共享 …) as display name."""
    lang = None
    for field, facet in search_facets.items():
        if field not in FACETS or not isinstance(facet, dict):
            continue
        lang = lang or _lang()
        for item in facet.get("items", []):
            item["display_name"] = item_label(field, item.get("name", ""), lang)
