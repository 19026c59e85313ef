"""The bulk writer (``catalog/bulk.py``): the same end state as the actions,
unchanged rows found before any write, bad rows reported, failed batches
written again row by row, dry runs."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan import logic, model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.lyg.catalog import bulk, rules
from ckanext.lyg_search import dictize

from .conftest import entry

# differ between two entries made from the same row (identity and time)
VOLATILE = {"id", "name", "resource_code", "metadata_created", "metadata_modified"}


def _row(org, **kw):
    return dict(entry(**kw), owner_org=org["id"], tag_string="人口,户籍")


def _show(name):
    return call_action("package_show", id=name)


def _hit(name):
    result = call_action("package_search", fq=f"name:{name}", include_private=True)
    assert result["count"] == 1
    return result["results"][0]


def _activities(package_id):
    """The entry's activities, newest first (read from the table: the list
    action hides activities from anonymous callers)."""
    from ckanext.activity.model import Activity

    return [{"id": a.id, "activity_type": a.activity_type, "user_id": a.user_id, "data": a.data}
            for a in model.Session.query(Activity).filter(Activity.object_id == package_id)
            .order_by(Activity.timestamp.desc())]


def _memberships(package_id):
    return {
        (name, capacity) for name, capacity in model.Session.query(model.Group.name, model.Member.capacity)
        .join(model.Member, model.Member.group_id == model.Group.id)
        .filter(model.Member.table_id == package_id, model.Member.state == "active")
    }  # fmt: skip


def _without(d, keys=VOLATILE):
    return {k: v for k, v in d.items() if k not in keys}


@pytest.fixture
def world(clean_db, clean_index, sysadmin, org):
    factories.Group(name="population")
    return {"user": sysadmin, "org": org, "context": {"user": sysadmin["name"]}}


@pytest.mark.parametrize("rows", [1, 2], ids=["a row alone", "rows saved together"])
def test_same_end_state_as_package_create(world, rows):
    """One row (saved in a savepoint) or several (saved together, one flush
    for the batch): the entry is what package_create makes."""
    org, ctx = world["org"], world["context"]
    row = _row(org, related_codes=None, data_level="重要", temporal_start="2020-01-01")
    by_action = call_action("package_create", context=dict(ctx), name="by-action", **row)
    names = ["by-bulk", "by-bulk-2"][:rows]
    report = bulk.write([dict(row, name=name) for name in names], ctx)
    assert [(o.action, o.errors) for o in report.outcomes] == [(bulk.CREATED, {})] * rows
    action_pkg, bulk_pkg = _show("by-action"), _show("by-bulk")

    # package_show, field by field
    assert set(action_pkg) == set(bulk_pkg)
    for key in set(action_pkg) - VOLATILE:
        assert bulk_pkg[key] == action_pkg[key], key
    # the resource code: assigned from the same class sequence, the next number
    assert rules.parse_code(action_pkg["resource_code"]) == ("101001", 1)
    assert rules.parse_code(bulk_pkg["resource_code"]) == ("101001", 2)
    assert report.outcomes[0].resource_code == bulk_pkg["resource_code"]
    # the search hit (the index document as package_search returns it)
    action_hit, bulk_hit = _hit("by-action"), _hit("by-bulk")
    assert _without(bulk_hit) == _without(action_hit)
    found = call_action("package_search", q=f'resource_code:"{bulk_pkg["resource_code"]}"')["results"]
    assert [p["name"] for p in found] == ["by-bulk"]
    # groups (classification group and organization membership)
    assert _memberships(bulk_pkg["id"]) == _memberships(by_action["id"])
    assert ("population", "public") in _memberships(bulk_pkg["id"])
    # the activity stream: one "new package" activity by the same user, holding the entry
    action_acts, bulk_acts = _activities(by_action["id"]), _activities(bulk_pkg["id"])
    assert [a["activity_type"] for a in bulk_acts] == ["new package"]
    assert [a["activity_type"] for a in action_acts] == ["new package"]
    assert bulk_acts[0]["user_id"] == action_acts[0]["user_id"] == world["user"]["id"]
    stored = bulk_acts[0]["data"]["package"]
    assert _without(stored) == _without(action_acts[0]["data"]["package"])
    assert stored["resource_code"] == bulk_pkg["resource_code"]
    # the batch read of indexing gives CKAN's dicts for the catalog schema too
    ids = [by_action["id"], bulk_pkg["id"]]
    assert dictize.show_many({"ignore_auth": True}, ids) == {
        i: logic.package_show_default_and_custom_schemas({"ignore_auth": True}, i) for i in ids}


@pytest.mark.parametrize("rows", [1, 2], ids=["a row alone", "rows saved together"])
def test_new_entry_with_resources_as_package_create(world, rows):
    """Resources of a new entry: the same rows, ids, default views and index
    document as package_create gives (the entry's ids are given before its one
    flush; saved together with other rows, its default views are made once the
    batch is flushed)."""
    org, ctx = world["org"], world["context"]
    res = [{"url": "http://example.com/a.csv", "name": "数据", "format": "CSV"},
           {"url": "http://example.com/b.json", "name": "接口", "format": "JSON"}]
    call_action("package_create", context=dict(ctx), name="res-action", resources=res, **_row(org))
    names = ["res-bulk", "res-bulk-2"][:rows]
    report = bulk.write([dict(_row(org), name=name, resources=res) for name in names], ctx)
    assert [(o.action, o.errors) for o in report.outcomes] == [(bulk.CREATED, {})] * rows
    by_action, by_bulk = _show("res-action")["resources"], _show("res-bulk")["resources"]
    volatile = {"id", "package_id", "created", "metadata_modified", "last_modified"}
    assert [_without(r, volatile) for r in by_bulk] == [_without(r, volatile) for r in by_action]
    pkg = model.Package.get("res-bulk")
    assert [r["id"] for r in by_bulk] == [r.id for r in pkg.resources]
    assert {r["package_id"] for r in by_bulk} == {pkg.id}

    def views(resource_id):
        return sorted(v["view_type"] for v in call_action("resource_view_list", id=resource_id))

    assert [views(r["id"]) for r in by_bulk] == [views(r["id"]) for r in by_action]
    assert [r["id"] for r in _hit("res-bulk")["resources"]] == [r["id"] for r in by_bulk]


def test_unchanged_rows_write_nothing(world):
    org, ctx = world["org"], world["context"]
    rows = [_row(org, name=f"e{n}", title=f"条目{n}") for n in range(3)]
    first = bulk.write(rows, ctx)
    assert first.created == 3
    codes = [o.resource_code for o in first.outcomes]
    before = {n: _show(f"e{n}") for n in range(3)}
    # the same rows again, matched by resource code (as the import does)
    again = bulk.write([dict(r, resource_code=c) for r, c in zip(rows, codes, strict=True)], ctx)
    assert [o.action for o in again.outcomes] == [bulk.UNCHANGED] * 3
    for n in range(3):
        assert _show(f"e{n}") == before[n]  # not even metadata_modified moved
        assert len(_activities(before[n]["id"])) == 1


def test_update_patches_the_entry(world):
    org, ctx = world["org"], world["context"]
    pkg = call_action("package_create", context=dict(ctx), name="with-file",
                      resources=[{"url": "http://example.com/a.csv", "name": "数据"}], **_row(org))
    report = bulk.write([{"resource_code": pkg["resource_code"], "title": "新的名称",
                          "update_cycle": "每月"}], ctx)
    assert [o.action for o in report.outcomes] == [bulk.UPDATED]
    after = _show("with-file")
    assert after["title"] == "新的名称" and after["update_cycle"] == "每月"
    assert after["resource_code"] == pkg["resource_code"]  # never changes
    assert [r["url"] for r in after["resources"]] == ["http://example.com/a.csv"]  # kept
    assert after["info_items"] == pkg["info_items"] and after["tags"] == pkg["tags"]
    assert _hit("with-file")["title"] == "新的名称"
    assert [a["activity_type"] for a in _activities(pkg["id"])] == ["changed package", "new package"]
    # updating by id works the same way
    report = bulk.write([{"id": pkg["id"], "title": "又改了"}], ctx)
    assert report.updated == 1 and _show("with-file")["title"] == "又改了"


def test_bad_rows_reported_the_others_written(world):
    org, ctx = world["org"], world["context"]
    rows = [
        _row(org, name="good-1"),
        _row(org, name="bad-rule", share_type="none", open_type="unconditional", share_basis="《保密法》"),
        _row(org, name="bad-code", catalog_item="99"),
        _row(org, name="good-2"),
    ]
    report = bulk.write(rows, ctx, batch_size=10)
    assert [o.action for o in report.outcomes] == [bulk.CREATED, bulk.FAILED, bulk.FAILED, bulk.CREATED]
    assert "open_type" in report.outcomes[1].errors
    assert "catalog_item" in report.outcomes[2].errors
    assert report.created == 2 and report.failed == 2
    for name in ("bad-rule", "bad-code"):
        assert model.Package.get(name) is None
    # the failed rows took no number: the good ones are 1 and 2
    assert [rules.parse_code(_show(n)["resource_code"])[1] for n in ("good-1", "good-2")] == [1, 2]


def test_failed_batch_is_written_row_by_row(world):
    """A row that passes validation but that the database refuses (here a
    trigger refuses its name) fails the batch write: the batch is rolled back
    and written again row by row, so only that row is lost, and nothing of it
    is left."""
    org, ctx = world["org"], world["context"]
    model.Session.execute(sa.text("""
        CREATE OR REPLACE FUNCTION lyg_test_refuse() RETURNS trigger AS $$
        BEGIN
          IF NEW.name = 'refused' THEN RAISE EXCEPTION 'refused by the database'; END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER lyg_test_refuse BEFORE INSERT ON package
          FOR EACH ROW EXECUTE FUNCTION lyg_test_refuse();
    """))
    model.Session.commit()
    try:
        rows = [_row(org, name="fine-1"), _row(org, name="refused"), _row(org, name="fine-2")]
        report = bulk.write(rows, ctx, batch_size=10)
    finally:
        model.Session.rollback()
        model.Session.execute(sa.text(
            "DROP TRIGGER IF EXISTS lyg_test_refuse ON package; DROP FUNCTION IF EXISTS lyg_test_refuse()"))
        model.Session.commit()
    assert [o.action for o in report.outcomes] == [bulk.CREATED, bulk.FAILED, bulk.CREATED]
    assert report.outcomes[1].errors[""]
    assert model.Package.get("refused") is None
    assert call_action("package_search", fq="name:refused")["count"] == 0
    for name in ("fine-1", "fine-2"):
        assert _hit(name)["name"] == name and len(_activities(_show(name)["id"])) == 1


def test_dry_run_writes_nothing(world):
    org, ctx = world["org"], world["context"]
    rows = [_row(org, name="dry"), _row(org, name="dry-bad", catalog_class="9")]
    report = bulk.write(rows, ctx, dry_run=True)
    assert [o.action for o in report.outcomes] == [bulk.CREATED, bulk.FAILED]
    assert model.Package.get("dry") is None
    assert call_action("package_search", q="*:*")["count"] == 0
    assert bulk.write([_row(org, name="real")], ctx).outcomes[0].resource_code == "101001/000001"


def test_dry_run_finds_codes_the_file_brings(world):
    """A dry run rolls each batch back: a row naming a code that a row of an
    earlier batch brings is still judged as the real import would judge it."""
    org, ctx = world["org"], world["context"]
    rows = [_row(org, name="brings", resource_code="101001/000007"),
            _row(org, name="names-it", related_codes=["101001/000007"]),
            _row(org, name="names-nothing", related_codes=["101001/000099"])]
    report = bulk.write(rows, ctx, dry_run=True, batch_size=1)
    assert [o.action for o in report.outcomes] == [bulk.CREATED, bulk.CREATED, bulk.FAILED]
    assert report.outcomes[2].errors == {
        "related_codes": ["No entry has the resource code 101001/000099"]}
    assert model.Session.query(model.Package).count() == 0
    # the real import agrees
    real = bulk.write(rows, ctx, batch_size=1)
    assert [o.action for o in real.outcomes] == [bulk.CREATED, bulk.CREATED, bulk.FAILED]


def test_batches_and_names(world):
    """Rows span several batches; a row without a name gets one; a related
    code may name an entry written earlier in the same batch."""
    org, ctx = world["org"], world["context"]
    first = bulk.write([_row(org, name="base")], ctx).outcomes[0].resource_code
    rows = [_row(org, title=f"条目{n}", related_codes=[first]) for n in range(7)]
    report = bulk.write(rows, ctx, batch_size=3)
    assert report.created == 7 and report.failed == 0
    names = [model.Package.get(o.id).name for o in report.outcomes]
    assert all(n.startswith("lyg-") for n in names) and len(set(names)) == 7
    assert _show(names[-1])["related_codes"] == [first]


def test_not_authorized_row(world):
    org = world["org"]
    outsider = factories.User()
    report = bulk.write([_row(org, name="nope")], {"user": outsider["name"]})
    assert report.outcomes[0].action == bulk.FAILED and "owner_org" in report.outcomes[0].errors
    assert model.Package.get("nope") is None


def test_nul_character_is_a_field_error(world):
    """Text PostgreSQL cannot store is refused by validation, on its field."""
    org, ctx = world["org"], world["context"]
    report = bulk.write([_row(org, name="nul", notes="摘要\x00")], ctx, batch_size=10)
    assert report.outcomes[0].action == bulk.FAILED and "notes" in report.outcomes[0].errors
    assert model.Package.get("nul") is None


def test_parallel_writers_give_the_one_process_result(world, monkeypatch):
    """Two writer processes (forked, each with its own connection): rows of
    several classes, a new tag on a row that fails, an update of an existing
    entry and a name given twice. Same report, in row order, as one process;
    the entries are saved, indexed and coded per class; the tag only the
    failing row named is not left behind."""
    org, ctx = world["org"], world["context"]
    monkeypatch.setattr(bulk, "PARALLEL_FROM", 1)
    existing = bulk.write([_row(org, name="kept")], ctx).outcomes[0].resource_code
    rows = []
    for n in range(6):
        rows.append(dict(_row(org, name=f"pop-{n}"), tag_string=f"人口,批次{n % 2}"))
        rows.append(_row(org, name=f"geo-{n}", catalog_item="03", catalog_sub=None))
    rows.insert(3, dict(_row(org, name="bad", catalog_item="99"), tag_string="只在坏行"))
    rows.append({"resource_code": existing, "title": "改过的名称"})
    rows.append(_row(org, name="pop-0"))  # a name taken earlier in the file
    # a row naming a code another row of the file brings (written after it)
    rows.append(_row(org, name="brings", resource_code="101001/000050"))
    rows.append(_row(org, name="names-it", catalog_item="03", catalog_sub=None,
                     related_codes=["101001/000050"]))
    # one naming a row after it that names it (written in a third round), and
    # two rows naming each other (in file order, as one process would)
    rows.append(_row(org, name="names-names-it", resource_code="103/000060",
                     catalog_item="03", catalog_sub=None, related_codes=["103/000061"]))
    rows.append(_row(org, name="names-it-too", resource_code="103/000061",
                     catalog_item="03", catalog_sub=None, related_codes=["101001/000050"]))
    rows.append(_row(org, name="cycle-a", resource_code="101001/000070", related_codes=["101001/000071"]))
    rows.append(_row(org, name="cycle-b", resource_code="101001/000071", related_codes=["101001/000070"]))

    report = bulk.write(rows, ctx, batch_size=2, workers=2)

    assert [o.row for o in report.outcomes] == list(range(len(rows)))
    actions = [o.action for o in report.outcomes]
    assert actions[3] == bulk.FAILED and "catalog_item" in report.outcomes[3].errors
    assert actions[-8] == bulk.UPDATED and actions[-7] == bulk.FAILED
    assert "name" in report.outcomes[-7].errors
    # the cycle, in file order: cycle-a finds no 071, and then cycle-b no 070
    assert actions[-2:] == [bulk.FAILED, bulk.FAILED]
    assert [o.errors for o in report.outcomes[-2:]] == [
        {"related_codes": ["No entry has the resource code 101001/000071"]},
        {"related_codes": ["No entry has the resource code 101001/000070"]}]
    assert actions.count(bulk.CREATED) == 16 and report.failed == 4
    assert _show("names-it")["related_codes"] == ["101001/000050"]
    assert _show("names-names-it")["related_codes"] == ["103/000061"]
    assert _show("kept")["title"] == "改过的名称"
    pop = {rules.parse_code(_show(f"pop-{n}")["resource_code"]) for n in range(6)}
    assert len(pop) == 6 and all(c == "101001" and n > 1 for c, n in pop)  # after the kept entry's 1
    geo = {rules.parse_code(_show(f"geo-{n}")["resource_code"]) for n in range(6)}
    assert {c for c, _n in geo} == {"103"} and len(geo) == 6
    for n in range(6):
        assert _hit(f"geo-{n}")["name"] == f"geo-{n}"
        assert {t["name"] for t in _show(f"pop-{n}")["tags"]} == {"人口", f"批次{n % 2}"}
    assert model.Package.get("bad") is None
    assert model.Session.query(model.Tag).filter(model.Tag.name == "只在坏行").count() == 0
    assert call_action("package_search", q="*:*", include_private=True)["count"] == 17


def test_parallel_dry_run_writes_nothing(world, monkeypatch):
    org, ctx = world["org"], world["context"]
    monkeypatch.setattr(bulk, "PARALLEL_FROM", 1)
    rows = [dict(_row(org, name=f"dry-{n}"), tag_string="新标签") for n in range(4)]
    report = bulk.write(rows, ctx, batch_size=1, workers=2, dry_run=True)
    assert [o.action for o in report.outcomes] == [bulk.CREATED] * 4
    assert model.Session.query(model.Package).count() == 0
    assert model.Session.query(model.Tag).filter(model.Tag.name == "新标签").count() == 0


def test_create_one_in_the_callers_transaction(world):
    """``bulk.create`` (the harvest import stage): the entry under the given id,
    saved, indexed and with its activity in the caller's transaction, which
    the caller commits or rolls back; a bad row raises and leaves nothing."""
    import uuid

    org, user = world["org"], world["user"]["name"]
    given = str(uuid.uuid4())
    outcome = bulk.create(dict(_row(org, name="harvested"), id=given), user, ignore_auth=True)
    assert (outcome.action, outcome.id) == (bulk.CREATED, given)
    model.Session.rollback()
    assert model.Package.get(given) is None
    assert call_action("package_search", fq="name:harvested")["count"] == 0

    outcome = bulk.create(dict(_row(org, name="harvested"), id=given), user, ignore_auth=True)
    model.Session.commit()
    assert _show("harvested")["id"] == given and _hit("harvested")["id"] == given
    assert [a["activity_type"] for a in _activities(given)] == ["new package"]
    assert rules.parse_code(outcome.resource_code) == ("101001", 1)

    with pytest.raises(tk.ValidationError) as err:
        bulk.create(_row(org, name="harvested-bad", catalog_item="99"), user, ignore_auth=True)
    assert "catalog_item" in err.value.error_dict
    model.Session.commit()
    assert model.Package.get("harvested-bad") is None


def test_a_batch_finds_its_tags_and_department_once(world, app):
    org, ctx = world["org"], world["context"]
    call_action("package_create", context=dict(ctx), name="first", **_row(org))  # the tags exist
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    sa.event.listen(model.meta.engine, "before_cursor_execute", record)
    try:  # in a request context, as the import command and page write
        with app.flask_app.test_request_context():
            report = bulk.write([_row(org, title=f"条目{n}") for n in range(4)], ctx)
    finally:
        sa.event.remove(model.meta.engine, "before_cursor_execute", record)
    assert report.created == 4
    # no look-up of a tag by name, nor of a new entry's department memberships, per row
    assert not [s for s in statements if s.startswith("SELECT tag.id") and "tag.name = " in s]
    assert not [s for s in statements if "member.capacity = " in s and "FROM member" in s]
    # nor of the classification group, nor, at commit, of the entry of each
    # new membership (CKAN's modification notices, which no plugin here hears),
    # nor a second write of the entry for its modification time
    assert not [s for s in statements if 'FROM "group" WHERE "group".name = ' in s]
    assert not [s for s in statements if s.startswith("SELECT package.id")
                and s.endswith("WHERE package.id = %(id_1)s")]
    assert not [s for s in statements if s.startswith("UPDATE package SET metadata_modified")]
    # nor of the writing user (read once a batch), nor, in CKAN's validators,
    # of the department by id, or of the name
    assert len([s for s in statements if 'FROM "user" WHERE "user".name = ' in s]) <= 2
    assert not [s for s in statements if 'FROM "group" WHERE "group".id = ' in s]
    assert not [s for s in statements if s.startswith("SELECT EXISTS") and "package.name = " in s]
    # nor of a new entry's group memberships (it has none yet) when it joins its classification's group
    assert not [s for s in statements if 'FROM member JOIN "group"' in s]
    for outcome in report.outcomes:
        pkg = model.Package.get(outcome.id)
        assert {t.name for t in pkg.get_tags()} == {"人口", "户籍"}
        assert pkg.metadata_modified is not None
        assert {(org["name"], "organization"), ("population", "public")} <= _memberships(outcome.id)
    assert model.Session.query(model.Tag).filter(model.Tag.name.in_(["人口", "户籍"])).count() == 2


def test_units_keep_a_class_together_and_fill_their_batches():
    """Rows of one class are in one unit (one process); small classes share
    units, so that batches are full; a unit's rows are in file order."""
    classes = ["101001"] * 7 + ["103001"] * 2 + ["104001", "105001", "106001"] + ["201001"] * 3
    items = [(i, {"resource_code": f"{code}/{i + 1:06d}"}) for i, code in enumerate(classes)]
    units = bulk._class_units(items, 4, 2)
    assert len(units) == 4  # 16 rows, 4 a batch: 4 units (at least 2, one per worker)
    seen = [index for unit in units for batch in unit for index, _row in batch]
    assert sorted(seen) == list(range(len(items)))
    for unit in units:
        rows = [index for batch in unit for index, _row in batch]
        assert rows == sorted(rows)
        assert all(len(batch) <= 4 for batch in unit)
    unit_of = {classes[index]: n for n, unit in enumerate(units) for batch in unit for index, _r in batch}
    for n, unit in enumerate(units):
        assert all(unit_of[classes[index]] == n for batch in unit for index, _r in batch)
    assert sum(len(batch) for batch in units[0]) == 7  # the largest first
    # one class, or fewer rows than workers: never an empty unit
    assert [len(u) for u in bulk._class_units(items[:3], 4, 2)] == [1]


