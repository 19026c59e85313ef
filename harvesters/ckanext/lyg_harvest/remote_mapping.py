"""Mapping records of remote catalogs into the Lianyungang catalog schema, pure.

Three kinds of remote record, one function each, all returning the *fields*
of a record (the keys of :data:`ckanext.lyg_harvest.config.FIELD_KEYS`) that
:func:`ckanext.lyg_harvest.mapping.to_dataset` turns into a dataset dict with
the source's defaults:

* :func:`ckan_fields`: a dataset dict of a CKAN portal's API (``package_search``
  / ``package_show``). When the remote is one of our own portals (it carries
  our catalog fields: ``resource_code``, ``catalog_class`` …) they are kept;
* :func:`dcat_fields`: a dataset dict of ckanext-dcat's RDF parser (the
  ``euro_dcat_ap_*`` profiles plus :mod:`.dcat_profile`, which reads our own
  catalog fields back: ``dct:identifier`` → resource code, ``dcat:theme`` →
  classification …);
* :func:`iso_fields`: the values ckanext-spatial reads from an ISO 19139
  record (``ISODocument.read_values()``): title, abstract, keywords, online
  resources, the bounding box as the GeoJSON ``spatial`` field, temporal
  extent and maintenance frequency.

Plus the helpers they share: :func:`format_of` (a resource format → the
catalog's 信息资源格式 pair), :func:`bbox_geojson`. No CKAN, no database.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Our catalog's own fields, kept when the remote is one of our portals. Not
# kept: ``share_review`` (only this site's data authority confirms a
# not-shared entry: a harvested ``none`` is held for review again),
# ``provider_code`` (follows the department here) and ``related_codes``
# (codes of the remote's catalog, which need not exist here).
CATALOG_TEXT_KEYS = (
    "catalog_class", "catalog_item", "catalog_sub", "catalog_detail", "resource_code",
    "format_class", "format_type", "share_type", "share_condition", "share_basis",
    "share_mode_class", "share_mode_type", "open_type", "open_condition", "update_cycle",
    "issued", "data_level", "area_scope", "temporal_start", "temporal_end", "source_system",
    "record_count", "storage_size",
)  # fmt: skip
OUR_MARKERS = ("resource_code", "catalog_class", "share_type")

# Resource formats → (信息资源格式 class, type), catalog.md's lists.
_FILE_TYPES = {"ofd": "OFD", "wps": "wps", "xml": "xml", "txt": "txt", "doc": "doc", "docx": "docx",
               "html": "html", "htm": "html", "pdf": "pdf", "ppt": "ppt", "pptx": "ppt"}  # fmt: skip
_SHEET_TYPES = {"et": "et", "xls": "xls", "xlsx": "xlsx"}
_IMAGE_TYPES = {"bmp": "bmp", "gif": "gif", "jpg": "jpg", "jpeg": "jpg", "png": "png", "tif": "其他",
                "tiff": "其他"}  # fmt: skip
_MEDIA_TYPES = {"mpg": "mpg", "mpeg": "mpg", "rm": "rm", "swf": "swf", "mp4": "mp4"}
_DB_TYPES = {"mysql": "mysql", "postgresql": "postgresql", "oracle": "oracle", "sqlserver": "sqlserver",
             "db2": "db2", "dbf": "dbf", "access": "access", "dm": "Dm",
             "kingbasees": "KingbaseES"}  # fmt: skip
_API_TYPES = {"api", "wms", "wfs", "wmts", "wcs", "arcgis rest", "esri rest", "rest", "ogc api", "soap"}
# Self-describing formats (a header or schema of their own): no info items needed.
_SELF_DESCRIBING = {"csv", "json", "geojson", "jsonld", "json-ld", "rdf", "ttl", "turtle", "kml", "kmz",
                    "shp", "shapefile", "gml", "zip", "geopackage", "gpkg", "parquet", "tsv"}  # fmt: skip
STRUCTURED = ("电子表格", "数据库", "服务接口")
MEDIA_TYPE_FORMATS = {
    "vnd.ms-excel": "xls", "vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "msword": "doc", "plain": "txt", "geo+json": "geojson", "ld+json": "jsonld",
}  # fmt: skip

# Maintenance frequencies (ISO 19115 MD_MaintenanceFrequencyCode, EU/DCAT
# frequency authority) → 更新周期.
ISO_FREQUENCY = {
    "continual": "实时", "daily": "每日", "weekly": "每周", "fortnightly": "每周", "monthly": "每月",
    "quarterly": "每季度", "biannually": "每半年", "annually": "每年", "asneeded": "不定期",
    "irregular": "不定期", "notplanned": "不定期", "unknown": "不定期",
}  # fmt: skip
EU_FREQUENCY = {
    "CONT": "实时", "UPDATE_CONT": "实时", "DAILY": "每日", "WEEKLY": "每周", "MONTHLY": "每月",
    "QUARTERLY": "每季度", "ANNUAL_2": "每半年", "ANNUAL": "每年", "IRREG": "不定期",
}  # fmt: skip
EU_FREQUENCY_BY_CYCLE = {
    "实时": "CONT", "每日": "DAILY", "每周": "WEEKLY", "每月": "MONTHLY", "每季度": "QUARTERLY",
    "每半年": "ANNUAL_2", "每年": "ANNUAL", "不定期": "IRREG",
}  # fmt: skip
EU_FREQUENCY_BASE = "http://publications.europa.eu/resource/authority/frequency/"
# dcat:theme of a classification: urn:lyg:catalog-class:<类>:<项>[:<目>[:<细目>]]
THEME_PREFIX = "urn:lyg:catalog-class:"


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def is_our_catalog(pkg: dict[str, Any]) -> bool:
    """A dataset of one of our portals (it carries our catalog fields)."""
    return bool(_text(pkg.get("resource_code"))) and bool(_text(pkg.get("catalog_class")))


def format_of(fmt: Any) -> tuple[str, str] | None:
    """A resource format (``CSV``, ``.xlsx``, ``application/pdf``, ``WMS`` …) as the
    catalog's (信息资源格式 class, type); None when it says nothing."""
    text = _text(fmt)
    if not text:
        return None
    key = text.lower().rsplit("/", 1)[-1].lstrip(".").strip()
    key = MEDIA_TYPE_FORMATS.get(key, key)
    for table, klass in ((_FILE_TYPES, "电子文件"), (_SHEET_TYPES, "电子表格"), (_IMAGE_TYPES, "图形图像"),
                         (_MEDIA_TYPES, "流媒体"), (_DB_TYPES, "数据库")):  # fmt: skip
        if key in table:
            return klass, table[key]
    if key in _API_TYPES:
        return "服务接口", text.upper()[:100]
    if key in _SELF_DESCRIBING:
        return "自描述格式", text.upper()[:100]
    return None


