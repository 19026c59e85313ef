"""``ckan lyg-search``: maintenance of the PostgreSQL search index."""

from __future__ import annotations

import click

__all__ = ["lyg_search"]


@click.group(name="lyg-search", short_help="PostgreSQL search index maintenance")
def lyg_search() -> None:
    pass


@lyg_search.command("stats", short_help="Rows and size of the search index")
def stats() -> None:
    from ckan import model

    row = model.Session.execute(
        __import__("sqlalchemy").text(
            "SELECT count(*), pg_size_pretty(pg_total_relation_size('lyg_search_doc')) "
            "FROM lyg_search_doc"
        )
    ).one()
    click.echo(f"documents: {row[0]}\nsize: {row[1]}")