def test_names_in_use_as_package_create_says(world):
    """The batch's names are read once (``lyg_package_name``), with CKAN's
    answer: a name another entry holds, or an earlier row of the batch took,
    is in use; a name a row of the batch gave up is free again."""
    org, ctx = world["org"], world["context"]
    call_action("package_create", context=dict(ctx), name="taken", **_row(org))
    with pytest.raises(tk.ValidationError) as err:
        call_action("package_create", context=dict(ctx), name="taken", **_row(org))
    in_use = err.value.error_dict["name"]
    report = bulk.write([_row(org, name="taken"), _row(org, name="twice", title="甲"),
                         _row(org, name="twice", title="乙")], ctx)
    assert [o.action for o in report.outcomes] == [bulk.FAILED, bulk.CREATED, bulk.FAILED]
    assert report.outcomes[0].errors["name"] == in_use == report.outcomes[2].errors["name"]
    assert _show("twice")["title"] == "甲"
    # a rename frees the old name for a later row of the same batch
    code = _show("twice")["resource_code"]
    rows = [{"resource_code": code, "name": "renamed"}, _row(org, name="twice", title="丙")]
    report = bulk.write(rows, ctx)
    assert [o.action for o in report.outcomes] == [bulk.UPDATED, bulk.CREATED]
    assert _show("renamed")["resource_code"] == code and _show("twice")["title"] == "丙"
    # a deleted entry's name is free, as for package_create
    call_action("package_delete", context=dict(ctx), id="renamed")
    assert bulk.write([_row(org, name="renamed", title="丁")], ctx).created == 1


