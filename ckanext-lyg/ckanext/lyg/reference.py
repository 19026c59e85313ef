"""Reference data shipped as package data (``ckanext/lyg/data/*.yaml``).

Departments, the 类/项/目/细目 classification and the demo-catalog templates
are data the data authority maintains, not code: this module only loads them
(cached) and derives the few things every user needs (USCC codes, groups).
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml
from ckanext.lyg import uscc

# Enumerations of catalog.md (keys used in the API; labels are for people).
SHARE_TYPES = ("unconditional", "conditional", "none")
OPEN_TYPES = ("unconditional", "conditional", "none")
UPDATE_CYCLES = ("实时", "每日", "每周", "每月", "每季度", "每半年", "每年", "不定期")
DATA_LEVELS = ("一般", "重要", "核心")
FORMAT_TYPES: dict[str, tuple[str, ...]] = {
    "电子文件": ("OFD", "wps", "xml", "txt", "doc", "docx", "html", "pdf", "ppt", "其他"),
    "电子表格": ("et", "xls", "xlsx", "其他"),
    "数据库": (
        "Dm",
        "KingbaseES",
        "access",
        "dbf",
        "dbase",
        "sybase",
        "oracle",
        "sqlserver",
        "db2",
        "mysql",
        "postgresql",
        "其他",
    ),  # fmt: skip
    "图形图像": ("bmp", "gif", "jpg", "png", "其他"),
    "流媒体": ("mpg", "rm", "swf", "mp4", "其他"),
    "服务接口": (),  # free text
    "自描述格式": (),  # free text
}
STRUCTURED_FORMATS = ("电子表格", "数据库", "服务接口")
SHARE_MODE_CLASSES = ("共享平台方式", "邮件或介质方式")
SHARE_MODE_TYPES = ("接口", "数据库", "文件")
INFO_ITEM_TYPES = {
    "C": "字符型", "N": "数值型", "Y": "货币型", "D": "日期型", "T": "日期时间型", "L": "逻辑型",
    "M": "备注型", "G": "通用型", "B": "双精度型", "I": "整型", "F": "浮点型",
}  # fmt: skip


def _load(name: str) -> Any:
    text = resources.files("ckanext.lyg").joinpath("data", name).read_text("utf-8")
    return yaml.safe_load(text)


@functools.cache
def departments() -> list[dict[str, Any]]:
    """The departments, each with its generated ``provider_code``."""
    result = []
    for dept in _load("departments.yaml")["departments"]:
        dept = dict(dept)
        dept["provider_code"] = uscc.generate(
            dept["title"],
            division=dept.get("division", "320700"),
            authority=dept.get("authority", "1"),
            kind=dept.get("kind_code", "1"),
        )
        result.append(dept)
    return result


@functools.cache
def city_bbox() -> tuple[float, float, float, float]:
    return tuple(_load("departments.yaml")["city_bbox"])


def department(name: str) -> dict[str, Any]:
    for dept in departments():
        if dept["name"] == name:
            return dept
    raise KeyError(name)


@functools.cache
def classification() -> dict[str, Any]:
    """The raw classification data (``classes`` and ``department_subs``)."""
    return _load("classification.yaml")


def catalog_items(cls: str) -> list[dict[str, Any]]:
    """The 项 of a 类; for 部门类 one per department (code = its ``item``)."""
    data = classification()
    for entry in data["classes"]:
        if entry["code"] != cls:
            continue
        if entry.get("items_from") == "departments":
            return [
                {"code": d["item"], "title": d["short_name"], "org": d["name"],
                 "subs": data["department_subs"]}
                for d in departments()
            ]  # fmt: skip
        return entry["items"]
    raise KeyError(cls)


def catalog_item(cls: str, item: str) -> dict[str, Any]:
    for entry in catalog_items(cls):
        if entry["code"] == item:
            return entry
    raise KeyError(f"{cls}{item}")


def group_items() -> list[dict[str, Any]]:
    """The basic (类 1) and thematic (类 2) 项, each of which is a CKAN group."""
    return [dict(item, catalog_class=cls) for cls in ("1", "2") for item in catalog_items(cls)]


def group_name(cls: str, item: str) -> str | None:
    """The CKAN group of a basic or thematic 项 (None for 部门类)."""
    if cls not in ("1", "2"):
        return None
    return catalog_item(cls, item)["group"]


@functools.cache
def demo_templates() -> dict[str, Any]:
    return _load("templates.yaml")


@functools.cache
def demo_texts() -> dict[str, Any]:
    return _load("texts.yaml")


# --- controlled vocabularies and classification look-ups (data/vocabularies.yaml) ---


@functools.cache
def vocabularies() -> dict[str, list[dict[str, str]]]:
    """Every controlled vocabulary: ``{name: [{value, zh, en}, …]}``."""
    return _load("vocabularies.yaml")


def vocabulary_values(name: str) -> tuple[str, ...]:
    return tuple(term["value"] for term in vocabularies()[name])


def label(name: str, value: str, lang: str = "zh") -> str:
    """The label of a vocabulary value in ``zh`` or ``en`` (the value if unknown)."""
    for term in vocabularies().get(name, []):
        if term["value"] == value:
            return term["en" if lang.startswith("en") else "zh"]
    return value


def class_title(cls: str, lang: str = "zh") -> str:
    for entry in classification()["classes"]:
        if entry["code"] == cls:
            return entry.get("title_en", entry["title"]) if lang.startswith("en") else entry["title"]
    return cls


def find_item(cls: str, item: str) -> dict[str, Any] | None:
    try:
        return catalog_item(cls, item)
    except KeyError:
        return None


def find_sub(cls: str, item: str, sub: str) -> dict[str, Any] | None:
    entry = find_item(cls, item)
    for candidate in (entry or {}).get("subs", []):
        if candidate["code"] == sub:
            return candidate
    return None


def class_code(cls: str, item: str, sub: str = "", detail: str = "") -> str:
    """The 分类码 of a classification: 类 + 项 + 目 + 细目 (e.g. ``101001001``)."""
    return f"{cls}{item}{sub}{detail}"
