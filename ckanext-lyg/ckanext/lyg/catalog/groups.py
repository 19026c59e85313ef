"""Groups kept in step with the classification.

The six basic databases (类 1, 项 01–06) and the thematic databases (类 2)
are CKAN groups (``group`` in classification.yaml). An entry is always a
member of the group of its own 类+项; it belongs to exactly one basic
database (moving to another 项 leaves the old one), and when its own
thematic 项 changes it leaves the old thematic group. Other thematic groups
it was put in by hand (cross-listing) stay.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import weakref
from collections.abc import Iterator
from typing import Any

from ckan import model
from ckanext.lyg import reference

# 类/项 of an entry before the write in progress, keyed by the Package object
# that package_update puts in its context (validators get a copy of the
# context, so it is not the place to pass this on).
_PREVIOUS: weakref.WeakKeyDictionary[model.Package, tuple[str, str]] = weakref.WeakKeyDictionary()


def remember_class(pkg: model.Package) -> None:
    """Called while validating an update, before the entry is changed."""
    extras = pkg.extras or {}
    _PREVIOUS[pkg] = (extras.get("catalog_class", ""), extras.get("catalog_item", ""))


def previous_class(pkg: Any) -> tuple[str, str] | None:
    return _PREVIOUS.pop(pkg, None) if isinstance(pkg, model.Package) else None


def group_of(cls: str, item: str) -> str | None:
    found = reference.find_item(cls, item) if cls in ("1", "2") else None
    return found.get("group") if found else None


def basic_groups() -> set[str]:
    return {item["group"] for item in reference.catalog_items("1")}


@dataclasses.dataclass
class _Held:
    """A bulk write's transaction (see ``held``): the classification groups,
    read once, and the entries it created without groups (see ``created``)."""

    groups: dict[str, model.Group]
    new: set[str] = dataclasses.field(default_factory=set)


_HELD: contextvars.ContextVar[_Held | None] = contextvars.ContextVar("lyg_classification_groups",
                                                                    default=None)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Within the block (one transaction of the catalog's bulk writer), the
    classification groups are read in one query, not one for each entry, and
    a membership :func:`sync` adds is written with the rest of the entry
    (the writer flushes the row, or the batch), not flushed by itself,
    and the memberships of an entry the block :func:`created` are not read."""
    names = {item["group"] for cls in ("1", "2") for item in reference.catalog_items(cls)
             if item.get("group")}
    found = {group.name: group for group in
             model.Session.query(model.Group).filter(model.Group.name.in_(names))}
    token = _HELD.set(_Held(found))
    try:
        yield
    finally:
        _HELD.reset(token)


def created(package_id: str) -> None:
    """Within :func:`held`: the dataset was created in this transaction and
    given no groups, so its only membership is its department's (the next
    :func:`sync` of it has no group memberships to read)."""
    held_now = _HELD.get()
    if held_now is not None:
        held_now.new.add(package_id)


def _group(name: str) -> model.Group | None:
    held_now = _HELD.get()
    return held_now.groups.get(name) if held_now is not None else model.Group.by_name(name)


def sync(package_id: str, entry: dict[str, Any], previous: tuple[str, str] | None = None) -> bool:
    """Put the entry in its classification group (and out of the stale ones).

    ``previous`` is the 类/项 the entry had before this write. Returns True
    when a membership changed. Runs inside the writing transaction, before
    the entry is indexed.
    """
    changed = False
    wanted = group_of(entry.get("catalog_class") or "", entry.get("catalog_item") or "")
    leave = set(basic_groups()) - {wanted}
    if previous and (old := group_of(*previous)) and old != wanted:
        leave.add(old)
    held_now = _HELD.get()
    if held_now is not None and package_id in held_now.new:
        held_now.new.discard(package_id)
        memberships: dict[str, model.Member] = {}
    else:
        memberships = {
            name: member
            for member, name in model.Session.query(model.Member, model.Group.name)
            .join(model.Group, model.Group.id == model.Member.group_id)
            .filter(model.Member.table_id == package_id, model.Member.table_name == "package")
        }  # one query for every group of the entry
    for name in leave:
        member = memberships.get(name)
        if member is not None and member.state == "active":
            member.state = "deleted"
            changed = True
    if wanted:
        member = memberships.get(wanted)
        if member is None:
            group = _group(wanted)
            if group is not None and group.state == "active" and not group.is_organization:
                model.Session.add(model.Member(group=group, table_id=package_id, table_name="package",
                                               capacity="public", state="active"))  # fmt: skip
                changed = True
        elif member.state != "active":
            member.state = "active"
            changed = True
    if changed and _HELD.get() is None:
        model.Session.flush()
    return changed
