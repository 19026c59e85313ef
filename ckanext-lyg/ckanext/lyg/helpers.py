"""Template helpers of the lyg plugin (registered with ``tk.blanket.helpers``)."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckanext.lyg import portal, reference


def N_(message: str) -> str:
    """Mark a message for extraction; translated where it is shown."""
    return message

__all__ = ["lyg_site_title", "lyg_site_logo", "lyg_site_tagline", "lyg_portal", "lyg_icp", "lyg_host_org",
           "lyg_databases", "lyg_vocabulary_choices", "lyg_class_choices", "lyg_classification_options",
           "lyg_label", "lyg_classification_text", "lyg_badges", "lyg_entry_sections",
           "lyg_data_type_label", "lyg_format_types", "lyg_is_data_authority", "lyg_may_import",
           "markdown_extract"]  # fmt: skip


@tk.chained_helper
def markdown_extract(next_helper: Any, text: str, extract_length: int = 190) -> str:
    """CKAN's ``markdown_extract`` without building a parser per call."""
    from ckanext.lyg import render

    return render.markdown_extract(text, extract_length)


def lyg_site_title() -> str:
    """The portal's title in the request's language."""
    return portal.site_title()


def lyg_site_logo() -> str:
    """A logo configured by the operator, or "" (CKAN's own logo is not shown)."""
    logo = tk.config.get("ckan.site_logo") or ""
    return "" if logo.endswith("/base/images/ckan-logo.png") else logo


def lyg_site_tagline() -> str:
    """One line under the title saying what the portal is for."""
    return tk._(portal.DESCRIPTIONS[portal.current()])


def lyg_portal() -> str:
    """``public`` or ``internal``."""
    return portal.current()


def lyg_icp() -> str:
    """The ICP filing number shown in the footer (may be empty)."""
    return tk.config.get("ckanext.lyg.icp")


def lyg_host_org() -> str:
    """The organisation running the portal (主办单位)."""
    return tk.config.get("ckanext.lyg.host_org")


def lyg_databases(catalog_class: str) -> list[dict[str, Any]]:
    """The basic (``"1"``) or thematic (``"2"``) databases: group name and title."""
    chinese = tk.h.lang().startswith("zh")
    return [
        {"name": item["group"],
         "title": item["group_title"] if chinese else item.get("group_title_en") or item["group_title"]}
        for item in reference.group_items()
        if item["catalog_class"] == catalog_class
    ]  # fmt: skip


# --- catalog (schema choices, labels, entry page) ---


def _lang() -> str:
    try:
        return tk.h.lang() or "zh_Hans_CN"
    except Exception:  # noqa: BLE001 - no request (CLI, validation outside a page)
        return tk.config.get("ckan.locale_default") or "zh_Hans_CN"


def lyg_vocabulary_choices(field: dict[str, Any]) -> list[dict[str, Any]]:
    """Scheming choices of the vocabulary named by the field's ``lyg_vocabulary``."""
    return [
        {"value": term["value"], "label": {"zh_Hans_CN": term["zh"], "en": term["en"]}}
        for term in reference.vocabularies()[field.get("lyg_vocabulary") or field["field_name"]]
    ]


def lyg_class_choices(field: dict[str, Any]) -> list[dict[str, Any]]:
    """The three 类 of the classification."""
    return [
        {"value": entry["code"],
         "label": {"zh_Hans_CN": f"{entry['code']} {entry['title']}",
                   "en": f"{entry['code']} {entry.get('title_en', entry['title'])}"}}
        for entry in reference.classification()["classes"]
    ]  # fmt: skip


def lyg_classification_options(level: str) -> list[dict[str, str]]:
    """Options of the 项/目/细目 select: value, label and the code of its parent
    (``parent``: 类 for 项, 类+项 for 目, 类+项+目 for 细目), for the form's filter."""
    options = []
    for entry in reference.classification()["classes"]:
        cls = entry["code"]
        for item in reference.catalog_items(cls):
            if level == "item":
                label = f"{item['code']} {item['title']}"
                options.append({"value": item["code"], "label": label, "parent": cls})
                continue
            for sub in item.get("subs", []):
                if level == "sub":
                    options.append({"value": sub["code"], "label": f"{sub['code']} {sub['title']}",
                                    "parent": f"{cls}{item['code']}"})  # fmt: skip
                    continue
                for detail in sub.get("details", []):
                    options.append({"value": detail["code"], "label": f"{detail['code']} {detail['title']}",
                                    "parent": f"{cls}{item['code']}{sub['code']}"})  # fmt: skip
    return options


