"""Harvest benchmark: a ``lyg_sql`` source of N records (run by `make bench`).

Creates a department database (``lyg_bench_dept``, a table of N catalog rows)
and a CKAN database of its own (``lyg_bench_harvest``), both on the local
PostgreSQL, then harvests the source twice through ckanext-harvest's own
stages (gather, fetch + import per object as the fetch consumer does,
``harvest_jobs_run``) in this process, without the Redis round trips: the
first run creates N entries through the catalog schema, the second finds them
all unchanged. Prints records/s of each run and
the peak RSS of the process after each.

    python bench/harvest.py [--records N] [--keep]

Both databases are dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("LYG_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
DB = os.environ.get("LYG_BENCH_HARVEST_DB", "lyg_bench_harvest")
DEPT_DB = "lyg_bench_dept"
SUBJECTS = ["户籍人口", "企业登记", "不动产登记", "社会保障", "空气质量", "公交线路", "行政许可",
            "学校名录", "医疗机构", "地区生产总值", "旅游景区", "地名地址"]  # fmt: skip
CYCLES = ["实时", "每日", "每周", "每月", "每季度", "每半年", "每年", "不定期"]
CONFIG = {
    "table": "catalog_entries",
    "record_id": "entry_id",
    "columns": {"title": "title", "notes": "summary", "catalog_class": "cls", "catalog_item": "item",
                "format_type": "fmt_type", "info_items": "columns_json", "update_cycle": "cycle",
                "tags": "keywords"},
    "defaults": {"format_class": "数据库", "share_type": "unconditional", "open_type": "none",
                 "share_mode_class": "共享平台方式", "share_mode_type": "数据库"},
}  # fmt: skip


def psql(db: str, sql: str) -> None:
    subprocess.run(["psql", f"{ADMIN_URL}/{db}", "-qc", sql], check=True, capture_output=True)


def rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def write_ini() -> str:
    text = (ROOT / "test.ini").read_text()
    text = text.replace("testing = true\n", "").replace("%(here)s", str(ROOT))
    text = text.replace("level = INFO", "level = WARN")
    text = text.replace(
        "ckan.plugins = lyg_search lyg ",
        "ckan.plugins = lyg_search lyg scheming_datasets scheming_organizations ",
        1,
    )
    path = Path(tempfile.gettempdir()) / "lyg-bench-harvest.ini"
    path.write_text(text)
    return str(path)


def prepare(ini: str, records: int) -> None:
    for db in (DB, DEPT_DB):
        psql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        psql("postgres", f'CREATE DATABASE "{db}"')
    env = dict(os.environ, CKAN_SQLALCHEMY_URL=f"{ADMIN_URL}/{DB}")
    ckan = str(Path(sys.executable).parent / "ckan")
    subprocess.run([ckan, "-c", ini, "db", "init"], env=env, check=True, capture_output=True)
    for plugin in ("lyg_search", "activity", "harvest", "lyg"):
        subprocess.run(
            [ckan, "-c", ini, "db", "upgrade", "-p", plugin], env=env, check=True, capture_output=True
        )
    columns = json.dumps(
        [
            {"name": "编号", "data_type": "I", "is_key": True},
            {"name": "名称", "data_type": "C", "length": 200},
        ],
        ensure_ascii=False,
    )
    psql(
        DEPT_DB,
        "CREATE TABLE catalog_entries (entry_id INTEGER PRIMARY KEY, title TEXT, summary TEXT,"
        " cls TEXT, item TEXT, fmt_type TEXT, columns_json TEXT, cycle TEXT, keywords TEXT)",
    )
    rows = "\n".join(
        "\t".join(
            [
                str(n),
                f"连云港市{SUBJECTS[n % len(SUBJECTS)]}信息{n}",
                f"{SUBJECTS[n % len(SUBJECTS)]}相关记录，第{n}条目录。",
                "1",
                f"0{n % 6 + 1}",
                "postgresql",
                columns,
                CYCLES[n % len(CYCLES)],
                f"{SUBJECTS[n % len(SUBJECTS)]},连云港",
            ]
        )
        for n in range(1, records + 1)
    )
    subprocess.run(
        ["psql", f"{ADMIN_URL}/{DEPT_DB}", "-qc", r"\copy catalog_entries FROM STDIN"],
        input=rows + "\n",
        text=True,
        check=True,
        capture_output=True,
    )


def run(source: dict, user: str) -> tuple[float, dict[str, int]]:
    """One job, as the gather and fetch consumers run it (minus the Redis round trips)."""
    from ckan import model
    from ckan.plugins import toolkit as tk
    from ckanext.harvest import queue
    from ckanext.harvest.model import HarvestJob, HarvestObject

    harvester = queue.get_harvester("lyg_sql")
    started = time.perf_counter()
    job_id = tk.get_action("harvest_job_create")({"user": user}, {"source_id": source["id"], "run": False})[
        "id"
    ]
    job = HarvestJob.get(job_id)
    job.status = "Running"
    job.save()
    ids = queue.gather_stage(harvester, job) or []
    model.Session.remove()
    for object_id in ids:  # what fetch_callback does for each queue message
        obj = HarvestObject.get(object_id)
        obj.retry_times += 1
        obj.save()
        queue.fetch_and_import_stages(harvester, obj)
        model.Session.remove()
    tk.get_action("harvest_jobs_run")({"user": user, "ignore_auth": True}, {"source_id": source["id"]})
    elapsed = time.perf_counter() - started
    counts: dict[str, int] = {}
    for (status,) in model.Session.query(HarvestObject.report_status).filter_by(harvest_job_id=job_id):
        counts[status] = counts.get(status, 0) + 1
    assert HarvestJob.get(job_id).status == "Finished"
    return elapsed, counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=int(os.environ.get("LYG_BENCH_HARVEST_RECORDS", 2000)))
    ap.add_argument("--keep", action="store_true", help="keep both databases")
    ap.add_argument("--profile", metavar="FILE", help="write a cProfile of both runs to FILE")
    args = ap.parse_args()
    ini = write_ini()
    t0 = time.perf_counter()
    prepare(ini, args.records)
    setup_s = time.perf_counter() - t0
    os.environ["CKAN_SQLALCHEMY_URL"] = f"{ADMIN_URL}/{DB}"
    os.environ["CKAN_INI"] = ini
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(ini))
    flask_app = app._wsgi_app if hasattr(app, "_wsgi_app") else app
    try:
        with flask_app.test_request_context():
            from ckan.plugins import toolkit as tk
            from ckanext.lyg import uscc

            site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
            context = {"user": site_user, "ignore_auth": True}
            org = tk.get_action("organization_create")(
                dict(context),
                {
                    "name": "lyg-bench-dept",
                    "title": "连云港市基准测试局",
                    "provider_code": uscc.generate("连云港市基准测试局"),
                    "kind": "市级部门",
                },
            )
            source = tk.get_action("harvest_source_create")(
                dict(context),
                {
                    "name": "bench-dept-db",
                    "title": "bench-dept-db",
                    "source_type": "lyg_sql",
                    "url": f"{ADMIN_URL}/{DEPT_DB}",
                    "owner_org": org["id"],
                    "config": json.dumps(CONFIG, ensure_ascii=False),
                },
            )
            profiler = None
            if args.profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            base_rss = rss_mb()
            first_s, first = run(source, site_user)
            first_rss = rss_mb()
            again_s, again = run(source, site_user)
            again_rss = rss_mb()
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(args.profile)
    finally:
        if not args.keep:
            from ckan import model

            model.Session.remove()
            model.meta.engine.dispose()
            for db in (DB, DEPT_DB):
                psql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    n = args.records
    print()
    print(
        f"lyg_sql harvest benchmark — {n} records from PostgreSQL, {os.cpu_count()} cores, "
        f"setup {setup_s:.0f} s, RSS after boot {base_rss} MB"
    )
    for label, secs, peak, counts in (
        ("first run", first_s, first_rss, first),
        ("unchanged re-run", again_s, again_rss, again),
    ):
        print(f"  {label:17s} {secs:7.1f} s  {n / secs:8.1f} records/s  peak RSS {peak} MB  {counts}")
    print("  targets: first run >= 20 records/s, unchanged re-run >= 200 records/s")


if __name__ == "__main__":
    main()
