"""Spec extensions (`x-...`) whose value names one of the implementations the mock has."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def chosen(extension: str, name: str, implementations: Mapping[str, T]) -> T:
    """The implementation `name` of `extension`; a ValueError listing the known names for any other."""
    try:
        return implementations[name]
    except KeyError:
        known = ", ".join(sorted(implementations))
        raise ValueError(f"{extension} {name!r} is not supported: use one of {known}") from None
