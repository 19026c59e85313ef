"""Create the demo catalog through CKAN's action API (``ckan lyg seed``).

Idempotent: organizations, groups, entries and their generated resources
are looked up by name first and only what is missing is created.  Entries
and departments carry the fields of catalog.md: as top-level fields when the
active scheming schema (``schemas/dataset.yaml``, ``schemas/organization.yaml``)
declares them — so they go through the catalog's validators and rules like
any other write — and as extras otherwise (lists and dicts JSON-encoded).
Resource codes are supplied and kept (they are valid and unique), so re-seeding
a fresh database gives the same codes.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import ckan.plugins.toolkit as tk
from ckanext.lyg.seed import files, generate
from ckanext.lyg.seed.workflow import WorkflowReport, seed_workflow
from tqdm import tqdm
from werkzeug.datastructures import FileStorage

log = logging.getLogger(__name__)


@dataclass
class Report:
    created: dict[str, int] = field(
        default_factory=lambda: {"organizations": 0, "groups": 0, "entries": 0, "resources": 0}
    )
    existing: dict[str, int] = field(
        default_factory=lambda: {"organizations": 0, "groups": 0, "entries": 0, "resources": 0}
    )
    workflow: WorkflowReport | None = None  # demo users, roles, requests, reviews

    def __str__(self) -> str:
        text = "; ".join(
            f"{kind}: {self.created[kind]} created, {self.existing[kind]} already there"
            for kind in self.created
        )
        if self.workflow is not None:
            text += f"\nWorkflow demo: {self.workflow}"
        return text


def _context() -> dict[str, Any]:
    """A fresh sysadmin context (actions write into their context)."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True, "defer_commit": False}, {})
    return {"user": site_user["name"]}


def _exists(action: str, name: str) -> dict[str, Any] | None:
    try:
        return tk.get_action(action)(_context(), {"id": name})
    except tk.ObjectNotFound:
        return None


def schema_fields() -> set[str]:
    """Dataset fields declared by the active scheming schema (empty without one)."""
    try:
        schema = tk.get_action("scheming_dataset_schema_show")({"ignore_auth": True}, {"type": "dataset"})
    except (KeyError, tk.ObjectNotFound):  # no scheming, or no such schema
        return set()
    return {f["field_name"] for f in schema.get("dataset_fields", [])}


def organization_fields() -> set[str]:
    """Organization fields declared by the active scheming schema (empty without one)."""
    try:
        schema = tk.get_action("scheming_organization_schema_show")(
            {"ignore_auth": True}, {"type": "organization"})
    except (KeyError, tk.ObjectNotFound):
        return set()
    return {f["field_name"] for f in schema.get("fields", [])}


def organization_dict(org: dict[str, Any], declared: set[str]) -> dict[str, Any]:
    """The ``organization_create`` data dict: declared fields top-level, the rest extras."""
    data = {k: v for k, v in org.items() if k != "extras"}
    extras = []
    for extra in org.get("extras", []):
        if extra["key"] in declared:
            data[extra["key"]] = extra["value"]
        else:
            extras.append(extra)
    if extras:
        data["extras"] = extras
    return data


def _encode(value: Any) -> str:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def package_dict(entry: dict[str, Any], declared: set[str]) -> dict[str, Any]:
    """The ``package_create`` data dict of a generated entry."""
    data: dict[str, Any] = {
        "name": entry["name"],
        "title": entry["title"],
        "notes": entry["notes"],
        "owner_org": entry["owner_org"],
        "private": False,
        "tags": [{"name": tag} for tag in entry["tags"]],
        "groups": [{"name": group} for group in entry["groups"]],
    }
    extras = []
    for key, value in entry["fields"].items():
        if value in ("", None):
            continue
        if key in declared:  # lists stay lists (repeating subfields); GeoJSON is text
            data[key] = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value
        elif declared:
            log.debug("schema has no field %s: not seeded", key)
        else:
            extras.append({"key": key, "value": _encode(value)})
    if extras:
        data["extras"] = extras
    return data


def _progress(items: Iterable[Any], desc: str, total: int, show: bool) -> Iterable[Any]:
    return tqdm(items, desc=desc, total=total, unit="", disable=not show, leave=True)


def _ensure(action: str, items: list[dict[str, Any]], kind: str, report: Report, show: bool):
    for data in _progress(items, kind, len(items), show):
        if _exists(f"{action}_show", data["name"]):
            report.existing[kind] += 1
            continue
        tk.get_action(f"{action}_create")(_context(), dict(data))
        report.created[kind] += 1


def _upload(data_file: files.DataFile) -> FileStorage:
    return FileStorage(
        stream=io.BytesIO(data_file.content),
        filename=data_file.filename,
        content_type=data_file.mimetype,
    )


def seed(entries: int = 320, progress: bool = True, workflow: bool = True) -> Report:
    """Create whatever of the demo catalog's first ``entries`` entries is missing,
    then (with ``workflow``, when there are entries and the catalog schema is
    active) the demo users, roles, requests and reviews (:mod:`.workflow`)."""
    if entries and not tk.config.get("ckan.storage_path"):
        raise RuntimeError("ckan.storage_path must be set: the seeder uploads data files")
    report = Report()
    org_fields = organization_fields()
    organizations = [organization_dict(org, org_fields) for org in generate.organizations()]
    _ensure("organization", organizations, "organizations", report, progress)
    _ensure("group", generate.groups(), "groups", report, progress)

    declared = schema_fields()
    for entry in _progress(generate.entries(entries), "entries", entries, progress):
        pkg = _exists("package_show", entry["name"])
        if pkg is None:
            pkg = tk.get_action("package_create")(_context(), package_dict(entry, declared))
            report.created["entries"] += 1
        else:
            report.existing["entries"] += 1
        if not entry["with_resources"]:
            continue
        have = {res["name"] for res in pkg.get("resources", [])}
        for data_file in files.data_files(entry):
            if data_file.name in have:
                report.existing["resources"] += 1
                continue
            tk.get_action("resource_create")(
                _context(),
                {
                    "package_id": pkg["id"],
                    "name": data_file.name,
                    "description": data_file.description,
                    "format": data_file.format,
                    "mimetype": data_file.mimetype,
                    "upload": _upload(data_file),
                },
            )
            report.created["resources"] += 1
    if workflow and entries and declared:  # the workflows need the catalog schema
        report.workflow = seed_workflow(progress)
    return report
