"""Real-browser tests: Debian's headless Chromium driven by Playwright against
the portal served by a real HTTP server on loopback (fixtures ``live_port``
and ``portal_url`` in the root conftest)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# `make test` installs Debian's chromium; in CI its absence is a failure, not a skip.
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (make test installs it)")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Nothing outside loopback (map tiles, fonts): refused at once instead of waited for.
_EXTERNAL = re.compile(r"^https?://(?!127\.0\.0\.1[:/]).*")


@contextlib.contextmanager
def chromium_page(**context_options: Any) -> Iterator[Any]:
    """A page of a fresh headless Chromium (zh-CN unless ``locale`` is given)."""
    from playwright.sync_api import sync_playwright

    context_options.setdefault("locale", "zh-CN")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(**context_options)
        context.route(_EXTERNAL, lambda r: r.abort())
        try:
            yield context.new_page()
        finally:
            browser.close()
