"""Demo users, roles and workflows (part of ``ckan lyg seed``).

* users for every role of ``spec/access.md``: the data authority
  (``dsj-admin``), the secrecy reviewer (``bmj-reviewer``), staff of three
  departments (``gaj-``, ``scjgj-``, ``rsj-`` ``admin`` / ``editor`` /
  ``member``) and a public user (``citizen``); the two roles are given on the
  roles page's storage (``lyg_roles_update``, audited), not in the config;
* sharing requests in every state — pending, approved, refused, withdrawn,
  expired, overdue — from 人社局 to conditional entries of 公安局 and
  市场监管局, and open-data applications (pending, approved, refused) of the
  public user; when the seeded catalog has too few such entries (a small
  ``--entries``), dedicated demo entries ``lyg-demo-share-N`` /
  ``lyg-demo-open-N`` are created for the missing ones;
* three entries marked 不予共享 by 公安局 (``lyg-demo-bygx-1..3``): one
  confirmed by the secrecy reviewer, one rejected by the data authority, one
  still 待认定.

Everything goes through the workflow actions, as the users it names.
Idempotent: users, entries and requests are looked up first (requests by
entry and purpose), so re-running creates nothing. The demo password is
``LYG_ADMIN_PASSWORD`` when set, else generated once and kept in
``<var>/demo-password`` (mode 600), like the sysadmin's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import authz, model
from ckanext.lyg.workflow import tables, workdays
from tqdm import tqdm

AUTHORITY = "dsj-admin"
REVIEWER = "bmj-reviewer"
CITIZEN = "citizen"
# department (organization name) → user-name prefix
DEPARTMENTS = {"lyg-gaj": "gaj", "lyg-scjgj": "scjgj", "lyg-rsj": "rsj"}
PROVIDERS = ("lyg-gaj", "lyg-scjgj")
REQUESTER = "lyg-rsj"
CAPACITIES = ("admin", "editor", "member")
FULL_NAMES = {
    AUTHORITY: "市大数据管理局 数据主管",
    REVIEWER: "市保密局 审查员",
    CITIZEN: "张明（社会公众）",
    "gaj": "市公安局", "scjgj": "市市场监管局", "rsj": "市人社局",
}
CAPACITY_NAMES = {"admin": "管理员", "editor": "编辑", "member": "成员"}
SHARE_SLOTS = ("pending", "approved", "refused", "withdrawn", "expired", "overdue")
OPEN_SLOTS = ("pending", "approved", "refused")
REVIEW_ENTRIES = (
    ("lyg-demo-bygx-1", "刑事案件侦查卷宗信息", "confirm"),
    ("lyg-demo-bygx-2", "户籍迁移审批档案", "reject"),
    ("lyg-demo-bygx-3", "技术侦查设备台账", None),
)
APPROVED = "符合共享条件，同意。"
REFUSED = "申请用途超出共享条件，请补充依据后重新申请。"
REVIEW_BASIS = "《中华人民共和国保守国家秘密法》第十三条；《公安工作中国家秘密及其密级具体范围的规定》"


@dataclass
class WorkflowReport:
    users: list[str] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=lambda: {"users": 0, "requests": 0, "reviews": 0})
    password_file: str = ""

    def __str__(self) -> str:
        counts = ", ".join(f"{kind}: {n} created" for kind, n in self.created.items())
        where = f" (password in {self.password_file})" if self.password_file else ""
        return f"{counts}; demo users: {', '.join(self.users)}{where}"


def _site() -> dict[str, Any]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True, "defer_commit": False}, {})
    return {"user": site_user["name"]}


def _as(user: str) -> dict[str, Any]:
    return {"user": user}


def _var_dir() -> Path:
    try:
        from ckanext.lyg_dev.util import var_dir

        return var_dir()
    except ImportError:  # pragma: no cover - the dev tooling is always installed with the package
        path = Path(os.environ.get("LYG_VAR_DIR") or "var").resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path


def demo_password() -> tuple[str, Path | None]:
    """``LYG_ADMIN_PASSWORD``, else the kept one, else a new one (kept)."""
    if os.environ.get("LYG_ADMIN_PASSWORD"):
        return os.environ["LYG_ADMIN_PASSWORD"], None
    path = _var_dir() / "demo-password"
    if path.exists() and path.read_text().strip():
        return path.read_text().strip(), path
    password = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(password + "\n")
    return password, path


def demo_users() -> list[tuple[str, str, str | None, str | None]]:
    """(name, full name, department, capacity) of every demo user."""
    users: list[tuple[str, str, str | None, str | None]] = [
        (AUTHORITY, FULL_NAMES[AUTHORITY], None, None),
        (REVIEWER, FULL_NAMES[REVIEWER], None, None),
    ]
    for org, prefix in DEPARTMENTS.items():
        for capacity in CAPACITIES:
            users.append((f"{prefix}-{capacity}", f"{FULL_NAMES[prefix]} {CAPACITY_NAMES[capacity]}",
                          org, capacity))
    users.append((CITIZEN, FULL_NAMES[CITIZEN], None, None))
    return users


def _ensure_users(report: WorkflowReport, password: str) -> None:
    for name, fullname, org, capacity in demo_users():
        if model.User.get(name) is None:
            tk.get_action("user_create")(_site(), {
                "name": name, "fullname": fullname, "email": f"{name}@demo.lyg.example",
                "password": password})
            report.created["users"] += 1
        report.users.append(name)
        if org and model.Group.get(org) is not None:
            if authz.users_role_for_group_or_org(org, name) != capacity:
                tk.get_action("organization_member_create")(
                    _site(), {"id": org, "username": name, "role": capacity})


def _ensure_roles() -> None:
    shown = tk.get_action("lyg_roles_show")(_site(), {})
    for role, name in (("data_authority", AUTHORITY), ("secrecy_reviewer", REVIEWER)):
        have = shown[role]["config"] + shown[role]["page"]
        if name not in have:
            tk.get_action("lyg_roles_update")(_site(), {"role": role, "users": shown[role]["page"] + [name]})


def _entries(kind: str) -> list[model.Package]:
    """The providers' conditional entries (sharing or opening), by name."""
    key = "share_type" if kind == "share" else "open_type"
    org_ids = [g.id for g in (model.Group.get(o) for o in PROVIDERS) if g is not None]
    if not org_ids:
        return []
    pkgs = (model.Session.query(model.Package)
            .filter(model.Package.owner_org.in_(org_ids), model.Package.state == "active",
                    model.Package.type == "dataset", model.Package.name.like("lyg-0%"))
            .order_by(model.Package.name).all())
    return [p for p in pkgs if (p.extras or {}).get(key) == "conditional"]


