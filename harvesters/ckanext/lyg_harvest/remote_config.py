"""Configuration of the remote catalog sources (CKAN, DCAT, CSW): parsing and
validation, pure, in the style of :mod:`.config` (whose helpers and messages
it reuses). Each parser returns the normalised configuration or raises
:class:`~ckanext.lyg_harvest.config.ConfigError` naming every mistake's key.
"""

from __future__ import annotations

import re
from typing import Any

from ckanext.lyg_harvest import config as cfg
from ckanext.lyg_harvest.config import N_, ConfigError, Problem

NAME = re.compile(r"^[a-z0-9_-]{2,100}$")
RDF_FORMATS = ("xml", "turtle", "n3", "nt", "json-ld", "trig")
CKAN_OPTIONS = {
    "defaults", "withdraw", "timeout", "max_pages", "resource_codes",
    "organizations_filter_include", "organizations_filter_exclude",
    "groups_filter_include", "groups_filter_exclude",
}  # fmt: skip
DCAT_OPTIONS = {"defaults", "withdraw", "timeout", "max_pages", "rdf_format", "resource_codes"}
RESOURCE_CODES = ("keep", "assign")
CSW_OPTIONS = {"defaults", "withdraw", "timeout", "max_pages", "page_size", "cql"}


def _names(data: dict, key: str, out: list[Problem]) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and NAME.match(v) for v in value):
        out.append(Problem(key, N_("Must be a list of organization or group names (a-z, 0-9, - and _)")))
        return []
    return list(value)


def _start(raw: str | dict | None, allowed: set[str]) -> tuple[dict, dict[str, Any], list[Problem]]:
    # An empty configuration is allowed here: everything has a default but the
    # required defaults, which are reported below.
    data = {} if raw is None or (isinstance(raw, str) and not raw.strip()) else cfg._load(raw)
    out: list[Problem] = []
    config = cfg._common(data, out, allowed)
    config["timeout"] = cfg._int(data, "timeout", 30, 1, cfg.MAX_TIMEOUT, out)
    config["max_pages"] = cfg._int(data, "max_pages", 1000, 1, 100000, out)
    return data, config, out


def _resource_codes(data: dict, config: dict[str, Any], out: list[Problem]) -> None:
    """``keep``: an entry of one of our portals keeps its resource code (a code
    already used here is an error of that record); ``assign``: this site gives
    harvested entries codes of its own (a county's sequences overlap the city's)."""
    value = data.get("resource_codes", "keep")
    if value not in RESOURCE_CODES:
        out.append(
            Problem("resource_codes", N_("Must be one of {values}"), {"values": ", ".join(RESOURCE_CODES)})
        )
        value = "keep"
    config["resource_codes"] = value


def _required_defaults(config: dict[str, Any], out: list[Problem]) -> None:
    """A remote record may lack the catalog's sharing fields (a foreign portal
    has none): the source must give them."""
    missing = [k for k in cfg.REQUIRED_DEFAULTS if k not in config["defaults"]]
    if missing:
        out.append(
            Problem(
                "defaults",
                N_("Give defaults for {keys}: records of other catalogs do not carry them"),
                {"keys": ", ".join(missing)},
            )
        )


def parse_ckan_source(raw: str | dict | None) -> dict[str, Any]:
    """A ``lyg_ckan`` source (the URL is the remote portal's site URL)::

    {"defaults": {"share_type": "conditional", "share_condition": "…", "open_type": "none",
                  "update_cycle": "不定期", "catalog_class": "3", "catalog_item": "01", …},
     "organizations_filter_include": ["gaj"],   # or _exclude; groups_filter_include/_exclude
     "resource_codes": "keep",                  # or assign: codes of this site
     "timeout": 30, "max_pages": 1000, "withdraw": "delete"}
    """
    data, config, out = _start(raw, CKAN_OPTIONS)
    _resource_codes(data, config, out)
    for kind in ("organizations", "groups"):
        include, exclude = f"{kind}_filter_include", f"{kind}_filter_exclude"
        if include in data and exclude in data:
            out.append(Problem(include, N_("Give either {a} or {b}, not both"), {"a": include, "b": exclude}))
        config[include] = _names(data, include, out)
        config[exclude] = _names(data, exclude, out)
    _required_defaults(config, out)
    if out:
        raise ConfigError(out)
    return config


def parse_dcat_source(raw: str | dict | None) -> dict[str, Any]:
    """A ``lyg_dcat`` source (the URL of an RDF catalog, e.g. ``…/catalog.ttl``)::

    {"defaults": {…}, "rdf_format": "turtle", "resource_codes": "keep",
     "timeout": 30, "max_pages": 1000, "withdraw": "delete"}
    """
    data, config, out = _start(raw, DCAT_OPTIONS)
    _resource_codes(data, config, out)
    rdf_format = data.get("rdf_format")
    if rdf_format is not None and rdf_format not in RDF_FORMATS:
        out.append(Problem("rdf_format", N_("Must be one of {values}"), {"values": ", ".join(RDF_FORMATS)}))
    config["rdf_format"] = rdf_format
    _required_defaults(config, out)
    if out:
        raise ConfigError(out)
    return config


def parse_csw_source(raw: str | dict | None) -> dict[str, Any]:
    """A ``lyg_csw`` source (the URL of a CSW 2.0.2 endpoint)::

    {"defaults": {"catalog_class": "1", "catalog_item": "03", …},
     "cql": "AnyText like '%连云港%'", "page_size": 50, "timeout": 30, "withdraw": "delete"}
    """
    data, config, out = _start(raw, CSW_OPTIONS)
    config["page_size"] = cfg._int(data, "page_size", 50, 1, 500, out)
    cql = data.get("cql")
    if cql is not None and (not isinstance(cql, str) or not cql.strip()):
        out.append(Problem("cql", N_("Must be a non-empty text")))
    config["cql"] = cql.strip() if isinstance(cql, str) and cql.strip() else None
    _required_defaults(config, out)
    if out:
        raise ConfigError(out)
    return config
