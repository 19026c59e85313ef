"""What ``package_show`` gives for indexing, for many datasets at once.

CKAN indexes a dataset with ``logic.package_show_default_and_custom_schemas``:
``package_show`` without validation (``model_dictize.package_dictize``: six
queries for the dataset's resources, tags, groups, organization and
relationships), then the default and the custom show schema. Re-indexing
many datasets spends a third of its time on those queries. :func:`show_many`
gives the same two dicts for a batch of datasets, reading each of those
tables once for the whole batch and handing the rows to CKAN's own
dictization functions, one dataset at a time, in the shape
``package_dictize`` passes them; the validation and the plugin hooks are
CKAN's, called as ``package_show`` calls them (less one validator's
database question whose answer is known, see :func:`_without_name_query`,
and the error messages of checks whose errors ``package_show`` discards, see
:func:`_quiet_extras`).
The tests compare every result with CKAN's own path.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from ckan import logic, model
from ckan import plugins as p
from ckan.lib import plugins as lib_plugins
from ckan.lib.dictization import model_dictize, obj_list_dictize, table_dictize
from ckan.lib.navl.dictization_functions import StopOnError
from ckan.logic.schema import default_show_package_schema
from ckan.plugins import toolkit as tk
from ckan.types import Context
from sqlalchemy import false, select
from sqlalchemy.engine import IteratorResult
from sqlalchemy.engine.result import SimpleResultMetaData

Both = tuple[dict[str, Any], dict[str, Any]]


def _rows(fields: list[str], values: Iterable[tuple]) -> list[Any]:
    """Result rows with exactly ``fields`` (what one dataset's query returns)."""
    return list(IteratorResult(SimpleResultMetaData(fields), iter(values)))


def _grouped(result: Any, key: str) -> tuple[list[str], dict[str, list[tuple]]]:
    """Rows of a batch query by ``key`` (a selected column that the
    per-dataset query does not select), without that column."""
    fields = list(result.keys())
    at = fields.index(key)
    keep = [i for i in range(len(fields)) if i != at]
    out: dict[str, list[tuple]] = defaultdict(list)
    for row in result:
        out[row[at]].append(tuple(row[i] for i in keep))
    return [fields[i] for i in keep], out


class _Batch:
    """The related rows of a batch of datasets, read once."""

    def __init__(self, pkgs: Sequence[model.Package]) -> None:
        ids = [pkg.id for pkg in pkgs]
        session = model.Session
        res = model.resource_table
        self.resources: dict[str, list[Any]] = defaultdict(list)
        for row in session.execute(select(res).where(res.c["package_id"].in_(ids))):
            self.resources[row.package_id].append(row)

        tag, pkg_tag = model.tag_table, model.package_tag_table
        result = session.execute(
            select(tag, pkg_tag.c["state"], pkg_tag.c["package_id"].label("lyg_for"))
            .join(pkg_tag, tag.c["id"] == pkg_tag.c["tag_id"])
            .where(pkg_tag.c["package_id"].in_(ids)))
        self.tag_fields, self.tags = _grouped(result, "lyg_for")

        member, group = model.member_table, model.group_table
        result = session.execute(
            select(group, member.c["capacity"], member.c["table_id"].label("lyg_for"))
            .join(member, group.c["id"] == member.c["group_id"])
            .where(member.c["table_id"].in_(ids), member.c["state"] == "active",
                   group.c["is_organization"] == false()))
        self.group_fields, self.groups = _grouped(result, "lyg_for")

        orgs = {pkg.owner_org for pkg in pkgs if pkg.owner_org}
        self.orgs: dict[str, Any] = {}
        if orgs:
            for row in session.execute(select(group).where(group.c["id"].in_(orgs))
                                       .where(group.c["state"] == "active")):
                self.orgs[row.id] = row

        rel = model.package_relationship_table
        self.with_relationships = {
            r[0] for r in session.execute(
                select(rel.c["subject_package_id"]).where(rel.c["subject_package_id"].in_(ids))
                .union(select(rel.c["object_package_id"])
                       .where(rel.c["object_package_id"].in_(ids))))}
        # a group's dict is the same for every dataset of the batch in it
        self._group_dicts: dict[tuple, dict[str, Any]] = {}

    def group_list(self, pkg_id: str, context: Context) -> list[dict[str, Any]]:
        rows = _rows(self.group_fields, self.groups.get(pkg_id, []))
        key = tuple((r.id, r.capacity) for r in rows)
        if key not in self._group_dicts:
            self._group_dicts[key] = model_dictize.group_list_dictize(
                rows, context, with_package_counts=False)
        return copy.deepcopy(self._group_dicts[key])


def _dictize(pkg: model.Package, batch: _Batch, context: Context) -> dict[str, Any]:
    """``model_dictize.package_dictize(pkg, context)`` from the batch's rows."""
    if pkg.id in batch.with_relationships:  # rare: CKAN's own reads
        return model_dictize.package_dictize(pkg, context)
    result_dict = table_dictize(pkg, context)
    if result_dict.get("title"):
        result_dict["title"] = result_dict["title"].strip()
    result_dict.pop("plugin_data", None)

    result_dict["resources"] = model_dictize.resource_list_dictize(
        batch.resources.get(pkg.id, []), context)
    result_dict["num_resources"] = len(result_dict.get("resources", []))

    result_dict["tags"] = obj_list_dictize(_rows(batch.tag_fields, batch.tags.get(pkg.id, [])),
                                           context, lambda x: x["name"])
    result_dict["num_tags"] = len(result_dict.get("tags", []))
    for tag_dict in result_dict["tags"]:
        tag_dict["display_name"] = tag_dict["name"]

    result_dict["extras"] = [{"key": k, "value": v}
                             for k, v in (result_dict["extras"] or {}).items()]

    context["with_capacity"] = False
    result_dict["groups"] = batch.group_list(pkg.id, context)

    org = batch.orgs.get(pkg.owner_org) if pkg.owner_org else None
    if org is not None:
        result_dict["organization"] = obj_list_dictize([org], context)[0]
        del result_dict["organization"]["extras"]
    else:
        result_dict["organization"] = None

    result_dict["relationships_as_subject"] = []
    result_dict["relationships_as_object"] = []
    result_dict["isopen"] = pkg.isopen()
    result_dict["type"] = pkg.type or "dataset"
    if pkg.license and pkg.license.url:
        result_dict["license_url"] = pkg.license.url
        result_dict["license_title"] = pkg.license.title.split("::")[-1]
    elif pkg.license:
        result_dict["license_title"] = pkg.license.title
    else:
        result_dict["license_title"] = pkg.license_id
    result_dict["metadata_modified"] = pkg.metadata_modified.isoformat()
    result_dict["metadata_created"] = (pkg.metadata_created.isoformat()
                                       if pkg.metadata_created else None)
    return result_dict


def _show(pkg: model.Package, batch: _Batch, context: Context) -> dict[str, Any]:
    """``package_show`` with ``use_cache`` and ``validate`` off (as
    ``package_show_default_and_custom_schemas`` calls it; auth is ignored)."""
    context["session"] = model.Session
    context["package"] = pkg
    package_dict = _dictize(pkg, batch, context)
    for item in p.PluginImplementations(p.IPackageController):
        item.read(pkg)
    for item in p.PluginImplementations(p.IResourceController):
        for resource_dict in package_dict["resources"]:
            item.before_resource_show(resource_dict)
    return package_dict


def _without_name_query(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without ``package_name_validator`` on ``name``. That
    validator asks the database whether another dataset has the name, which
    the unique index on ``package.name`` rules out, and otherwise only adds
    errors, which indexing discards (as CKAN's
    ``package_show_default_and_custom_schemas`` does): the validated dict is
    the same without it, one query a dataset and schema less."""
    from ckan.logic.validators import package_name_validator

    if tk.get_validator("package_name_validator") is not package_name_validator:
        return schema  # a plugin's own: it may do more
    name = schema.get("name")
    if not isinstance(name, list) or package_name_validator not in name:
        return schema
    return dict(schema, name=[v for v in name if v is not package_name_validator])


def _stop_if_empty(key: Any, data: dict[Any, Any], errors: dict[Any, Any], context: Any) -> None:
    """``not_empty`` without its message: stops the key's validators when
    its value is missing or empty, changing nothing."""
    value = data.get(key)
    if value in [False, 0, 0.0]:  # as not_empty
        return
    if value is tk.missing or not value:
        raise StopOnError


def _quiet_extras(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with the show schema's ``extras`` checks (``not_empty`` on
    each extra's key and value) replaced by :func:`_stop_if_empty`. After
    ``convert_from_extras`` has moved the catalog fields out of ``extras``,
    every moved extra fails ``not_empty`` and gets a translated message
    (dozens of look-ups of the request's translations a dataset); a show
    discards the errors, and ``not_empty`` changes no data: the validated
    dict is the same."""
    extras = schema.get("extras")
    not_empty = tk.get_validator("not_empty")
    if not isinstance(extras, dict) or not any(
            not_empty in v for v in extras.values() if isinstance(v, list)):
        return schema
    quiet = {k: [_stop_if_empty if f is not_empty else f for f in v] if isinstance(v, list) else v
             for k, v in extras.items()}
    return dict(schema, extras=quiet)


def _read(schema: dict[str, Any]) -> dict[str, Any]:
    """The show ``schema`` as :func:`show_many` validates with it."""
    return _quiet_extras(_without_name_query(schema))


class Shown(dict[str, Both]):
    """:func:`show_many`'s answer. It holds the datasets it read
    (``packages``), so that while it is in use they stay in the session's
    identity map, which keeps objects only while something refers to them:
    the ``model.Package.get`` that CKAN's ``index_package`` makes for every
    dataset then finds it there instead of asking the database again."""

    packages: list[model.Package]


def show_many(parent_context: Context, ids: Sequence[str]) -> Shown:
    """``logic.package_show_default_and_custom_schemas(parent_context, id)``
    for every id (dataset ids; names are looked up one by one), keyed by the
    id given. Ids of no dataset are left out."""
    pkgs = {pkg.id: pkg for pkg in
            model.Session.query(model.Package).filter(model.Package.id.in_(list(ids)))}
    for name in set(ids) - pkgs.keys():
        pkg = model.Package.get(name)
        if pkg is not None:
            pkgs[name] = pkg
    out = Shown()
    out.packages = list({pkg.id: pkg for pkg in pkgs.values()}.values())
    if not pkgs:
        return out
    batch = _Batch(out.packages)
    default_schema = default_show_package_schema()
    default_read = _read(default_schema)
    for key in ids:
        pkg = pkgs.get(key)
        if pkg is None:
            continue
        context = logic.fresh_context(parent_context, ignore_auth=True, use_cache=False,
                                      validate=False)
        context.setdefault("model", model)  # type: ignore[typeddict-item]
        pkg_dictized = _show(pkg, batch, context)
        with_default, _errors = lib_plugins.plugin_validate(
            object(), context, pkg_dictized, default_read, "package_show")
        package_plugin = lib_plugins.lookup_package_plugin(pkg_dictized["type"])
        # built for every dataset, as CKAN does: validating with a custom
        # schema may change it (a shared one gave the next dataset other values)
        custom_schema = package_plugin.show_package_schema()
        if custom_schema == default_schema:
            with_custom = with_default
        else:
            with_custom, _errors = lib_plugins.plugin_validate(
                package_plugin, context, pkg_dictized, _read(custom_schema),
                "package_show")
        logic.apply_after_dataset_show_plugins(context, with_custom)
        out[key] = (with_default, with_custom)
    return out
