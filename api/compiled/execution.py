"""The executor that answers compiled root fields: graphql-core's, with one more case.

When a resolver returns a `CompiledRoot`, the field's selection is walked with this
executor's own field collection; a selection the compiler takes is answered by its one
statement as JSON text (`orjson.Fragment`, which the response's orjson encoder writes as is),
any other by the resolver's own path, completed as usual.
"""

from typing import Any

from graphql import GraphQLObjectType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.compiled.plan import NotCompiled, Selected, Walker
from api.compiled.root import CompiledRoot, Kept, digest


class CompilingExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's execution, where a `CompiledRoot` result is compiled or falls back."""

    def complete_value(self, return_type: Any, field_details_list: Any, info: Any, path: Any,
                       result: Any, position_context: Any) -> Any:  # fmt: skip
        if not isinstance(result, CompiledRoot):
            return super().complete_value(
                return_type, field_details_list, info, path, result, position_context
            )
        selected = self._selection(return_type, field_details_list, info, path, result.runtime)
        answer = result.compile(selected) if selected is not None else None

        async def complete() -> Any:
            if answer is not None:
                try:
                    return await answer
                except NotCompiled:
                    pass
            value = await result.fallback()
            completed = super(CompilingExecutionContext, self).complete_value(
                return_type, field_details_list, info, path, value, position_context
            )
            return await completed if self.is_awaitable(completed) else completed

        return complete()

    def _selection(
        self, return_type: Any, details: Any, info: Any, path: Any, runtime: str | None
    ) -> Selected | None:
        """The root field's selection (None: not compiled), walked once per document and
        variables: the parsed document is the same object while the parser's cache keeps it,
        and the entry keeps it alive, so its identity cannot name another document."""
        variables = digest(repr(self.variable_values.coerced))  # they may be long
        key = (id(self.operation), path.key, variables, runtime)
        found = _SELECTIONS.get(key)
        if found is not None and found[0] is self.operation:
            return found[1]
        try:
            concrete = self.schema.get_type(runtime) if runtime else None
            selected: Selected | None = Walker(self).tree(
                path.key, info.field_name, return_type, details, {},
                concrete if isinstance(concrete, GraphQLObjectType) else None,
            )  # fmt: skip
        except NotCompiled:
            selected = None
        if not any(d.fragment_variable_values for d in details):
            _SELECTIONS.put(key, (self.operation, selected))
        return selected


_SELECTIONS: Kept[tuple[int, str | int, bytes, str | None], tuple[Any, Selected | None]] = Kept()
