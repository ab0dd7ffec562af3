"""Name scopes of an evaluation: the caller's context, local entries, then the built-ins."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bpmn.feel.convert import to_feel

MISSING: Any = object()


class Scope:
    """Names visible at one place of an expression; inner scopes shadow outer ones."""

    __slots__ = ("parent", "values")

    def __init__(self, values: Mapping[str, Any], parent: Scope | None = None) -> None:
        self.values = values
        self.parent = parent

    def lookup(self, name: str) -> Any:
        """The value of ``name``, or MISSING."""
        scope: Scope | None = self
        while scope is not None:
            found = scope.own(name)
            if found is not MISSING:
                return found
            scope = scope.parent
        return MISSING

    def own(self, name: str) -> Any:
        """The value of ``name`` in this scope alone, or MISSING."""
        return self.values.get(name, MISSING)

    def child(self, values: Mapping[str, Any]) -> Scope:
        """A scope over this one adding ``values``."""
        return Scope(values, self)


class InputScope(Scope):
    """The caller's context: values are turned into FEEL values once, when first read."""

    __slots__ = ("converted",)

    def __init__(self, values: Mapping[str, Any], parent: Scope | None = None) -> None:
        super().__init__(values, parent)
        self.converted: dict[str, Any] = {}

    def own(self, name: str) -> Any:
        """The value of ``name`` here, converted to FEEL on first read."""
        found = self.converted.get(name, MISSING)
        if found is MISSING:
            raw = self.values.get(name, MISSING)
            if raw is MISSING:
                return MISSING
            found = self.converted[name] = to_feel(raw)
        return found