def lyg_label(vocabulary: str, value: str) -> str:
    """The label of a vocabulary value in the page's language."""
    return reference.label(vocabulary, value, _lang())


def lyg_classification_text(pkg: dict[str, Any]) -> str:
    """``1 基础信息资源类 / 01 人口 / 001 户籍人口 / 001 户籍登记``."""
    cls, item = pkg.get("catalog_class", ""), pkg.get("catalog_item", "")
    sub, detail = pkg.get("catalog_sub", ""), pkg.get("catalog_detail", "")
    parts = [f"{cls} {reference.class_title(cls, _lang())}"] if cls else []
    found = reference.find_item(cls, item) if cls and item else None
    if item:
        parts.append(f"{item} {found['title']}" if found else item)
    found_sub = reference.find_sub(cls, item, sub) if sub else None
    if sub:
        parts.append(f"{sub} {found_sub['title']}" if found_sub else sub)
    if detail:
        titles = {d["code"]: d["title"] for d in (found_sub or {}).get("details", [])}
        parts.append(f"{detail} {titles[detail]}" if detail in titles else detail)
    return " / ".join(parts)


BADGE_CLASSES = {
    ("share_type", "unconditional"): "success", ("share_type", "conditional"): "warning",
    ("share_type", "none"): "danger", ("open_type", "unconditional"): "success",
    ("open_type", "conditional"): "warning", ("open_type", "none"): "secondary",
}  # fmt: skip


def lyg_badges(pkg: dict[str, Any]) -> list[dict[str, str]]:
    """Badges of an entry: sharing type (with 待认定), open type, update cycle."""
    badges = []
    share = pkg.get("share_type")
    if share:
        text = reference.label("share_type", share, _lang())
        if share == "none" and pkg.get("share_review"):
            text = reference.label("share_review", pkg["share_review"], _lang())
        badges.append({"field": "share_type", "value": share, "text": text,
                       "css": BADGE_CLASSES.get(("share_type", share), "secondary")})  # fmt: skip
    if pkg.get("open_type"):
        badges.append({"field": "open_type", "value": pkg["open_type"],
                       "text": reference.label("open_type", pkg["open_type"], _lang()),
                       "css": BADGE_CLASSES.get(("open_type", pkg["open_type"]), "secondary")})  # fmt: skip
    if pkg.get("update_cycle"):
        badges.append({"field": "update_cycle", "value": pkg["update_cycle"],
                       "text": reference.label("update_cycle", pkg["update_cycle"], _lang()),
                       "css": "info"})  # fmt: skip
    return badges


ENTRY_SECTIONS = (
    ("basic", N_("Basic information"), ("title", "resource_code", "catalog_class", "owner_org",
                                       "provider_code", "format_class", "data_level", "area_scope",
                                       "source_system", "record_count", "storage_size", "related_codes",
                                       "spatial")),
    ("share", N_("Sharing and opening"), ("share_type", "share_review", "share_condition", "share_basis",
                                          "share_mode_class", "open_type", "open_condition")),
    ("update", N_("Updates"), ("update_cycle", "issued", "temporal_start")),
)  # fmt: skip


def lyg_entry_sections() -> list[dict[str, Any]]:
    """The groups of the entry page (基本信息 / 共享与开放 / 更新) and their fields."""
    return [{"id": key, "title": tk._(title), "fields": list(fields)}
            for key, title, fields in ENTRY_SECTIONS]  # fmt: skip


def lyg_data_type_label(code: str) -> str:
    return f"{code} {reference.label('data_type', code, _lang())}" if code else ""


def lyg_format_types() -> dict[str, list[str]]:
    """格式分类 → its fixed 格式类型 (empty list: free text)."""
    return {key: list(values) for key, values in reference.FORMAT_TYPES.items()}


def lyg_is_data_authority() -> bool:
    """Whether the logged-in user is the city data authority."""
    from ckanext.lyg.catalog import authority

    user = tk.current_user.name if tk.current_user and tk.current_user.is_authenticated else ""
    return authority.is_data_authority({"user": user})


def lyg_may_import() -> bool:
    """Whether the logged-in user may use the catalog import page."""
    from ckanext.lyg import views

    return views._may_import()
