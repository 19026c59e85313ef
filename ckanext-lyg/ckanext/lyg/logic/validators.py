"""Validators of the catalog schema (registered with ``tk.blanket.validators``).

``lyg_catalog_entry`` is the dataset schema's after-validator: it runs on
every write path (form, API, import, harvest — they all end in
``package_create``/``package_update``) once the field validators are done,
checks the cross-field rules of catalog.md (:mod:`ckanext.lyg.catalog.rules`)
and fills the generated fields: ``provider_code`` (from the department),
``resource_code`` (assigned once, never changed after publication),
``share_review`` (不予共享 is held 待认定 until the data authority confirms it)
and ``issued`` (first publication).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import authz, model
from ckan.logic.validators import owner_org_validator, package_name_validator
from ckan.types import Context, FlattenDataDict, FlattenErrorDict, FlattenKey
from ckanext.lyg import uscc
from ckanext.lyg.catalog import authority, codes, groups, rules

__all__ = ["lyg_uscc", "lyg_catalog_entry", "lyg_related_codes", "lyg_natural_number",
           "lyg_catalog_code", "lyg_date", "lyg_max_text", "lyg_boolean", "lyg_owner_org",
           "lyg_package_name"]  # fmt: skip
MAX_TEXT = 10000
CLASS_KEYS = ("catalog_class", "catalog_item", "catalog_sub", "catalog_detail")

CATALOG_KEYS = (
    "catalog_class", "catalog_item", "catalog_sub", "catalog_detail", "resource_code",
    "provider_code", "format_class", "format_type", "share_type", "share_condition",
    "share_basis", "share_mode_class", "share_mode_type", "share_review", "open_type",
    "open_condition", "update_cycle", "issued", "temporal_start", "temporal_end",
)  # fmt: skip


def lyg_uscc(value: Any, context: Context) -> Any:
    """A 统一社会信用代码 (GB 32100) with its check character; normalised."""
    if value in (None, "") or value is tk.missing:
        return value
    try:
        return uscc.validate(value)
    except uscc.USCCError as err:
        raise tk.Invalid(tk._(err.message).format(**err.params)) from None


def lyg_date(value: Any, context: Context) -> Any:
    """A date, stored as ``YYYY-MM-DD`` (also from Excel date cells)."""
    if value in (None, "") or value is tk.missing:
        return value
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    for candidate in (text[:10], text.replace("/", "-")[:10]):
        try:
            return dt.date.fromisoformat(candidate).isoformat()
        except ValueError:
            continue
    raise tk.Invalid(tk._("Enter a date as YYYY-MM-DD"))


def lyg_max_text(value: Any, context: Context) -> Any:
    """Free text of at most 10,000 characters."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise tk.Invalid(tk._("At most {count} characters").format(count=MAX_TEXT))
    return value


def lyg_boolean(value: Any, context: Context) -> Any:
    """是/否, true/false, on (checkbox), 1/0 → True/False."""
    if value in (None, "") or value is tk.missing:
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on", "是", "y"):
        return True
    if text in ("false", "0", "no", "off", "否", "n"):
        return False
    raise tk.Invalid(tk._("Yes or no"))


def lyg_natural_number(value: Any, context: Context) -> Any:
    """An integer ≥ 0 (数据量); empty stays empty."""
    if value in (None, "") or value is tk.missing:
        return value
    try:
        number = int(str(value).strip())
    except ValueError:
        raise tk.Invalid(tk._("Enter a whole number")) from None
    if number < 0 or number >= 2**63:
        raise tk.Invalid(tk._("Enter a whole number")) from None
    return number


def lyg_catalog_code(value: Any, context: Context) -> Any:
    """A 类/项/目/细目 code: digits only (which codes exist is checked per entry)."""
    if value in (None, "") or value is tk.missing:
        return value
    text = str(value).strip().rpartition(":")[2]  # the form sends parent:code
    if not text.isdigit() or not text.isascii() or len(text) > 6:
        raise tk.Invalid(tk._("Use the digits of the classification code"))
    return text


