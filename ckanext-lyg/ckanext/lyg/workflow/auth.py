"""Auth functions of ``ckanext.lyg.workflow`` (re-exported by ``logic/auth.py``)."""

from __future__ import annotations

__all__: list[str] = []
