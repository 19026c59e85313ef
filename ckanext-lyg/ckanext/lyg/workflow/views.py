"""Blueprints of ``ckanext.lyg.workflow`` (re-exported by ``views.py``)."""

from __future__ import annotations

__all__: list[str] = []