# entries the requests use when the seeded catalog (a small --entries) has too
# few conditional entries of the providing departments: (title, department)
DEMO_ENTRIES = {
    "share": [("居民身份证办理信息", "lyg-gaj"), ("市场主体登记信息", "lyg-scjgj"),
              ("机动车驾驶人信息", "lyg-gaj"), ("食品经营许可信息", "lyg-scjgj"),
              ("出入境证件办理信息", "lyg-gaj"), ("特种设备登记信息", "lyg-scjgj")],
    "open": [("交通违法处理统计信息", "lyg-gaj"), ("个体工商户经营信息", "lyg-scjgj"),
             ("道路交通事故统计信息", "lyg-gaj")],
}
ITEM_CODES = {"lyg-gaj": "01", "lyg-scjgj": "02"}


def _demo_entry(kind: str, n: int) -> model.Package | None:
    """Dedicated demo entry ``lyg-demo-<kind>-<n>`` (created when missing)."""
    name = f"lyg-demo-{kind}-{n + 1}"
    pkg = model.Package.get(name)
    if pkg is not None:
        return pkg
    title, org_name = DEMO_ENTRIES[kind][n]
    org = model.Group.get(org_name)
    if org is None:
        return None
    data = {
        "name": name, "title": title, "owner_org": org.id, "notes": f"{title}（演示：有条件共享/开放申请）。",
        "catalog_class": "3", "catalog_item": ITEM_CODES[org_name], "catalog_sub": "002",
        "format_class": "电子表格", "format_type": "xlsx", "update_cycle": "每月",
        "info_items": [
            {"name": "姓名", "data_type": "C", "length": 50, "description": "", "is_key": False,
             "sensitive": True},
            {"name": "证件号码", "data_type": "C", "length": 18, "description": "", "is_key": True,
             "sensitive": True},
            {"name": "办理日期", "data_type": "D", "length": 8, "description": "", "is_key": False,
             "sensitive": False},
        ],
        "share_type": "conditional", "share_condition": "仅用于政务服务身份核验，不得转授。",
        "share_mode_class": "共享平台方式", "share_mode_type": "文件",
        "open_type": "conditional" if kind == "open" else "none",
    }
    if kind == "open":
        data["open_condition"] = "实名注册用户申请，仅用于非商业用途。"
    tk.get_action("package_create")(_as(f"{DEPARTMENTS[org_name]}-editor"), data)
    return model.Package.get(name)


def _existing(package_id: str, purpose: str) -> bool:
    r = tables.request
    return model.Session.execute(sa.select(sa.func.count()).select_from(r).where(
        r.c.package_id == package_id, r.c.purpose == purpose)).scalar_one() > 0


def _provider_user(pkg: model.Package, capacity: str = "editor") -> str:
    org = model.Group.get(pkg.owner_org)
    return f"{DEPARTMENTS[org.name]}-{capacity}"


def _fields(pkg: model.Package) -> list[str]:
    from ckanext.lyg.workflow import logic

    return logic.info_item_names(pkg)[:3]


def _set(request_id: str, **values: Any) -> None:
    model.Session.execute(tables.request.update().where(tables.request.c.id == request_id).values(**values))
    model.Session.commit()


