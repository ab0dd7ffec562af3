"""The executor that answers compiled root fields: graphql-core's, with one more case.

When a resolver returns a `CompiledRoot`, the field's selection is walked with this
executor's own field collection; a selection the compiler takes is answered by its one
statement as JSON text (`orjson.Fragment`, which the response's orjson encoder writes as is),
any other by the resolver's own path, completed as usual.
"""

from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.compiled.plan import NotCompiled, Walker
from api.compiled.root import CompiledRoot


class CompilingExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's execution, where a `CompiledRoot` result is compiled or falls back."""

    def complete_value(self, return_type: Any, field_details_list: Any, info: Any, path: Any,
                       result: Any, position_context: Any) -> Any:  # fmt: skip
        if not isinstance(result, CompiledRoot):
            return super().complete_value(
                return_type, field_details_list, info, path, result, position_context
            )
        try:
            selected = Walker(self).tree(path.key, info.field_name, return_type,
                                         field_details_list, {})  # fmt: skip
            answer = result.compile(selected)
        except NotCompiled:
            answer = None

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
