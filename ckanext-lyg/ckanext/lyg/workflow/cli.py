"""``ckan lyg workflow …`` commands (attached to the ``lyg`` group of
``ckanext/lyg/cli.py`` when this package is imported)."""

from __future__ import annotations

import click


@click.group(short_help="Sharing requests and open-data applications.")
def workflow() -> None:
    """有条件共享/开放申请 commands."""


@workflow.command()
def expire() -> None:
    """Mark approved requests whose period has ended as expired (run daily).

    Access already stops at the end date; this records the expiry in the
    audit log and tells the applicants.
    """
    import ckan.plugins.toolkit as tk

    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    result = tk.get_action("lyg_request_expire")({"user": site_user["name"]}, {})
    click.secho(f"{result['expired']} requests expired", fg="green")


def attach() -> None:
    """Add ``workflow`` to ``ckan lyg`` (idempotent)."""
    from ckanext.lyg.cli import lyg

    if "workflow" not in lyg.commands:
        lyg.add_command(workflow)