def related_code_list(value: Any) -> list[str]:
    """The codes of a 关联资源代码 value (a list, its JSON, or codes separated
    by spaces), stripped, empty ones left out; ValueError when it is none of
    those."""
    if value in (None, "", [], "[]") or value is tk.missing:
        return []
    if isinstance(value, str):
        value = json.loads(value) if value.lstrip().startswith("[") else value.split()
    if not isinstance(value, list):
        raise ValueError(value)
    return [code for code in (rules.text(v) for v in value) if code]


def lyg_related_codes(value: Any, context: Context) -> Any:
    """关联资源代码: each an existing resource code (stored as a JSON list)."""
    try:
        value = related_code_list(value)
    except ValueError:
        raise tk.Invalid(tk._("A list of resource codes")) from None
    held = context.get("lyg_held")  # type: ignore[misc]
    result = []
    for code in value:
        if rules.parse_code(code) is None:
            raise tk.Invalid(tk._("{code} is not a resource code (分类码/顺序码)").format(code=code))
        if code not in context.get("lyg_file_codes", ()):  # type: ignore[operator]
            known, holder = held.related_holder(code) if held is not None else (False, None)
            if not known:
                holder = codes.owner(code)
            if holder is None:
                raise tk.Invalid(tk._("No entry has the resource code {code}").format(code=code))
        if code not in result:
            result.append(code)
    return json.dumps(result, ensure_ascii=False) if result else ""


# --- CKAN's look-up validators, answered from a bulk write's batch ----------
#
# The catalog writer (``ckanext.lyg.catalog.bulk``) reads the departments and
# the dataset names of a whole batch at once and passes them in the context
# (``lyg_held``). These two validators are CKAN's own otherwise; with a batch's
# answer at hand they give CKAN's result without its per-row queries.


def lyg_owner_org(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
                  context: Context) -> Any:
    """CKAN's ``owner_org_validator``; in a bulk write, the department and the
    writing user are the batch's (two queries less per row)."""
    held = context.get("lyg_held")  # type: ignore[misc]
    value = data.get(key)
    user = context.get("auth_user_obj")
    group = held.org(value) if held is not None and isinstance(value, str) else None
    if (group is None or not isinstance(user, model.User) or context.get("user") not in (user.name, user.id)
            or authz.check_config_permission("allow_dataset_collaborators")):
        return owner_org_validator(key, data, errors, context)
    package = context.get("package")
    if ((not package or package.owner_org != group.id) and not context.get("ignore_auth")
            and not held.may_create_in(group.id, user)):
        raise tk.Invalid(tk._("You cannot add a dataset to this organization"))
    data[key] = group.id
    return None


def lyg_package_name(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
                     context: Context) -> Any:
    """CKAN's ``package_name_validator``; in a bulk write, whether another
    dataset holds the name is the batch's answer (one query less per row)."""
    held = context.get("lyg_held")  # type: ignore[misc]
    value = data.get(key)
    known, holder = held.name_holder(value) if held is not None and isinstance(value, str) else (False, None)
    if not known or not model.PACKAGE_NAME_MIN_LENGTH <= len(value) <= model.PACKAGE_NAME_MAX_LENGTH:
        return package_name_validator(key, data, errors, context)
    package = context.get("package")
    own = package.id if package else data.get(key[:-1] + ("id",))
    if holder is not None and (not own or own is tk.missing or holder != own):
        errors[key].append(tk._("That URL is already in use."))
    return None


# --- the after-validator -----------------------------------------------------


def _get(data: FlattenDataDict, key: str) -> str:
    return rules.text(data.get((key,)))


