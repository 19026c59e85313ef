"""gunicorn settings for the portals (``-c python:ckanext.lyg_dev.gunicorn_conf``).

Command-line flags given by the Procfile or the container override these.
"""

import os

workers = int(os.environ.get("LYG_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("LYG_THREADS", "4"))
timeout = int(os.environ.get("LYG_WORKER_TIMEOUT", "120"))
graceful_timeout = 10
# Load CKAN once in the master and fork the workers: faster start and shared
# memory. wsgi.py closes the master's database connections before the fork.
preload_app = os.environ.get("LYG_PRELOAD", "1") not in {"0", "false", "no"}
# Recycle workers now and then so slow leaks cannot grow RSS without bound.
max_requests = int(os.environ.get("LYG_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
accesslog = "-" if os.environ.get("LYG_ACCESS_LOG") else None
errorlog = "-"
loglevel = "info"
forwarded_allow_ips = os.environ.get("LYG_FORWARDED_ALLOW_IPS", "127.0.0.1")