def format_from_resources(resources: list[dict[str, Any]], has_items: bool) -> tuple[str, str] | None:
    """The entry's format from its resources' formats, in order. Without info
    items a format that needs none (catalog rule) is preferred, so an entry
    with a PDF and an XLSX is a 电子文件 rather than an invalid 电子表格."""
    found = [f for f in (format_of(r.get("format")) for r in resources) if f]
    if not found:
        return None
    if not has_items:
        for fmt in found:
            if fmt[0] not in STRUCTURED:
                return fmt
    return found[0]


def share_mode_for(format_class: str | None) -> tuple[str, str] | None:
    """The 共享方式 the catalog rules allow for a format: 文件 for files, 接口 for
    services, 数据库 for databases, through the sharing platform."""
    if not format_class:
        return None
    return "共享平台方式", {"服务接口": "接口", "数据库": "数据库"}.get(format_class, "文件")


def _resources(value: Any) -> list[dict[str, Any]]:
    out = []
    for res in value or []:
        if not isinstance(res, dict):
            continue
        url = _text(res.get("url")) or _text(res.get("download_url")) or _text(res.get("access_url"))
        if not url:
            continue
        item = {"url": url}
        for key in ("name", "format", "description", "last_modified", "size"):
            text = _text(res.get(key))
            if text:
                item[key] = text
        if "last_modified" not in item and _text(res.get("modified")):
            item["last_modified"] = _text(res.get("modified"))
        out.append(item)
    return out


def _tag_names(value: Any) -> list[str]:
    names = []
    for tag in value or []:
        name = _text(tag.get("name") if isinstance(tag, dict) else tag)
        if name and name not in names:
            names.append(name)
    return names


