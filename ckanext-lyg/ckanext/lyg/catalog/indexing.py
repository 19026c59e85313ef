"""What the search index gets besides CKAN's own fields."""

from __future__ import annotations

import json
from typing import Any


def info_item_text(value: Any) -> str:
    """Names and descriptions of the info items (so a column name finds its entry)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return ""
    if not isinstance(value, list):
        return ""
    words = []
    for item in value:
        if isinstance(item, dict):
            words.extend(str(item.get(k) or "") for k in ("name", "description"))
    return " ".join(w for w in words if w)
