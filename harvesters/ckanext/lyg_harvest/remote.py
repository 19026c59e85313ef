"""Remote catalogs as harvest sources: CKAN portals, DCAT catalogs, CSW geo catalogs.

Each source type subclasses the stock harvester of its kind and takes from it
the way the remote is read — ckanext-harvest's ``CKANHarvester`` (its paged
``package_search``, sorted by id), ckanext-dcat's ``DCATRDFHarvester`` (its
RDF parser, profiles, paging and guid rule), ckanext-spatial's
``CSWHarvester`` (its CSW client and ISO 19139 reader) — and from
:class:`~ckanext.lyg_harvest.base.LygHarvesterBase` (first in the MRO) the
gather / fetch / import of our catalog: a stable identity per record, content
hashes ("not modified" without an import), withdrawals, and entries created
through ``package_create`` so the catalog rules and the not-shared review
apply to every harvested record. Records are mapped by the pure functions of
:mod:`.remote_mapping`; configurations are checked by :mod:`.remote_config`.

Every reading failure (connection refused, timeout, an HTTP error, malformed
JSON/RDF/XML) is a :class:`~ckanext.lyg_harvest.download.SourceError`: the
gather records it and ends the job, withdrawing nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
import requests
from ckan import model
from ckanext.dcat.harvesters.rdf import DCATRDFHarvester
from ckanext.dcat.processors import RDFParser, RDFParserException
from ckanext.harvest.harvesters.ckanharvester import CKANHarvester, SearchError
from ckanext.lyg_harvest import config as cfg
from ckanext.lyg_harvest import download, remote_config, remote_mapping
from ckanext.lyg_harvest.base import LygHarvesterBase
from ckanext.lyg_harvest.config import N_
from ckanext.lyg_harvest.download import SourceError
from ckanext.lyg_harvest.i18n_domain import HarvestTranslation
from ckanext.spatial.harvesters.csw import CSWHarvester

log = logging.getLogger(__name__)

RDF_TYPES = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "application/rdf+xml": "xml",
    "application/ld+json": "json-ld", "application/n-triples": "nt", "text/n3": "n3",
}  # fmt: skip
RDF_SUFFIXES = {
    ".ttl": "turtle",
    ".rdf": "xml",
    ".xml": "xml",
    ".jsonld": "json-ld",
    ".nt": "nt",
    ".n3": "n3",
}


def http_get(url: str, timeout: int, accept: str = "*/*", **params: Any) -> requests.Response:
    """GET with a timeout; every failure a :class:`SourceError` (see :mod:`.download`)."""
    return download.http_get(url, timeout, params=params, headers={"Accept": accept})


def _codes(fields: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Without the remote's resource code when this site assigns its own."""
    if config.get("resource_codes") == "assign":
        fields.pop("resource_code", None)
    return fields


class _RemoteMixin:
    """What the remote source types share on top of :class:`LygHarvesterBase`."""

    def __new__(cls, *args: Any, **kwargs: Any):
        # CKAN's SingletonPlugin keeps its instance in ``cls._instance`` and checks
        # it with hasattr, which sees the parent's: once ``ckan_harvester`` is
        # loaded, ``LygCkanHarvester()`` would return the stock harvester. One
        # instance per class, looked up on the class itself.
        if "_instance" not in cls.__dict__:
            cls._instance = object.__new__(cls)
        return cls._instance

    def check_url(self, url: str) -> list[cfg.Problem]:
        return cfg.check_http_url(url)

    def _department(self, fields: dict[str, Any], config: dict[str, Any], obj) -> model.Group | None:
        """The remote's department when this site has it (by 统一社会信用代码, then
        full title), else the source's default department, else its own."""
        dept = fields.get("department") or {}
        query = model.Session.query(model.Group).filter(
            model.Group.is_organization.is_(True), model.Group.state == "active"
        )
        code = dept.get("provider_code")
        if code:
            # (CKAN 2.12 keeps a group's extras in its ``extras`` JSONB column)
            org = query.filter(model.Group.extras["provider_code"].astext == code).first()
            if org is not None:
                return org
        if dept.get("title"):
            org = query.filter(model.Group.title == dept["title"]).first()
            if org is not None:
                return org
        return LygHarvesterBase._department(self, {}, config, obj)  # type: ignore[arg-type]


