"""Bulk writes of catalog entries: the fast path of the catalog import (and harvest).

::

    from ckanext.lyg.catalog import bulk

    report = bulk.write(rows, {"user": "admin"})
    report.created, report.updated, report.unchanged, report.failed
    for outcome in report.outcomes:        # one per row, in row order
        outcome.row, outcome.action, outcome.id, outcome.resource_code, outcome.errors

``rows`` are package data dicts as ``package_create`` takes them (the
catalog schema's keys). A row whose ``resource_code`` (or ``id``) names an
existing entry updates it the way ``package_patch`` does: the row's fields
replace the stored ones, everything else (resources, groups, …) is kept.
Every other row creates an entry; one without ``name`` gets ``lyg-<random>``.

**Same checks, same end state as the actions.** Each row is checked with
``package_create``'s or ``package_update``'s auth function and validated
with the dataset plugin's own schema (the scheming schema, its validators and
the catalog rules of the after-validator ``lyg_catalog_entry``, which also
assigns the resource code). It is saved with CKAN's
``model_save.package_dict_save``, then gets what the actions do after saving:
``package_owner_org_update`` (for a new entry, which has no membership to
retire, its one effect is made directly: the department membership), every
``IPackageController.create/edit`` and
``after_dataset_create/update`` (the classification groups are synced
there), default resource views. What is not per row: rows are written in
batches of ``batch_size``, one transaction each; the batch is indexed (the
search engine's writes join the transaction, ``defer_commit``) and committed
once. What CKAN's look-up validators and the catalog's code checks would
read per row (departments, names, the resource codes a row brings or relates
to) is read once for the batch (``_Held``); the classes of the codes the rows
bring are locked for the batch at its start (as reserving a code would lock
its class) and the numbers the written rows took are reserved in one
statement, before the next number of that class is handed out and at the
end of the batch.

**Unchanged rows** are found before anything is written, in two steps: a
row whose every field equals the stored entry's (``package_show``, read from
the search index for the whole batch in one query) changes nothing and is
not even validated; any other row is merged onto the stored entry and
validated, and when the validated dict equals the stored record field by
field (the comparison ``package_dict_save`` makes, :func:`differs`) the row
is unchanged too. Unchanged rows are not written, indexed or recorded.

**Activity stream**: one activity per created or changed entry ("new
package" / "changed package", holding the entry as ``package_show`` gives
it, by the importing user), written in the batch's transaction: a catalog
entry's history must show each change, as after a form edit.

**Errors**: a row that fails its checks is reported (``Outcome.errors``,
CKAN's error dict: field → messages) and the rest of the batch goes on. A
row's checks (structure, auth, the schema and the catalog rules) all come
before anything of it is saved, so a row failing them leaves nothing behind.
The rows that pass are saved into the session one after the other without a
flush in between and written together (one INSERT per table for the batch);
the batch's new free tags are made first, so the rows find them. When saving
a row or the batch write itself fails (a database error, a constraint at
commit) the batch is rolled back and written again row by row, each row in
a savepoint of its own transaction, so one bad row never loses the others.
``dry_run`` does all of it and rolls every batch back.

**Workers**: with ``workers`` > 1 and at least ``PARALLEL_FROM`` rows (the
``ckan lyg catalog import`` command: ``ckanext.lyg.import_workers``, one per
core by default), the batches are written by that many forked processes,
each with its own database connection. A process takes all the rows of a
class (in file order, in batches), so two never wait for the same class's
code sequence. Rows whose related
resource codes name other rows of the file are written after those rows (a
later round; rows in a cycle of such references in file order, in one
process). The free tags the rows name are created first, so two
processes never race to create one (those no entry ended up using are removed
afterwards). The report is the same as in one process, in row order.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
import logging
import multiprocessing as mp
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import authz, logic, model
from ckan.lib import plugins as lib_plugins
from ckan.lib import search
from ckan.lib.dictization import model_save
from ckan.model.types import make_uuid
from ckan.types import Context
from ckanext.lyg.catalog import codes, groups, rules
from ckanext.lyg.logic.validators import CLASS_KEYS, related_code_list
from ckanext.lyg_search import dictize, engine, rebuild
from sqlalchemy import orm

log = logging.getLogger(__name__)

__all__ = ["BATCH_SIZE", "CREATED", "UPDATED", "UNCHANGED", "FAILED", "Outcome", "Report", "create", "write"]

BATCH_SIZE = 200
# Below this many rows, forking writer processes costs more than it saves.
PARALLEL_FROM = 1000

Item = tuple[int, dict[str, Any]]  # a row and its index in ``rows``
Later = Callable[[], None]  # run once the batch's rows are flushed
Save = Callable[[list[Later] | None], tuple["Outcome", model.Package | None]]  # a checked row's save
CREATED, UPDATED, UNCHANGED, FAILED = "created", "updated", "unchanged", "failed"

# Keys of a stored (package_show) dict that an update does not pass back:
# generated by CKAN, or kept as they are when missing (resources).
_NOT_PATCHED = ("resources", "metadata_created", "metadata_modified", "num_resources", "num_tags",
                "organization", "relationships_as_object", "relationships_as_subject", "tracking_summary")


@dataclass
class Outcome:
    """What happened to one row."""

    row: int  # index of the row in ``rows``
    action: str  # CREATED, UPDATED, UNCHANGED or FAILED
    id: str | None = None
    resource_code: str | None = None
    errors: dict[str, Any] = field(default_factory=dict)  # FAILED: field → messages


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    dry_run: bool = False

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def created(self) -> int:
        return self.count(CREATED)

    @property
    def updated(self) -> int:
        return self.count(UPDATED)

    @property
    def unchanged(self) -> int:
        return self.count(UNCHANGED)

    @property
    def failed(self) -> int:
        return self.count(FAILED)


def write(rows: Sequence[dict[str, Any]], context: Context, *, batch_size: int = BATCH_SIZE,
          dry_run: bool = False, progress: bool = False, workers: int = 1) -> Report:
    """Create or update catalog entries in batches (see the module docstring).

    :param rows: package data dicts (``package_create``'s keys); not changed
    :param context: the writing user (``{"user": name}``); the site user when empty
    :param batch_size: rows per transaction
    :param dry_run: check and write every batch, then roll it back
    :param progress: show a progress bar
    :param workers: processes writing batches (from ``PARALLEL_FROM`` rows on;
        0: one per core)
    :returns: one :class:`Outcome` per row, in row order
    """
    user = context.get("user") or tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    report = Report(dry_run=dry_run)
    items = list(enumerate(rows))
    size = max(batch_size, 1)
    workers = workers or os.cpu_count() or 1
    brought = frozenset(str(row.get("resource_code") or "").strip() for row in rows) - {""}
    token = _FILE_CODES.set(brought if dry_run else frozenset())
    try:
        _write(items, report, user, size, dry_run, workers, progress)
    finally:
        _FILE_CODES.reset(token)
    report.outcomes.sort(key=lambda o: o.row)
    return report


def _write(items: list[Item], report: Report, user: str, size: int, dry_run: bool, workers: int,
           progress: bool) -> None:
    from tqdm import tqdm

    with tqdm(total=len(items), disable=not progress, unit=" rows", desc="import") as bar:
        later = items
        if workers > 1 and len(items) >= PARALLEL_FROM:
            levels, later = _levels(items)
            units = [_class_units(level, size, workers) for level in levels]
            for done in _parallel(units, user, dry_run, workers):
                report.outcomes.extend(done)
                bar.update(len(done))
        for start in range(0, len(later), size):  # in file order, in this process
            batch = later[start:start + size]
            report.outcomes.extend(_write_batch(batch, user, dry_run))
            bar.update(len(batch))


def _write_batch(batch: list[Item], user: str, dry_run: bool) -> list[Outcome]:
    """One batch in one transaction; row by row when the batch write fails."""
    with _acting_as(model.User.get(user)):
        try:
            outcomes = _batch(batch, user)
            _end(dry_run)
            return outcomes
        except Exception:  # noqa: BLE001 - any failure of the batch: row by row
            model.Session.rollback()
            log.warning("catalog batch of rows %d-%d failed; writing row by row",
                        batch[0][0], batch[-1][0], exc_info=True)
            return [_alone(item, user, dry_run) for item in batch]


# --- several processes ---------------------------------------------------------


def _codes_in(value: Any) -> set[str]:
    if isinstance(value, str):
        value = value.replace(",", " ").replace("[", " ").replace("]", " ").replace('"', " ").split()
    return {str(code).strip() for code in value or [] if str(code).strip()}


def _levels(items: list[Item]) -> tuple[list[list[Item]], list[Item]]:
    """The rows in levels that may each be written in any order, and the rest.

    A row naming, as a related resource code, a code another row of the file
    brings must be written after that row: rows naming no such code are the
    first level, rows naming only codes of the first level the second, and so
    on. Rows in a cycle of such references (and those depending on them) are
    the rest, written in file order as one process would."""
    by_code = {code: index for index, row in items
               if (code := str(row.get("resource_code") or "").strip())}
    needs = {index: {by_code[c] for c in _codes_in(row.get("related_codes")) if c in by_code} - {index}
             for index, row in items}
    level_of: dict[int, int] = {}
    pending = list(items)
    levels: list[list[Item]] = []
    while pending:
        level = [item for item in pending if all(n in level_of for n in needs[item[0]])]
        if not level:
            break
        for index, _row in level:
            level_of[index] = len(levels)
        levels.append(level)
        pending = [item for item in pending if item[0] not in level_of]
    return levels, pending


def _class_of(row: dict[str, Any]) -> str:
    """The row's classification (its resource code's 分类码 when it has no
    classification fields): the batches' grouping key."""
    fields = "".join(str(row.get(k) or "").strip() for k in CLASS_KEYS)
    return fields or str(row.get("resource_code") or "").split("/")[0].strip()


