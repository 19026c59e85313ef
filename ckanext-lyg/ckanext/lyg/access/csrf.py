"""CSRF protection that an API token cannot switch off for everybody.

CKAN 2.12 exempts a view from CSRF checks when a request reaches it with an
``Authorization`` header (scripts and harvesters send no CSRF token) — by
adding the view to flask-wtf's exempt list for the rest of the process. After
one token-authenticated request to ``/dataset/new``, a forged form POST from a
logged-in browser to the same view would pass. Here the exemption lasts for
that one request: it is taken back when the request ends.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request

_baseline: frozenset[str] | None = None


def _dest() -> str | None:
    view = current_app.view_functions.get(request.endpoint or "")
    return f"{view.__module__}.{view.__name__}" if view is not None else None


def remember_baseline(app: Any) -> None:
    """When the app is built: the views exempt by design (none in CKAN 2.12)."""
    global _baseline
    csrf = app.extensions.get("csrf")
    _baseline = frozenset(csrf._exempt_views) if csrf is not None else frozenset()


def forget_request_exemption(response: Any) -> Any:
    """After a request authenticated by its ``Authorization`` header: the view
    is protected again unless it was exempt from the start."""
    csrf = current_app.extensions.get("csrf")
    if csrf is None or not g.get("login_via_auth_header"):
        return response
    dest = _dest()
    if dest and dest not in (_baseline or frozenset()):
        csrf._exempt_views.discard(dest)
    return response
