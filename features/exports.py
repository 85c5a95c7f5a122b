"""Packages name their public surface in `__all__` and import each name from its module on first use
(PEP 562), so importing a package stays light and has no side effects."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package: str, homes: dict[str, str]) -> Callable[[str], object]:
    """A module-level `__getattr__` for `package`: name -> the module it lives in."""

    def getattr_(name: str) -> object:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(homes[name]), name)

    return getattr_