def test_department_checks_as_package_create(world):
    """``lyg_owner_org`` answers from the batch's departments as CKAN's
    validator would: a department by name becomes its id, an editor adds to
    their own department only and cannot move an entry to another, an
    unknown department is an error."""
    from tests.conftest import make_org

    org, ctx = world["org"], world["context"]
    other = make_org("lyg-mzj", "连云港市民政局")
    editor = factories.User()
    call_action("member_create", id=org["id"], object=editor["name"], object_type="user", capacity="editor")
    as_editor = {"user": editor["name"]}
    checked = dict(as_editor, ignore_auth=False)  # (call_action ignores auth by default)
    report = bulk.write([_row(org, name="by-name") | {"owner_org": org["name"]},
                         _row(other, name="elsewhere"), _row(org, name="own")], as_editor)
    assert [o.action for o in report.outcomes] == [bulk.CREATED, bulk.FAILED, bulk.CREATED]
    with pytest.raises(tk.NotAuthorized) as refused:
        call_action("package_create", context=dict(checked), name="elsewhere", **_row(other))
    assert report.outcomes[1].errors == {"owner_org": [str(refused.value)]}
    assert model.Package.get("by-name").owner_org == org["id"]
    # moving an entry to a department the editor is not in: the validator's refusal
    code = _show("own")["resource_code"]
    with pytest.raises(tk.ValidationError) as moved:
        call_action("package_patch", context=dict(checked), id="own", owner_org=other["id"])
    report = bulk.write([{"resource_code": code, "owner_org": other["name"]}], as_editor)
    assert report.outcomes[0].errors["owner_org"] == moved.value.error_dict["owner_org"]
    assert model.Package.get("own").owner_org == org["id"]
    report = bulk.write([_row(org, name="nowhere") | {"owner_org": "no-such-department"}], ctx)
    assert report.outcomes[0].errors["owner_org"] == [tk._("Organization does not exist")]