class LygCkanHarvester(_RemoteMixin, LygHarvesterBase, CKANHarvester, HarvestTranslation):
    """``lyg_ckan``: a CKAN portal (another city's or county's, the province's,
    or one of ours) through its action API, mapped into the catalog."""

    p.implements(p.ITranslation)

    def info(self) -> dict[str, str]:
        return {
            "name": "lyg_ckan",
            "title": tk._("CKAN portal (lyg_ckan)"),
            "description": tk._(
                "Another CKAN portal through its API; entries mapped into the catalog "
                "(the catalog fields of our own portals are kept)."
            ),
            "form_config_interface": "Text",
        }

    def parse_config(self, raw: str | None) -> dict[str, Any]:
        return remote_config.parse_ckan_source(raw)

    def _get_content(self, url: str) -> str:
        """CKANHarvester's request, with a timeout and the HTTP status checked."""
        return http_get(url, int((self.config or {}).get("timeout", 30)), "application/json").text

    def download(self, url: str, config: dict[str, Any]) -> Iterator[Any]:
        self.config = {"timeout": config["timeout"]}
        fq: list[str] = []
        for kind, field in (("organizations", "organization"), ("groups", "groups")):
            include, exclude = config[f"{kind}_filter_include"], config[f"{kind}_filter_exclude"]
            if include:
                fq.append(" OR ".join(f"{field}:{name}" for name in include))
            fq.extend(f"-{field}:{name}" for name in exclude)
        base = url.rstrip("/")
        try:
            datasets = self._search_for_datasets(base, fq)
        except SearchError as err:
            raise SourceError(
                N_("The CKAN portal {url} did not answer its dataset search: {error}"),
                url=base,
                error=str(err)[:300],
            ) from None
        for dataset in datasets:
            if dataset.get("type", "dataset") != "harvest":  # the remote's own harvest sources
                yield dataset

    def record_id(self, record: Any, config: dict[str, Any]) -> Any:
        return record.get("id") if isinstance(record, dict) else None

    def extract(self, record: Any, config: dict[str, Any]) -> dict[str, Any]:
        return _codes(remote_mapping.ckan_fields(record), config)


class LygDcatHarvester(_RemoteMixin, LygHarvesterBase, DCATRDFHarvester, HarvestTranslation):
    """``lyg_dcat``: a DCAT catalog in RDF (Turtle, RDF/XML, JSON-LD …), read by
    ckanext-dcat's parser with the ``lyg_catalog`` profile, mapped into the catalog."""

    p.implements(p.ITranslation)

    def info(self) -> dict[str, str]:
        return {
            "name": "lyg_dcat",
            "title": tk._("DCAT catalog (lyg_dcat)"),
            "description": tk._(
                "A DCAT catalog in RDF (e.g. another portal's catalog.ttl); entries mapped into the catalog."
            ),
            "form_config_interface": "Text",
        }

    def parse_config(self, raw: str | None) -> dict[str, Any]:
        return remote_config.parse_dcat_source(raw)

    def validate_config(self, config: str | None) -> str | None:
        return LygHarvesterBase.validate_config(self, config)

    @staticmethod
    def profiles() -> list[str]:
        configured = tk.config.get("ckanext.dcat.rdf.profiles") or "euro_dcat_ap_3"
        names = configured.split() if isinstance(configured, str) else list(configured)
        return [n for n in names if n != "lyg_catalog"] + ["lyg_catalog"]

    @staticmethod
    def rdf_format(response: requests.Response, configured: str | None) -> str | None:
        if configured:
            return configured
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind in RDF_TYPES:
            return RDF_TYPES[kind]
        path = requests.utils.urlparse(response.url).path.lower()
        for suffix, fmt in RDF_SUFFIXES.items():
            if path.endswith(suffix):
                return fmt
        return None

    def download(self, url: str, config: dict[str, Any]) -> Iterator[Any]:
        accept = "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, */*;q=0.1"
        next_url: str | None = url
        seen: set[str] = set()
        pages = 0
        while next_url and next_url not in seen:
            pages += 1
            if pages > config["max_pages"]:
                raise SourceError(
                    N_("More than {count} pages: raise max_pages or check the paging"),
                    count=config["max_pages"],
                )
            seen.add(next_url)
            response = http_get(next_url, config["timeout"], accept)
            if "charset" not in response.headers.get("Content-Type", ""):
                response.encoding = "utf-8"  # Turtle, N-Triples and JSON-LD are UTF-8 (not latin-1)
            parser = RDFParser(profiles=self.profiles())
            try:
                parser.parse(response.text, _format=self.rdf_format(response, config["rdf_format"]))
            except RDFParserException as err:
                raise SourceError(
                    N_("The source sent malformed RDF ({url}): {error}"), url=next_url, error=str(err)[:300]
                ) from None
            yield from parser.datasets()
            next_url = parser.next_page()

    def record_id(self, record: Any, config: dict[str, Any]) -> Any:
        return self._get_guid(record) if isinstance(record, dict) else None

    def extract(self, record: Any, config: dict[str, Any]) -> dict[str, Any]:
        return _codes(remote_mapping.dcat_fields(record), config)


