"""Repeating info-item rows as the entry form sends them, in their order.

The form names the inputs of row *n* ``info_items-<n>-<subfield>``.
ckanext-scheming turns such keys into a list by sorting the key names as text
(``expand_form_composite``), so from the eleventh row on the rows came back
shuffled: ``info_items-10-name`` sorts before ``info_items-2-name``. :func:`expand`
builds the list first, ordered by the row *numbers* — the order the rows
have in the form after adding, removing (a removed row sends nothing) and
moving rows (the form renumbers them) — and scheming keeps a field that is
already a list as it is. API callers send lists and are not affected.
"""

from __future__ import annotations

from typing import Any

REPEATING = ("info_items",)


def expand(data_dict: dict[str, Any], fields: tuple[str, ...] = REPEATING) -> None:
    """Turn ``field-<n>-<sub>`` keys into ``field: [row, …]`` in numeric row order (in place)."""
    for name in fields:
        if name in data_dict:
            continue
        prefix = f"{name}-"
        rows: dict[int, dict[str, Any]] = {}
        for key in [k for k in data_dict if isinstance(k, str) and k.startswith(prefix)]:
            number, dash, sub = key[len(prefix):].partition("-")
            if dash and sub and number.isdigit():
                rows.setdefault(int(number), {})[sub] = data_dict.pop(key)
        if rows:
            data_dict[name] = [rows[n] for n in sorted(rows)]
