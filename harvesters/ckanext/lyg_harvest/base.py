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
  the entry with the catalog's bulk writer (``catalog.bulk.create``: what
  ``package_create`` does, in the import's transaction) or updates it through
  ``package_update`` — so the catalog schema's rules apply — or deletes a
  withdrawn one. A record that
  breaks the rules is a ``HarvestObjectError`` and is not saved.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckan.lib.munge import munge_name
from ckanext.harvest.harvesters.base import HarvesterBase
from ckanext.harvest.model import HarvestObject, HarvestObjectExtra
from ckanext.lyg.catalog import bulk
from ckanext.lyg_harvest import config as cfg
from ckanext.lyg_harvest import mapping
from ckanext.lyg_harvest.config import N_
from ckanext.lyg_harvest.download import RecordProblem, SourceError

log = logging.getLogger(__name__)

UNCHANGED, CHANGED, WITHDRAW = "unchanged", "changed", "withdraw"
CLAIMED = object()
CLAIM_WAIT = 600  # seconds a worker waits for another one's import of the same object


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
        problems = [r.text for r in records if isinstance(r, RecordProblem)]
        records = [r for r in records if not isinstance(r, RecordProblem)]
        for text in problems:
            self._save_gather_error(text, harvest_job)
        if not self._source_active(source.id):
            self._gather_error(harvest_job, N_("The harvest source was deleted while its job ran"))
            return None
        return self._objects(harvest_job, config, records)

    @staticmethod
    def _source_active(source_id: str, lock: bool = False) -> bool:
        """Whether the source still exists (not deleted), read from the database.
        With ``lock``, the row is share-locked until the transaction ends, so a
        deletion waits for the entry being saved (never half a job after it)."""
        sql = "SELECT active FROM harvest_source WHERE id = :id" + (" FOR SHARE" if lock else "")
        return bool(model.Session.execute(sa.text(sql), {"id": source_id}).scalar())

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
        """The job's harvest objects, written in two bulk inserts (objects, extras):
        an unchanged re-run of thousands of records costs one statement each."""
        fingerprint = cfg.mapping_fingerprint(config)
        previous = self._previous(job.source.id)
        seen: set[str] = set()
        rows: list[dict[str, Any]] = []
        extras: list[dict[str, Any]] = []
        queued: list[str] = []  # for the fetch queue
        errors: list[str] = []
        now = dt.datetime.utcnow()

        def add(guid: str, package_id: str | None, status: str, **values: Any) -> str:
            object_id = str(uuid.uuid4())
            rows.append({
                "id": object_id, "guid": guid, "harvest_job_id": job.id, "harvest_source_id": job.source.id,
                "package_id": package_id, "gathered": now, "state": "WAITING", "current": False,
                "retry_times": 0, "content": None, "report_status": None, "fetch_started": None,
                "fetch_finished": None, "import_finished": None, **values,
            })  # fmt: skip
            extras.append({"id": str(uuid.uuid4()), "harvest_object_id": object_id, "key": "status",
                           "value": status})  # fmt: skip
            if status != UNCHANGED:
                extras.append({"id": str(uuid.uuid4()), "harvest_object_id": object_id, "key": "claim",
                               "value": ""})  # fmt: skip
                queued.append(object_id)
            return object_id

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
            if bool(package_id) and state == "active" and old_digest == digest:
                # Reported "not modified" right here: no fetch, no import, no queue message.
                object_id = add(guid, package_id, UNCHANGED, state="COMPLETE", report_status="not modified",
                                fetch_started=now, fetch_finished=now, import_finished=now)  # fmt: skip
            else:
                content = json.dumps(
                    mapping.plain_record(record) if isinstance(record, dict) else record, ensure_ascii=False
                )
                object_id = add(guid, package_id, CHANGED, content=content)
            extras.append({"id": str(uuid.uuid4()), "harvest_object_id": object_id, "key": "hash",
                           "value": digest})  # fmt: skip
        if config.get("withdraw") == "delete":
            for guid, (package_id, state, _digest) in previous.items():
                if guid not in seen and state == "active":
                    add(guid, package_id, WITHDRAW)
        if not self._source_active(job.source.id, lock=True):
            model.Session.rollback()
            self._gather_error(job, N_("The harvest source was deleted while its job ran"))
            return []
        if rows:
            model.Session.execute(HarvestObject.__table__.insert(), rows)
            model.Session.execute(HarvestObjectExtra.__table__.insert(), extras)
        model.Session.commit()
        for message in errors:
            self._save_gather_error(message, job)
        if not records:
            self._gather_error(job, N_("The source has no records"))
        return queued

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

    def _object_error(self, obj, message: str, line: int | None = None, **params: Any) -> bool:
        self._save_object_error(tk._(message).format(**params), obj, "Import", line)
        return False

    def import_stage(self, harvest_object) -> bool | str:
        """Import one object, exactly once however often it is delivered (see :meth:`_claim`)."""
        obj = harvest_object
        status = _extra(obj, "status")
        if status == UNCHANGED:
            return "unchanged"
        mode = tk.config.get("ckanext.lyg_harvest.synchronous_commit")
        if mode != "on":
            model.Session.execute(sa.text(f"SET SESSION synchronous_commit TO {mode}"))
        claimed = self._claim(obj)
        if claimed is not CLAIMED:
            return claimed
        result: bool | str = False
        try:
            if status == WITHDRAW:
                result = self._withdraw(obj)
            else:
                result = self._import(obj)
        finally:
            self._release(obj, result)
        return result

    # A queue message can be delivered twice: ckanext-harvest's harvest_jobs_run
    # (the scheduler) re-sends every WAITING object that is not in the Redis list
    # at that moment — objects the gather has committed but not published yet,
    # or ones a consumer has just popped. Two fetch consumers may then hold the
    # same object. The first to claim it imports it; the other waits for the
    # first one's result and reports the same, so the object is imported once
    # and its report status is the same whichever save comes last.

    def _claim(self, obj) -> Any:
        token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        taken = model.Session.execute(
            sa.update(HarvestObjectExtra)
            .where(
                HarvestObjectExtra.harvest_object_id == obj.id,
                HarvestObjectExtra.key == "claim",
                HarvestObjectExtra.value == "",
            )
            .values(value=token)
            .execution_options(synchronize_session=False)
        ).rowcount
        # Not committed: the row stays locked until this import commits, so a
        # second worker's claim waits for it and then finds the result.
        if taken:
            return CLAIMED
        model.Session.rollback()
        query = model.Session.query(HarvestObjectExtra.value).filter(
            HarvestObjectExtra.harvest_object_id == obj.id, HarvestObjectExtra.key == "claim"
        )
        if query.scalar() is None:  # gathered before claims existed
            return CLAIMED
        log.info("Harvest object %s is imported by another worker: waiting for its result", obj.id)
        deadline = time.monotonic() + CLAIM_WAIT
        while time.monotonic() < deadline:
            model.Session.rollback()  # a fresh snapshot
            value = query.scalar() or ""
            if value.startswith("done:"):
                model.Session.refresh(obj)
                return {"true": True, "unchanged": "unchanged"}.get(value[5:], False)
            time.sleep(0.2)
        return self._object_error(
            obj, N_("Record {guid}: another worker held it longer than {seconds} s"), guid=obj.guid,
            seconds=CLAIM_WAIT,
        )

    def _release(self, obj, result: bool | str) -> None:
        value = "done:" + ("unchanged" if result == "unchanged" else "true" if result else "false")
        statement = (
            sa.update(HarvestObjectExtra)
            .where(HarvestObjectExtra.harvest_object_id == obj.id, HarvestObjectExtra.key == "claim")
            .values(value=value)
            .execution_options(synchronize_session=False)
        )
        try:
            model.Session.execute(statement)
        except sa.exc.DBAPIError:  # the import left the transaction failed
            model.Session.rollback()
            model.Session.execute(statement)
        model.Session.commit()

    def _import(self, obj) -> bool:
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
        dataset = self.build_dataset(obj, record, config)
        if dataset is None:
            return False
        return self._save(obj, dataset, self.record_line(record))

    def record_line(self, record: Any) -> int | None:
        """Where the record is in its source (a workbook's row), shown with its errors."""
        return None

    def build_dataset(self, obj, record: Any, config: dict[str, Any]) -> dict[str, Any] | None:
        """The dataset dict of a record (with ``owner_org``), or None after saving
        the object's errors. Source types with their own mapping override it."""
        try:
            fields = self.extract(record, config)
        except Exception as err:  # jmespath on unexpected data, …
            self._object_error(
                obj, N_("Record {guid}: the mapping failed: {error}"), guid=obj.guid, error=repr(err)[:300]
            )
            return None
        dataset = mapping.to_dataset(fields, config["defaults"])
        org = self._department(fields, config, obj)
        if org is None:
            return None
        dataset["owner_org"] = org.id
        return dataset

    def _job_cache(self, obj) -> dict[Any, Any]:
        """Look-ups (departments …) kept for the rest of the object's job: a job
        of thousands of records of a few departments asks for each once."""
        if getattr(self, "_cache_job", None) != obj.harvest_job_id:
            self._cache_job, self._cache = obj.harvest_job_id, {}
        return self._cache

    def _department(self, fields: dict[str, Any], config: dict[str, Any], obj) -> model.Group | None:
        """The entry's department: the record's (by id, name, title or 统一社会信用代码),
        else the source's default, else the harvest source's own organization."""
        ref = mapping._text(fields.get("owner_org"))
        code = mapping._text(fields.get("provider_code"))
        default = config["defaults"].get("owner_org")
        query = model.Session.query(model.Group).filter(
            model.Group.is_organization.is_(True), model.Group.state == "active"
        )
        cache = self._job_cache(obj)
        if "own_org" not in cache:
            source_pkg = model.Package.get(obj.source.id)
            cache["own_org"] = (source_pkg.owner_org if source_pkg is not None else None) or (
                obj.source.publisher_id
            )
        own = cache["own_org"]
        for value in (ref, None if ref else code, default, own):
            if not value:
                continue
            if ("department", value) in cache:
                org_id = cache["department", value]
                org = model.Session.get(model.Group, org_id) if org_id else None
                if org is not None:
                    return org
                self._object_error(
                    obj, N_("Record {guid}: no department {value}"), guid=obj.guid, value=value
                )
                return None
            org = query.filter(
                sa.or_(model.Group.id == value, model.Group.name == value, model.Group.title == value)
            ).first()
            if org is None:
                # by 统一社会信用代码 (CKAN 2.12 keeps group extras in a JSONB column)
                org = query.filter(model.Group.extras["provider_code"].astext == value).first()
            cache["department", value] = org.id if org is not None else None
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

    def _save(self, obj, dataset: dict[str, Any], line: int | None = None) -> bool:
        # One import of a record at a time (two objects of one guid never both
        # create an entry), and the entry a newer import made for it is updated.
        model.Session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext(:source), hashtext(:guid))"),
            {"source": obj.harvest_source_id, "guid": obj.guid},
        )
        if not self._source_active(obj.harvest_source_id, lock=True):
            return self._object_error(
                obj, N_("Record {guid}: the harvest source was deleted while its job ran: not imported"),
                guid=obj.guid,
            )
        latest = (
            model.Session.query(HarvestObject.package_id)
            .join(model.Package, model.Package.id == HarvestObject.package_id)
            .filter(
                HarvestObject.harvest_source_id == obj.harvest_source_id,
                HarvestObject.guid == obj.guid,
                HarvestObject.current.is_(True),
                HarvestObject.id != obj.id,
                model.Package.state != "deleted",
            )
            .scalar()
        )
        if latest and not obj.package_id:
            obj.package_id = latest
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
            cache = self._job_cache(obj)
            if "source_name" not in cache:
                source_pkg = model.Package.get(obj.source.id)
                cache["source_name"] = source_pkg.name if source_pkg is not None else "h"
            prefix = cache["source_name"]
            wanted = (
                munge_name(dataset["name"]) if dataset.get("name") else mapping.dataset_name(prefix, obj.guid)
            )
            dataset["name"] = self._ensure_name_is_unique(wanted)
            dataset["id"] = str(uuid.uuid4())
            action = "package_create"
        # A savepoint: a refused record rolls back to here, keeping the claim.
        savepoint = model.Session.begin_nested()
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
            if action == "package_create":  # package_create's write, one package_show less
                bulk.create(dataset, context["user"], ignore_auth=True)
            else:
                tk.get_action(action)(context, dataset)  # validates, indexes and commits
            model.Session.commit()
        except tk.ValidationError as err:
            if savepoint.is_active:
                savepoint.rollback()
            else:
                model.Session.rollback()
            return self._object_error(
                obj,
                N_("Record {guid} breaks the catalog rules, not saved: {errors}"),
                line=line,
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
        """The record is gone from the source: its entry is deleted (withdrawn) —
        unless another record of the source took the entry over (a row that got
        its 信息资源代码 and is now identified by it)."""
        if not self._source_active(obj.harvest_source_id, lock=True):
            return self._object_error(
                obj, N_("Record {guid}: the harvest source was deleted while its job ran: not imported"),
                guid=obj.guid,
            )
        taken_over = (
            model.Session.query(HarvestObject.id)
            .filter(
                HarvestObject.harvest_source_id == obj.harvest_source_id,
                HarvestObject.package_id == obj.package_id,
                HarvestObject.guid != obj.guid,
                HarvestObject.current.is_(True),
            )
            .first()
        )
        if taken_over is not None:
            model.Session.query(HarvestObject).filter(
                HarvestObject.harvest_source_id == obj.harvest_source_id,
                HarvestObject.guid == obj.guid,
                HarvestObject.current.is_(True),
            ).update({"current": False}, synchronize_session=False)
            obj.current = False
            obj.add()
            model.Session.commit()
            return True
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