class LygCswHarvester(_RemoteMixin, LygHarvesterBase, CSWHarvester, HarvestTranslation):
    """``lyg_csw``: a CSW 2.0.2 geographic catalog (e.g. 自然资源和规划局's), its
    ISO 19139 records read with ckanext-spatial's CSW client and ISO reader;
    each becomes an entry with its bounding box (``spatial``)."""

    p.implements(p.ITranslation)

    def info(self) -> dict[str, str]:
        return {
            "name": "lyg_csw",
            "title": tk._("CSW geographic catalog (lyg_csw)"),
            "description": tk._(
                "A CSW server's ISO 19139 records; entries mapped into the catalog with their bounding box."
            ),
            "form_config_interface": "Text",
        }

    def parse_config(self, raw: str | None) -> dict[str, Any]:
        return remote_config.parse_csw_source(raw)

    def validate_config(self, config: str | None) -> str | None:
        return LygHarvesterBase.validate_config(self, config)

    def get_original_url(self, harvest_object_id: str) -> str | None:
        return CSWHarvester.get_original_url(self, harvest_object_id)

    def download(self, url: str, config: dict[str, Any]) -> Iterator[Any]:
        from ckanext.spatial.lib.csw_client import CswService

        return self._read_csw(url, config, CswService)

    def _read_csw(self, url: str, config: dict[str, Any], service_class) -> Iterator[Any]:
        from lxml import etree
        from owslib.catalogue.csw2 import CatalogueServiceWeb
        from owslib.util import ServiceException

        def failure(err: Exception) -> SourceError:
            if isinstance(err, requests.exceptions.Timeout):
                return SourceError(
                    N_("The source did not answer within {timeout} s: {url}"),
                    timeout=config["timeout"],
                    url=url,
                )
            if isinstance(err, requests.exceptions.ConnectionError):
                return SourceError(
                    N_("Cannot connect to the source {url}: {error}"), url=url, error=type(err).__name__
                )
            if isinstance(err, requests.exceptions.HTTPError) and err.response is not None:
                return SourceError(
                    N_("The source answered HTTP {status} for {url}"),
                    status=err.response.status_code,
                    url=url,
                )
            if isinstance(err, etree.XMLSyntaxError | ServiceException | ValueError):
                return SourceError(
                    N_("The source sent malformed XML ({url}): {error}"), url=url, error=str(err)[:300]
                )
            return SourceError(N_("The CSW server {url} failed: {error}"), url=url, error=repr(err)[:300])

        try:
            service = service_class()
            # ckanext-spatial's client, on an owslib connection with our timeout
            service.__ows_obj__ = CatalogueServiceWeb(url, timeout=config["timeout"])
            # (the client's paging can repeat a record at a page boundary: once each)
            identifiers = list(
                dict.fromkeys(
                    service.getidentifiers(page=config["page_size"], outputschema="gmd", cql=config["cql"])
                )
            )
            for n, identifier in enumerate(identifiers):
                if n >= config["max_pages"] * config["page_size"]:
                    raise SourceError(
                        N_("More than {count} pages: raise max_pages or check the paging"),
                        count=config["max_pages"],
                    )
                if identifier is None:
                    continue
                record = service.getrecordbyid([identifier], outputschema="gmd")
                if record is None or not record.get("xml"):
                    raise SourceError(
                        N_("The CSW server {url} has no ISO 19139 record {id}"), url=url, id=identifier
                    )
                yield {"id": identifier, "xml": record["xml"]}
        except SourceError:
            raise
        except Exception as err:
            raise failure(err) from None

    def record_id(self, record: Any, config: dict[str, Any]) -> Any:
        return record.get("id") if isinstance(record, dict) else None

    def extract(self, record: Any, config: dict[str, Any]) -> dict[str, Any]:
        from ckanext.spatial.harvested_metadata import ISODocument

        # lxml takes no str with an encoding declaration: drop it
        xml = re.sub(r"^\s*<\?xml[^>]*\?>", "", record["xml"])
        return remote_mapping.iso_fields(ISODocument(xml).read_values())
