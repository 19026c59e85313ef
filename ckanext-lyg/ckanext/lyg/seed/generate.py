"""The demo catalog as plain data: organizations, groups and entries.

Pure and deterministic: entry ``i`` depends only on ``i`` (its own seeded
RNG) and on the entries before it (resource-code sequences, related codes),
so ``entries(50)`` is a prefix of ``entries(320)`` and re-running the seeder
with a larger count only adds entries.  Nothing here talks to CKAN; see
``load.py`` for that.

Catalog fields use the keys and enumeration values of catalog.md.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

from ckanext.lyg import reference

ENTRY_NAME = "lyg-{:04d}"
# (share_type, open_type) pairs allowed by the consistency rules, with weights.
SHARE_OPEN = {
    ("unconditional", "unconditional"): 5,
    ("unconditional", "conditional"): 2,
    ("unconditional", "none"): 3,
    ("conditional", "conditional"): 2,
    ("conditional", "none"): 4,
    ("none", "none"): 1,
}
# Entries with personal or core data are never opened to the public.
SHARE_OPEN_RESTRICTED = {
    ("unconditional", "none"): 2,
    ("conditional", "none"): 5,
    ("none", "none"): 1,
}
RESOURCE_EVERY = 6  # every 6th entry gets generated data files
LATEST_YEAR = 2024
YEARS = tuple(range(LATEST_YEAR - 4, LATEST_YEAR + 1))


def organizations() -> list[dict[str, Any]]:
    """``organization_create`` data dicts of the departments."""
    result = []
    for dept in reference.departments():
        contact = dept.get("contact", {})
        extras = {
            "provider_code": dept["provider_code"],
            "short_name": dept["short_name"],
            "kind": dept["kind"],
            "contact_name": contact.get("name", ""),
            "contact_phone": contact.get("phone", ""),
            "contact_email": contact.get("email", ""),
            "address": contact.get("address", ""),
        }
        result.append(
            {
                "name": dept["name"],
                "title": dept["title"],
                "description": f"{dept['title']}（{dept['kind']}）政务信息资源目录。",
                "extras": [{"key": k, "value": v} for k, v in extras.items() if v],
            }
        )
    return result


def groups() -> list[dict[str, Any]]:
    """``group_create`` data dicts: the basic and thematic databases."""
    result = []
    for item in reference.group_items():
        kind = "基础信息资源库" if item["catalog_class"] == "1" else "主题信息资源库"
        subs = "、".join(sub["title"] for sub in item.get("subs", []))
        result.append(
            {
                "name": item["group"],
                "title": item["group_title"],
                "description": f"{kind}：{item['title']}。包括{subs}等信息资源。",
                "extras": [
                    {"key": "catalog_class", "value": item["catalog_class"]},
                    {"key": "catalog_item", "value": item["code"]},
                    {"key": "title_en", "value": item.get("group_title_en", "")},
                ],
            }
        )
    return result


def _flatten(items: list[Any]) -> list[str]:
    out: list[str] = []
    for item in items:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def parse_info_items(specs: list[Any]) -> list[dict[str, Any]]:
    """``"名称|类型|长度|描述[|key][|sensitive]"`` strings to info-item dicts."""
    result = []
    for spec in _flatten(specs):
        parts = spec.split("|")
        name, data_type, length, description = (parts + ["", "", ""])[:4]
        flags = set(parts[4:])
        if data_type not in reference.INFO_ITEM_TYPES:
            raise ValueError(f"info item {spec!r}: unknown data type {data_type!r}")
        result.append(
            {
                "name": name,
                "data_type": data_type,
                "length": int(length) if length else None,
                "description": description,
                "is_key": "key" in flags,
                "sensitive": "sensitive" in flags,
            }
        )
    return result


def _districts() -> list[dict[str, Any]]:
    return [d for d in reference.departments() if d["kind"] == "县区"]


def template_pool() -> list[dict[str, Any]]:
    """Every template expanded by its variants, in a fixed shuffled order."""
    pool = []
    for tpl in reference.demo_templates()["templates"]:
        vary = tpl.get("vary")
        if vary == "district":
            branches = reference.department(tpl["org"]).get("district_branches", False)
            for dist in _districts():
                org = tpl["org"] if branches else dist["name"]
                pool.append(dict(tpl, area=dist["short_name"], org=org, _district=dist))
        elif vary == "year":
            for year in tpl.get("years", YEARS):
                pool.append(dict(tpl, year=year))
        elif vary is None:
            pool.append(dict(tpl))
        else:
            raise ValueError(f"template {tpl['title']!r}: unknown vary {vary!r}")
    random.Random("lyg-demo-order").shuffle(pool)
    return pool


def _fill(text: str, tpl: dict[str, Any]) -> str:
    return text.format(area=tpl.get("area", "连云港市"), year=tpl.get("year", LATEST_YEAR))


def _date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _polygon(bbox: tuple[float, ...] | list[float]) -> dict[str, Any]:
    w, s, e, n = (round(float(v), 4) for v in bbox)
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def _sub_bbox(rng: random.Random, bbox: tuple[float, ...]) -> tuple[float, ...]:
    w, s, e, n = bbox
    width, height = (e - w) * rng.uniform(0.3, 0.7), (n - s) * rng.uniform(0.3, 0.7)
    x, y = rng.uniform(w, e - width), rng.uniform(s, n - height)
    return (x, y, x + width, y + height)


def entries(count: int) -> list[dict[str, Any]]:
    """The first ``count`` demo entries (see the module docstring)."""
    pool = template_pool()
    texts = reference.demo_texts()
    sequences: Counter[str] = Counter()
    codes_by_item: dict[str, list[str]] = {}
    result = []
    for i in range(count):
        tpl = pool[i % len(pool)]
        cycle_round = i // len(pool)
        rng = random.Random(f"lyg-demo-entry-{i}")
        dept = reference.department(tpl["org"])
        district = tpl.get("_district")

        title = _fill(tpl["title"], tpl)
        notes = _fill(tpl["notes"], tpl)
        if district and tpl["notes"] and "{area}" not in tpl["notes"]:
            notes = notes.replace("全市", district["short_name"])
        if cycle_round:  # beyond the pool: yearly archives of the same resources
            year = LATEST_YEAR - cycle_round
            title = f"{title}（{year}年度）"
            notes = f"{year}年度归档数据。{notes}"

        cls = tpl["class"]
        item = tpl.get("item") or dept["item"]
        sub = tpl["sub"]
        detail = tpl.get("detail", "")
        class_code = f"{cls}{item}{sub}{detail}"
        sequences[class_code] += 1
        resource_code = f"{class_code}/{sequences[class_code]:06d}"

        format_class, _, format_type = tpl["format"].partition("/")
        if format_class not in reference.FORMAT_TYPES:
            raise ValueError(f"template {tpl['title']!r}: unknown format {format_class!r}")
        if not format_type:
            format_type = rng.choice(reference.FORMAT_TYPES[format_class] or ("其他",))
        info_items = parse_info_items(tpl.get("items", []))

        level = tpl.get("level") or rng.choices(reference.DATA_LEVELS, (14, 5, 1))[0]
        restricted = level == "核心" or any(it["sensitive"] for it in info_items)
        weights = SHARE_OPEN_RESTRICTED if restricted else SHARE_OPEN
        share_type, open_type = rng.choices(list(weights), list(weights.values()))[0]

        fields: dict[str, Any] = {
            "catalog_class": cls,
            "catalog_item": item,
            "catalog_sub": sub,
            "catalog_detail": detail,
            "resource_code": resource_code,
            "provider_code": dept["provider_code"],
            "format_class": format_class,
            "format_type": format_type,
            "info_items": info_items,
            "share_type": share_type,
            "open_type": open_type,
            "update_cycle": tpl["cycle"],
            "data_level": level,
            "source_system": tpl.get("system", ""),
        }
        if share_type == "conditional":
            fields["share_condition"] = rng.choice(texts["share_conditions"])
        if share_type == "none":
            fields["share_basis"] = rng.choice(texts["share_bases"])
            # 不予共享: most confirmed by the data authority, some still 待认定
            fields["share_review"] = "pending" if i % 3 == 0 else "confirmed"
        else:
            if format_class in ("数据库",):
                mode = ("共享平台方式", rng.choice(("数据库", "接口")))
            elif format_class == "服务接口":
                mode = ("共享平台方式", "接口")
            elif rng.random() < 0.1:
                mode = ("邮件或介质方式", "")
            else:
                mode = ("共享平台方式", "文件")
            fields["share_mode_class"], fields["share_mode_type"] = mode
        if open_type == "conditional":
            fields["open_condition"] = rng.choice(texts["open_conditions"])

        issued = _date(rng, dt.date(2019, 1, 1), dt.date(LATEST_YEAR, 12, 31))
        if "year" in tpl:
            issued = _date(rng, dt.date(tpl["year"] + 1, 2, 1), dt.date(tpl["year"] + 1, 5, 31))
            fields["temporal_start"] = f"{tpl['year']}-01-01"
            fields["temporal_end"] = f"{tpl['year']}-12-31"
        else:
            start = _date(rng, issued - dt.timedelta(days=3650), issued - dt.timedelta(days=365))
            fields["temporal_start"] = start.isoformat()
            if tpl["cycle"] in ("每年", "不定期", "每半年", "每季度"):
                fields["temporal_end"] = _date(rng, start, issued).isoformat()
        fields["issued"] = issued.isoformat()

        if district:
            fields["area_scope"] = district["short_name"]
        elif dept["kind"] == "市级部门" and rng.random() < 0.2:
            fields["area_scope"] = "市直"
        else:
            fields["area_scope"] = "全市"

        records = int(tpl.get("records", 1000) * rng.uniform(0.5, 1.5) / (6 if district else 1))
        fields["record_count"] = max(1, records)
        row_bytes = sum(min(it["length"] or 20, 400) for it in info_items) or 200
        if format_class in ("电子文件", "图形图像", "流媒体"):
            row_bytes = rng.randint(200_000, 5_000_000)
        fields["storage_size"] = fields["record_count"] * row_bytes

        if tpl.get("spatial"):
            if district:
                bbox = tuple(district["bbox"])
            elif rng.random() < 0.6:
                bbox = reference.city_bbox()
            else:
                bbox = _sub_bbox(rng, reference.city_bbox())
            fields["spatial"] = _polygon(bbox)

        related = codes_by_item.get(f"{cls}{item}", [])
        if related and rng.random() < 0.25:
            fields["related_codes"] = sorted(set(rng.sample(related, min(2, len(related)))))
        codes_by_item.setdefault(f"{cls}{item}", []).append(resource_code)

        group_names = []
        if (main := reference.group_name(cls, item)) is not None:
            group_names.append(main)
        for theme in tpl.get("themes", []):
            name = reference.group_name("2", theme)
            if name and name not in group_names:
                group_names.append(name)

        tags = list(dict.fromkeys(tpl.get("tags", []) + ([district["short_name"]] if district else [])))
        result.append(
            {
                "name": ENTRY_NAME.format(i + 1),
                "title": title,
                "notes": notes,
                "owner_org": dept["name"],
                "tags": tags,
                "groups": group_names,
                "fields": fields,
                "with_resources": i % RESOURCE_EVERY == 0,
                "bbox": tuple(district["bbox"]) if district else reference.city_bbox(),
                "area": district["short_name"] if district else None,
            }
        )
    return result
