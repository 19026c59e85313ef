"""Two real fetch consumers on one Redis queue never import an object twice.

ckanext-harvest's ``harvest_jobs_run`` (the scheduler) re-sends every WAITING
object that is not in the Redis list at that moment — objects a gather has
committed but not yet published, or ones a consumer has just popped — so the
same object can reach two consumers. Here every object of a job is published
twice, back to back, to the queue two ``python -m ckanext.lyg_dev harvester
fetch-consumer`` processes read.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests.helpers import call_action
from ckanext.activity.model import Activity
from ckanext.harvest import queue
from ckanext.harvest.model import HarvestJob, HarvestObject, HarvestObjectExtra

from tests.conftest import with_catalog_plugins
from tests.harvest.conftest import entries
from tests.harvest.workbooks import row, write_xlsx

pytestmark = pytest.mark.usefixtures("clean_db")

ROOT = Path(__file__).resolve().parents[2]
RECORDS = 16


def _worker_ini(tmp_path: Path) -> Path:
    text = (ROOT / "test.ini").read_text().replace("%(here)s", str(ROOT))
    lines = []
    for line in text.splitlines():
        if line.startswith("ckan.plugins ="):
            plugins = line.split("=", 1)[1].split()
            line = "ckan.plugins = " + " ".join(with_catalog_plugins(plugins))
        lines.append(line)
        if line.startswith("[app:main]"):
            lines.append("ckan.harvest.mq.type = redis")
    path = tmp_path / "worker.ini"
    path.write_text("\n".join(lines) + "\n")
    return path


def _consumer(ini: Path, log: Path) -> subprocess.Popen:
    env = dict(
        os.environ,
        CKAN_SQLALCHEMY_URL=tk.config["sqlalchemy.url"],
        CKAN_REDIS_URL=tk.config["ckan.redis.url"],
    )
    return subprocess.Popen(
        [sys.executable, "-m", "ckanext.lyg_dev", "harvester", "--ini", str(ini), "fetch-consumer"],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        cwd=str(ROOT),
        start_new_session=True,
    )


def test_two_fetch_consumers_import_each_object_once(harvest, api, tmp_path):
    write_xlsx(api.root / "catalog.xlsx", [row(n) for n in range(1, RECORDS + 1)])
    source = harvest.source("lyg_workbook", api.url("/catalog.xlsx"), {})
    harvester = queue.get_harvester("lyg_workbook")
    job = HarvestJob.get(
        call_action("harvest_job_create", context={"user": harvest.user["name"]}, source_id=source["id"],
                    run=False)["id"]
    )  # fmt: skip
    job.status = "Running"
    job.save()
    ids = queue.gather_stage(harvester, job)
    assert len(ids) == RECORDS
    model.Session.remove()

    conn = redis.Redis.from_url(tk.config["ckan.redis.url"], decode_responses=True)
    key = queue.get_fetch_routing_key()
    conn.delete(key)
    ini = _worker_ini(tmp_path)
    workers = [_consumer(ini, tmp_path / f"worker{n}.log") for n in (1, 2)]
    try:
        for object_id in ids:  # each object twice, as a re-send would
            body = json.dumps({"harvest_object_id": object_id})
            conn.rpush(key, body, body)
        deadline = time.monotonic() + 240
        done = set()
        while time.monotonic() < deadline and (
            len(done) < RECORDS or conn.llen(key) or conn.keys(key + ":*")
        ):
            assert all(w.poll() is None for w in workers), (tmp_path / "worker1.log").read_text()[-3000:]
            model.Session.remove()
            done = {
                object_id
                for (object_id,) in model.Session.query(HarvestObjectExtra.harvest_object_id).filter(
                    HarvestObjectExtra.harvest_object_id.in_(ids),
                    HarvestObjectExtra.key == "claim",
                    HarvestObjectExtra.value.like("done:%"),
                )
            }
            time.sleep(0.5)
        time.sleep(1)  # the last consumer's final save of the object's state
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
    logs = "".join((tmp_path / f"worker{n}.log").read_text() for n in (1, 2))
    # all 2 × RECORDS messages were consumed and acknowledged
    assert conn.llen(key) == 0 and not conn.keys(key + ":*"), logs[-3000:]
    model.Session.remove()
    objects = model.Session.query(HarvestObject).filter(HarvestObject.id.in_(ids)).all()
    assert {(o.state, o.report_status) for o in objects} == {("COMPLETE", "added")}, logs[-3000:]
    assert not [e for o in objects for e in o.errors]
    found = entries(source["id"])
    assert len(found) == RECORDS
    packages = model.Session.query(model.Package).filter_by(type="dataset").all()
    assert len(packages) == RECORDS  # no duplicate entries
    assert len({p.title for p in packages}) == RECORDS
    for package in packages:  # each created once, never updated by a second import
        kinds = [a.activity_type for a in model.Session.query(Activity).filter_by(object_id=package.id)]
        assert kinds == ["new package"], (package.title, kinds)
    call_action("harvest_jobs_run", context={"user": harvest.user["name"]}, source_id=source["id"])
    assert HarvestJob.get(job.id).status == "Finished"
