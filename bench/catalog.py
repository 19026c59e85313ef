"""Catalog workbook benchmark (run by `make bench`).

Builds a workbook of N demo entries (default 10,000; ``ckanext.lyg.seed``'s
generator, every catalog field and info item) in the national template,
then, in a database of its own (``lyg_bench_catalog``, dropped afterwards
unless ``--keep``):

* ``ckan lyg catalog import`` of the workbook into an empty catalog (the
  bulk writer, ``ckanext.lyg.catalog.bulk``),
* ``ckan lyg catalog import`` again (nothing changes: every row unchanged),
* ``ckan lyg catalog export`` of the whole catalog,

printing wall seconds, entries per second, the peak RSS of each command and
the load average before and after it (the machine is shared). Target: each
≤ 60 s and ≤ 1 GB.

    python bench/catalog.py [--entries N] [--keep]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import yardstick

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("LYG_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
DB = os.environ.get("LYG_BENCH_CATALOG_DB", "lyg_bench_catalog")
REDIS = os.environ.get("CKAN_REDIS_URL", "redis://127.0.0.1:6379/5")
CKAN = str(ROOT / ".venv" / "bin" / "ckan")
PY = str(ROOT / ".venv" / "bin" / "python")


def ini(workdir: Path) -> Path:
    """test.ini with the catalog schema plugins (as the portals run)."""
    text = (ROOT / "test.ini").read_text(encoding="utf-8")
    catalog = " lyg scheming_datasets scheming_organizations "
    text = re.sub(r"^ckan\.plugins = (.*)$", lambda m: "ckan.plugins = " + m[1].replace(" lyg ", catalog, 1),
                  text, count=1, flags=re.M)
    text = text.replace("%(here)s/var/test-storage", str(workdir / "storage"))
    path = workdir / "bench.ini"
    path.write_text(text, encoding="utf-8")
    return path


def run(args: list[str], env: dict[str, str], label: str) -> tuple[float, float, float, str]:
    """Run a command; wall seconds, CPU seconds of the command (user + system:
    what a loaded machine does not inflate as much), peak RSS (MB), output."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(args, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if proc.returncode not in (0, 1):
        sys.exit(f"{label} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return seconds, cpu, max(after.ru_maxrss, before.ru_maxrss) / 1024, proc.stdout


def admin(sql: str) -> None:
    code = (f"import psycopg2; c = psycopg2.connect('{ADMIN_URL}/postgres'); c.autocommit = True; "
            f"c.cursor().execute('{sql.format(db=DB)}')")
    subprocess.run([PY, "-c", code], check=True)


WORKBOOK = r'''
import sys
from ckanext.lyg import reference
from ckanext.lyg.catalog import exchange
from ckanext.lyg.seed import generate

titles = {d["name"]: d["title"] for d in reference.departments()}
def pkgs():
    for e in generate.entries(int(sys.argv[2])):
        fields = dict(e["fields"])
        if "spatial" in fields:
            import json
            fields["spatial"] = json.dumps(fields["spatial"], ensure_ascii=False)
        yield dict(fields, title=e["title"], notes=e["notes"], name=e["name"],
                   organization={"title": titles[e["owner_org"]]},
                   tags=[{"name": t} for t in e["tags"]])
print(exchange.write_xlsx(pkgs(), sys.argv[1]))
'''


# no progress bars in the captured output
QUIET = {"import": ["--quiet"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    url = f"{ADMIN_URL}/{DB}"
    env = dict(os.environ, CKAN_SQLALCHEMY_URL=url, CKAN_REDIS_URL=REDIS)
    with tempfile.TemporaryDirectory(prefix="lyg-bench-catalog-") as tmp:
        work = Path(tmp)
        conf = ini(work)
        admin("DROP DATABASE IF EXISTS {db}")
        admin("CREATE DATABASE {db}")
        try:
            subprocess.run([CKAN, "-c", str(conf), "db", "init"], env=env, check=True, capture_output=True)
            for plugin in ("lyg", "lyg_search", "activity", "harvest"):
                subprocess.run([CKAN, "-c", str(conf), "db", "upgrade", "-p", plugin], env=env,
                               capture_output=True)
            subprocess.run([CKAN, "-c", str(conf), "lyg", "seed", "--entries", "0", "--quiet"], env=env,
                           check=True, capture_output=True)
            book = work / "catalog.xlsx"
            t = time.perf_counter()
            subprocess.run([PY, "-c", WORKBOOK, str(book), str(args.entries)], check=True,
                           capture_output=True)
            print(f"workbook of {args.entries} entries built in {time.perf_counter() - t:.1f} s "
                  f"({book.stat().st_size / 1e6:.1f} MB); machine: {os.cpu_count()} cores, "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
            print(yardstick(f"{ADMIN_URL}/{DB}"), flush=True)
            results = []
            for label, cmd in (
                ("import (empty catalog)", ["lyg", "catalog", "import", str(book)]),
                ("import again (unchanged)", ["lyg", "catalog", "import", str(book)]),
                ("export", ["lyg", "catalog", "export", str(work / "out.xlsx")]),
            ):
                load = os.getloadavg()[0]
                seconds, cpu, rss, out = run([CKAN, "-c", str(conf), *cmd, *QUIET.get(cmd[2], [])], env,
                                             label)
                summary = [line for line in out.splitlines() if line.strip()][-1:] or [""]
                results.append((label, seconds, rss, summary[0]))
                print(f"{label:26s} {seconds:8.1f} s ({args.entries / seconds:6.1f} entries/s, "
                      f"CPU {cpu:6.1f} s)   "
                      f"peak RSS {rss:7.0f} MB   load {load:.1f} → {os.getloadavg()[0]:.1f}   {summary[0]}",
                      flush=True)
            ok = all(s <= 60 and r <= 1024 for _l, s, r, _o in results)
            print("target (each ≤ 60 s, ≤ 1 GB):", "met" if ok else "NOT met")
        finally:
            if not args.keep:
                admin("DROP DATABASE IF EXISTS {db}")


if __name__ == "__main__":
    main()
