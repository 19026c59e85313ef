"""``ckan lyg …`` commands."""

from __future__ import annotations

import click

__all__ = ["lyg"]


@click.group(short_help="Lianyungang catalog commands (demo data, catalog exchange, translations).")
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


@lyg.group()
def catalog() -> None:
    """Export and import the catalog (workbook in the national template, CSV, JSON)."""


def _site_context() -> dict:
    import ckan.plugins.toolkit as tk

    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"]}


@catalog.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "json"]), default=None,
              help="Default: from the file name's extension (xlsx otherwise).")
@click.option("--organization", default="", help="Only this department's entries (its name).")
@click.option("-q", "query", default="", help="Only the entries this search finds.")
@click.option("--fq", default="", help="A search filter, e.g. share_type:none.")
def export_catalog(path: str, fmt: str | None, organization: str, query: str, fq: str) -> None:
    """Write the catalog (or a department's, or a search result) to PATH."""
    from ckanext.lyg.catalog import exchange

    fmt = fmt or (path.rsplit(".", 1)[-1].lower() if path.lower().endswith((".csv", ".json")) else "xlsx")
    pkgs = exchange.packages(_site_context(), fq=fq, q=query, organization=organization)
    if fmt == "xlsx":
        count = exchange.write_xlsx(pkgs, path)
    else:
        with open(path, "w", encoding="utf-8", newline="") as out:
            count = (exchange.write_csv if fmt == "csv" else exchange.write_json)(pkgs, out)
    click.secho(f"{count} entries written to {path}", fg="green")


@catalog.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and report; change nothing.")
@click.option("--user", default="", help="Import as this user (default: the site user).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def import_catalog(ctx: click.Context, path: str, dry_run: bool, user: str, quiet: bool) -> None:
    """Import a workbook, CSV or JSON file: valid rows are applied, the others reported.

    Rows are matched to entries by 信息资源代码, so importing the same file
    again changes nothing. Exit status 1 when any row has an error.
    """
    import ckan.plugins.toolkit as tk
    from ckanext.lyg.catalog import exchange

    context = {"user": user} if user else _site_context()
    # In a request context (as CKAN's own commands that write run): the
    # writer then lets auth checks find the importing user without a query.
    with ctx.meta["flask_app"].test_request_context():
        report = exchange.import_file(path, context, dry_run=dry_run, progress=not quiet,
                                      workers=tk.config.get("ckanext.lyg.import_workers"))
    for problem in report.problems:
        click.echo(str(problem))
    click.secho(report.summary(), fg="yellow" if report.problems else "green")
    if report.problems:
        raise SystemExit(1)
