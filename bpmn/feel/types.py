"""FEEL types: the name of a value's type, ``instance of``, and item definitions by name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from bpmn.feel.nodes import TypeRef
from bpmn.feel.values import DaysTimeDuration, FeelFunction, Range, YearsMonthsDuration

# A custom type: a check of a value, or the structure it names (a TypeRef).
CustomType = Callable[[Any], bool] | TypeRef

_ALIASES = {
    "dayTimeDuration": "days and time duration",
    "yearMonthDuration": "years and months duration",
    "dateTime": "date and time",
    "decimal": "number",
    "integer": "number",
    "double": "number",
}
_NO_TYPES: Mapping[str, CustomType] = MappingProxyType({})
_custom: ContextVar[Mapping[str, CustomType]] = ContextVar("feel_types", default=_NO_TYPES)


@contextmanager
def item_definitions(types: Mapping[str, CustomType]) -> Iterator[None]:
    """Make the DMN model's item definitions known to ``instance of`` in this context."""
    token = _custom.set({**_custom.get(), **types})
    try:
        yield
    finally:
        _custom.reset(token)


def type_name(value: Any) -> str:
    """The FEEL name of the type of ``value``."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime):
        return "date and time"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    if isinstance(value, DaysTimeDuration):
        return "days and time duration"
    if isinstance(value, YearsMonthsDuration):
        return "years and months duration"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "context"
    if isinstance(value, Range):
        return "range"
    if isinstance(value, FeelFunction):
        return "function"
    return type(value).__name__


def conforms(value: Any, kind: TypeRef) -> bool:
    """Whether ``value`` is an instance of ``kind``."""
    name = _ALIASES.get(kind.name, kind.name)
    if name.startswith("feel."):
        name = name[5:]
    if name == "Null":
        return value is None
    if value is None:
        return False
    if name == "Any":
        return True
    if name == "list":
        if not isinstance(value, list):
            return False
        return not kind.args or all(_member(item, kind.args[0]) for item in value)
    if name == "context":
        return isinstance(value, dict) and all(
            key in value and _member(value[key], field) for key, field in kind.fields
        )
    if name == "range":
        if not isinstance(value, Range):
            return False
        ends = [end for end in (value.start, value.end) if end is not None]
        return not kind.args or all(conforms(end, kind.args[0]) for end in ends)
    if name == "function":
        if not isinstance(value, FeelFunction):
            return False
        return len(kind.args) <= 1 or len(value.params) == len(kind.args) - 1
    custom = _custom.get().get(kind.name)
    if custom is not None:
        return conforms(value, custom) if isinstance(custom, TypeRef) else bool(custom(value))
    return type_name(value) == name


def _member(value: Any, kind: TypeRef) -> bool:
    """Items of a list and entries of a context may be null whatever their type."""
    return value is None or conforms(value, kind)


def instance_of(value: Any, type_text: str) -> bool:
    """Whether ``value`` is an instance of the FEEL type written ``type_text``."""
    from bpmn.feel.type_syntax import parse_type

    return conforms(value, parse_type(type_text))
