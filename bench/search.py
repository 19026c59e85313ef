"""Search benchmark for the PostgreSQL engine (run by `make bench`).

Generates N catalog entries (default 100,000) with Chinese titles,
descriptions, tags, departments and bounding boxes from a generated
vocabulary, loads them into a database of their own (``lyg_bench_search``)
and indexes them, then runs a fixed query mix through the ``package_search``
action in-process and, for keyword + facets, over HTTP to a portal started on
that database. Prints p50/p95 per query class, the build throughput, CKAN's
``search-index rebuild`` throughput on a sample (the engine's batched,
parallel rebuild and CKAN's stock loop), and a naive ``ILIKE``
baseline for the keyword class.

    python bench/search.py [--entries N] [--queries K] [--keep]

The database is reused when it already holds N entries (``--rebuild`` forces
a new load) and dropped with ``--drop``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from _machine import yardstick

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("LYG_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
DB = os.environ.get("LYG_BENCH_DB", "lyg_bench_search")
SITE_ID = "bench.lyg"

PLACES = ["连云港市", "海州区", "连云区", "赣榆区", "东海县", "灌云县", "灌南县", "徐圩新区",
          "开发区", "云台山景区"]
SUBJECTS = ["户籍人口", "常住人口", "企业登记", "不动产登记", "社会保障", "医疗保险", "养老保险",
            "住房公积金", "空气质量", "水质监测", "公交线路", "停车场", "充电桩", "港口吞吐量",
            "行政许可", "行政处罚", "失信被执行人", "营业执照", "婚姻登记", "出生医学证明",
            "学校名录", "医疗机构", "药品零售", "食品生产许可", "安全生产", "应急避难场所",
            "地区生产总值", "财政收支", "税收收入", "农业产量", "渔业捕捞", "旅游景区", "文物保护",
            "道路运输", "出租汽车", "建筑工地", "国土空间规划", "地名地址", "河湖水系", "林地资源"]
KINDS = ["统计", "信息", "名录", "数据", "台账", "月报", "年报", "明细", "汇总", "目录"]
DEPTS = ["市公安局", "市市场监督管理局", "市自然资源和规划局", "市统计局", "市发展和改革委员会",
         "市人力资源和社会保障局", "市卫生健康委员会", "市生态环境局", "市住房和城乡建设局",
         "市交通运输局", "市行政审批局", "市大数据管理中心", "市民政局", "市教育局", "市财政局",
         "市农业农村局", "市水利局", "市文化广电和旅游局", "市应急管理局", "市税务局",
         "海州区人民政府", "连云区人民政府", "赣榆区人民政府", "东海县人民政府", "灌云县人民政府",
         "灌南县人民政府"]
GROUPS = ["人口", "法人单位", "自然资源和空间地理", "社会信用", "电子证照", "宏观经济", "公共服务",
          "健康保障", "社会保障", "食品药品安全", "安全生产", "价格监管", "能源安全", "信用体系",
          "城乡建设", "社区治理", "生态环保", "应急维稳"]
FORMATS = ["CSV", "XLSX", "JSON", "PDF", "GeoJSON", "XML", "API", "DOCX"]
SHARE = ["unconditional", "conditional", "none"]
OPEN = ["unconditional", "conditional", "none"]
CYCLES = ["实时", "每日", "每周", "每月", "每季度", "每半年", "每年", "不定期"]
LICENSES = ["cc-by", "odc-by", "other-open", "notspecified"]
FILLER = ("本数据集由{dept}提供，按{cycle}更新，包含{place}范围内的{subject}相关记录，"
          "可用于政务服务、城市治理和公共服务等场景。字段包括名称、统一社会信用代码、地址、"
          "登记日期和状态。English summary: {subject_en} records of Lianyungang.")
SUBJECT_EN = ["population", "enterprise", "property", "welfare", "air", "water", "transport",
              "licence", "tax", "farm", "tourism", "planning"]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def ms(v: float) -> str:
    return f"{v * 1000:7.1f} ms"


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(20261126)
        self.url = f"{ADMIN_URL}/{DB}"
        self.ini = self._write_ini()

    # ------------------------------------------------------------ setup --

    def _write_ini(self) -> str:
        text = (ROOT / "test.ini").read_text()
        text = text.replace("ckan.site_id = test.ckan.net", f"ckan.site_id = {SITE_ID}")
        text = text.replace("testing = true\n", "")
        # the production default (tests turn it off)
        text = text.replace("ckanext.lyg_search.parallel_facets = false",
                            "ckanext.lyg_search.parallel_facets = true")
        text = text.replace("%(here)s", str(ROOT))
        text = text.replace("level = INFO", "level = WARN")
        path = Path(tempfile.gettempdir()) / "lyg-bench-search.ini"
        path.write_text(text)
        return str(path)

    def psql_admin(self, sql: str) -> None:
        subprocess.run(["psql", ADMIN_URL + "/postgres", "-qc", sql], check=False,
                       capture_output=True)

    def prepare_database(self) -> None:
        if self.args.rebuild or self.args.drop:
            self.psql_admin(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        if self.args.drop:
            print(f"dropped {DB}")
            sys.exit(0)
        self.psql_admin(f'CREATE DATABASE "{DB}"')
        env = dict(os.environ, CKAN_SQLALCHEMY_URL=self.url)
        ckan = str(Path(sys.executable).parent / "ckan")
        subprocess.run([ckan, "-c", self.ini, "db", "init"], env=env, check=True,
                       capture_output=True)
        for plugin in ("lyg_search", "activity", "harvest"):
            subprocess.run([ckan, "-c", self.ini, "db", "upgrade", "-p", plugin], env=env,
                           check=True, capture_output=True)

    def boot_ckan(self):
        os.environ["CKAN_SQLALCHEMY_URL"] = self.url
        os.environ["CKAN_INI"] = self.ini
        from ckan.cli import load_config
        from ckan.config.middleware import make_app

        self.app = make_app(load_config(self.ini))
        self.flask_app = self.app._wsgi_app if hasattr(self.app, "_wsgi_app") else self.app
        from ckan import model

        self.model = model

    # ------------------------------------------------------------- data --

    def make_entries(self, n: int):
        rng = self.rng
        orgs = [(str(uuid.UUID(int=rng.getrandbits(128))), f"dept-{i:02d}", t)
                for i, t in enumerate(DEPTS)]
        groups = [(str(uuid.UUID(int=rng.getrandbits(128))), f"db-{i:02d}", t + "库")
                  for i, t in enumerate(GROUPS)]
        base = dt.datetime(2020, 1, 1)
        for i in range(n):
            org = rng.choice(orgs)
            subject = rng.choice(SUBJECTS)
            place = rng.choice(PLACES)
            title = f"{place}{subject}{rng.choice(KINDS)}"
            cycle = rng.choice(CYCLES)
            share = rng.choice(SHARE)
            open_ = "none" if share == "none" else rng.choice(OPEN)
            if open_ == "unconditional":
                share = "unconditional"
            notes = FILLER.format(dept=org[2], cycle=cycle, place=place, subject=subject,
                                  subject_en=rng.choice(SUBJECT_EN))
            tags = rng.sample(SUBJECTS, 3)
            grp = rng.sample(groups, rng.choice([0, 1, 1, 2]))
            fmts = rng.sample(FORMATS, rng.choice([1, 1, 2, 3]))
            modified = base + dt.timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
            bbox = None
            if rng.random() < 0.4:
                x = rng.uniform(118.4, 119.8)
                y = rng.uniform(33.9, 35.0)
                bbox = (x, y, x + rng.uniform(0.01, 0.1), y + rng.uniform(0.01, 0.1))
            yield {
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
                "name": f"entry-{i:06d}",
                "title": title,
                "notes": notes,
                "org": org,
                "groups": grp,
                "tags": tags,
                "formats": fmts,
                "private": rng.random() < 0.05,
                "license_id": rng.choice(LICENSES),
                "modified": modified,
                "extras": {
                    "share_type": share, "open_type": open_, "update_cycle": cycle,
                    "catalog_class": rng.choice("123"), "format_class": rng.choice(
                        ["电子表格", "数据库", "电子文件", "服务接口", "图形图像"]),
                    "resource_code": f"{rng.randint(101001001, 312999999)}/{i:06d}",
                    **({"spatial": json.dumps({"type": "Polygon", "coordinates": [[
                        [bbox[0], bbox[1]], [bbox[2], bbox[1]], [bbox[2], bbox[3]],
                        [bbox[0], bbox[3]], [bbox[0], bbox[1]]]]})} if bbox else {}),
                },
                "bbox": bbox,
            }, orgs, groups

    def index_doc(self, e: dict) -> dict:
        """The flattened document CKAN's PackageSearchIndex would send."""
        org_id, org_name, org_title = e["org"]
        created = (e["modified"] - dt.timedelta(days=30)).isoformat()
        modified = e["modified"].isoformat()
        pkg = {
            "id": e["id"], "name": e["name"], "title": e["title"], "notes": e["notes"],
            "owner_org": org_id, "private": e["private"], "state": "active", "type": "dataset",
            "license_id": e["license_id"], "metadata_created": created,
            "metadata_modified": modified, "num_resources": len(e["formats"]),
            "num_tags": len(e["tags"]),
            "organization": {"id": org_id, "name": org_name, "title": org_title},
            "groups": [{"id": g[0], "name": g[1], "title": g[2]} for g in e["groups"]],
            "tags": [{"name": t} for t in e["tags"]],
            "resources": [{"name": f"{e['title']}.{f.lower()}", "format": f,
                           "url": f"http://data.lyg.example/{e['name']}.{f.lower()}"}
                          for f in e["formats"]],
            "extras": [{"key": k, "value": v} for k, v in e["extras"].items()],
        }
        data = json.dumps(pkg, ensure_ascii=False)
        doc = {
            "id": e["id"], "name": e["name"], "title": e["title"], "title_string": e["title"],
            "notes": e["notes"], "owner_org": org_id, "organization": org_name,
            "groups": [g[1] for g in e["groups"]], "tags": e["tags"],
            "res_format": e["formats"], "res_name": [r["name"] for r in pkg["resources"]],
            "res_url": [r["url"] for r in pkg["resources"]],
            "license_id": e["license_id"], "state": "active",
            "capacity": "private" if e["private"] else "public",
            "dataset_type": "dataset", "entity_type": "package", "site_id": SITE_ID,
            "metadata_created": created + "Z", "metadata_modified": modified + "Z",
            "index_id": hashlib.md5(f"{e['id']}{SITE_ID}".encode()).hexdigest(),
            "data_dict": data, "validated_data_dict": data,
            "permission_labels": [f"member-{org_id}"] if e["private"] else ["public"],
        }
        for k, v in e["extras"].items():
            if k == "spatial":
                continue
            doc["extras_" + k] = v
            doc[k] = v
        if e["bbox"]:
            minx, miny, maxx, maxy = e["bbox"]
            doc.update(minx=minx, miny=miny, maxx=maxx, maxy=maxy,
                       bbox_area=(maxx - minx) * (maxy - miny))
        return doc

    def load(self, n: int) -> None:
        from ckanext.lyg_search import store
        from psycopg2.extras import execute_values
        from tqdm import tqdm

        engine = self.model.Session.get_bind()
        raw = engine.raw_connection()
        cur = raw.cursor()
        cur.execute("SELECT count(*) FROM package")
        have = cur.fetchone()[0]
        if have >= n:
            print(f"database {DB} already holds {have} entries; reusing (--rebuild to reload)")
            self.build_rate = None
            return
        cur.execute("TRUNCATE lyg_search_doc")
        batch: list[dict] = []
        t_index = 0.0
        done = 0
        orgs_written = False
        bar = tqdm(total=n, desc="load + index", unit="entry", file=sys.stdout,
                   mininterval=2)
        for e, orgs, groups in self.make_entries(n):
            if not orgs_written:
                now = dt.datetime.utcnow()
                execute_values(cur, 'INSERT INTO "group" (id, name, title, created, state, type, '
                               "is_organization, approval_status) VALUES %s "
                               "ON CONFLICT DO NOTHING",
                               [(i, nm, t, now, "active", "organization", True, "approved")
                                for i, nm, t in orgs]
                               + [(i, nm, t, now, "active", "group", False, "approved")
                                  for i, nm, t in groups])
                orgs_written = True
            batch.append(e)
            if len(batch) == 1000:
                t_index += self._flush(cur, batch, execute_values, store)
                raw.commit()
                done += len(batch)
                bar.update(len(batch))
                batch = []
        if batch:
            t_index += self._flush(cur, batch, execute_values, store)
            raw.commit()
            bar.update(len(batch))
            done += len(batch)
        bar.close()
        raw.commit()
        # What autovacuum does soon after a bulk load: statistics, and the rows'
        # hint bits set once, so the first queries measured do not rewrite pages.
        dbapi = raw.dbapi_connection
        dbapi.autocommit = True
        vac = dbapi.cursor()
        vac.execute("VACUUM (ANALYZE) lyg_search_doc")
        vac.execute("ANALYZE")
        vac.close()
        dbapi.autocommit = False
        raw.close()
        self.build_rate = done / t_index

    def _flush(self, cur, batch, execute_values, store) -> float:
        execute_values(
            cur,
            "INSERT INTO package (id, name, title, notes, state, license_id, type, owner_org, "
            "private, metadata_modified, metadata_created, extras) VALUES %s",
            [(e["id"], e["name"], e["title"], e["notes"], "active", e["license_id"], "dataset",
              e["org"][0], e["private"], e["modified"], e["modified"] - dt.timedelta(days=30),
              json.dumps(e["extras"], ensure_ascii=False)) for e in batch])
        t0 = time.perf_counter()
        store.upsert(cur.connection, [self.index_doc(e) for e in batch])
        return time.perf_counter() - t0

    # ---------------------------------------------------------- queries --

    def run_queries(self) -> dict[str, list[float]]:
        import ckan.plugins.toolkit as tk

        rng = random.Random(7)
        k = self.args.queries
        words = SUBJECTS + ["连云港", "人口", "企业", "不动产", "population", "统一社会信用代码"]
        facets = json.dumps(["organization", "groups", "tags", "res_format", "share_type"])
        classes = {
            "keyword": lambda: {"q": rng.choice(words)},
            "keyword + 2 fq": lambda: {"q": rng.choice(words),
                                       "fq": f'share_type:"{rng.choice(SHARE)}" '
                                             f'update_cycle:"{rng.choice(CYCLES)}"'},
            "*:* + 5 facets": lambda: {"q": "*:*", "facet.field": facets},
            "keyword + 5 facets": lambda: {"q": rng.choice(words), "facet.field": facets},
            "bbox": lambda: self._bbox(rng),
            "sort metadata_modified": lambda: {"q": rng.choice(words),
                                               "sort": "metadata_modified desc"},
            "start=5000": lambda: {"q": "*:*", "start": 5000, "rows": 20},
        }
        repeated = "*:* + 5 facets (repeated)"  # timed right after the class it repeats
        from ckanext.lyg_search import cache, facet_memory

        def autocomplete() -> dict:
            return {"q": rng.choice(SUBJECTS)[: rng.choice([2, 3])], "limit": 10}

        names = [*classes, repeated]
        timings: dict[str, list[float]] = {name: [] for name in names}
        self.hits: dict[str, list[int]] = {name: [] for name in names}
        timings["autocomplete"] = []
        # Every query runs cold: the engine's count/facet cache is emptied
        # first. "(repeated)" is the same query again, answered from that cache.
        # (The facet values kept in memory are an index, like Solr's
        # docValues, not a cache of answers: they stay.)
        # The classes take turns, one query each per round: our shared
        # machines change speed from minute to minute (the yardstick before
        # the queries was often half as fast as after them), and measured
        # class after class, that change would fall on whichever class ran
        # first.
        with self.flask_app.test_request_context():
            action = tk.get_action("package_search")
            auto = tk.get_action("package_autocomplete")
            for _ in range(3):
                for make in classes.values():
                    action({"user": ""}, make())
                auto({"user": ""}, autocomplete())
            # a warm process: the facet values it reads into memory after
            # the first facet search (facet_memory) are there
            facet_memory.wait()
            for _ in range(k):
                for name, make in classes.items():
                    params = make()
                    cache.clear()
                    t0 = time.perf_counter()
                    res = action({"user": ""}, params)
                    timings[name].append(time.perf_counter() - t0)
                    self.hits[name].append(res["count"])
                    if name == "*:* + 5 facets":
                        t0 = time.perf_counter()
                        res = action({"user": ""}, params)
                        timings[repeated].append(time.perf_counter() - t0)
                        self.hits[repeated].append(res["count"])
                cache.clear()
                t0 = time.perf_counter()
                auto({"user": ""}, autocomplete())
                timings["autocomplete"].append(time.perf_counter() - t0)
            self.model.Session.remove()
        return timings

    def _bbox(self, rng: random.Random) -> dict:
        x, y = rng.uniform(118.4, 119.6), rng.uniform(33.9, 34.9)
        return {"ext_bbox": f"{x:.3f},{y:.3f},{x + 0.2:.3f},{y + 0.15:.3f}"}

    def baseline(self) -> list[float]:
        """Naive search: ILIKE over the package table, count + first page."""
        rng = random.Random(7)
        raw = self.model.Session.get_bind().raw_connection()
        cur = raw.cursor()
        ts = []
        for _ in range(self.args.queries):
            w = "%" + rng.choice(SUBJECTS) + "%"
            t0 = time.perf_counter()
            cur.execute("SELECT count(*) FROM package WHERE state = 'active' AND NOT private "
                        "AND (title ILIKE %s OR notes ILIKE %s)", (w, w))
            cur.fetchone()
            cur.execute("SELECT id, title FROM package WHERE state = 'active' AND NOT private "
                        "AND (title ILIKE %s OR notes ILIKE %s) ORDER BY metadata_modified DESC "
                        "LIMIT 20", (w, w))
            cur.fetchall()
            ts.append(time.perf_counter() - t0)
        raw.close()
        return ts

    def rebuild_rate(self, sample: int) -> tuple[float, float, int]:
        """``search.rebuild`` on a sample: CKAN's stock loop (one dataset at a
        time) on a tenth of it, and the engine's batched, parallel one (what
        ``ckan search-index rebuild`` runs) on all of it."""
        from ckan.lib import search
        from ckanext.lyg_search import rebuild, wiring

        ids = [r[0] for r in self.model.Session.execute(
            __import__("sqlalchemy").text("SELECT id FROM package ORDER BY name LIMIT :n"),
            {"n": sample})]
        stock_ids = ids[: max(50, sample // 10)]
        with self.flask_app.test_request_context():
            search.rebuild(package_ids=ids[:20], quiet=True)  # warm up
            t0 = time.perf_counter()
            wiring.ORIGINAL_REBUILD(package_ids=stock_ids, quiet=True)
            stock = len(stock_ids) / (time.perf_counter() - t0)
            self.model.Session.remove()
            workers = rebuild.workers()
            t0 = time.perf_counter()
            rebuild.index_ids(ids, quiet=True, processes=workers)
            ours = len(ids) / (time.perf_counter() - t0)
        self.model.Session.remove()
        return stock, ours, workers

    def http(self) -> list[float]:
        port = int(os.environ.get("LYG_BENCH_PORT", "5391"))
        env = dict(os.environ, CKAN_SQLALCHEMY_URL=self.url, CKAN_INI=self.ini)
        wsgi = Path(tempfile.gettempdir()) / "lyg_bench_wsgi.py"
        wsgi.write_text("from ckan.cli import load_config\n"
                        "from ckan.config.middleware import make_app\n"
                        f"application = make_app(load_config({self.ini!r}))\n")
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        proc = subprocess.Popen(
            [gunicorn, "--chdir", str(wsgi.parent), "-w", "2", "-b", f"127.0.0.1:{port}",
             "--timeout", "120", "lyg_bench_wsgi:application"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        rng = random.Random(11)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.time() + 120
            while True:
                try:
                    urllib.request.urlopen(base + "/api/3/action/status_show", timeout=5).read()
                    break
                except OSError:
                    if time.time() > deadline or proc.poll() is not None:
                        raise SystemExit("portal for the HTTP benchmark did not start") from None
                    time.sleep(0.5)
            ts = []
            for i in range(self.args.queries + 4):
                q = urllib.parse.quote(rng.choice(SUBJECTS))
                t0 = time.perf_counter()
                with urllib.request.urlopen(f"{base}/dataset/?q={q}", timeout=30) as r:
                    r.read()
                if i >= 4:
                    ts.append(time.perf_counter() - t0)
            return ts
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--entries", type=int, default=int(os.environ.get("LYG_BENCH_ENTRIES",
                                                                      100000)))
    ap.add_argument("--queries", type=int, default=60, help="queries per class")
    ap.add_argument("--rebuild-sample", type=int, default=2000)
    ap.add_argument("--rebuild", action="store_true", help="reload the data")
    ap.add_argument("--drop", action="store_true", help="drop the benchmark database")
    ap.add_argument("--no-http", action="store_true")
    args = ap.parse_args()
    b = Bench(args)
    b.prepare_database()
    b.boot_ckan()
    t0 = time.perf_counter()
    b.load(args.entries)
    load_s = time.perf_counter() - t0
    load_before = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    speed_before = yardstick(b.url)
    timings = b.run_queries()
    speed_after = yardstick(b.url)
    load_after = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    base = b.baseline()
    rebuild = b.rebuild_rate(args.rebuild_sample)
    http = [] if args.no_http else b.http()
    print()
    print(f"lyg_search benchmark — {args.entries} entries, {os.cpu_count()} cores, "
          f"{args.queries} queries per class, PostgreSQL at {ADMIN_URL}")
    if b.build_rate:
        print(f"  load + index: {load_s:.0f} s; index build {b.build_rate:.0f} entries/s "
              "(segmentation + tsvector + upsert)")
    stock, ours, workers = rebuild
    print(f"  search-index rebuild, {args.rebuild_sample} entries: {ours:.0f} entries/s "
          f"({workers} workers, batched writes); CKAN's stock one-by-one loop: "
          f"{stock:.0f} entries/s")
    if load_before:
        print(f"  load average (1/5/15 min) before the queries: {' '.join(load_before)}; "
              f"after: {' '.join(load_after)}")
    print(f"  before the queries, {speed_before}")
    print(f"  after the queries,  {speed_after}")
    print(f"  {'class':28s} {'p50':>10s} {'p95':>10s}   median hits")
    for name, ts in timings.items():
        hits = b.hits.get(name)
        print(f"  {name:28s} {ms(pct(ts, 50)):>10s} {ms(pct(ts, 95)):>10s}"
              + (f"   {int(statistics.median(hits))}" if hits else ""))
    kw = statistics.median(timings["keyword"])
    print(f"  {'baseline ILIKE keyword':28s} {ms(pct(base, 50)):>10s} {ms(pct(base, 95)):>10s}"
          f"   ratio baseline/engine p50 = {statistics.median(base) / kw:.1f}x")
    if http:
        print(f"  {'HTTP /dataset?q= (facets)':28s} {ms(pct(http, 50)):>10s} "
              f"{ms(pct(http, 95)):>10s}")
    print(f"  peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")


if __name__ == "__main__":
    main()
