"""Context built-ins: get value, get entries, context put, context merge."""

from __future__ import annotations

from typing import Any

from bpmn.feel.builtins.registry import Invalid, as_list, builtin, text


def _context(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise Invalid("expected a context")


@builtin("get value", ("m", "key"), overloads=(("context", "key"),))
def get_value(context: Any, key: Any) -> Any:
    """The value of ``key`` in the context (null when absent)."""
    if isinstance(key, list):
        found: Any = context
        for part in key:
            found = _context(found).get(text(part))
        return found
    return _context(context).get(text(key))


@builtin("get entries", ("m",), overloads=(("context",),))
def get_entries(context: Any) -> list[dict[str, Any]]:
    """The entries as a list of {key, value} contexts."""
    return [{"key": key, "value": value} for key, value in _context(context).items()]


def _put(context: dict[str, Any], keys: list[str], value: Any) -> dict[str, Any]:
    result = dict(context)
    first, rest = keys[0], keys[1:]
    if rest:
        inner = result.get(first)
        result[first] = _put(_context(inner), rest, value)
    else:
        result[first] = value
    return result


@builtin("context put", ("context", "key", "value"), overloads=(("context", "keys", "value"),))
def context_put(context: Any, key: Any, value: Any) -> dict[str, Any]:
    """A copy of the context with ``key`` (or a path of keys) set to ``value``."""
    keys = [text(part) for part in key] if isinstance(key, list) else [text(key)]
    if not keys:
        raise Invalid("context put: no key")
    return _put(_context(context), keys, value)


@builtin("context merge", ("contexts",))
def context_merge(contexts: Any) -> dict[str, Any]:
    """The contexts merged, later entries winning."""
    result: dict[str, Any] = {}
    for context in as_list(contexts):
        result.update(_context(context))
    return result