def _class_units(items: list[Item], size: int, workers: int) -> list[list[list[Item]]]:
    """The rows in units of work, each a list of batches: all the rows of a
    class are in one unit (a process takes a whole unit, so two never wait
    for one class's code sequence). Small classes share a unit, so that a
    batch holds up to ``size`` rows however small the classes are: the
    classes, largest first, each go to the unit with the fewest rows, of
    ``rows / size`` units rounded up to a multiple of ``workers`` (as many
    classes at most). A unit's rows are in file order; the
    largest units come first (the processes end together)."""
    by_class: dict[str, list[Item]] = {}
    for item in items:
        by_class.setdefault(_class_of(item[1]), []).append(item)
    batches = -(-len(items) // size)
    count = max(1, min(len(by_class), workers * -(-batches // workers)))  # a multiple of workers
    units: list[list[Item]] = [[] for _ in range(count)]
    for rows in sorted(by_class.values(), key=len, reverse=True):
        min(units, key=len).extend(rows)
    batched = [[rows[i:i + size] for i in range(0, len(rows), size)]
               for rows in (sorted(unit) for unit in units) if rows]
    return sorted(batched, key=lambda unit: -sum(len(batch) for batch in unit))


def _parallel(levels: list[list[list[list[Item]]]], user: str, dry_run: bool,
              workers: int) -> Iterator[list[Outcome]]:
    """Write the levels' units in ``workers`` forked processes (one pool for
    every level; a level starts when the one before it is done); yields each
    unit's outcomes as it is done."""
    rows = [row for units in levels for unit in units for batch in unit for _i, row in batch]
    made = [] if dry_run else _make_tags(rows)
    model.Session.commit()
    model.Session.remove()
    try:
        with mp.get_context("fork").Pool(workers, initializer=rebuild.fork_init) as pool:
            for units in levels:
                yield from pool.imap_unordered(_write_unit, [(unit, user, dry_run) for unit in units])
    finally:
        _drop_unused_tags(made)


def _write_unit(args: tuple[list[list[Item]], str, bool]) -> list[Outcome]:
    unit, user, dry_run = args
    outcomes = [outcome for batch in unit for outcome in _write_batch(batch, user, dry_run)]
    for outcome in outcomes:  # plain data across the process boundary
        outcome.errors = json.loads(json.dumps(outcome.errors, default=str))
    return outcomes


def _free_tag_names(row: dict[str, Any]) -> set[str]:
    tags = row.get("tags")
    if isinstance(tags, list):
        return {str(t["name"]).strip() for t in tags
                if isinstance(t, dict) and t.get("name") and not t.get("vocabulary_id")}
    if isinstance(row.get("tag_string"), str):
        return {t.strip() for t in row["tag_string"].split(",") if t.strip()}
    return set()


def _make_tags(rows: list[dict[str, Any]]) -> list[str]:
    """Create the free tags the rows name that do not exist yet (committed):
    the ids of those created."""
    wanted = set().union(*(_free_tag_names(row) for row in rows)) if rows else set()
    if not wanted:
        return []
    existing = {name for (name,) in model.Session.query(model.Tag.name).filter(
        model.Tag.name.in_(wanted), model.Tag.vocabulary_id.is_(None))}
    ids = [tag.id for tag in _new_tags(wanted - existing)]
    model.Session.commit()
    return ids


def _new_tags(names: set[str]) -> list[model.Tag]:
    """Free tags of these names (those a tag may have), added and flushed."""
    made = [model.Tag(name=name) for name in sorted(names) if len(name) <= model.MAX_TAG_LENGTH]
    if made:
        model.Session.add_all(made)
        model.Session.flush()
    return made


def _drop_unused_tags(ids: list[str], commit: bool = True) -> None:
    """Remove the tags :func:`_make_tags` (``commit``) or a batch
    (:meth:`_Held.make_tags`, in its transaction) created that no entry uses."""
    if not ids:
        return
    unused = model.Session.query(model.Tag).filter(
        model.Tag.id.in_(ids),
        ~model.Session.query(model.PackageTag).filter(model.PackageTag.tag_id == model.Tag.id).exists())
    if not commit:
        unused.delete(synchronize_session="fetch")
        return
    try:
        unused.delete(synchronize_session=False)
        model.Session.commit()
    except Exception:  # noqa: BLE001 - a tag taken meanwhile by another writer: keep it
        model.Session.rollback()
        log.warning("could not remove the unused tags of an import", exc_info=True)


@contextlib.contextmanager
def _acting_as(user_obj: model.User | None) -> Iterator[None]:
    """Let CKAN's auth checks find the writing user as the request's user
    (``authz._get_user`` tries ``current_user`` before a query: three user
    queries less per row). Only inside a request context (the import page
    already has it; the ``ckan`` command runs in a test request context), and
    only for the duration of the write."""
    from flask import g, has_request_context

    if user_obj is None or not has_request_context():
        yield
        return
    missing = object()
    previous = g.get("_login_user", missing)
    g._login_user = user_obj
    try:
        yield
    finally:
        if previous is missing:
            g.pop("_login_user", None)
        else:
            g._login_user = previous


def _end(dry_run: bool) -> None:
    if dry_run:
        model.Session.rollback()
        return
    _skip_unobserved_notifications()
    model.repo.commit()


def _skip_unobserved_notifications() -> None:
    """Before a transaction or a savepoint commits, CKAN's
    ``DomainObjectModificationExtension`` asks every new or changed object
    for its related datasets (a query for each membership: about two a row)
    to tell the plugins implementing ``IDomainObjectModification`` and
    ``IResourceUrlChange``. With no such plugin loaded (none of CKAN 2.12's
    own is, nor any of this site's), the answers go nowhere: the objects it
    collected (``session._object_cache``, see ``ckan.model.meta``) are let go
    after a flush instead."""
    if (any(True for _ in p.PluginImplementations(p.IDomainObjectModification))
            or any(True for _ in p.PluginImplementations(p.IResourceUrlChange))):
        return
    model.Session.flush()
    if hasattr(model.Session(), "_object_cache"):
        del model.Session()._object_cache


def _alone(item: Item, user: str, dry_run: bool) -> Outcome:
    """One row in a transaction of its own (the fallback of a failed batch)."""
    try:
        (outcome,) = _batch([item], user)
        _end(dry_run)
        return outcome
    except Exception as err:  # noqa: BLE001 - reported on the row
        model.Session.rollback()
        log.warning("catalog row %d failed", item[0], exc_info=True)
        message = tk._("The entry could not be saved: {error}").format(error=str(err).splitlines()[0][:300])
        return Outcome(item[0], FAILED, errors={"": [message]})


# --- one batch ---------------------------------------------------------------


def create(data_dict: dict[str, Any], user: str, ignore_auth: bool = False) -> Outcome:
    """One new entry written in the caller's transaction, not committed: what
    ``package_create`` does (schema, rules, auth, save, hooks, index,
    activity), one ``package_show`` less. A given ``id`` is kept (the harvest
    import stage names the entry before it is written). Raises
    ``ValidationError`` with the row's errors and writes nothing then."""
    user_obj = model.User.get(user)
    ctx = _context(user, user_obj)
    if ignore_auth:
        ctx["ignore_auth"] = True
    held = _Held([data_dict])
    ctx["lyg_held"] = held  # type: ignore[typeddict-unknown-key]
    savepoint = model.Session.begin_nested()
    try:
        outcome, pkg = _check_new(0, data_dict, ctx, user_obj, held, keep_id=True)(None)
    except tk.NotAuthorized as err:
        savepoint.rollback()
        raise tk.ValidationError({"owner_org": [_not_authorized(err)]}) from None
    except tk.ValidationError:
        savepoint.rollback()
        raise
    _skip_unobserved_notifications()
    savepoint.commit()
    held.wrote(pkg)
    held.reserve_claimed()
    _index([(outcome, pkg)], user, user_obj)
    return outcome


def _index(written: list[tuple[Outcome, model.Package]], user: str, user_obj: model.User | None) -> None:
    """Index the written entries and record their activities (in the transaction)."""
    model.Session.flush()
    ctx = _context(user, user_obj)
    ids = [pkg.id for _outcome, pkg in written]
    shown = dictize.show_many(ctx, ids)  # read together
    # the batch's index rows in one statement; harvest objects asked for once
    with engine.buffered_writes(), rebuild.harvest_objects_known(ids):
        for outcome, pkg in written:
            both = shown[pkg.id]
            logic.index_update_package_dicts(both, defer_commit=True)
            outcome.resource_code = both[1].get("resource_code")
            _activity(outcome, pkg, both[1], user_obj)


class _Held:
    """What a batch's rows look up, read in a few queries and held for the
    batch: its free tags, its departments and its dataset names. The
    session's identity map keeps an object only while something refers to
    it; held, they are found there: a tag dict given its ``id`` is saved by
    ``table_dict_save`` without a query by name, and the department of a new
    entry is at hand for its membership. CKAN's look-up validators of the
    schema (``lyg_owner_org``, ``lyg_package_name``) take their answers from
    here (``context["lyg_held"]``) instead of a query per row."""

    def __init__(self, rows: Sequence[dict[str, Any]], names: Sequence[str] = (),
                 code_holders: CodeHolders | None = None) -> None:
        tags = set().union(*(_free_tag_names(row) for row in rows)) if rows else set()
        self._wanted_tags = tags
        self.tags: dict[str, model.Tag] = {}
        if tags:
            self.tags = {tag.name: tag for tag in model.Session.query(model.Tag).filter(
                model.Tag.name.in_(tags), model.Tag.vocabulary_id.is_(None))}
        refs = {str(row["owner_org"]) for row in rows if row.get("owner_org")}
        orgs = model.Session.query(model.Group).filter(
            model.Group.id.in_(refs) | model.Group.name.in_(refs)).all() if refs else []
        self._org_by_id = {org.id: org for org in orgs}
        self._org_by_name = {org.name: org for org in orgs}
        self._may_create: dict[str, bool] = {}
        # fresh names for the rows that bring none, checked with the others
        self._fresh = [f"lyg-{uuid.uuid4().hex[:12]}" for row in rows if not row.get("name")]
        wanted = {str(row["name"]) for row in rows if row.get("name")} | set(names) | set(self._fresh)
        # name → id of the dataset (not deleted) holding it; None: free
        self._names: dict[str, str | None] = dict.fromkeys(wanted)
        self._name_of: dict[str, str] = {}
        if wanted:
            for name, pid in model.Session.query(model.Package.name, model.Package.id).filter(
                    model.Package.name.in_(wanted), model.Package.state != "deleted"):
                self._names[name] = pid
                self._name_of[pid] = name
        # the codes the rows bring (their numbers reserved as the rows are
        # written) and relate to, and who holds them (see ``_code_holders``)
        self._supplied, self._codes = code_holders or _code_holders(rows)
        self._code_of = {pid: code for code, pid in self._codes.items() if pid is not None}
        self._claimed: dict[str, int] = {}

    def make_tags(self) -> list[str]:
        """Create the free tags the rows name that do not exist yet (in the
        batch's transaction), so that every row finds its tags held: rows
        saved without a flush in between cannot find a tag another row made
        (the ids of those created; :func:`_drop_unused_tags` removes the ones
        no saved row took)."""
        made = _new_tags(self._wanted_tags - self.tags.keys())
        self.tags.update((tag.name, tag) for tag in made)
        return [tag.id for tag in made]

    def name_tags(self, data: dict[str, Any]) -> None:
        """Give the validated free tags that exist their ids. A free tag the
        batch does not hold is looked up by name by CKAN: the rows saved
        before are flushed first, so that it finds one of them made."""
        unheld = False
        for tag in data.get("tags") or []:
            if tag.get("vocabulary_id") or tag.get("id"):
                continue
            held = self.tags.get(tag.get("name"))
            if held is not None:
                tag["id"] = held.id
            else:
                unheld = True
        if unheld:
            model.Session.flush()

    def org(self, ref: str) -> model.Group | None:
        """The department ``ref`` names (by id, else by name, as ``Group.get``)."""
        return self._org_by_id.get(ref) or self._org_by_name.get(ref)

    def may_create_in(self, org_id: str, user: model.User) -> bool:
        """Whether ``user`` may create datasets in the department (asked once a batch)."""
        if user.sysadmin:
            return True
        if org_id not in self._may_create:
            self._may_create[org_id] = authz.has_user_permission_for_group_or_org(
                org_id, user.name, "create_dataset")
        return self._may_create[org_id]

    def name_holder(self, name: str) -> tuple[bool, str | None]:
        """(known, id of the dataset holding ``name``): ``known`` is False for
        a name the batch did not read."""
        return (name in self._names), self._names.get(name)

    def new_name(self) -> str:
        """A name for an entry that brings none."""
        return self._fresh.pop() if self._fresh else f"lyg-{uuid.uuid4().hex[:12]}"

    def code_holder(self, code: str) -> tuple[bool, str | None]:
        """(known, id of the entry holding ``code``) for a code a row brings:
        ``known`` is False for a code the batch did not lock and read."""
        return (code in self._supplied), self._codes.get(code)

    def related_holder(self, code: str) -> tuple[bool, str | None]:
        """(known, id of the entry holding ``code``) for a related code."""
        return (code in self._codes), self._codes.get(code)

    def reserve_claimed(self, class_code: str | None = None) -> None:
        """Reserve the numbers the written rows brought (of one class, or all)."""
        if class_code is None:
            claimed, self._claimed = self._claimed, {}
        else:
            claimed = {class_code: self._claimed.pop(class_code)} if class_code in self._claimed else {}
        codes.reserve_many(claimed)

    def wrote(self, pkg: model.Package) -> None:
        """A row of the batch was saved: its dataset now holds its name and
        code (and no longer the ones it had); a code the row brought is
        claimed in its class."""
        old = self._name_of.pop(pkg.id, None)
        if old is not None and self._names.get(old) == pkg.id:
            self._names[old] = None
        if pkg.state != "deleted":
            self._names[pkg.name] = pkg.id
            self._name_of[pkg.id] = pkg.name
        else:
            self._names.pop(pkg.name, None)
        code = (pkg.extras or {}).get("resource_code") or ""
        old = self._code_of.pop(pkg.id, None)
        if old is not None and self._codes.get(old) == pkg.id:
            self._codes[old] = None
        if code and pkg.state != "deleted":
            self._codes[code] = pkg.id
            self._code_of[pkg.id] = code
            parsed = rules.parse_code(code) if code in self._supplied else None
            if parsed is not None:
                self._claimed[parsed[0]] = max(self._claimed.get(parsed[0], 0), parsed[1])


# The well-formed codes a batch's rows bring, and code → id of the entry (not
# deleted) holding it (None: free) for those and the codes the rows relate to.
CodeHolders = tuple[set[str], dict[str, str | None]]


def _code_holders(rows: Sequence[dict[str, Any]]) -> CodeHolders:
    """Lock the classes of the codes the rows bring (as reserving each would),
    then read who holds those and the related codes, in one query. Locked
    first: no other writer can give one of them out before this batch
    commits, and one that did before is seen."""
    supplied = {code for code in (rules.text(row.get("resource_code")) for row in rows)
                if rules.parse_code(code) is not None}
    codes.lock_classes(rules.parse_code(code)[0] for code in supplied)  # type: ignore[index]
    related = set().union(*(_related_codes(row) for row in rows)) if rows else set()
    holders: dict[str, str | None] = dict.fromkeys(supplied | related)
    holders.update(codes.owners(holders))
    return supplied, holders


def _related_codes(row: dict[str, Any]) -> set[str]:
    try:
        return set(related_code_list(row.get("related_codes")))
    except ValueError:
        return set()  # the validator reports it


def _batch(items: list[Item], user: str) -> list[Outcome]:
    user_obj = model.User.get(user)
    rows = [row for _i, row in items]
    code_holders = _code_holders(rows)
    matched = _match(rows, code_holders[1])
    stored = _stored(matched)
    held = _Held(rows, [pkg.name for pkg in matched.values()], code_holders)
    outcomes: list[Outcome] = []
    written: list[tuple[Outcome, model.Package]] = []
    made = held.make_tags() if len(items) > 1 else []
    with groups.held():
        later = _rows(items, user, user_obj, matched, stored, held, outcomes, written)
    model.Session.flush()  # the batch's rows are written here
    _skip_unobserved_notifications()
    for step in later:
        step()
    held.reserve_claimed()
    _drop_unused_tags(made, commit=False)
    _index(written, user, user_obj)
    return outcomes


def _rows(items: list[Item], user: str, user_obj: model.User | None,
          matched: dict[str, model.Package], stored: dict[str, dict[str, Any]], held: _Held,
          outcomes: list[Outcome], written: list[tuple[Outcome, model.Package]]) -> list[Later]:
    """Write the batch's rows; what is to run after they are flushed (a new
    entry's default resource views) is returned.

    A row's checks (structure, auth, the schema and the catalog rules) come
    before anything of it is saved, so a row failing them is reported and
    leaves nothing. Rows that pass are saved into the session one after the
    other, without a flush in between (new entries' ids are given, the
    look-ups are held by the batch) and flushed together by the caller: one
    INSERT per table for the batch instead of one for every row. Anything
    failing while a row is saved fails the batch, which is then written row
    by row (:func:`_alone`). A batch of one row (that fallback, a single
    write) saves its row in a savepoint, as before: anything failing there is
    the row's error."""
    later: list[Later] = []
    if len(items) == 1:
        _one_row(items[0], user, user_obj, matched, stored, held, outcomes, written)
        return later
    for index, row in items:
        # a new entry's look-ups are held by the batch: no flush of the rows before it
        quiet = _no_autoflush if _key(row) not in matched else contextlib.nullcontext
        try:
            with quiet():
                step = _check(index, row, user, user_obj, matched, stored, held)
        except (tk.ValidationError, tk.NotAuthorized) as err:
            outcomes.append(_failed(index, err))
            continue
        if isinstance(step, Outcome):  # unchanged
            outcomes.append(step)
            continue
        with quiet():
            outcome, pkg = step(later)
        _record(outcome, pkg, held, outcomes, written)
    return later


def _no_autoflush() -> contextlib.AbstractContextManager[Any]:
    return model.Session().no_autoflush


def _one_row(item: Item, user: str, user_obj: model.User | None, matched: dict[str, model.Package],
             stored: dict[str, dict[str, Any]], held: _Held, outcomes: list[Outcome],
             written: list[tuple[Outcome, model.Package]]) -> None:
    """A row in a savepoint: whatever fails, checking or saving it (its
    default resource views included), is its error and leaves nothing."""
    index, row = item
    savepoint = model.Session.begin_nested()
    try:
        step = _check(index, row, user, user_obj, matched, stored, held)
        outcome, pkg = (step, None) if isinstance(step, Outcome) else step(None)
    except (tk.ValidationError, tk.NotAuthorized) as err:
        savepoint.rollback()
        outcomes.append(_failed(index, err))
        return
    _skip_unobserved_notifications()
    savepoint.commit()
    _record(outcome, pkg, held, outcomes, written)


def _check(index: int, row: dict[str, Any], user: str, user_obj: model.User | None,
           matched: dict[str, model.Package], stored: dict[str, dict[str, Any]],
           held: _Held) -> Outcome | Save:
    """The row's checks (see :func:`_check_new`, :func:`_check_update`)."""
    ctx = _context(user, user_obj)
    ctx["lyg_held"] = held  # type: ignore[typeddict-unknown-key]
    existing = matched.get(_key(row))
    if existing is None:
        return _check_new(index, row, ctx, user_obj, held)
    return _check_update(index, row, existing, stored[existing.id], ctx, user_obj, held)


def _failed(index: int, err: tk.ValidationError | tk.NotAuthorized) -> Outcome:
    if isinstance(err, tk.NotAuthorized):
        return Outcome(index, FAILED, errors={"owner_org": [_not_authorized(err)]})
    return Outcome(index, FAILED, errors=err.error_dict)


def _record(outcome: Outcome, pkg: model.Package | None, held: _Held, outcomes: list[Outcome],
            written: list[tuple[Outcome, model.Package]]) -> None:
    outcomes.append(outcome)
    if pkg is not None:
        held.wrote(pkg)
        written.append((outcome, pkg))


def _not_authorized(err: tk.NotAuthorized) -> str:
    return str(err) or tk._("Not authorized")


# A dry run rolls every batch back, so a row cannot find an entry that another
# row of the file brings: the codes the file brings count as existing for the
# related-code check (``lyg_related_codes`` reads them from the context).
_FILE_CODES: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("lyg_file_codes",
                                                                           default=frozenset())


def _context(user: str, user_obj: model.User | None) -> Context:
    ctx: Context = {"user": user, "model": model, "session": model.Session, "defer_commit": True}
    if user_obj is not None:
        ctx["auth_user_obj"] = user_obj
    if _FILE_CODES.get():
        ctx["lyg_file_codes"] = _FILE_CODES.get()  # type: ignore[typeddict-unknown-key]
    return ctx


def _key(row: dict[str, Any]) -> str:
    return str(row.get("id") or row.get("resource_code") or "").strip()


def _match(rows: Sequence[dict[str, Any]], holders: dict[str, str | None]) -> dict[str, model.Package]:
    """The existing entries the rows name (by id or name, else by resource
    code: ``holders``, see :func:`_code_holders`)."""
    ids = {str(r["id"]).strip() for r in rows if r.get("id")}
    wanted_codes = {str(r["resource_code"]).strip() for r in rows
                    if not r.get("id") and r.get("resource_code")}
    by_code = {code: pid for code in wanted_codes if (pid := holders.get(code)) is not None}
    query_ids = ids | set(by_code.values())
    if not query_ids:
        return {}
    pkgs = model.Session.query(model.Package).options(
        orm.selectinload(model.Package.package_tags).joinedload(model.PackageTag.tag)).filter(
        model.Package.state != "deleted",
        model.Package.id.in_(query_ids) | model.Package.name.in_(ids)).all()
    by_id = {pkg.id: pkg for pkg in pkgs}
    matched = {code: by_id[pid] for code, pid in by_code.items() if pid in by_id}
    for pkg in pkgs:
        for key in (pkg.id, pkg.name):
            if key in ids:
                matched[key] = pkg
    return matched


def _stored(matched: dict[str, model.Package]) -> dict[str, dict[str, Any]]:
    """``package_show`` of the matched entries: from the search index (one query;
    written in the same transaction as the entry, checked against its
    ``metadata_modified`` as package_show does), else from package_show."""
    pkgs = {pkg.id: pkg for pkg in matched.values()}
    found: dict[str, dict[str, Any]] = {}
    if pkgs:
        terms = " OR ".join(f'"{pid}"' for pid in pkgs)
        try:
            result = search.query_for(model.Package).run({
                "q": "*:*", "fq": f"+id:({terms})", "rows": len(pkgs),
                "fl": "id validated_data_dict metadata_modified"}, permission_labels=None)  # fmt: skip
        except search.SearchError:
            result = {"results": []}
        for doc in result["results"]:
            pkg = pkgs.get(doc.get("id"))
            modified = str(doc.get("metadata_modified") or "")
            if pkg is not None and doc.get("validated_data_dict") and modified[:19] == (
                    pkg.metadata_modified.isoformat()[:19]):
                found[pkg.id] = json.loads(doc["validated_data_dict"])
    for pid in pkgs.keys() - found.keys():
        ctx = {"ignore_auth": True, "use_cache": False, "for_view": False}
        found[pid] = tk.get_action("package_show")(ctx, {"id": pid})  # type: ignore[arg-type]
    return found


def _structure(data_dict: dict[str, Any]) -> None:
    from ckanext.lyg.logic.action import _check_structure  # the chained actions' check

    _check_structure(data_dict)


def _check_new(index: int, row: dict[str, Any], ctx: Context, user_obj: model.User | None,
               held: _Held, keep_id: bool = False) -> Save:
    """What ``package_create`` does, without committing or indexing: the
    checks (raising ``ValidationError`` or ``NotAuthorized``; nothing is saved
    yet), then the returned step saves the entry into the session."""
    data_dict = dict(row)
    if not keep_id:
        data_dict.pop("id", None)
    if not data_dict.get("name"):
        data_dict["name"] = held.new_name()
    if "type" not in data_dict:
        package_plugin = lib_plugins.lookup_package_plugin()
        try:
            data_dict["type"] = package_plugin.package_types()[0]
        except (AttributeError, IndexError):
            data_dict["type"] = "dataset"
            package_plugin = lib_plugins.lookup_package_plugin("dataset")
    else:
        package_plugin = lib_plugins.lookup_package_plugin(data_dict["type"])
    _structure(data_dict)
    tk.check_access("package_create", ctx, data_dict)
    schema = package_plugin.create_package_schema()
    data, errors = lib_plugins.plugin_validate(package_plugin, ctx, data_dict, schema, "package_create")
    if errors:
        raise tk.ValidationError(errors)
    return lambda later: _save_new(index, data, ctx, user_obj, held, later)


def _save_new(index: int, data: dict[str, Any], ctx: Context, user_obj: model.User | None, held: _Held,
              later: list[Later] | None) -> tuple[Outcome, model.Package]:
    """Save a checked new entry into the session (not flushed: the caller's
    savepoint or batch flushes it). Its default resource views are made now,
    or, given ``later``, added there to be made once it is flushed (they look
    its resources up)."""
    include_plugin_data = False
    if user_obj is not None:
        data["creator_user_id"] = user_obj.id
        include_plugin_data = bool(user_obj.sysadmin and data.get("plugin_data"))
    held.name_tags(data)
    modified = dt.datetime.utcnow() if not data.get("metadata_modified") else None
    pkg, change = model_save.package_dict_save(data, ctx, include_plugin_data)
    if modified is not None:
        # (package_create sets it after the insert: here it goes in the insert)
        pkg.metadata_modified = modified
    # The ids the insert would give (the columns' default), given now: the
    # entry is written with the rest of the row (and of the batch) in one
    # flush, by the caller.
    for obj in (pkg, *pkg.resources):
        if obj.id is None:
            obj.id = make_uuid()
    data["id"] = pkg.id
    for n, resource in enumerate(data.get("resources") or []):
        resource["id"] = pkg.resources[n].id
    if change == "create":
        _new_owner_org(pkg)
        if data.get("groups") is None:
            groups.created(pkg.id)
        else:  # the classification's group is looked for among the memberships just saved
            model.Session.flush()
    else:  # the name or id of a stored (deleted) dataset: it may have memberships
        model.Session.flush()
        _owner_org(ctx, pkg)
    for item in p.PluginImplementations(p.IPackageController):
        item.create(pkg)
        item.after_dataset_create(ctx, data)
    if data.get("resources"):
        def views() -> None:
            tk.get_action("package_create_default_resource_views")(
                logic.fresh_context(ctx, ignore_auth=True), {"package": data})
        if later is None:
            views()
        else:
            later.append(views)
    return Outcome(index, CREATED, pkg.id, data.get("resource_code")), pkg


def _check_update(index: int, row: dict[str, Any], pkg: model.Package, stored: dict[str, Any],
                  ctx: Context, user_obj: model.User | None, held: _Held) -> Outcome | Save:
    """What ``package_patch`` does, without committing or indexing: the checks
    (raising ``ValidationError`` or ``NotAuthorized``), then the returned step
    saves the change; the outcome itself when the row changes nothing."""
    if same_as_stored(row, stored):  # nothing the row gives differs: nothing to validate or write
        return Outcome(index, UNCHANGED, pkg.id, stored.get("resource_code"))
    data_dict = {k: v for k, v in stored.items() if k not in _NOT_PATCHED}
    if "groups" not in row:
        data_dict.pop("groups", None)  # kept as they are (package_membership_list_save(None))
    data_dict.update(row)
    data_dict["id"] = pkg.id
    data_dict["type"] = pkg.type
    ctx["package"] = pkg
    package_plugin = lib_plugins.lookup_package_plugin(pkg.type)
    _structure(data_dict)
    tk.check_access("package_update", ctx, data_dict)
    schema = package_plugin.update_package_schema()
    data, errors = lib_plugins.plugin_validate(package_plugin, ctx, data_dict, schema, "package_update")
    if errors:
        raise tk.ValidationError(errors)
    include_plugin_data = bool(user_obj is not None and user_obj.sysadmin and data.get("plugin_data"))
    if not differs(data, pkg, include_plugin_data):
        return Outcome(index, UNCHANGED, pkg.id, (pkg.extras or {}).get("resource_code"))
    return lambda later: _save_update(index, data, pkg, ctx, held, include_plugin_data)


def _save_update(index: int, data: dict[str, Any], pkg: model.Package, ctx: Context, held: _Held,
                 include_plugin_data: bool) -> tuple[Outcome, model.Package | None]:
    held.name_tags(data)
    pkg, change = model_save.package_dict_save(data, ctx, include_plugin_data)
    if not change:
        return Outcome(index, UNCHANGED, pkg.id, (pkg.extras or {}).get("resource_code")), None
    if not data.get("metadata_modified"):
        pkg.metadata_modified = dt.datetime.utcnow()
    _owner_org(ctx, pkg)
    model.Session.flush()
    for item in p.PluginImplementations(p.IPackageController):
        item.edit(pkg)
        item.after_dataset_update(ctx, data)
    model.Session.flush()
    return Outcome(index, UPDATED, pkg.id, data.get("resource_code")), pkg


def _new_owner_org(pkg: model.Package) -> None:
    """What ``package_owner_org_update`` does for a dataset created in this
    transaction, which has no membership yet to look up or retire: the
    department's membership (its department is held by the batch, so it is
    found without a query)."""
    if not pkg.owner_org:
        return
    org = model.Session.get(model.Group, pkg.owner_org) or model.Group.get(pkg.owner_org)
    if org is None or not org.is_organization:
        raise tk.ObjectNotFound(tk._("Organization was not found."))
    pkg.owner_org = org.id
    model.Session.add(model.Member(table_id=pkg.id, table_name="package", group=org,
                                   capacity="organization", group_id=org.id, state="active"))


def _owner_org(ctx: Context, pkg: model.Package) -> None:
    tk.get_action("package_owner_org_update")(
        logic.fresh_context(ctx, ignore_auth=True, defer_commit=True),
        {"id": pkg.id, "organization_id": pkg.owner_org})


def _norm(value: Any) -> Any:
    """A value as compared by :func:`same_as_stored`: empty is None, numbers
    are text, dicts lose their empty values."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list | tuple):
        return [_norm(v) for v in value] or None
    if isinstance(value, dict):
        return {k: n for k, v in value.items() if (n := _norm(v)) is not None} or None
    return value


def _tag_names(value: Any) -> list[str]:
    if isinstance(value, str):  # tag_string
        return sorted(t.strip() for t in value.split(",") if t.strip())
    return sorted(str(t.get("name")) for t in value or [] if isinstance(t, dict))


def same_as_stored(row: dict[str, Any], stored: dict[str, Any]) -> bool:
    """Whether every field the row gives equals the stored entry's
    (``package_show``) value. Then the row merged onto the entry is the entry
    itself, which validates to itself: nothing would change. Conservative:
    any difference, even one validation would remove, means "validate"."""
    for key, value in row.items():
        if key in ("id", "type"):
            continue
        if key in ("tags", "tag_string"):
            if _tag_names(value) != _tag_names(stored.get("tags")):
                return False
        elif _norm(value) != _norm(stored.get(key)):
            return False
    return True


def differs(data: dict[str, Any], pkg: model.Package, include_plugin_data: bool = False) -> bool:
    """Whether saving the validated ``data`` would change ``pkg``: the
    comparison ``package_dict_save`` makes (columns as ``DomainObject.from_dict``
    compares them, extras, tags, and groups when given), without touching it."""
    values = dict(data, extras={e["key"]: e["value"] for e in data.get("extras", [])})
    values.pop("metadata_created", None)
    if not include_plugin_data:
        values.pop("plugin_data", None)
    table: Any = orm.class_mapper(model.Package).persist_selectable
    for col in table.c:
        if col.name.startswith("_"):
            continue
        current = getattr(pkg, col.name)
        if col.name in values:
            value = values[col.name]
            if isinstance(current, dt.datetime) and isinstance(value, str):
                current = current.isoformat()
            if current != value:
                return True
        elif col.doc == "remove_if_not_provided" and current != (None if col.nullable else ""):
            return True
    wanted_tags = {(t.get("name"), t.get("vocabulary_id")) for t in data.get("tags") or []}
    tags = {(pt.tag.name, pt.tag.vocabulary_id) for pt in pkg.package_tags if pt.state == "active"}
    if wanted_tags != tags:
        return True
    if data.get("groups") is not None:
        wanted_groups = {g.get("id") or g.get("name") for g in data["groups"]}
        groups = {(m.group_id, m.group.name) for m in model.Session.query(model.Member).filter(
            model.Member.table_name == "package", model.Member.table_id == pkg.id,
            model.Member.state == "active", model.Member.capacity != "organization")}
        if len(wanted_groups) != len(groups) or any(
                not ({gid, name} & wanted_groups) for gid, name in groups):
            return True
    return False


def _activity(outcome: Outcome, pkg: model.Package, shown: dict[str, Any],
              user_obj: model.User | None) -> None:
    """The activity ``package_create``/``package_update`` would record (what the
    activity plugin's subscriber passes to ``activity_create``, saved with its
    ``activity_dict_save``: that action's own checks only look up the user and
    the entry, which are at hand)."""
    if user_obj is None or not p.plugin_loaded("activity"):
        return
    if not tk.config.get("ckan.activity_streams_enabled"):
        return
    from ckan.lib.plugins import get_permission_labels
    from ckanext.activity.model import activity_dict_save

    activity_dict_save({
        "user_id": user_obj.id,
        "object_id": pkg.id,
        "activity_type": "new package" if outcome.action == CREATED else "changed package",
        "data": {"package": shown, "actor": user_obj.name},
        "permission_labels": get_permission_labels().get_dataset_labels(pkg),
    }, {"session": model.Session})  # type: ignore[typeddict-item]
