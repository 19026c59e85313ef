"""The one access rule of ``spec/access.md``: who sees what.

:func:`decide` takes an entry (its catalog fields), a :class:`Viewer` (user,
roles, departments, grants) and the portal mode, and answers

* ``none``     — the entry does not exist for this viewer (404 everywhere);
* ``metadata`` — the catalog entry is shown, its data is refused;
* ``data``     — entry and data (files, previews, DataStore rows).

Every path asks this module: permission labels for search, counts, facets,
autocomplete and activity (:func:`dataset_labels` / :func:`user_labels`, the
same decision expressed as labels), the chained auth functions of
``package_show``, ``resource_show`` and the DataStore, the download view and the
templates.

The table (metadata = M, data = D, nothing = –):

============================== ========== =============== ========== =========
entry                          public      other dept.     provider   authority
============================== ========== =============== ========== =========
open unconditional             D           D               D          D
open conditional               M (D+app)   by share type   D          D
open none, share unconditional –           D               D          D
open none, share conditional   –           M (D+request)   D          D
share none (pending/confirmed) –           M (+ basis)     D          D
============================== ========== =============== ========== =========

Public portal: every viewer, whatever their roles, gets the public column
(plus data of their own approved applications). Internal portal: only
department staff, the data authority (and sysadmins) and the secrecy reviewer
get anything; private entries and drafts follow CKAN (department members, the
creator, the authority).

The rule applies to catalog entries, i.e. when the catalog schema
(``scheming_datasets``) is loaded; without it CKAN's own labels apply.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import ckan.plugins as p
from ckan import model
from ckanext.lyg import portal as _portal
from ckanext.lyg.access import roles

log = logging.getLogger(__name__)

NONE, METADATA, DATA = "none", "metadata", "data"
ORDER = {NONE: 0, METADATA: 1, DATA: 2}

# permission labels (see dataset_labels / user_labels)
PUBLIC = "public"  # active, not private, open unconditional/conditional: everyone
GOV = "gov"  # active, not private, shared in any way: staff of the internal portal
AUTHORITY = "authority"  # every entry: the data authority
NOBODY = "nobody"  # a label no entry carries: viewers who may see nothing
CATALOG_TYPES = frozenset({"dataset"})  # the catalog schema's dataset type


def active() -> bool:
    """The rule governs catalog entries: on when the catalog schema is loaded."""
    return p.plugin_loaded("scheming_datasets")


# --- entries ---


@dataclass(frozen=True)
class Entry:
    id: str
    owner_org: str | None
    share_type: str
    open_type: str
    share_review: str
    private: bool
    state: str
    creator_user_id: str | None
    share_basis: str = ""
    catalog: bool = True  # a catalog entry (type "dataset"); other types (harvest sources) follow CKAN


def _clean(value: Any) -> str:
    return str(value).strip() if value not in (None, "") else ""


def entry(pkg: Any) -> Entry:
    """The fields the rule needs, from a ``model.Package`` or a package dict."""
    if isinstance(pkg, model.Package):
        extras = pkg.extras or {}
        return Entry(
            id=pkg.id, owner_org=pkg.owner_org,
            share_type=_clean(extras.get("share_type")), open_type=_clean(extras.get("open_type")),
            share_review=_clean(extras.get("share_review")), private=bool(pkg.private),
            state=pkg.state or "active", creator_user_id=pkg.creator_user_id,
            share_basis=_clean(extras.get("share_basis")), catalog=(pkg.type or "dataset") in CATALOG_TYPES,
        )
    extras = {e.get("key"): e.get("value") for e in pkg.get("extras") or [] if isinstance(e, dict)}

    def get(key: str) -> str:
        return _clean(pkg.get(key, extras.get(key)))

    return Entry(
        id=pkg.get("id") or "", owner_org=pkg.get("owner_org"),
        share_type=get("share_type"), open_type=get("open_type"), share_review=get("share_review"),
        private=bool(pkg.get("private")), state=pkg.get("state") or "active",
        creator_user_id=pkg.get("creator_user_id"), share_basis=get("share_basis"),
        catalog=(pkg.get("type") or "dataset") in CATALOG_TYPES,
    )


def load(id_or_name: str) -> Entry | None:
    pkg = model.Package.get(id_or_name)
    return entry(pkg) if pkg is not None else None


# --- viewers ---


@dataclass
class Viewer:
    name: str
    user_id: str | None
    portal: str
    sysadmin: bool = False
    authority: bool = False
    reviewer: bool = False
    departments: frozenset[str] = frozenset()
    _grants: set[str] | None = field(default=None, repr=False)

    @property
    def internal_user(self) -> bool:
        """May use the internal portal (staff, authority, sysadmin, secrecy reviewer)."""
        return self.authority or self.reviewer or bool(self.departments)

    def grants(self) -> set[str]:
        """Package ids whose data an approved request/application gives this viewer now."""
        if self._grants is None:
            kind = "open" if self.portal == "public" else "share"
            self._grants = granted_package_ids(self.name, kind=kind) if self.name else set()
        return self._grants


def viewer(user: roles.UserLike, portal: str | None = None) -> Viewer:
    """The viewer ``user`` (name, ``model.User`` or None/"" for anonymous) on ``portal``
    (the current ``ckanext.lyg.portal`` by default)."""
    portal = portal or _portal.current()
    obj = user if isinstance(user, model.User) else roles._user_obj(user)
    if obj is None or obj.state != "active":
        return Viewer(name="", user_id=None, portal=portal)
    return Viewer(
        name=obj.name, user_id=obj.id, portal=portal,
        sysadmin=roles.is_sysadmin(obj), authority=roles.is_data_authority(obj),
        reviewer=roles.is_secrecy_reviewer(obj), departments=frozenset(roles.departments(obj)),
    )


def granted_package_ids(user: roles.UserLike, kind: str | None = None) -> set[str]:
    """The workflow's grants (approved, unexpired requests and applications) of
    one ``kind``: ``open`` (open-data applications, the public portal) or
    ``share`` (sharing requests of the user's departments, the internal
    portal). A failure propagates: it must neither open anything nor roll
    back the caller's unsaved writes."""
    from ckanext.lyg.workflow import grants

    return set(grants.granted_package_ids(user, kind=kind))


