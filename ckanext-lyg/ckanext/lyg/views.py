"""Catalog pages (registered with ``tk.blanket.blueprints``):

* ``/catalog/<code>`` — the entry with a resource code (redirect);
* ``/catalog/export/<fmt>`` — the catalog, a department's part (``organization``)
  or a search result (``q`` and facet filters) as xlsx, csv or json, as the
  current user may see it;
* ``/catalog/import`` — the upload page for department admins (dry run or import).
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import authz
from ckanext.lyg.catalog import exchange, facets
from flask import Blueprint, Response, request

__all__ = ["catalog"]

catalog = Blueprint("lyg_catalog", __name__)

MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
FILTER_FIELDS = ("organization", "groups", "tags", "res_format", *facets.FACETS)


def _context() -> dict[str, Any]:
    return {"user": tk.current_user.name if tk.current_user.is_authenticated else ""}


def by_code(code: str) -> Any:
    """Redirect a resource code (信息资源代码) to its entry."""
    try:
        pkg = tk.get_action("lyg_catalog_show_by_code")(_context(), {"code": code})
    except (tk.ObjectNotFound, tk.ValidationError, tk.NotAuthorized):
        return tk.abort(404, tk._("No entry has the resource code {code}").format(code=code))
    return tk.redirect_to("dataset.read", id=pkg["name"])


def export(fmt: str) -> Any:
    """Download the catalog (or a part of it) in the exchange format."""
    if fmt not in MIMETYPES:
        return tk.abort(404)
    filters = []
    for name in FILTER_FIELDS:
        for value in request.args.getlist(name):
            filters.append(f'{name}:"{value.replace(chr(34), "")}"')
    pkgs = exchange.packages(_context(), fq=" ".join(filters), q=request.args.get("q", ""))
    if fmt == "xlsx":
        out: Any = io.BytesIO()
        exchange.write_xlsx(pkgs, out)
        body: Any = out.getvalue()
    else:
        text = io.StringIO()
        (exchange.write_csv if fmt == "csv" else exchange.write_json)(pkgs, text)
        body = ("\ufeff" if fmt == "csv" else "") + text.getvalue()  # BOM: Excel reads UTF-8 CSV
    name = "catalog" + ("-" + request.args["organization"] if request.args.get("organization") else "")
    return Response(body, mimetype=MIMETYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def _may_import() -> bool:
    if not tk.current_user.is_authenticated:
        return False
    name = tk.current_user.name
    return authz.is_sysadmin(name) or bool(
        tk.get_action("organization_list_for_user")({"user": name}, {"permission": "create_dataset"}))


def upload() -> Any:
    """The import page: a dry run lists every problem; an import applies the valid rows."""
    if not _may_import():
        return tk.abort(403, tk._("Only department staff who may add entries can import a catalog"))
    report = None
    if request.method == "POST":
        upload_file = request.files.get("file")
        if upload_file is None or not upload_file.filename:
            tk.h.flash_error(tk._("Choose a file"))
        else:
            suffix = Path(upload_file.filename).suffix.lower()
            if suffix not in (".xlsx", ".csv", ".json"):
                tk.h.flash_error(tk._("Use an .xlsx, .csv or .json file"))
            else:
                # The page writes in its own web worker: a file it could not finish
                # within the worker's timeout is refused before anything is written.
                limit = min(tk.config.get("ckanext.lyg.import_page_max_rows"),
                            tk.config.get("ckanext.lyg.import_max_rows"))
                too_many = tk._("The file has {count} rows; this page imports at most {limit} at once: "
                                "split it, or ask the data authority to import it on the server "
                                "(ckan lyg catalog import)")
                with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
                    upload_file.save(tmp.name)
                    report = exchange.import_file(tmp.name, _context(),
                                                  dry_run=bool(request.form.get("dry_run")),
                                                  max_rows=limit, too_many=too_many)
    return tk.render("lyg/catalog_import.html", {"report": report})


catalog.add_url_rule("/catalog/export/<fmt>", view_func=export, endpoint="export")
catalog.add_url_rule("/catalog/import", view_func=upload, endpoint="import", methods=["GET", "POST"])
catalog.add_url_rule("/catalog/<path:code>", view_func=by_code, endpoint="by_code")


# the access rule and the workflows keep their views in their own packages
from ckanext.lyg.access import views as _access_views  # noqa: E402
from ckanext.lyg.registry import merge as _merge  # noqa: E402
from ckanext.lyg.workflow import views as _workflow_views  # noqa: E402

_merge(globals(), __all__, _access_views, _workflow_views)
