"""``python -m ckanext.lyg_dev COMMAND`` — what the Makefile runs.

Commands:
  run         services + bootstrap + both portals and harvest workers (make run)
  bootstrap   services + bootstrap only; embedded servers are left running
  test [ARGS] services + test database, then pytest --ckan-ini=test.ini (make test)
  stop        stop the embedded PostgreSQL/Redis under the var directory
  scheduler   the harvest scheduler loop (started by the Procfile)
  harvester   `ckan harvester ...` whose queue consumers survive idle periods
  demo-sources  create the demo harvest sources of `make run` (see demo.py)
  demo-server   serve the demo department systems (a workbook, a JSON API)

Environment: CKAN_SQLALCHEMY_URL, CKAN_REDIS_URL, LYG_PG_ADMIN_URL,
LYG_EMBEDDED, LYG_PUBLIC_PORT, LYG_INTERNAL_PORT, LYG_ADMIN_PASSWORD,
LYG_DB_NAME, LYG_TEST_DB, LYG_VAR_DIR, LYG_SKIP_SEED, LYG_WORKERS,
LYG_HARVEST_INTERVAL, LYG_DEMO_PORT, LYG_NO_DEMO_HARVEST, CKAN_SOLR_URL (see README.md).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from . import bootstrap as bs
from .config import Settings, ini_plugins, load_secrets, portal_ports, render
from .services import EmbeddedPostgres, EmbeddedRedis, Services, resolve, with_redis_db
from .util import SetupError, info, port_free, repo_root, step, var_dir, venv_bin


def _settings(var: Path, p: bs.DbPlan, redis_url: str, ports: tuple[int, int]) -> Settings:
    return Settings(
        sqlalchemy_url=p.main_url,
        datastore_write_url=p.ds_write_url,
        datastore_read_url=p.ds_read_url or p.ds_write_url,
        redis_url=redis_url,
        storage_path=os.environ.get("CKAN_STORAGE_PATH") or str(var / "storage"),
        public_port=ports[0],
        internal_port=ports[1],
        solr_url=os.environ.get("CKAN_SOLR_URL", ""),
    )


def prepare_portals(var: Path, svc: Services, ports: tuple[int, int]):
    """Databases, inis, migrations, permissions, sysadmin, seed. Returns state."""
    secrets = load_secrets(var)
    p = bs.plan(svc, secrets, os.environ.get("LYG_DB_NAME", "lyg"), datastore=True)
    bs.ensure_databases(p, secrets)
    redis_url = svc.redis_url
    (var / "storage").mkdir(exist_ok=True)
    inis = render(var, _settings(var, p, redis_url, ports), secrets)
    env = bs.ckan_env(p, redis_url)
    bs.migrate(var, inis["internal"], p, ini_plugins(inis["internal"]), env)
    bs.set_datastore_permissions(var, p)
    admin = bs.ensure_admin(var, inis["internal"], p, env)
    if admin[2] and admin[1]:
        info(f"sysadmin {admin[0]!r} password: {admin[1]}  (stored in {var / 'admin-password'})")
    bs.seed_if_empty(inis["internal"], p, env)
    return p, inis, env, admin


def cmd_run(args) -> int:
    from .runner import banner, supervise, write_procfile

    var = var_dir()
    ports = portal_ports()
    if not args.no_start:
        for name, port in zip(("LYG_PUBLIC_PORT", "LYG_INTERNAL_PORT"), ports, strict=True):
            if not port_free(port):
                raise SetupError(
                    f"port {port} is already in use (another `make run`?). "
                    f"Stop it or choose another port: {name}=...")
    svc = resolve(var)
    keep = args.no_start
    try:
        for line in svc.describe():
            info(line)
        p, inis, env, admin = prepare_portals(var, svc, ports)
        if args.no_start:
            info(f"rendered: {inis['public']} {inis['internal']}")
            return 0
        demo_port = 0
        if not args.no_harvest and not os.environ.get("LYG_NO_DEMO_HARVEST"):
            from . import demo

            if port_free(demo.demo_port()):
                d = demo.prepare(var, p.main_url, p.admin_url)
                env[demo.PASSWORD_ENV] = d.get("dept_password", "")
                demo.create_sources(str(inis["internal"]), env, d["base"], d.get("dept_url"))
                demo_port = demo.demo_port()
            else:
                info(f"port {demo.demo_port()} is in use: no demo harvest sources (LYG_DEMO_PORT=...)")
        procfile = write_procfile(var, inis, ports, harvest=not args.no_harvest, demo_port=demo_port)
        lines = banner(ports, admin, var, svc.describe())
        return supervise(var, procfile, env, ports, lines)
    finally:
        if not keep:
            svc.stop_started()


def cmd_test(args) -> int:
    root = repo_root()
    var = var_dir()
    test_ini = root / "test.ini"
    if not test_ini.exists():
        raise SetupError(f"{test_ini} is missing")
    svc = resolve(var)
    try:
        for line in svc.describe():
            info(line)
        secrets = load_secrets(var)
        plugins = ini_plugins(test_ini)
        p = bs.plan(svc, secrets, os.environ.get("LYG_TEST_DB", "lyg_test"),
                    datastore="datastore" in plugins, superuser=True)
        bs.ensure_databases(p, secrets)
        redis_url = os.environ.get("CKAN_REDIS_URL") or with_redis_db(svc.redis_url, 1)
        env = bs.ckan_env(p, redis_url)
        bs.migrate(var, test_ini, p, plugins, env)
        bs.set_datastore_permissions(var, p)
        pytest_args = list(args.pytest_args)
        if not any(not a.startswith("-") and (root / a.split("::")[0]).exists()
                   for a in pytest_args):
            pytest_args.append("tests/")
        cmd = [str(venv_bin() / "pytest"), f"--ckan-ini={test_ini}", *pytest_args]
        step("running " + " ".join(cmd[1:]))
        return subprocess.call(cmd, cwd=str(root), env=env)
    finally:
        svc.stop_started()


def cmd_bootstrap(args) -> int:
    args.no_start = True
    args.no_harvest = True
    return cmd_run(args)


def cmd_stop(_args) -> int:
    var = var_dir()
    EmbeddedRedis(var / "redis").stop()
    if (var / "postgres" / "data").exists():
        EmbeddedPostgres(var / "postgres").stop()
    return 0


def cmd_scheduler(args) -> int:
    from .runner import scheduler

    return scheduler(args.ini, args.interval, args.first_delay)


def cmd_harvester(args) -> int:
    from .harvest import run

    return run(args.ini, args.harvester_args)


def cmd_demo_sources(args) -> int:
    from .demo import ensure_sources

    ensure_sources(args.ini, args.base, args.dept_url)
    return 0


def cmd_demo_server(args) -> int:
    from .demo import serve

    return serve(Path(args.dir), args.port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ckanext.lyg_dev", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="bootstrap and start everything (make run)")
    p_run.add_argument("--no-start", action="store_true", help="bootstrap only")
    p_run.add_argument("--no-harvest", action="store_true", help="portals only")
    p_run.set_defaults(func=cmd_run)
    p_boot = sub.add_parser("bootstrap", help="bootstrap only; leave embedded servers up")
    p_boot.set_defaults(func=cmd_bootstrap)
    p_test = sub.add_parser("test", help="bootstrap the test database and run pytest")
    p_test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    p_test.set_defaults(func=cmd_test)
    p_stop = sub.add_parser("stop", help="stop embedded servers under the var directory")
    p_stop.set_defaults(func=cmd_stop)
    p_sched = sub.add_parser("scheduler", help="run `ckan harvester run` periodically")
    p_sched.add_argument("--ini", required=True)
    p_sched.add_argument("--interval", type=int,
                         default=int(os.environ.get("LYG_HARVEST_INTERVAL", "300")))
    p_sched.add_argument("--first-delay", type=int, default=60)
    p_sched.set_defaults(func=cmd_scheduler)
    p_harv = sub.add_parser("harvester", help="`ckan harvester ARGS` with waiting consumers")
    p_harv.add_argument("--ini", required=True)
    p_harv.add_argument("harvester_args", nargs=argparse.REMAINDER)
    p_harv.set_defaults(func=cmd_harvester)
    p_demo = sub.add_parser("demo-sources", help="create the demo harvest sources, queue a job each")
    p_demo.add_argument("--ini", required=True)
    p_demo.add_argument("--base", required=True, help="URL of the demo server")
    p_demo.add_argument("--dept-url", help="URL (no password) of the demo department database")
    p_demo.set_defaults(func=cmd_demo_sources)
    p_dsrv = sub.add_parser("demo-server", help="serve the demo department systems (workbook, JSON API)")
    p_dsrv.add_argument("--dir", required=True)
    p_dsrv.add_argument("--port", type=int, required=True)
    p_dsrv.set_defaults(func=cmd_demo_server)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