def _extras(pkg: dict[str, Any]) -> dict[str, Any]:
    extras = {}
    for extra in pkg.get("extras") or []:
        if isinstance(extra, dict) and extra.get("key"):
            extras[extra["key"]] = extra.get("value")
    return extras


def _derived(fields: dict[str, Any]) -> dict[str, Any]:
    """Format and sharing mode from the resources, when the record does not say."""
    if not fields.get("format_class"):
        fmt = format_from_resources(fields.get("resources") or [], bool(fields.get("info_items")))
        if fmt:
            fields["format_class"], fields["format_type"] = fmt
    if not fields.get("share_mode_class") and fields.get("share_type") != "none":
        mode = share_mode_for(fields.get("format_class"))
        if mode:
            fields["share_mode_class"], fields["share_mode_type"] = mode
    return {k: v for k, v in fields.items() if v not in (None, "", [])}


def ckan_fields(pkg: dict[str, Any]) -> dict[str, Any]:
    """The fields of a remote CKAN dataset (its API dict).

    Always: title, notes, tags, resources (url, name, format, description,
    last_modified, size), the ``spatial`` extra, the URL name, and the format
    (and a sharing mode it allows) from the resources' formats. The remote
    organization is given as ``department`` (title, name and 统一社会信用代码) for
    the harvester to find locally. When the remote is one of our portals, its
    catalog fields and info items are kept (see :data:`CATALOG_TEXT_KEYS`).
    """
    extras = _extras(pkg)
    org = pkg.get("organization") if isinstance(pkg.get("organization"), dict) else {}
    fields: dict[str, Any] = {
        "title": _text(pkg.get("title")) or _text(pkg.get("name")),
        "notes": _text(pkg.get("notes")),
        "name": _text(pkg.get("name")),
        "tags": _tag_names(pkg.get("tags")),
        "resources": _resources(pkg.get("resources")),
        "spatial": _text(pkg.get("spatial")) or _text(extras.get("spatial")),
        "department": {
            "provider_code": _text(pkg.get("provider_code")) or _text((org or {}).get("provider_code")),
            "name": _text((org or {}).get("name")),
            "title": _text((org or {}).get("title")),
        },
    }
    if is_our_catalog(pkg):
        for key in CATALOG_TEXT_KEYS:
            fields[key] = _text(pkg.get(key))
        items = pkg.get("info_items")
        fields["info_items"] = items if isinstance(items, list) else []
    return _derived(fields)


def theme_uri(pkg: dict[str, Any]) -> str | None:
    """The dcat:theme of an entry's classification (None without 类 and 项)."""
    parts = [_text(pkg.get(k)) for k in ("catalog_class", "catalog_item", "catalog_sub", "catalog_detail")]
    if not parts[0] or not parts[1]:
        return None
    codes = []
    for part in parts:
        if not part:
            break
        codes.append(part)
    return THEME_PREFIX + ":".join(codes)


def classification_from_themes(themes: Any) -> dict[str, str]:
    """Our classification from a dataset's dcat:theme URIs (the first of ours)."""
    if isinstance(themes, str):
        try:
            themes = json.loads(themes)
        except ValueError:
            themes = [themes]
    for theme in themes or []:
        text = _text(theme)
        if text and text.startswith(THEME_PREFIX):
            codes = text[len(THEME_PREFIX) :].split(":")
            if len(codes) >= 2 and all(re.fullmatch(r"\d{1,6}", c) for c in codes):
                keys = ("catalog_class", "catalog_item", "catalog_sub", "catalog_detail")
                return dict(zip(keys, codes[:4], strict=False))
    return {}


def update_cycle_from_frequency(value: Any) -> str | None:
    """更新周期 of a dct:accrualPeriodicity URI/code or an ISO maintenance frequency."""
    text = _text(value)
    if not text:
        return None
    code = text.rstrip("/").rsplit("/", 1)[-1]
    if code.upper() in EU_FREQUENCY:
        return EU_FREQUENCY[code.upper()]
    return ISO_FREQUENCY.get(code.lower().replace("_", ""))


