"""``ckan lyg …`` commands."""

from __future__ import annotations

import click

__all__ = ["lyg"]


@click.group(short_help="Lianyungang catalog commands (demo data, translations).")
def lyg() -> None:
    """连云港市政务信息资源目录 commands."""


@lyg.command()
@click.option(
    "--entries",
    default=320,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many catalog entries the demo catalog has.",
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
def seed(entries: int, quiet: bool) -> None:
    """Create the demo catalog: departments, groups, entries, data files.

    Idempotent: what already exists (by name) is left alone, so re-running
    creates nothing and a larger --entries only adds entries.
    """
    from ckanext.lyg.seed.load import seed as run

    report = run(entries, progress=not quiet)
    click.secho(f"Demo catalog: {report}", fg="green")


@lyg.command("i18n-compile")
def i18n_compile() -> None:
    """Compile the extension's .po catalogs into .mo files."""
    from ckanext.lyg import translations

    for path in translations.compile_catalogs(force=True):
        click.echo(f"compiled {path}")
