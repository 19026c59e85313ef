"""Re-indexing many datasets: CKAN's own ``rebuild``, in batches and in
parallel.

CKAN re-indexes a dataset by reading it with ``package_show`` (twice
validated: default and custom schema) and indexing the result; that read is
nearly all the cost. :func:`rebuild` keeps CKAN's signature and what it
indexes, and adds three things: a batch's datasets are read together
(:mod:`.dictize`: the same dicts, a few queries for the batch instead of
six a dataset), the index rows of a batch are written in one statement in
one transaction, and a full rebuild of many datasets is shared among
worker processes (one per core by default,
``ckanext.lyg_search.rebuild_workers``). :mod:`.wiring` puts it in place of
``ckan.lib.search.rebuild``, so ``ckan search-index rebuild`` uses it.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import multiprocessing as mp
import os
import sys
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from ckan import logic, model
from ckan import plugins as p

from . import dictize, engine

log = logging.getLogger(__name__)

BATCH = 200
# Below this many datasets, forking workers costs more than it saves.
PARALLEL_FROM = 1000


def workers() -> int:
    import ckan.plugins.toolkit as tk

    configured = tk.config.get("ckanext.lyg_search.rebuild_workers")
    return max(1, int(configured or os.cpu_count() or 1))


# --- ckanext-harvest's per-dataset question ---------------------------------
#
# ckanext-harvest's ``before_dataset_index`` asks the database, for every
# dataset indexed, for its current harvest object (to add the harvest
# extras); most datasets have none. While a batch is re-indexed, the datasets
# of the batch that have one are known from one query, and the hook is asked
# only for those; for the others it would return the dict with only its
# ``status`` fix made, which is made here the same way. Other threads and
# callers (no batch known in their context) reach the hook unchanged.

_HARVESTED: contextvars.ContextVar[frozenset[str] | None] = contextvars.ContextVar(
    "lyg_search_harvested", default=None)


def _harvest_plugin() -> Any:
    for plugin in p.PluginImplementations(p.IPackageController):
        if type(plugin).__module__ == "ckanext.harvest.plugin" and hasattr(plugin, "before_dataset_index"):
            return plugin
    return None


def _skip_unharvested(plugin: Any) -> None:
    """Let ``plugin.before_dataset_index`` skip its query for a dataset of
    the batch in progress that has no harvest object (installed once)."""
    if getattr(plugin.before_dataset_index, "lyg_batch_aware", False):
        return
    original = plugin.before_dataset_index

    def before_dataset_index(pkg_dict: dict[str, Any]) -> dict[str, Any]:
        harvested = _HARVESTED.get()
        if harvested is None or pkg_dict.get("id") in harvested:
            return original(pkg_dict)
        if isinstance(pkg_dict.get("status"), dict):  # the hook's Solr 8 fix
            try:
                pkg_dict["status"] = json.dumps(pkg_dict["status"])
            except ValueError:
                pkg_dict.pop("status", None)
        return pkg_dict

    before_dataset_index.lyg_batch_aware = True  # type: ignore[attr-defined]
    plugin.before_dataset_index = before_dataset_index


@contextlib.contextmanager
def harvest_objects_known(ids: Sequence[str]) -> Iterator[None]:
    """While indexing the datasets ``ids`` (and no others) in this context,
    ckanext-harvest's hook asks the database only about those of them that
    have a current harvest object (found now, in one query)."""
    plugin = _harvest_plugin()
    if plugin is None:
        yield
        return
    from ckanext.harvest.model import HarvestObject

    harvested = frozenset(pid for (pid,) in model.Session.query(HarvestObject.package_id).filter(
        HarvestObject.package_id.in_(list(ids)), HarvestObject.current.is_(True)))
    _skip_unharvested(plugin)
    token = _HARVESTED.set(harvested)
    try:
        yield
    finally:
        _HARVESTED.reset(token)


def index_batch(ids: Sequence[str], force: bool = False) -> tuple[int, int]:
    """Re-index ``ids`` through CKAN's path in one transaction; the rows are
    written together. Returns (indexed, failed)."""
    context: dict[str, Any] = {"ignore_auth": True}
    done = failed = 0
    with engine.buffered_writes(), harvest_objects_known(ids):
        try:
            shown = dictize.show_many(context, ids)
        except Exception:
            if not force:
                raise
            log.exception("Reading a batch failed; indexing its datasets one by one")
            model.Session.rollback()
            shown = {}
        for package_id in ids:
            try:
                both = shown.get(package_id)
                if both is None:  # CKAN's own path (raises NotFound for no dataset)
                    logic.index_update_package(context, package_id, True)
                else:
                    logic.index_update_package_dicts(both, True)
                done += 1
            except Exception as e:
                if not force:
                    raise
                failed += 1
                log.error("Error while indexing dataset %s: %r", package_id, e)
    model.Session.commit()
    return done, failed


def _chunks(ids: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def fork_init() -> None:
    """Initializer of a forked worker process (re-indexing, the catalog import,
    the harvest benchmark's consumers): it must not share the parent's
    database connections."""
    model.Session.remove()
    model.meta.engine.dispose(close=False)


def index_ids(ids: Sequence[str], force: bool = False, quiet: bool = False,
              processes: int | None = None,
              parallel_from: int = PARALLEL_FROM) -> tuple[int, int]:
    """Re-index ``ids`` in batches, in ``processes`` worker processes when
    there are many; progress on stderr unless ``quiet``."""
    from tqdm import tqdm

    processes = processes or workers()
    bar = tqdm(total=len(ids), desc="re-index", unit="dataset", disable=quiet,
               file=sys.stderr, mininterval=1)
    done = failed = 0
    try:
        if processes > 1 and len(ids) >= parallel_from:
            model.Session.commit()
            model.Session.remove()
            ctx = mp.get_context("fork")
            with ctx.Pool(processes, initializer=fork_init) as pool:
                for d, f in pool.imap_unordered(index_batch_args,
                                                [(c, force) for c in _chunks(ids, BATCH)]):
                    done, failed = done + d, failed + f
                    bar.update(d + f)
        else:
            for chunk in _chunks(ids, BATCH):
                d, f = index_batch(chunk, force)
                done, failed = done + d, failed + f
                bar.update(d + f)
    finally:
        bar.close()
    return done, failed


def index_batch_args(args: tuple[Sequence[str], bool]) -> tuple[int, int]:
    return index_batch(*args)


def rebuild(package_id: str | None = None, only_missing: bool = False, force: bool = False,
            defer_commit: bool = False, package_ids: Collection[str] | None = None,
            quiet: bool = False, clear: bool = False) -> None:
    """``ckan.lib.search.rebuild`` with batched writes and parallel workers
    (same arguments; one dataset goes CKAN's way unchanged)."""
    from ckan.lib import search
    from ckan.plugins.toolkit import config

    if package_id:
        return wiring_original_rebuild()(package_id, only_missing, force, defer_commit,
                                         package_ids, quiet, clear)
    log.info("Rebuilding search index...")
    if package_ids is not None:
        ids = list(package_ids)
    else:
        packages = model.Session.query(model.Package.id)
        if config.get("ckan.search.remove_deleted_packages"):
            packages = packages.filter(model.Package.state != "deleted")
        ids = [r[0] for r in packages.all()]
        if only_missing:
            indexed = set(search.query_for(model.Package).get_all_entity_ids(
                max_results=len(ids)))
            ids = [i for i in ids if i not in indexed]
            if not ids:
                log.info("All datasets are already indexed")
                return None
        elif clear:
            search.index_for(model.Package).clear()
    done, failed = index_ids(ids, force=force, quiet=quiet)
    log.info("Finished rebuilding search index: %d indexed, %d failed.", done, failed)
    return None


def wiring_original_rebuild():
    from . import wiring

    return wiring.ORIGINAL_REBUILD
