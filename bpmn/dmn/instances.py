"""FEEL's ``instance of`` for a model's item definitions: the type alone, no coercion.

``instance of`` asks about the value's type, so allowed values are not checked (the TCK's
``256 instance of t255`` is true for a number type limited to 0..255) and a one-item list
is not unwrapped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bpmn import feel
from bpmn.dmn.model import ItemDefinition
from bpmn.dmn.types import TypeSystem

MAX_TYPE_DEPTH = 32


def feel_types(types: TypeSystem, namespace: str) -> dict[str, Callable[[Any], bool]]:
    """The item definitions a model's expressions may name, as checks for ``instance of``."""
    model = types.models.get(namespace)
    if model is None:
        return {}
    names = list(model.item_definitions)
    for imported in model.imports:
        other = types.models.get(imported.namespace)
        if other is not None and imported.name:
            names.extend(f"{imported.name}.{name}" for name in other.item_definitions)
    return {name: _check(types, name, namespace) for name in names}


def _check(types: TypeSystem, name: str, namespace: str) -> Callable[[Any], bool]:
    return lambda value: is_instance(types, value, name, namespace, 0)


def is_instance(types: TypeSystem, value: Any, type_ref: str, namespace: str, depth: int) -> bool:
    """Whether a value is of the type a typeRef names in a model."""
    if depth > MAX_TYPE_DEPTH:
        return False
    item, item_ns = types.resolve(type_ref, namespace)
    if item is None:
        return bool(feel.instance_of(value, type_ref))
    return _item(types, value, item, item_ns, depth + 1)


def _item(types: TypeSystem, value: Any, item: ItemDefinition, namespace: str, depth: int) -> bool:
    if item.is_collection:
        if not isinstance(value, list):
            return False
        single = ItemDefinition(
            name=item.name,
            type_ref=item.type_ref,
            components=item.components,
            is_function=item.is_function,
        )
        return all(v is None or _item(types, v, single, namespace, depth) for v in value)
    if item.is_function:
        return isinstance(value, feel.FeelFunction)
    if item.components:
        return isinstance(value, Mapping) and all(
            c.name in value
            and (value[c.name] is None or _item(types, value[c.name], c, namespace, depth))
            for c in item.components
        )
    if item.type_ref:
        return is_instance(types, value, item.type_ref, namespace, depth)
    return True
