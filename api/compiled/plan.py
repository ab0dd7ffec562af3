"""The look-ahead: a root field's selection set as a tree of the fields each object asks for.

graphql-core's own field collection does the work (fragments, inline fragments, aliases,
variables, `@include`/`@skip`, merging of the same response name), so the tree holds exactly
the fields the per-field path would resolve, keyed by response name in response order.
Anything the compiler does not take (an interface or union on the way, `@defer`/`@stream`,
a field without a compiled form) raises `NotCompiled`, and the root field answers through
its resolvers instead.
"""

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetails
from graphql.execution.values import get_argument_values


class NotCompiled(Exception):
    """The selection has something the compiler does not take: the resolvers answer it."""


@dataclass(frozen=True)
class Selected:
    """One field of an object, as the response names it."""

    key: str
    name: str
    args: dict[str, Any]
    type_name: str
    fields: "tuple[Selected, ...]" = ()
    is_list: bool = False

    @cached_property
    def fingerprint(self) -> bytes:
        """16 bytes that no other tree has (BLAKE2b of its text), made once per tree: the
        executor keeps a document's trees, so every request of that document has it made."""
        text = repr(self).encode(errors="surrogatepass")
        return hashlib.blake2b(text, digest_size=16).digest()

    def sub(self, name: str) -> "Selected | None":
        """The first selected field of a name (an alias may select it twice: see `all`)."""
        return next((f for f in self.fields if f.name == name), None)


@dataclass
class Walker:
    """Collects subfields with an executor's own context (variables, fragments, directives)."""

    executor: Any
    seen: dict[int, Any] = field(default_factory=dict)

    def tree(self, key: str, name: str, return_type: GraphQLOutputType,
             details: list[FieldDetails], args: dict[str, Any],
             runtime: GraphQLObjectType | None = None) -> Selected:  # fmt: skip
        """The selection under a field of a given type (`runtime`: the object type a field of
        an interface or union type returns, when the resolver knows it before running)."""
        named, is_list = _unwrap(return_type)
        if is_leaf_type(named):
            return Selected(key, name, args, named.name, (), is_list)
        if runtime is not None and self.executor.schema.is_sub_type(named, runtime):
            named = runtime
        if not isinstance(named, GraphQLObjectType):
            raise NotCompiled(f"{name}: abstract type {named.name}")
        if any(d.defer_usage is not None for d in details):
            raise NotCompiled(f"{name}: @defer")
        collected = self.executor.collect_subfields(named, details)
        if collected.new_defer_usages or collected.forbidden_directive_instances:
            raise NotCompiled(f"{name}: @defer or @stream")
        fields = []
        for response_name, sub_details in collected.grouped_field_set.items():
            node = sub_details[0].node
            sub_name = node.name.value
            if sub_name == "__typename":
                fields.append(Selected(response_name, sub_name, {}, named.name))
                continue
            definition = named.fields.get(sub_name)
            if definition is None:
                raise NotCompiled(f"{named.name}.{sub_name}: unknown")
            if any(d.node.directives and _streams(d.node) for d in sub_details):
                raise NotCompiled(f"{named.name}.{sub_name}: @stream")
            sub_args = get_argument_values(
                definition, node, self.executor.variable_values,
                sub_details[0].fragment_variable_values,
            )  # fmt: skip
            fields.append(self.tree(response_name, sub_name, definition.type, sub_details,
                                    sub_args))  # fmt: skip
        return Selected(key, name, args, named.name, tuple(fields), is_list)


def _streams(node: Any) -> bool:
    return any(d.name.value == "stream" for d in node.directives)


def _unwrap(type_: GraphQLOutputType) -> tuple[Any, bool]:
    is_list = False
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        if isinstance(type_, GraphQLList):
            if is_list:
                raise NotCompiled("a list of lists")
            is_list = True
        type_ = type_.of_type
    return type_, is_list