def dcat_fields(dataset: dict[str, Any]) -> dict[str, Any]:
    """The fields of a dataset read by ckanext-dcat's RDF parser.

    ``dct:identifier`` is our resource code when it has its form; ``dcat:theme``
    URIs of ours give the classification; ``dct:accrualPeriodicity`` the update
    cycle; the ``lyg_catalog`` profile adds our other catalog fields
    (``lyg:`` properties, top-level keys of the dict); ``dct:spatial`` with a
    geometry is the ``spatial`` field.
    """
    extras = _extras(dataset)

    def value(key: str) -> Any:
        return dataset.get(key) if dataset.get(key) not in (None, "") else extras.get(key)

    fields: dict[str, Any] = {
        "title": _text(value("title")),
        "notes": _text(value("notes")),
        "tags": _tag_names(dataset.get("tags")),
        "resources": _resources(dataset.get("resources")),
        "spatial": _text(value("spatial")),
        "issued": _date(value("issued")),
        "temporal_start": _date(value("temporal_start")),
        "temporal_end": _date(value("temporal_end")),
        "update_cycle": update_cycle_from_frequency(value("frequency")),
        "department": {
            "provider_code": _text(value("publisher_identifier")),
            "title": _text(value("publisher_name")),
        },
    }
    identifier = _text(value("identifier"))
    if identifier and re.fullmatch(r"[1-3]\d{2,}/\d{6}", identifier):
        fields["resource_code"] = identifier
    fields.update(classification_from_themes(value("theme")))
    for key in CATALOG_TEXT_KEYS:
        if _text(dataset.get(key)):
            fields[key] = _text(dataset[key])
    for key in ("issued", "temporal_start", "temporal_end"):
        fields[key] = _date(fields.get(key))
    if isinstance(dataset.get("info_items"), list):
        fields["info_items"] = dataset["info_items"]
    return _derived(fields)


def _date(value: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    match = re.match(r"^(\d{4}-\d{2}-\d{2})", text)
    return match.group(1) if match else None


def bbox_geojson(bbox: dict[str, Any]) -> str | None:
    """An ISO EX_GeographicBoundingBox (west/east/south/north) as a GeoJSON
    Polygon (a Point when it has no area); None when it is not a valid box."""
    try:
        west, east = float(bbox["west"]), float(bbox["east"])
        south, north = float(bbox["south"]), float(bbox["north"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        return None
    if south > north:
        return None
    if west == east and south == north:
        geometry: dict[str, Any] = {"type": "Point", "coordinates": [west, south]}
    else:
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        geometry = {"type": "Polygon", "coordinates": [ring]}
    return json.dumps(geometry)


def iso_fields(values: dict[str, Any]) -> dict[str, Any]:
    """The fields of an ISO 19139 record from ``ISODocument(xml).read_values()``."""
    resources = []
    for loc in (values.get("resource-locator") or []) + (values.get("resource-locator-identification") or []):
        url = _text(loc.get("url"))
        if not url or any(r["url"] == url for r in resources):
            continue
        res = {
            "url": url,
            "name": _text(loc.get("name")) or url,
            "description": _text(loc.get("description")),
        }
        protocol = _text(loc.get("protocol")) or ""
        if protocol.upper().startswith("OGC:"):  # OGC:WMS, OGC:WFS … (others name no format)
            res["format"] = protocol[4:].split("-")[0].upper()
        resources.append({k: v for k, v in res.items() if v})
    formats = [f.get("name") for f in values.get("data-format") or [] if isinstance(f, dict)]
    for res in resources:
        if not res.get("format") and formats:
            res["format"] = formats[0]
    dates = {d.get("type"): d.get("value") for d in values.get("dataset-reference-date") or []}
    bboxes = [b for b in (bbox_geojson(b) for b in values.get("bbox") or []) if b]
    fields: dict[str, Any] = {
        "title": _text(values.get("title")),
        "notes": _text(values.get("abstract")),
        "tags": [t for kw in values.get("keywords") or [] for t in (kw.get("keyword") or [])]
        or list(values.get("tags") or []),
        "resources": resources,
        "spatial": bboxes[0] if bboxes else None,
        "issued": _date(dates.get("publication") or dates.get("creation")),
        "temporal_start": _date((values.get("temporal-extent-begin") or [None])[0]),
        "temporal_end": _date((values.get("temporal-extent-end") or [None])[0]),
        "update_cycle": update_cycle_from_frequency(values.get("frequency-of-update")),
    }
    fmt = next((f for f in (format_of(n) for n in formats) if f), None)
    if fmt and fmt[0] not in STRUCTURED:
        fields["format_class"], fields["format_type"] = fmt
    return _derived(fields)
