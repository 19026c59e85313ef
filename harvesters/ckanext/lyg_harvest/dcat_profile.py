"""``lyg_catalog``: a ckanext-dcat RDF profile for the catalog's own fields.

Listed after a DCAT-AP profile (``ckanext.dcat.rdf.profiles = euro_dcat_ap_3
lyg_catalog``), it makes a portal's ``catalog.ttl`` / ``.jsonld`` carry what
another site needs to keep an entry as it is:

* ``dct:identifier`` — the resource code (信息资源代码) instead of the dataset id;
* ``dcat:theme`` — the classification as ``urn:lyg:catalog-class:<类>:<项>[:<目>[:<细目>]]``;
* ``dct:accrualPeriodicity`` — the update cycle as an EU frequency;
* ``lyg:<field>`` literals for the other catalog fields (sharing, opening,
  format, scope …) and ``lyg:info_items`` (JSON).

Parsing does the reverse: the ``lyg:`` literals become top-level keys of the
dataset dict, which :func:`.remote_mapping.dcat_fields` reads with the
identifier and themes. The lyg_dcat harvester always parses with this profile.
"""

from __future__ import annotations

import json

from ckanext.dcat.profiles.base import DCAT, DCT, RDFProfile
from ckanext.lyg_harvest import remote_mapping
from rdflib import Literal, Namespace, URIRef

LYG = Namespace("https://data.lianyungang.gov.cn/ns/catalog#")
# Exported as lyg: literals (dct:identifier, dcat:theme and the frequency carry the rest).
LITERAL_KEYS = tuple(
    k
    for k in remote_mapping.CATALOG_TEXT_KEYS
    if k not in ("resource_code", "catalog_class", "catalog_item", "catalog_sub", "catalog_detail")
) + ("provider_code",)


class LygCatalogProfile(RDFProfile):
    def parse_dataset(self, dataset_dict: dict, dataset_ref) -> dict:
        for key in LITERAL_KEYS:
            value = self._object_value(dataset_ref, LYG[key])
            if value:
                dataset_dict[key] = value
        items = self._object_value(dataset_ref, LYG.info_items)
        if items:
            try:
                parsed = json.loads(items)
            except ValueError:
                parsed = None
            if isinstance(parsed, list):
                dataset_dict["info_items"] = parsed
        return dataset_dict

    def graph_from_dataset(self, dataset_dict: dict, dataset_ref) -> None:
        g = self.g
        g.bind("lyg", LYG)
        code = dataset_dict.get("resource_code")
        if code:
            g.remove((dataset_ref, DCT.identifier, None))
            g.add((dataset_ref, DCT.identifier, Literal(code)))
        theme = remote_mapping.theme_uri(dataset_dict)
        if theme:
            g.add((dataset_ref, DCAT.theme, URIRef(theme)))
        cycle = remote_mapping.EU_FREQUENCY_BY_CYCLE.get(dataset_dict.get("update_cycle") or "")
        if cycle:
            g.remove((dataset_ref, DCT.accrualPeriodicity, None))
            g.add((dataset_ref, DCT.accrualPeriodicity, URIRef(remote_mapping.EU_FREQUENCY_BASE + cycle)))
        for key in LITERAL_KEYS:
            value = dataset_dict.get(key)
            if value not in (None, ""):
                g.add((dataset_ref, LYG[key], Literal(str(value))))
        items = dataset_dict.get("info_items")
        if isinstance(items, list) and items:
            g.add((dataset_ref, LYG.info_items, Literal(json.dumps(items, ensure_ascii=False))))

    def graph_from_catalog(self, catalog_dict: dict, catalog_ref) -> None:
        self.g.bind("lyg", LYG)
