"""Run ckanext-harvest's queue consumers with a Redis connection that can wait.

The consumers block on ``BLPOP`` with no timeout until a job arrives, but
redis-py 8 (pinned by CKAN 2.12) gives every connection a 5 s socket timeout
by default, so an idle ``ckan harvester gather-consumer`` dies after five
seconds with ``TimeoutError: Timeout reading from socket``. This wrapper
removes the read timeout from the consumers' connections only, then runs the
ordinary ``ckan harvester ...`` command in-process:

    python -m ckanext.lyg_dev harvester --ini var/internal.ini gather-consumer
"""

from __future__ import annotations


def patch_consumer_connection() -> None:
    from ckanext.harvest import queue

    original = queue.get_connection_redis
    if getattr(original, "_lyg_patched", False):
        return

    def get_connection_redis():
        conn = original()
        kwargs = conn.connection_pool.connection_kwargs
        kwargs["socket_timeout"] = None
        kwargs.setdefault("socket_connect_timeout", 10)
        if kwargs.get("socket_connect_timeout") is None:
            kwargs["socket_connect_timeout"] = 10
        kwargs["socket_keepalive"] = True
        return conn

    get_connection_redis._lyg_patched = True  # type: ignore[attr-defined]
    queue.get_connection_redis = get_connection_redis


def run(ini: str, args: list[str]) -> int:
    patch_consumer_connection()
    from ckan.cli.cli import ckan

    try:
        ckan.main(args=["-c", ini, "harvester", *args], prog_name="ckan",
                  standalone_mode=True)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0