# --- the decision ---


def decide(e: Entry, v: Viewer) -> str:
    """``none`` / ``metadata`` / ``data`` for viewer ``v`` on entry ``e``.

    Packages that are not catalog entries (harvest sources) answer ``data``:
    CKAN's own checks (called after the rule) decide for them."""
    if not e.catalog:
        return DATA
    if v.portal == "public":
        return _public(e, v)
    return _internal(e, v)


def _public(e: Entry, v: Viewer) -> str:
    if e.private or e.state != "active":
        return NONE
    if e.open_type == "unconditional" and e.share_type == "unconditional":
        return DATA
    if e.open_type == "conditional" and e.share_type in ("unconditional", "conditional"):
        return DATA if v.name and e.id in v.grants() else METADATA
    return NONE


def _internal(e: Entry, v: Viewer) -> str:
    if not v.name or not v.internal_user:
        return NONE
    if v.sysadmin or v.authority:
        return DATA
    if e.owner_org and e.owner_org in v.departments:
        return DATA  # provider department (private entries and drafts too, as in CKAN)
    if not e.owner_org and e.creator_user_id and e.creator_user_id == v.user_id:
        return DATA  # an entry of no department: its creator (CKAN's "creator-" label)
    if e.private or e.state != "active":
        return NONE
    if e.share_type == "unconditional":
        return DATA
    if e.share_type == "conditional":
        return DATA if e.id in v.grants() else METADATA
    return METADATA  # share none (pending or confirmed), or not classified: the entry only


def level(pkg: Any, user: roles.UserLike = None, *, v: Viewer | None = None) -> str:
    """:func:`decide` for a package (model, dict, id or name) and a user."""
    e = load(pkg) if isinstance(pkg, str) else entry(pkg)
    if e is None:
        return NONE
    if not active():
        return DATA
    return decide(e, v or viewer(user))


def unconditionally_open(e: Entry) -> bool:
    """Data anyone may download anywhere: no audit needed."""
    return e.open_type == "unconditional" and e.share_type == "unconditional" \
        and not e.private and e.state == "active"


# --- the same decision as permission labels (search, counts, facets, activity) ---


def dataset_labels(e: Entry) -> list[str]:
    labels = [AUTHORITY]
    if e.owner_org:
        labels.append(f"member-{e.owner_org}")
    elif e.creator_user_id:
        labels.append(f"creator-{e.creator_user_id}")
    if e.private or e.state != "active":
        return labels
    labels.append(GOV)
    if e.open_type in ("unconditional", "conditional") and e.share_type in ("unconditional", "conditional"):
        if e.open_type == "conditional" or e.share_type == "unconditional":
            labels.append(PUBLIC)
    return labels


def user_labels(v: Viewer) -> list[str]:
    """Labels matching exactly the entries :func:`decide` does not answer ``none``
    (grants never change visibility, only data: they are not labels)."""
    if v.portal == "public":
        return [PUBLIC]
    if not v.name or not v.internal_user:
        return [NOBODY]
    labels = [PUBLIC, GOV, f"creator-{v.user_id}"]
    labels += [f"member-{org}" for org in sorted(v.departments)]
    if v.sysadmin or v.authority:
        labels.append(AUTHORITY)
    return labels