def test_codes_a_batch_brings_are_read_and_reserved_once(world):
    """The resource codes a batch brings (and relates to) are read in one
    query and their classes locked in one statement; the numbers are
    reserved when the rows are written, as ``package_create`` would: a code
    an earlier row took is in use, the class's next number comes after the
    codes written before it, a failed row's code is not taken, and related
    codes may name an entry an earlier row wrote."""
    org, ctx = world["org"], world["context"]
    call_action("package_create", context=dict(ctx), name="held", resource_code="101001/000003",
                **_row(org))
    with pytest.raises(tk.ValidationError) as err:
        call_action("package_create", context=dict(ctx), name="again",
                    **_row(org, resource_code="101001/000003"))
    in_use = err.value.error_dict["resource_code"]
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    rows = [
        _row(org, name="row-a", resource_code="101001/000007"),
        _row(org, name="row-b", resource_code="101001/000007"),  # the code "a" took
        _row(org, name="row-c", resource_code="101001/000050", catalog_item="99"),  # a bad row
        _row(org, name="row-d"),  # the next number, after "a"'s
        _row(org, name="row-e", resource_code="101001/000009",
             related_codes=["101001/000007", "101001/000003"]),
        _row(org, name="row-f", resource_code="101001/000010", related_codes="101001/000999"),
    ]
    sa.event.listen(model.meta.engine, "before_cursor_execute", record)
    try:
        report = bulk.write(rows, ctx)
    finally:
        sa.event.remove(model.meta.engine, "before_cursor_execute", record)
    actions = [o.action for o in report.outcomes]
    assert actions == [bulk.CREATED, bulk.FAILED, bulk.FAILED, bulk.CREATED, bulk.CREATED, bulk.FAILED]
    assert report.outcomes[1].errors["resource_code"] == [in_use[0].replace("000003", "000007")]
    assert "catalog_item" in report.outcomes[2].errors
    assert "101001/000999" in report.outcomes[5].errors["related_codes"][0]
    assert [_show(n)["resource_code"] for n in ("row-a", "row-d", "row-e")] == [
        "101001/000007", "101001/000008", "101001/000009"]
    assert _show("row-e")["related_codes"] == ["101001/000007", "101001/000003"]
    # "c" failed: 000050 is not taken; the next number follows the written rows
    assert call_action("package_create", context=dict(ctx), name="row-g",
                       **_row(org))["resource_code"] == "101001/000010"
    # no reservation nor owner look-up per row: one lock, one reservation
    # before "d" took a number, one at the end of the batch
    assert not [s for s in statements if "extras->>'resource_code' = %(code)s" in s]
    sequence = [s for s in statements if s.startswith("INSERT INTO lyg_catalog_sequence")]
    assert [("unnest" in s, "GREATEST" in s) for s in sequence] == [
        (True, False), (True, True), (False, False), (True, True)]



