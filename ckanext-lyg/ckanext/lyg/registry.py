"""Re-export helper for the blanket-registered modules (``logic/action.py``,
``logic/auth.py``, ``views.py``): the access rule (``access/``) and the
workflows (``workflow/``) keep their actions, auth functions and blueprints in
their own packages."""

from __future__ import annotations

from types import ModuleType
from typing import Any


def merge(namespace: dict[str, Any], names: list[str], *modules: ModuleType) -> None:
    """Re-export the ``__all__`` of each module (they must not reuse a name)."""
    for module in modules:
        for name in module.__all__:
            if name in namespace:
                raise RuntimeError(f"{module.__name__}.{name} would replace {name}")
            namespace[name] = getattr(module, name)
            names.append(name)
