"""The shared base of the lyg harvesters (gather / fetch / import on ckanext-harvest).

A source type subclass says how to read its source (:meth:`download`), what
identifies a record (:meth:`record_id`) and how its fields are picked
(:meth:`extract`); everything else is here:

* **gather** downloads every record, gives each its stable identity (the
  ``guid``: the record's id in its source) and a content hash (the mapped
  fields of the record + mapping + defaults). A record whose hash equals the one of the entry's
  current harvest object, and whose entry is active, becomes an object marked
  unchanged; the others carry their record as content. Entries whose
  record is gone from a completely read source get a ``withdraw`` object.
  A source that cannot be read completely ends the gather with a
  ``HarvestGatherError`` and withdraws nothing.
  Unchanged records are stored as objects that are complete already and
  reported "not modified": they never reach the fetch queue, so an unchanged
  re-run costs one read of the source and one insert per record.
* **fetch** has nothing to download (gather read the records).
* **import** maps the record (pure functions of :mod:`.mapping`) and creates
  or updates the entry through ``package_create``/``package_update`` — so the
  catalog schema's rules apply — or deletes a withdrawn one. A record that
  breaks the rules is a ``HarvestObjectError`` and is not saved.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckan.lib.munge import munge_name
from ckanext.harvest.harvesters.base import HarvesterBase
from ckanext.harvest.model import HarvestObject, HarvestObjectExtra
from ckanext.lyg_harvest import config as cfg
from ckanext.lyg_harvest import mapping
from ckanext.lyg_harvest.config import N_
from ckanext.lyg_harvest.download import SourceError

log = logging.getLogger(__name__)

UNCHANGED, CHANGED, WITHDRAW = "unchanged", "changed", "withdraw"


def _extra(obj: HarvestObject, key: str) -> str | None:
    for extra in obj.extras:
        if extra.key == key:
            return extra.value
    return None


class LygHarvesterBase(HarvesterBase):
    """Gather, fetch and import for record sources; see the module docstring."""

    source_type = ""

    # --- what a source type provides ----------------------------------------

    def parse_config(self, raw: str | None) -> dict[str, Any]:
        raise NotImplementedError

    def check_url(self, url: str) -> list[cfg.Problem]:
        return []

    def download(self, url: str, config: dict[str, Any]) -> Iterator[Any]:
        raise NotImplementedError

    def record_id(self, record: Any, config: dict[str, Any]) -> Any:
        raise NotImplementedError

    def extract(self, record: Any, config: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    # --- IHarvester ------------------------------------------------------------

    def validate_config(self, config: str | None) -> str | None:
        """Checked when a source is saved; every mistake named with its key."""
        try:
            self.parse_config(config)
        except cfg.ConfigError as err:
            raise ValueError(err.text(tk._)) from None
        return config

    def get_original_url(self, harvest_object_id: str) -> str | None:
        obj = HarvestObject.get(harvest_object_id)
        return obj.source.url if obj is not None and obj.source is not None else None

    def _gather_error(self, job, message: str, **params: Any) -> None:
        self._save_gather_error(tk._(message).format(**params), job)

    def gather_stage(self, harvest_job) -> list[str] | None:
        source = harvest_job.source
        try:
            config = self.parse_config(source.config)
        except cfg.ConfigError as err:
            self._save_gather_error(
                tk._("The source configuration is invalid: {errors}").format(errors=err.text(tk._)),
                harvest_job,
            )
            return None
        problems = self.check_url(source.url)
        if problems:
            self._save_gather_error("; ".join(p.text(tk._) for p in problems), harvest_job)
            return None
        try:
            records = list(self.download(source.url, config))
        except SourceError as err:
            self._save_gather_error(err.text(tk._), harvest_job)
            return None
        except Exception as err:  # a source must never crash the gather consumer
            log.exception("Gather of source %s failed", source.id)
            self._gather_error(harvest_job, N_("Reading the source failed: {error}"), error=repr(err)[:300])
            return None
        return self._objects(harvest_job, config, records)

    def _previous(self, source_id: str) -> dict[str, tuple[str, str, str | None]]:
        """guid → (package id, package state, hash) of the source's current objects."""
        hash_extra = sa.orm.aliased(HarvestObjectExtra)
        rows = (
            model.Session.query(
                HarvestObject.guid, HarvestObject.package_id, model.Package.state, hash_extra.value
            )
            .join(model.Package, model.Package.id == HarvestObject.package_id)
            .outerjoin(
                hash_extra,
                sa.and_(hash_extra.harvest_object_id == HarvestObject.id, hash_extra.key == "hash"),
            )
            .filter(HarvestObject.harvest_source_id == source_id)
            .filter(HarvestObject.current.is_(True))
        )
        return {guid: (package_id, state, digest) for guid, package_id, state, digest in rows}

    def _objects(self, job, config: dict[str, Any], records: list[Any]) -> list[str]:
        fingerprint = cfg.mapping_fingerprint(config)
        previous = self._previous(job.source.id)
        seen: set[str] = set()
        objects: list[HarvestObject] = []  # for the fetch queue
        done: list[HarvestObject] = []  # unchanged: complete already
        errors: list[str] = []
        now = dt.datetime.utcnow()
        for n, record in enumerate(records, 1):
            guid = mapping.record_guid(self.record_id(record, config))
            if guid is None:
                errors.append(
                    tk._("Record {n} has no identity (the id of the configuration): skipped").format(n=n)
                )
                continue
            if guid in seen:
                errors.append(tk._("Record {n}: the id {guid} is used twice: skipped").format(n=n, guid=guid))
                continue
            seen.add(guid)
            digest = self._digest(record, config, fingerprint)
            package_id, state, old_digest = previous.get(guid, (None, None, None))
            unchanged = bool(package_id) and state == "active" and old_digest == digest
            obj = HarvestObject(
                guid=guid,
                job=job,
                source=job.source,
                package_id=package_id,
                extras=[
                    HarvestObjectExtra(key="status", value=UNCHANGED if unchanged else CHANGED),
                    HarvestObjectExtra(key="hash", value=digest),
                ],
            )
            if unchanged:
                # Reported "not modified" right here: no fetch, no import, no queue message.
                obj.state, obj.report_status = "COMPLETE", "not modified"
                obj.fetch_started = obj.fetch_finished = obj.import_finished = now
                done.append(obj)
            else:
                obj.content = json.dumps(
                    mapping.plain_record(record) if isinstance(record, dict) else record, ensure_ascii=False
                )
                objects.append(obj)
        if config.get("withdraw") == "delete":
            for guid, (package_id, state, _digest) in previous.items():
                if guid not in seen and state == "active":
                    objects.append(
                        HarvestObject(
                            guid=guid,
                            job=job,
                            source=job.source,
                            package_id=package_id,
                            extras=[HarvestObjectExtra(key="status", value=WITHDRAW)],
                        )
                    )
        model.Session.add_all(done + objects)
        model.Session.commit()
        for message in errors:
            self._save_gather_error(message, job)
        if not records:
            self._gather_error(job, N_("The source has no records"))
        return [obj.id for obj in objects]

    def _digest(self, record: Any, config: dict[str, Any], fingerprint: str) -> str:
        """The hash of what the mapping takes from a record: a field the mapping
        does not use (a timestamp of the API's answer …) changes nothing."""
        try:
            return mapping.content_hash(self.extract(record, config), fingerprint)
        except Exception:  # the import reports the mapping error
            return mapping.content_hash(record, fingerprint)

    def fetch_stage(self, harvest_object) -> bool | str:
        if _extra(harvest_object, "status") == UNCHANGED:
            return "unchanged"
        return True

    # --- import ------------------------------------------------------------------

    def _context(self) -> dict[str, Any]:
        return {
            "model": model,
            "session": model.Session,
            "user": self._get_user_name(),
            "ignore_auth": True,
            "return_id_only": True,
        }

    def _object_error(self, obj, message: str, **params: Any) -> bool:
        self._save_object_error(tk._(message).format(**params), obj, "Import")
        return False

    def import_stage(self, harvest_object) -> bool | str:
        obj = harvest_object
        status = _extra(obj, "status")
        if status == UNCHANGED:
            return "unchanged"
        if status == WITHDRAW:
            return self._withdraw(obj)
        try:
            config = self.parse_config(obj.source.config)
        except cfg.ConfigError as err:
            return self._object_error(
                obj, N_("The source configuration is invalid: {errors}"), errors=err.text(tk._)
            )
        try:
            record = json.loads(obj.content or "")
        except ValueError:
            return self._object_error(obj, N_("The harvest object has no readable record"))
        try:
            fields = self.extract(record, config)
        except Exception as err:  # jmespath on unexpected data, …
            return self._object_error(
                obj, N_("Record {guid}: the mapping failed: {error}"), guid=obj.guid, error=repr(err)[:300]
            )
        dataset = mapping.to_dataset(fields, config["defaults"])
        org = self._department(fields, config, obj)
        if org is None:
            return False
        dataset["owner_org"] = org.id
        return self._save(obj, dataset)

    def _department(self, fields: dict[str, Any], config: dict[str, Any], obj) -> model.Group | None:
        """The entry's department: the record's (by id, name, title or 统一社会信用代码),
        else the source's default, else the harvest source's own organization."""
        ref = mapping._text(fields.get("owner_org"))
        code = mapping._text(fields.get("provider_code"))
        default = config["defaults"].get("owner_org")
        query = model.Session.query(model.Group).filter(
            model.Group.is_organization.is_(True), model.Group.state == "active"
        )
        source_pkg = model.Package.get(obj.source.id)
        own = (source_pkg.owner_org if source_pkg is not None else None) or obj.source.publisher_id
        for value in (ref, None if ref else code, default, own):
            if not value:
                continue
            org = query.filter(
                sa.or_(model.Group.id == value, model.Group.name == value, model.Group.title == value)
            ).first()
            if org is None:
                org = (
                    query.join(model.GroupExtra, model.GroupExtra.group_id == model.Group.id)
                    .filter(
                        model.GroupExtra.key == "provider_code",
                        model.GroupExtra.value == value,
                        model.GroupExtra.state == "active",
                    )
                    .first()
                )
            if org is not None:
                return org
            self._object_error(obj, N_("Record {guid}: no department {value}"), guid=obj.guid, value=value)
            return None
        self._object_error(
            obj,
            N_("Record {guid}: no department: map owner_org or provider_code, or give defaults.owner_org"),
            guid=obj.guid,
        )
        return None

    def _save(self, obj, dataset: dict[str, Any]) -> bool:
        existing = model.Package.get(obj.package_id) if obj.package_id else None
        context = self._context()
        if existing is not None:
            dataset["id"], dataset["name"], dataset["state"] = existing.id, existing.name, "active"
            old = existing.extras or {}
            if (
                dataset.get("share_type") == "none"
                and old.get("share_type") == "none"
                and old.get("share_review") == "confirmed"
            ):
                dataset["share_review"] = "confirmed"  # the data authority's decision stays
            action = "package_update"
        else:
            prefix = model.Package.get(obj.source.id).name if model.Package.get(obj.source.id) else "h"
            wanted = (
                munge_name(dataset["name"]) if dataset.get("name") else mapping.dataset_name(prefix, obj.guid)
            )
            dataset["name"] = self._ensure_name_is_unique(wanted)
            dataset["id"] = str(uuid.uuid4())
            action = "package_create"
        try:
            model.Session.query(HarvestObject).filter(
                HarvestObject.harvest_source_id == obj.harvest_source_id,
                HarvestObject.guid == obj.guid,
                HarvestObject.id != obj.id,
                HarvestObject.current.is_(True),
            ).update({"current": False})
            obj.package_id, obj.current = dataset["id"], True
            obj.add()
            model.Session.execute(sa.text("SET CONSTRAINTS harvest_object_package_id_fkey DEFERRED"))
            model.Session.flush()
            tk.get_action(action)(context, dataset)
            model.Session.commit()
        except tk.ValidationError as err:
            model.Session.rollback()
            return self._object_error(
                obj,
                N_("Record {guid} breaks the catalog rules, not saved: {errors}"),
                guid=obj.guid,
                errors=mapping.error_summary(err.error_dict),
            )
        except Exception as err:
            log.exception("Import of %s failed", obj.guid)
            model.Session.rollback()
            return self._object_error(
                obj, N_("Record {guid}: saving failed: {error}"), guid=obj.guid, error=repr(err)[:300]
            )
        return True

    def _withdraw(self, obj) -> bool:
        """The record is gone from the source: its entry is deleted (withdrawn)."""
        try:
            tk.get_action("package_delete")(self._context(), {"id": obj.package_id})
        except tk.ObjectNotFound:
            pass
        except Exception as err:
            log.exception("Withdrawal of %s failed", obj.guid)
            model.Session.rollback()
            return self._object_error(
                obj,
                N_("Record {guid}: withdrawing its entry failed: {error}"),
                guid=obj.guid,
                error=repr(err)[:300],
            )
        obj.current = False
        obj.add()
        model.Session.commit()
        return True