def test_a_batch_is_saved_together_and_flushed_once(world, caplog):
    """The rows of a batch that pass their checks are saved without a flush
    in between and written together: one INSERT into each table for the
    batch, not one for every row. A free tag two new rows bring is made once
    for the batch; a row failing its checks leaves nothing, not even the new
    tag only it named."""
    org, ctx = world["org"], world["context"]
    rows = [dict(_row(org, name=f"t{n}"), tag_string="人口,新标签") for n in range(3)]
    rows.insert(1, dict(_row(org, name="t-bad", catalog_item="99"), tag_string="只此一行"))
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    sa.event.listen(model.meta.engine, "before_cursor_execute", record)
    try:
        report = bulk.write(rows, ctx, batch_size=10)
    finally:
        sa.event.remove(model.meta.engine, "before_cursor_execute", record)
    assert [o.action for o in report.outcomes] == [bulk.CREATED, bulk.FAILED, bulk.CREATED, bulk.CREATED]
    assert "catalog_item" in report.outcomes[1].errors
    assert "row by row" not in caplog.text  # the batch was not written again row by row
    for table in ("package", "package_tag", "member"):
        assert len([s for s in statements if s.startswith(f"INSERT INTO {table} ")]) == 1, table
    assert model.Package.get("t-bad") is None
    tags = dict(model.Session.query(model.Tag.name, sa.func.count()).join(model.PackageTag)
                .group_by(model.Tag.name))
    assert tags == {"人口": 3, "新标签": 3}
    assert model.Session.query(model.Tag).filter(model.Tag.name == "新标签").count() == 1
    assert model.Session.query(model.Tag).filter(model.Tag.name == "只此一行").count() == 0
    for name in ("t0", "t1", "t2"):
        assert _hit(name)["name"] == name and len(_activities(_show(name)["id"])) == 1
        assert {t["name"] for t in _show(name)["tags"]} == {"人口", "新标签"}


def test_a_row_naming_its_groups_in_a_batch(world, caplog):
    """A new row that names its groups, saved with others: its
    classification's group is looked for among the memberships it was just
    given (flushed first), so it is a member once."""
    org, ctx = world["org"], world["context"]
    rows = [_row(org, name="g0"), dict(_row(org, name="g1"), groups=[{"name": "population"}]),
            _row(org, name="g2")]
    report = bulk.write(rows, ctx, batch_size=10)
    assert [o.action for o in report.outcomes] == [bulk.CREATED] * 3
    assert "row by row" not in caplog.text
    for name in ("g0", "g1", "g2"):
        pkg = model.Package.get(name)
        assert model.Session.query(model.Member).filter(
            model.Member.table_id == pkg.id, model.Member.capacity == "public",
            model.Member.state == "active").count() == 1
        assert ("population", "public") in _memberships(pkg.id)
