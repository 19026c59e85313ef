"""What the index knows about fields: the Solr schema CKAN ships, restated.

CKAN's Solr schema (``ckan/config/solr/schema.xml``) decides how each field
matches: ``string`` fields match exactly (case-sensitive, whole value),
``text`` fields match word by word, ``date`` and numeric fields compare by
value, and anything undeclared is a ``string`` (its ``*`` dynamic field).
The engine keeps those semantics so every query CKAN and the extensions send
means what it means on Solr.
"""

from __future__ import annotations

import re

STRING, TEXT, DATE, NUMBER, NGRAM = "string", "text", "date", "number", "ngram"

# Fields held in their own columns (fast filters and sorts), with their SQL.
COLUMNS: dict[str, str] = {
    "index_id": "d.index_id",
    "id": "d.id",
    "site_id": "d.site_id",
    "name": "d.name",
    "title_string": "d.title_string",
    "state": "d.state",
    "capacity": "d.capacity",
    "dataset_type": "d.dataset_type",
    "entity_type": "d.entity_type",
    "owner_org": "d.owner_org",
    "metadata_created": "d.metadata_created",
    "metadata_modified": "d.metadata_modified",
}
ARRAY_COLUMNS = {"permission_labels": "d.permission_labels"}

_DECLARED: dict[str, str] = {
    "title": TEXT,
    "notes": TEXT,
    "text": TEXT,
    "urls": TEXT,
    "author": TEXT,
    "author_email": TEXT,
    "maintainer": TEXT,
    "maintainer_email": TEXT,
    "res_name": TEXT,
    "res_description": TEXT,
    "depends_on": TEXT,
    "dependency_of": TEXT,
    "derives_from": TEXT,
    "has_derivation": TEXT,
    "links_to": TEXT,
    "linked_from": TEXT,
    "child_of": TEXT,
    "parent_of": TEXT,
    "title_ngram": NGRAM,
    "name_ngram": NGRAM,
    "metadata_created": DATE,
    "metadata_modified": DATE,
    "indexed_ts": DATE,
    "views_total": NUMBER,
    "views_recent": NUMBER,
    "resources_accessed_total": NUMBER,
    "resources_accessed_recent": NUMBER,
    "minx": NUMBER,
    "maxx": NUMBER,
    "miny": NUMBER,
    "maxy": NUMBER,
    "bbox_area": NUMBER,
}

# Never copied into the ``doc`` column: stored in their own columns or not at all.
NOT_IN_DOC = {"data_dict", "validated_data_dict"}

FIELD_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


def field_type(name: str) -> str:
    if name in _DECLARED:
        return _DECLARED[name]
    if name.endswith("_date"):
        return DATE
    if name.startswith("extras_") or name.startswith("res_extras_"):
        return TEXT
    return STRING


# Search weights: A highest. Fields not listed feed the catch-all ``text``
# at weight D, as Solr's copyFields feed its ``text`` field.
WEIGHTS: dict[str, str] = {
    "title": "A",
    "name": "A",
    "extras_resource_code": "A",
    "tags": "B",
    "groups": "B",
    "organization": "B",
    "_organization_title": "B",
    "_group_titles": "B",
    "extras_catalog_class": "B",
    "extras_catalog_item": "B",
    "extras_catalog_sub": "B",
    "extras_catalog_detail": "B",
    "extras_provider_code": "B",
    "notes": "C",
    "author": "C",
    "maintainer": "C",
}

# Fields that feed free-text search (Solr copies these into ``text``), besides
# ``extras_*``, ``res_extras_*`` and ``vocab_*``.
SEARCHED = {
    "title", "name", "notes", "tags", "groups", "organization", "res_name", "res_description",
    "maintainer", "author", "license", "text", "_organization_title", "_group_titles",
}
NOT_SEARCHED = {"extras_spatial", "extras_coupled-resource"}


def is_searched(name: str) -> bool:
    if name in NOT_SEARCHED:
        return False
    return name in SEARCHED or name.startswith(("extras_", "res_extras_", "vocab_"))
