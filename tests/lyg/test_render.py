"""The faster ``markdown_extract`` gives CKAN's text."""

from __future__ import annotations

from ckan.lib import helpers as core
from ckanext.lyg import render

SAMPLES = [
    "",
    "plain text",
    "**粗体** and _it_ <b>tag</b> &amp; [链接](http://example.com) <script>x()</script>",
    "# 标题\n\n" + "连云港市户籍人口统计，" * 60,
    "a\n\n* one\n* two\n\n```\ncode <i>\n```\n\n> quote",
]


def test_same_text_as_ckan():
    for text in SAMPLES:
        for length in (0, 20, 190):
            assert render.markdown_extract(text, length) == core.markdown_extract(text, length)


def test_templates_use_it(app):
    import ckan.plugins.toolkit as tk

    with app.flask_app.test_request_context():
        assert tk.h.markdown_extract("**x** y", 0) == "x y"
        # CKAN chains it in front of its own helper
        from ckanext.lyg import helpers

        assert tk.h.markdown_extract.func is helpers.markdown_extract
