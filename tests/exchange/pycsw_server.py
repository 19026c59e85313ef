"""A real pycsw server (from PyPI) on 127.0.0.1, loaded with ISO 19139 records.

pycsw 2.6.2 (the newest on PyPI) pins ``OWSLib<0.29`` and needs SQLAlchemy 1.x
(``sqlalchemy.orm.create_session``), while CKAN 2.12 pins SQLAlchemy 2 and
ckanext-spatial installs OWSLib 0.32: it cannot live in the project's venv.
So it runs from its own venv, ``var/pycsw-venv``, created on first use with
the versions pinned below (about a minute, once), with a SQLite repository in
a temporary directory, served by ``wsgiref`` through pycsw's own WSGI app.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PINS = ("pycsw==2.6.2", "SQLAlchemy==1.4.54", "OWSLib==0.28.1")
DATA = Path(__file__).parent / "data" / "iso"


def venv_dir() -> Path:
    return Path(os.environ.get("LYG_VAR_DIR", ROOT / "var")) / "pycsw-venv"


def ensure_venv() -> Path:
    """The pycsw venv's python (created, with the pins, when missing or outdated)."""
    venv = venv_dir()
    python = venv / "bin" / "python"
    stamp = venv / "lyg-pins.txt"
    if python.exists() and stamp.exists() and stamp.read_text() == "\n".join(PINS):
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *PINS], check=True)
    stamp.write_text("\n".join(PINS))
    return python


CONFIG = """\
[server]
home={home}
url=http://127.0.0.1:{port}/csw
mimetype=application/xml; charset=UTF-8
encoding=UTF-8
language=en-US
maxrecords=10
loglevel=WARNING
logfile={home}/pycsw.log
pretty_print=true
domainquerytype=list
domaincounts=false
profiles=apiso

[manager]
transactions=false
allowed_ips=127.0.0.1

[metadata:main]
identification_title=连云港市自然资源和规划局地理信息目录
identification_abstract=自然资源和规划局的地理信息资源目录服务（CSW 2.0.2）
identification_keywords=地理信息,自然资源,连云港
identification_keywords_type=theme
identification_fees=None
identification_accessconstraints=None
provider_name=连云港市自然资源和规划局
provider_url=http://zrzy.lyg.example/
contact_name=信息中心
contact_position=管理员
contact_address=连云港市海州区
contact_city=连云港
contact_stateorprovince=江苏
contact_postalcode=222000
contact_country=中国
contact_phone=+86-518-00000000
contact_fax=+86-518-00000000
contact_email=gis@zrzy.lyg.example
contact_url=http://zrzy.lyg.example/
contact_hours=9:00-17:00
contact_instructions=工作日
contact_role=pointOfContact

[repository]
database=sqlite:///{home}/records.db
table=records

[metadata:inspire]
enabled=false
languages_supported=eng
default_language=eng
date=2026-01-01
gemet_keywords=Utility and governmental services
conformity_service=notEvaluated
contact_name=信息中心
contact_email=gis@zrzy.lyg.example
temp_extent=2026-01-01/2026-12-31
"""

SERVE = textwrap.dedent(
    """
    import sys
    from wsgiref.simple_server import WSGIRequestHandler, make_server
    from pycsw.wsgi import application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    make_server("127.0.0.1", int(sys.argv[1]), application, handler_class=Quiet).serve_forever()
    """
)


class PycswServer:
    def __init__(self, home: Path, port: int) -> None:
        self.home, self.port = home, port
        self.url = f"http://127.0.0.1:{port}/csw"
        self.proc: subprocess.Popen | None = None

    def start(self, records: Path = DATA) -> PycswServer:
        python = ensure_venv()
        self.home.mkdir(parents=True, exist_ok=True)
        cfg = self.home / "pycsw.cfg"
        cfg.write_text(CONFIG.format(home=self.home, port=self.port), "utf-8")
        admin = [str(python), str(python.parent / "pycsw-admin.py"), "-f", str(cfg)]
        subprocess.run([*admin, "-c", "setup_db"], check=True, capture_output=True)
        subprocess.run(
            [*admin, "-c", "load_records", "-p", str(records), "-y"], check=True, capture_output=True
        )
        env = dict(os.environ, PYCSW_CONFIG=str(cfg))
        self.proc = subprocess.Popen(
            [str(python), "-c", SERVE, str(self.port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # pycsw's WSGI app prints every path
            cwd=self.home,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pycsw exited with {self.proc.returncode}")
            try:
                response = requests.get(
                    self.url, params={"service": "CSW", "request": "GetCapabilities"}, timeout=2
                )
                if response.status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError("pycsw did not answer within 60 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
