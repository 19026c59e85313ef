"""Harvest benchmark: a ``lyg_workbook`` and a ``lyg_sql`` source of N records each
(run by `make bench`).

Writes a catalog workbook of N rows (national template, two info items a row)
into a temporary directory the source may read, creates a department database
(``lyg_bench_dept``, a table of N catalog rows) and a CKAN database of its own
(``lyg_bench_harvest``), both on the local PostgreSQL, then harvests each
source twice through ckanext-harvest's own stages (gather, fetch + import per
object as the fetch consumer does, ``harvest_jobs_run``), without the Redis
round trips: the gather in this process, the fetch + import in ``--consumers``
forked processes (as many fetch consumers; default one per core, as production
scales them), each taking its share of the job's objects. The first run
creates N entries through the catalog schema, the second finds them all
unchanged. Prints records/s of each run and the peak RSS of one process
(ru_maxrss: the peak so far, this process or a consumer).

    python bench/harvest.py [--records N] [--keep] [--only workbook|sql] [--profile FILE]
                            [--consumers N] [--synchronous-commit on|off]

Both databases are dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
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
WORKBOOK_DIR = Path(tempfile.gettempdir()) / "lyg-bench-workbook"
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


CONSUMER_PEAK_MB = [0]  # the consumer processes' peak RSS


def rss_mb() -> int:
    """Peak RSS of this process or of a consumer process (MB)."""
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, CONSUMER_PEAK_MB[0])


def write_ini(synchronous_commit: str = "on") -> str:
    text = (ROOT / "test.ini").read_text()
    text = text.replace("testing = true\n", "").replace("%(here)s", str(ROOT))
    text = text.replace("level = INFO", "level = WARN")
    text = text.replace(
        "ckan.plugins = lyg_search lyg ",
        "ckan.plugins = lyg_search lyg scheming_datasets scheming_organizations ",
        1,
    )
    allow = (
        f"[app:main]\nckanext.lyg_harvest.workbook_dirs = {WORKBOOK_DIR}\n"
        f"ckanext.lyg_harvest.synchronous_commit = {synchronous_commit}\n"
    )
    text = text.replace("[app:main]\n", allow, 1)
    path = Path(tempfile.gettempdir()) / "lyg-bench-harvest.ini"
    path.write_text(text)
    return str(path)


def write_workbook(records: int) -> Path:
    """A catalog workbook of ``records`` rows in the national template."""
    from ckanext.lyg.catalog.exchange import COLUMNS, ENTRIES_SHEET, ITEM_COLUMNS, ITEMS_SHEET
    from openpyxl import Workbook

    WORKBOOK_DIR.mkdir(parents=True, exist_ok=True)
    book = Workbook(write_only=True)
    entries, items = book.create_sheet(ENTRIES_SHEET), book.create_sheet(ITEMS_SHEET)
    headers = [h for _k, h, _v in COLUMNS]
    entries.append(headers)
    items.append([h for _k, h in ITEM_COLUMNS])
    for n in range(1, records + 1):
        subject = SUBJECTS[n % len(SUBJECTS)]
        title = f"连云港市{subject}目录{n}"
        row = {"信息资源名称": title, "信息资源摘要": f"{subject}相关记录，第{n}条目录。",
               "信息资源提供方": "连云港市基准测试局", "类": "1", "项": f"0{n % 6 + 1}",
               "信息资源格式分类": "电子表格", "信息资源格式类型": "xlsx", "共享类型": "无条件共享",
               "共享方式分类": "共享平台方式", "共享方式类型": "文件", "开放属性": "不予开放",
               "更新周期": CYCLES[n % len(CYCLES)], "关键词": f"{subject}；连云港"}  # fmt: skip
        entries.append([row.get(h, "") for h in headers])
        items.append([title, 1, "编号", "整型", "", "", "是", "否"])
        items.append([title, 2, "名称", "字符型", 200, "", "否", "否"])
    path = WORKBOOK_DIR / "catalog.xlsx"
    book.save(path)
    return path


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


def _fetch(args: tuple[str, list[str]]) -> int:
    """What fetch_callback does for each queue message."""
    from ckan import model
    from ckanext.harvest import queue
    from ckanext.harvest.model import HarvestObject

    source_type, ids = args
    harvester = queue.get_harvester(source_type)
    for object_id in ids:
        obj = HarvestObject.get(object_id)
        obj.retry_times += 1
        obj.save()
        queue.fetch_and_import_stages(harvester, obj)
        model.Session.remove()
    return rss_mb()


def run(source: dict, user: str, consumers: int = 1) -> tuple[float, dict[str, int]]:
    """One job, as the gather and fetch consumers run it (minus the Redis round trips)."""
    from ckan import model
    from ckan.plugins import toolkit as tk
    from ckanext.harvest import queue
    from ckanext.harvest.model import HarvestJob, HarvestObject

    harvester = queue.get_harvester(source["source_type"])
    started = time.perf_counter()
    job_id = tk.get_action("harvest_job_create")({"user": user}, {"source_id": source["id"], "run": False})[
        "id"
    ]
    job = HarvestJob.get(job_id)
    job.status = "Running"
    job.save()
    ids = queue.gather_stage(harvester, job) or []
    model.Session.remove()
    if consumers > 1:  # fetch consumers: forked processes, each its share of the queue
        model.meta.engine.dispose()
        from ckanext.lyg_search.rebuild import fork_init

        with multiprocessing.get_context("fork").Pool(consumers, initializer=fork_init) as pool:
            peaks = pool.map(_fetch, [(source["source_type"], ids[i::consumers]) for i in range(consumers)])
        CONSUMER_PEAK_MB[0] = max(CONSUMER_PEAK_MB[0], *peaks)
    else:
        _fetch((source["source_type"], ids))
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
    ap.add_argument("--only", choices=("workbook", "sql"), help="benchmark one source type")
    ap.add_argument("--profile", metavar="FILE", help="write a cProfile of the runs to FILE")
    ap.add_argument("--consumers", type=int, default=0,
                    help="fetch consumers (processes) importing each job; 0: one per core (default)")
    ap.add_argument("--synchronous-commit", choices=("on", "off", "local"), default="on",
                    help="ckanext.lyg_harvest.synchronous_commit of the run (default on)")
    args = ap.parse_args()
    kinds = [args.only] if args.only else ["workbook", "sql"]
    consumers = args.consumers or os.cpu_count() or 1
    ini = write_ini(args.synchronous_commit)
    t0 = time.perf_counter()
    prepare(ini, args.records)
    if "workbook" in kinds:
        write_workbook(args.records)
    setup_s = time.perf_counter() - t0
    os.environ["CKAN_SQLALCHEMY_URL"] = f"{ADMIN_URL}/{DB}"
    os.environ["CKAN_INI"] = ini
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(ini))
    flask_app = app._wsgi_app if hasattr(app, "_wsgi_app") else app
    results = []
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
            sources = {
                "workbook": ("lyg_workbook", str(WORKBOOK_DIR / "catalog.xlsx"), {}),
                "sql": ("lyg_sql", f"{ADMIN_URL}/{DEPT_DB}", CONFIG),
            }
            profiler = None
            if args.profile:
                import cProfile

                profiler = cProfile.Profile()
            base_rss = rss_mb()
            for kind in kinds:
                source_type, url, config = sources[kind]
                source = tk.get_action("harvest_source_create")(
                    dict(context),
                    {
                        "name": f"bench-{kind}",
                        "title": f"bench-{kind}",
                        "source_type": source_type,
                        "url": url,
                        "owner_org": org["id"],
                        "config": json.dumps(config, ensure_ascii=False),
                    },
                )
                for label in ("first run", "unchanged re-run"):
                    if profiler is not None:
                        profiler.enable()
                    secs, counts = run(source, site_user, consumers)
                    if profiler is not None:
                        profiler.disable()
                    results.append((source_type, label, secs, rss_mb(), counts))
            if profiler is not None:
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
        f"harvest benchmark — {n} records a source, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}, setup {setup_s:.0f} s, RSS after boot {base_rss} MB, "
        f"synchronous_commit {args.synchronous_commit}, {consumers} fetch consumer(s)"
    )
    for source_type, label, secs, peak, counts in results:
        print(
            f"  {source_type:12s} {label:17s} {secs:7.1f} s  {n / secs:8.1f} records/s  "
            f"peak RSS {peak} MB  {counts}"
        )
    print("  targets: first run >= 20 records/s, unchanged re-run >= 200 records/s")


if __name__ == "__main__":
    main()
