"""Item definitions and built-in types: conformance and DMN's coercion of values to them.

DMN turns a value that does not conform to its declared type into null (and the caller
records why); a one-item list given for a non-list type is unwrapped, a single value given
for a collection type is wrapped, as the singleton rules of DMN 1.3 §10.3.2.9.4 say.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from bpmn import feel
from bpmn.dmn.model import Definitions, ItemDefinition

_BUILTIN_ALIASES = {
    "number": "number",
    "string": "string",
    "boolean": "boolean",
    "date": "date",
    "time": "time",
    "date and time": "date and time",
    "dateTime": "date and time",
    "days and time duration": "days and time duration",
    "dayTimeDuration": "days and time duration",
    "years and months duration": "years and months duration",
    "yearMonthDuration": "years and months duration",
    "duration": "duration",
    "context": "context",
    "list": "list",
    "function": "function",
    "range": "range",
    "Any": "Any",
    "any": "Any",
    "decimal": "number",
    "double": "number",
    "integer": "number",
}


def _is_time(value: Any) -> bool:
    if isinstance(value, dt.time):
        return True
    return bool(feel.instance_of(value, "time")) if not isinstance(value, dt.date) else False


_BUILTIN_CHECKS: dict[str, Callable[[Any], bool]] = {
    "number": lambda v: isinstance(v, Decimal | int) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "date": lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
    "date and time": lambda v: isinstance(v, dt.datetime),
    "time": _is_time,
    "days and time duration": lambda v: isinstance(v, feel.DaysTimeDuration),
    "years and months duration": lambda v: isinstance(v, feel.YearsMonthsDuration),
    "duration": lambda v: isinstance(v, feel.DaysTimeDuration | feel.YearsMonthsDuration),
    "context": lambda v: isinstance(v, Mapping),
    "list": lambda v: isinstance(v, list),
    "function": lambda v: isinstance(v, feel.FeelFunction) or callable(v),
    "range": lambda v: isinstance(v, feel.Range),
    "Any": lambda v: True,
}


class NonConforming(Exception):
    """A value does not conform to a type (the caller turns it into null)."""


class TypeSystem:
    """Resolves typeRefs against the item definitions of every loaded model."""

    def __init__(self, models: Mapping[str, Definitions]) -> None:
        self.models = models

    def resolve(self, type_ref: str, namespace: str) -> tuple[ItemDefinition | None, str]:
        """The item definition a typeRef names in a model (and the model's namespace)."""
        model = self.models.get(namespace)
        if model is None:
            return None, namespace
        found = model.item_definitions.get(type_ref)
        if found is not None:
            return found, namespace
        head, dot, tail = type_ref.partition(".")
        if dot:
            for imported in model.imports:
                if imported.name == head and imported.namespace in self.models:
                    return self.resolve(tail, imported.namespace)
        return None, namespace

    def coerce(self, value: Any, type_ref: str | None, namespace: str) -> Any:
        """The value as the declared type takes it; raises NonConforming when it cannot."""
        if value is None or not type_ref:
            return value
        return self._coerce(value, type_ref.strip(), namespace, 0)

    def _coerce(self, value: Any, type_ref: str, namespace: str, depth: int) -> Any:
        if depth > 32:
            raise NonConforming(f"type {type_ref!r} refers to itself")
        if type_ref.startswith("list<") and type_ref.endswith(">"):
            element = type_ref[5:-1].strip()
            items = value if isinstance(value, list) else [value]
            return [self._element(item, element, namespace, depth + 1) for item in items]
        if type_ref.startswith(("context<", "function<", "range<")):
            # DMN 1.5's inline types: FEEL decides, with no coercion to make
            if not feel.instance_of(value, type_ref):
                raise NonConforming(f"the value is not a {type_ref}")
            return value
        builtin = _BUILTIN_ALIASES.get(type_ref)
        if builtin is not None and type_ref not in self._item_names(namespace):
            return _builtin(value, builtin)
        item, item_ns = self.resolve(type_ref, namespace)
        if item is None:
            return value  # a type the model does not define (e.g. a Java class) is not checked
        return self._item(value, item, item_ns, depth + 1)

    def _item_names(self, namespace: str) -> Mapping[str, ItemDefinition]:
        model = self.models.get(namespace)
        return model.item_definitions if model is not None else {}

    def _element(self, value: Any, type_ref: str, namespace: str, depth: int) -> Any:
        return None if value is None else self._coerce(value, type_ref, namespace, depth)

    def _item(self, value: Any, item: ItemDefinition, namespace: str, depth: int) -> Any:
        if item.is_collection:
            # a collection's allowed values constrain its items, its typeConstraint (DMN 1.5)
            # the list itself
            items = value if isinstance(value, list) else [value]
            single = ItemDefinition(
                name=item.name,
                type_ref=item.type_ref,
                allowed_values=item.allowed_values,
                components=item.components,
                is_function=item.is_function,
            )
            entries = [
                None if entry is None else self._item(entry, single, namespace, depth)
                for entry in items
            ]
            self._constrained(entries, item)
            return entries
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
            if value is None:
                return None
        if item.is_function:
            if not _BUILTIN_CHECKS["function"](value):
                raise NonConforming(f"not a function for {item.name}")
            return value
        if item.components:
            if not isinstance(value, Mapping):
                raise NonConforming(f"not a context for {item.name}")
            result = dict(value)
            for component in item.components:
                if component.name not in value:
                    raise NonConforming(f"{item.name} has no {component.name}")
                entry = value[component.name]
                if entry is not None:
                    result[component.name] = self._item(entry, component, namespace, depth)
            self._allowed(result, item)
            self._constrained(result, item)
            return result
        if item.type_ref:
            value = self._coerce(value, item.type_ref, namespace, depth)
        self._allowed(value, item)
        self._constrained(value, item)
        return value

    def _allowed(self, value: Any, item: ItemDefinition) -> None:
        if item.allowed_values and value is not None and not _allows(item.allowed_values, value):
            raise NonConforming(f"the value is not an allowed {item.name}")

    def _constrained(self, value: Any, item: ItemDefinition) -> None:
        if item.type_constraint and not _allows(item.type_constraint, value):
            raise NonConforming(f"the value breaks the constraint of {item.name}")


def _builtin(value: Any, builtin: str) -> Any:
    if builtin not in ("list", "Any") and isinstance(value, list) and len(value) == 1:
        value = value[0]
        if value is None:
            return None
    if not _BUILTIN_CHECKS[builtin](value):
        raise NonConforming(f"{type(value).__name__} value is not a {builtin}")
    return value


def _allows(tests: str, value: Any) -> bool:
    return feel.unary_test(tests, value, {}) is True
