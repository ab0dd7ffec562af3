"""The safe script engine: every SpiffWorkflow evaluate/execute and service call goes through
:class:`SafeEvaluator` and the operation registry, never Python eval/exec."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from bpmn import feel, registry
from bpmn.engine import feel_bridge, languages
from bpmn.engine.values import _json_default
from bpmn.errors import WorkflowRunError
from bpmn.expressions import SafeEvaluator

ServiceHandler = Callable[[str, dict[str, Any]], Any]


class SafeEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """Routes every SpiffWorkflow evaluate/execute through :class:`SafeEvaluator`."""

    def __init__(self, evaluator: SafeEvaluator, service_handler: ServiceHandler | None) -> None:
        super().__init__({})
        self.evaluator = evaluator
        self.service_handler = service_handler

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Any = None
    ) -> Any:
        names = {**(external_context or {}), **context}
        if languages.is_feel_expression(expression):
            return feel_bridge.evaluate(expression, names)
        return self.evaluator.evaluate(expression, names)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        external = dict(external_context or {})
        result = self.evaluator.execute_script(script, {**external, **context})
        for key in list(context):
            if key not in result:
                del context[key]
        for key, value in result.items():
            if key in external and key not in context and value is external[key]:
                continue
            context[key] = value
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> str:
        name = kwargs["operation_name"]
        operation = registry.get_operation(name)
        params = {k: v["value"] for k, v in kwargs.get("operation_params", {}).items()}
        arguments = operation.coerce(params)
        handler = self.service_handler
        if handler is not None:
            result = handler(name, arguments)
        else:
            impl = registry.implementation(name)
            if impl is None:
                raise WorkflowRunError(f"no implementation bound for operation {name!r}")
            result = impl(**arguments)
        return json.dumps(result, default=_json_default)


class SafeScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """PythonScriptEngine whose environment never reaches Python eval/exec."""

    def __init__(self, evaluator: SafeEvaluator, service_handler: ServiceHandler | None) -> None:
        super().__init__(environment=SafeEnvironment(evaluator, service_handler))
        self.evaluator = evaluator

    def validate(self, expression: str) -> None:
        if languages.is_feel_expression(expression):
            try:
                feel.parse_expression(expression.lstrip()[1:])
            except feel.FeelSyntaxError as exc:
                raise SyntaxError(str(exc)) from None
            return
        reason = self.evaluator.parse_check(expression)
        if reason and reason.startswith("syntax error"):
            raise SyntaxError(reason)

    def call_service(self, task: Any, **kwargs: Any) -> str:
        return str(self.environment.call_service(task.data, **kwargs))


def make_engine(
    evaluator: SafeEvaluator | None = None, service_handler: ServiceHandler | None = None
) -> SafeScriptEngine:
    return SafeScriptEngine(evaluator or SafeEvaluator(), service_handler)