def _request(kind: str, slot: str, pkg: model.Package, today: dt.date) -> bool:
    purpose = (f"【演示】{slot}：办理社会保险待遇资格认证，核验参保人员身份信息" if kind == "share"
               else f"【演示】{slot}：开展城市交通与公共服务研究")
    if _existing(pkg.id, purpose):
        return False
    applicant = f"{DEPARTMENTS[REQUESTER]}-editor" if kind == "share" else CITIZEN
    basis = "《中华人民共和国社会保险法》第七十四条" if kind == "share" else "实名注册用户，用于非商业研究"
    data = {"package_id": pkg.id, "kind": kind, "purpose": purpose, "fields": _fields(pkg),
            "basis": basis, "end_date": (today + dt.timedelta(days=365)).isoformat()}
    if kind == "share":
        data["requester_org"] = REQUESTER
    req = tk.get_action("lyg_request_create")(_as(applicant), data)
    decider = _provider_user(pkg)
    if slot in ("approved", "expired"):
        tk.get_action("lyg_request_approve")(_as(decider), {"id": req["id"], "reason": APPROVED})
    elif slot == "refused":
        tk.get_action("lyg_request_refuse")(_as(decider), {"id": req["id"], "reason": REFUSED})
    elif slot == "withdrawn":
        tk.get_action("lyg_request_withdraw")(_as(applicant), {"id": req["id"]})
    elif slot == "overdue":
        created = today - dt.timedelta(days=25)
        _set(req["id"], created=dt.datetime.combine(created, dt.time(9, 30)),
             due_date=workdays.add_working_days(created, 10))
    if slot == "expired":
        _set(req["id"], end_date=today - dt.timedelta(days=1))
        tk.get_action("lyg_request_expire")(_site(), {})
    return True


@contextlib.contextmanager
def _portal(name: str) -> Iterator[None]:
    """Act as on the given portal: a public user applies on the public portal
    (the seeder itself runs with the internal portal's configuration)."""
    before = tk.config.get("ckanext.lyg.portal")
    tk.config["ckanext.lyg.portal"] = name
    try:
        yield
    finally:
        tk.config["ckanext.lyg.portal"] = before


def _ensure_requests(report: WorkflowReport) -> None:
    today = dt.date.today()
    for kind, slots in (("share", SHARE_SLOTS), ("open", OPEN_SLOTS)):
        catalog = _entries(kind)
        for n, slot in enumerate(slots):
            pkg = catalog[n] if n < len(catalog) else _demo_entry(kind, n)
            if pkg is None:
                continue
            with _portal("internal" if kind == "share" else "public"):
                if _request(kind, slot, pkg, today):
                    report.created["requests"] += 1


def _review_entry(name: str, title: str) -> model.Package | None:
    pkg = model.Package.get(name)
    if pkg is not None:
        return pkg
    org = model.Group.get(PROVIDERS[0])
    if org is None:
        return None
    tk.get_action("package_create")(_as(f"{DEPARTMENTS[org.name]}-editor"), {
        "name": name, "title": title, "owner_org": org.id,
        "notes": f"{title}（演示：不予共享认定）。",
        "catalog_class": "3", "catalog_item": "01", "catalog_sub": "001",
        "format_class": "电子文件", "format_type": "pdf",
        "share_type": "none", "open_type": "none", "share_basis": REVIEW_BASIS,
        "update_cycle": "不定期", "data_level": "核心",
    })
    return model.Package.get(name)


def _ensure_reviews(report: WorkflowReport) -> None:
    for name, title, decision in REVIEW_ENTRIES:
        pkg = _review_entry(name, title)
        if pkg is None or decision is None:
            continue
        decided = model.Session.execute(sa.select(sa.func.count()).select_from(tables.share_review).where(
            tables.share_review.c.package_id == pkg.id)).scalar_one()
        if decided or (pkg.extras or {}).get("share_review") != "pending":
            continue
        if decision == "confirm":
            tk.get_action("lyg_share_review_confirm")(
                _as(REVIEWER), {"package_id": pkg.id, "reason": "经保密审查，涉及国家秘密，认定不予共享。"})
        else:
            tk.get_action("lyg_share_review_reject")(_as(AUTHORITY), {
                "package_id": pkg.id, "share_type": "conditional",
                "reason": "档案经脱敏后不涉密，可有条件共享。",
                "share_condition": "脱敏后仅用于户籍业务协同，不得转授。",
                "share_mode_class": "共享平台方式", "share_mode_type": "文件"})
        report.created["reviews"] += 1


def seed_workflow(progress: bool = True) -> WorkflowReport:
    """Create whatever of the demo users, roles, requests and reviews is missing."""
    report = WorkflowReport()
    password, path = demo_password()
    report.password_file = str(path) if path else "LYG_ADMIN_PASSWORD"
    steps: Iterable[tuple[str, Any]] = (
        ("users", lambda: _ensure_users(report, password)),
        ("roles", _ensure_roles),
        ("requests", lambda: _ensure_requests(report)),
        ("reviews", lambda: _ensure_reviews(report)),
    )
    for _name, step in tqdm(list(steps), desc="workflow demo", unit="step", disable=not progress, leave=True):
        step()
    return report