def _info_items(data: FlattenDataDict) -> list[dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for key, value in data.items():
        if len(key) == 3 and key[0] == "info_items" and isinstance(key[1], int):
            rows.setdefault(key[1], {})[key[2]] = value
    return [rows[n] for n in sorted(rows)]


def _set(data: FlattenDataDict, key: str, value: str | None) -> None:
    """Set (or, with None, drop) a catalog field both as a field and as the
    extra it is stored in (the field validators already copied it there)."""
    if value is None:
        _drop(data, {key})
        return
    slots = [k[1] for k in data if len(k) == 3 and k[0] == "extras" and k[2] == "key" and data[k] == key]
    data[(key,)] = value
    if len(slots) == 1:  # its extra, changed where it is
        data[("extras", slots[0], "value")] = value
        return
    extras = _take_extras(data, {key})
    extras.append({"key": key, "value": value})
    _put_extras(data, extras)


def _drop(data: FlattenDataDict, keys: set[str]) -> None:
    """Drop catalog fields, as fields and as extras."""
    for key in keys:
        data.pop((key,), None)
    if any(len(k) == 3 and k[0] == "extras" and k[2] == "key" and data[k] in keys
           for k in data if isinstance(data[k], str)):
        _put_extras(data, _take_extras(data, keys))


def _take_extras(data: FlattenDataDict, without: set[str]) -> list[dict[str, Any]]:
    """Take the extras out of ``data``, in order, less those of the keys ``without``."""
    rows: dict[Any, dict[str, Any]] = {}
    for k in [k for k in data if len(k) == 3 and k[0] == "extras"]:
        rows.setdefault(k[1], {})[k[2]] = data.pop(k)
    return [row for _n, row in sorted(rows.items())
            if "key" in row and not (isinstance(row["key"], str) and row["key"] in without)]


def _put_extras(data: FlattenDataDict, extras: list[dict[str, Any]]) -> None:
    for n, extra in enumerate(extras):
        for part, v in extra.items():
            data[("extras", n, part)] = v


OPTIONAL_TEXT_KEYS = (
    "catalog_sub", "catalog_detail", "share_condition", "share_basis", "share_mode_class",
    "share_mode_type", "open_condition", "data_level", "area_scope", "source_system", "spatial",
    "record_count", "storage_size", "temporal_start", "temporal_end", "related_codes", "issued",
)  # fmt: skip


def _drop_empty(data: FlattenDataDict) -> None:
    """Empty optional fields are not stored (the form sends "" for them)."""
    empty = {k for k in OPTIONAL_TEXT_KEYS if (k,) in data and data[(k,)] in ("", None, "[]")}
    if empty:
        _drop(data, empty)


def _add(errors: FlattenErrorDict, key: str, message: str) -> None:
    errors.setdefault((key,), []).append(message)


def _old(data: FlattenDataDict, context: Context) -> model.Package | None:
    pkg = context.get("package")
    if not isinstance(pkg, model.Package) or not pkg.id:
        return None
    if data.get(("id",)) not in (pkg.id, pkg.name) and data.get(("name",)) != pkg.name:
        return None
    return pkg


def _department(ref: str) -> model.Group | None:
    """The department ``owner_org`` names (by now its id): from the session
    when it holds it (the bulk writer holds a batch's departments), else
    looked up."""
    if not ref:
        return None
    return model.Session.get(model.Group, ref) or model.Group.get(ref)


def _provider_code(data: FlattenDataDict, errors: FlattenErrorDict) -> None:
    org = _department(_get(data, "owner_org"))
    org_code = (org.extras or {}).get("provider_code", "") if org is not None else ""
    if org_code and uscc.is_valid(org_code):
        _set(data, "provider_code", uscc.validate(org_code))
    elif not _get(data, "provider_code") and not errors.get(("provider_code",)):
        _add(errors, "provider_code",
             tk._("The department has no unified social credit code: set it on the department"))


def _resource_code(data: FlattenDataDict, errors: FlattenErrorDict, old: model.Package | None,
                   held: Any = None) -> None:
    """The entry's code: kept, supplied (checked) or the class's next number.
    In a bulk write (``held``), a code the batch brings is checked against
    the codes the batch read, its class having been locked for the batch;
    the number is reserved when the row is written."""
    if any(errors.get((k,)) for k in CLASS_KEYS):
        return
    class_code = "".join(_get(data, k) for k in CLASS_KEYS)
    supplied = _get(data, "resource_code")
    old_code = (old.extras or {}).get("resource_code", "") if old is not None else ""
    published = old is not None and old.state == "active"
    if old_code:
        if published or old_code.split("/")[0] == class_code:
            if supplied and supplied != old_code:
                _add(errors, "resource_code", tk._("The resource code of an entry never changes"))
            _set(data, "resource_code", old_code)
            return
        if supplied == old_code:  # a draft moved to another class: a new code
            supplied = ""
    if not supplied:
        if held is not None:
            held.reserve_claimed(class_code)  # the numbers rows of the batch took first
        _set(data, "resource_code", codes.next_code(class_code))
        return
    parsed = rules.parse_code(supplied)
    if parsed is None:
        _add(errors, "resource_code", tk._("A resource code is 分类码/顺序码, e.g. 101001001/000123"))
    elif parsed[0] != class_code:
        _add(errors, "resource_code",
             tk._("The resource code must start with the classification {code}").format(code=class_code))
    elif parsed[1] == 0:
        _add(errors, "resource_code", tk._("The sequence number starts at 000001"))
    else:
        known, holder = held.code_holder(supplied) if held is not None else (False, None)
        if not known:
            codes.reserve(supplied)  # locks the class: concurrent claims queue here
            holder = codes.owner(supplied)
        if holder is not None and (old is None or holder != old.id):
            _add(errors, "resource_code", tk._("The resource code {code} is in use").format(code=supplied))
        else:
            _set(data, "resource_code", supplied)


def _share_review(data: FlattenDataDict, errors: FlattenErrorDict, context: Context,
                  old: model.Package | None) -> None:
    share = _get(data, "share_type")
    if share != "none":
        _set(data, "share_review", None)
        return
    wanted = _get(data, "share_review") or "pending"
    if wanted not in ("pending", "confirmed"):
        message = tk._("Value must be one of {values}").format(values="pending, confirmed")
        _add(errors, "share_review", message)
        return
    old_extras = (old.extras or {}) if old is not None else {}
    already = old_extras.get("share_type") == "none" and old_extras.get("share_review") == "confirmed"
    if wanted == "confirmed" and not already and not authority.is_data_authority(context):
        _add(errors, "share_review",
             tk._("Only the data authority can confirm that an entry is not shared"))
        return
    if wanted == "confirmed" and not already and _own_department(data, context):
        _add(errors, "share_review", tk._("A department cannot review its own not-shared designation"))
        return
    _set(data, "share_review", wanted)


def _own_department(data: FlattenDataDict, context: Context) -> bool:
    """A data-authority user who is staff of the entry's department (the
    not-shared review is never the department's own; sysadmins acting as the
    site user — seeder, import, the review workflow — are in no department)."""
    from ckanext.lyg.access import roles

    user = context.get("user") or ""
    ref = _get(data, "owner_org")
    held = context.get("lyg_held")  # type: ignore[misc]
    org = (held.org(ref) if held is not None else None) or (model.Group.get(ref) if ref else None)
    return org is not None and not roles.is_sysadmin(user) and org.id in roles.departments(user)


def _issued(data: FlattenDataDict, old: model.Package | None) -> None:
    state = _get(data, "state") or (old.state if old is not None else "active")
    if _get(data, "issued"):
        return
    old_issued = (old.extras or {}).get("issued", "") if old is not None else ""
    if old_issued:
        _set(data, "issued", old_issued)
    elif state == "active":
        _set(data, "issued", dt.date.today().isoformat())


def lyg_catalog_entry(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
                      context: Context) -> None:
    """Schema-level rules and generated fields of a catalog entry."""
    entry = {k: data.get((k,)) for k in CATALOG_KEYS}
    entry["info_items"] = _info_items(data)
    for field, problems in rules.check(entry).items():
        for problem in problems:
            key = (field, *problem.path)
            if problem.path or not errors.get(key):
                errors.setdefault(key, []).append(problem.text(tk._))
    _drop_empty(data)
    old = _old(data, context)
    if old is not None:
        groups.remember_class(old)
    _provider_code(data, errors)
    _share_review(data, errors, context, old)
    _issued(data, old)
    if not any(errors.values()):  # take a number only for an entry that will be saved
        _resource_code(data, errors, old, context.get("lyg_held"))  # type: ignore[misc]
