"""Actions of ``ckanext.lyg.access`` (re-exported by ``logic/action.py``)."""

from __future__ import annotations

__all__: list[str] = []
