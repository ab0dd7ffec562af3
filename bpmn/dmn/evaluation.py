"""One evaluation of the DRG: decisions evaluated once each, BKMs and decision services as
FEEL functions, imported elements under their import's name, values coerced to their types."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bpmn import feel
from bpmn.dmn import boxed
from bpmn.dmn.errors import DmnError, DmnErrorCode, DmnEvaluationError
from bpmn.dmn.model import (
    BusinessKnowledgeModel,
    Decision,
    DecisionService,
    DecisionTable,
    Element,
    InputData,
    Ref,
)
from bpmn.dmn.tables import TableExplanation
from bpmn.dmn.types import NonConforming

if TYPE_CHECKING:
    from bpmn.dmn.drg import DmnModels

MAX_CALL_DEPTH = 40


@dataclass(frozen=True, slots=True)
class Message:
    """Why an element evaluated to null: the element's id, the reason and its code."""

    element_id: str | None
    reason: str
    code: DmnErrorCode


class Evaluation:
    """The state of one request: memoised values, messages, explanations and bounds."""

    def __init__(
        self,
        models: DmnModels,
        inputs: Mapping[str, Mapping[str, Any]],
        deadline: float,
        messages: list[Message] | None = None,
        explanations: list[tuple[str, TableExplanation]] | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        self.models = models
        self.inputs = inputs
        # a process's variables, seen by every decision under its requirements' names (a
        # table drawn for a process reads them without input data elements, as in Camunda)
        self.variables = dict(variables or {})
        self.deadline = deadline
        self.memo: dict[Ref, Any] = {}
        self.functions: dict[Ref, feel.FeelFunction] = {}
        self.messages = messages if messages is not None else []
        self.explanations = explanations if explanations is not None else []
        self.failures: dict[Ref, Message] = {}
        self.depth = 0
        self.current: list[str] = []

    # -- values of DRG elements --------------------------------------------------------

    def value_of(self, ref: Ref) -> Any:
        """The value of a decision or input data, evaluated at most once."""
        if ref in self.memo:
            return self.memo[ref]
        element = self.models.element(ref)
        if isinstance(element, InputData):
            value = self._input(ref[0], element)
        elif isinstance(element, Decision):
            # required decisions first, deepest first, so a long chain never nests calls
            for required in self._unevaluated_requirements(ref):
                self.memo[required] = self._decision(required[0], self._decision_at(required))
            value = self._decision(ref[0], element)
        else:
            raise DmnEvaluationError(f"{element.name} is not a decision nor input data", ref[1])
        self.memo[ref] = value
        return value

    def _decision_at(self, ref: Ref) -> Decision:
        decision = self.models.element(ref)
        assert isinstance(decision, Decision)
        return decision

    def _unevaluated_requirements(self, start: Ref) -> list[Ref]:
        """Decisions ``start`` needs that are not evaluated yet, each after its own needs."""
        order: list[Ref] = []
        seen = {start}
        stack: list[tuple[Ref, Iterator[Ref]]] = [
            (start, iter(self._decision_at(start).required_decisions))
        ]
        while stack:
            ref, pending = stack[-1]
            required = next(pending, None)
            if required is None:
                stack.pop()
                if ref != start:
                    order.append(ref)
            elif required not in seen and required not in self.memo:
                seen.add(required)
                stack.append((required, iter(self._decision_at(required).required_decisions)))
        return order

    def _input(self, namespace: str, item: InputData) -> Any:
        value = self.inputs.get(namespace, {}).get(item.name)
        try:
            # callers may give ints, floats or tuples: FEEL takes them as its own values
            value = feel.to_feel(value)
        except feel.FeelError as exc:
            self.messages.append(Message(item.id, str(exc), DmnErrorCode.CONSTRAINT))
            return None
        return self.coerce(value, item.type_ref, namespace, item.id)

    def _decision(self, namespace: str, decision: Decision) -> Any:
        env = ModelEnv(self, namespace)
        self.current.append(decision.id)
        try:
            self.check_deadline(decision.id)
            scope = self.scope_for(
                namespace,
                (*decision.required_decisions, *decision.required_inputs),
                decision.required_knowledge,
            )
            value = boxed.evaluate(decision.expression, scope, env)
            return self.coerce(value, decision.type_ref, namespace, decision.id)
        except DmnError as exc:
            self.fail((namespace, decision.id), exc.element_id or decision.id, exc.reason, exc.code)
        except RecursionError:
            self.fail((namespace, decision.id), decision.id, "too deep", DmnErrorCode.LIMIT)
        finally:
            self.current.pop()
        return None

    def fail(self, ref: Ref, element_id: str, reason: str, code: DmnErrorCode) -> None:
        """Record why an element's value is null."""
        message = Message(element_id, reason, code)
        self.failures[ref] = message
        self.messages.append(message)

    def scope_for(
        self, namespace: str, information: Iterable[Ref], knowledge: Iterable[Ref]
    ) -> dict[str, Any]:
        """The names an element of ``namespace`` sees: its requirements' values and functions."""
        scope: dict[str, Any] = dict(self.variables)
        for ref in information:
            self._place(scope, namespace, ref, self.value_of(ref))
        for ref in knowledge:
            self._place(scope, namespace, ref, self.function_of(ref))
        if self.variables:  # asked by a process: a required table's outputs by name too
            for ref in information:
                self._outputs_by_name(scope, ref)
        return scope

    def _outputs_by_name(self, scope: dict[str, Any], ref: Ref) -> None:
        # Camunda's reading of a DRD: a table downstream names what an upstream table output
        element = self.models.element(ref)
        if not isinstance(element, Decision) or not isinstance(element.expression, DecisionTable):
            return
        value = self.memo.get(ref)
        names = [o.name for o in element.expression.outputs if o.name]
        if len(element.expression.outputs) == 1 and names:
            scope.setdefault(names[0], value)
        elif isinstance(value, dict):
            for name in names:
                scope.setdefault(name, value.get(name))

    def _place(self, scope: dict[str, Any], namespace: str, ref: Ref, value: Any) -> None:
        name = self.models.element(ref).name
        prefix = None if ref[0] == namespace else self.models.import_name(namespace, ref[0])
        if prefix is None:
            scope[name] = value
        else:
            # a fresh context per scope: a caller's variable of the same name stays untouched
            found = scope.get(prefix)
            nested = dict(found) if isinstance(found, Mapping) else {}
            nested[name] = value
            scope[prefix] = nested

    # -- BKMs and decision services as functions ----------------------------------------

    def function_of(self, ref: Ref) -> feel.FeelFunction:
        """The FEEL function a BKM or a decision service is."""
        if ref in self.functions:
            return self.functions[ref]
        element = self.models.element(ref)
        if isinstance(element, BusinessKnowledgeModel):
            function = self._bkm(ref[0], element)
        elif isinstance(element, DecisionService):
            function = self._service_function(ref, element)
        else:
            raise DmnEvaluationError(f"{element.name} is not a BKM nor a decision service", ref[1])
        return function

    def _bkm(self, namespace: str, bkm: BusinessKnowledgeModel) -> feel.FeelFunction:
        ref = (namespace, bkm.id)
        if bkm.logic is None:
            function = feel.FeelFunction(params=(), body=lambda args: None, name=bkm.name)
            self.functions[ref] = function
            return function
        closure: dict[str, Any] = {}
        result_type = bkm.logic.type_ref or self._result_type(bkm.type_ref, namespace)
        function = boxed.function_value(
            bkm.logic, closure, ModelEnv(self, namespace), bkm.name, result_type
        )
        # kept before the closure is filled, so BKMs may call each other (and themselves)
        self.functions[ref] = function
        closure.update(self.scope_for(namespace, (), bkm.required_knowledge))
        closure.setdefault(bkm.name, function)
        return function

    def _result_type(self, type_ref: str | None, namespace: str) -> str | None:
        if not type_ref:
            return None
        item, _ = self.models.types.resolve(type_ref, namespace)
        return item.function_output if item is not None and item.is_function else type_ref

    def _service_function(self, ref: Ref, service: DecisionService) -> feel.FeelFunction:
        params = self.models.service_parameters(ref)

        def body(args: Mapping[str, Any]) -> Any:
            return self.service(ref, args)[0]

        function = feel.FeelFunction(params=params, body=body, name=service.name)
        self.functions[ref] = function
        return function

    def service(self, ref: Ref, args: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        """A decision service's result and its output decisions' values, from its parameters."""
        namespace = ref[0]
        service = self.models.element(ref)
        if not isinstance(service, DecisionService):
            raise DmnEvaluationError(f"{service.name} is not a decision service", ref[1])
        self.enter(service.id)
        try:
            inputs: dict[str, dict[str, Any]] = {}
            for item_ref in service.input_data:
                item = self.models.element(item_ref)
                assert isinstance(item, InputData)
                given = self.conform(args.get(item.name), item.type_ref, item_ref[0], item.id)
                inputs.setdefault(item_ref[0], {})[item.name] = given
            sub = Evaluation(self.models, inputs, self.deadline, self.messages, self.explanations)
            sub.depth = self.depth
            for decision_ref in service.input_decisions:
                decision = self.models.element(decision_ref)
                sub.memo[decision_ref] = self.conform(
                    args.get(decision.name), decision.type_ref, decision_ref[0], decision.id
                )
            outputs = {self.models.element(out).name: sub.value_of(out) for out in service.outputs}
        finally:
            self.leave()
        value: Any = next(iter(outputs.values())) if len(outputs) == 1 else outputs
        value = self.coerce(
            value, self._result_type(service.type_ref, namespace), namespace, ref[1]
        )
        if len(outputs) == 1:
            outputs = {name: value for name in outputs}
        return value, outputs

    # -- types, bounds and explanations -------------------------------------------------

    def coerce(self, value: Any, type_ref: str | None, namespace: str, element_id: str) -> Any:
        """The value as its type takes it; a value that does not conform is null (recorded)."""
        try:
            return self.models.types.coerce(value, type_ref, namespace)
        except NonConforming as exc:
            self.messages.append(Message(element_id, str(exc), DmnErrorCode.CONSTRAINT))
            return None

    def conform(self, value: Any, type_ref: str | None, namespace: str, element_id: str) -> Any:
        """The value as its type takes it; DmnEvaluationError when it does not conform."""
        try:
            return self.models.types.coerce(value, type_ref, namespace)
        except NonConforming as exc:
            raise DmnEvaluationError(str(exc), element_id, DmnErrorCode.CONSTRAINT) from None

    def check_deadline(self, element_id: str) -> None:
        """Refuse to go on once the evaluation's time is up."""
        if time.monotonic() > self.deadline:
            raise DmnEvaluationError(
                "evaluation time limit reached", element_id, DmnErrorCode.LIMIT
            )

    def enter(self, element_id: str) -> None:
        """One call deeper (BKM, function, service), within the depth and time bounds."""
        self.check_deadline(element_id)
        if self.depth >= MAX_CALL_DEPTH:
            raise DmnEvaluationError("calls nested too deep", element_id, DmnErrorCode.LIMIT)
        self.depth += 1

    def leave(self) -> None:
        """Back from a call."""
        self.depth -= 1


class ModelEnv:
    """The evaluation as an element of one model sees it (types resolve in that model)."""

    def __init__(self, run: Evaluation, namespace: str) -> None:
        self.run = run
        self.namespace = namespace

    def coerce(self, value: Any, type_ref: str | None, element_id: str) -> Any:
        """Coerce to a type of this model."""
        return self.run.coerce(value, type_ref, self.namespace, element_id)

    def conform(self, value: Any, type_ref: str | None, element_id: str) -> Any:
        """Coerce to a type of this model, raising when the value does not conform."""
        return self.run.conform(value, type_ref, self.namespace, element_id)

    def explain(self, explanation: TableExplanation) -> None:
        """Keep the explanation under the decision being evaluated."""
        owner = self.run.current[-1] if self.run.current else explanation.table_id
        self.run.explanations.append((owner, explanation))

    def enter(self, element_id: str) -> None:
        """Guard a nested call."""
        self.run.enter(element_id)

    def leave(self) -> None:
        """End a nested call."""
        self.run.leave()


def element_kind(element: Element) -> str:
    """The DMN tag of an element, for messages."""
    return {
        InputData: "inputData",
        Decision: "decision",
        BusinessKnowledgeModel: "businessKnowledgeModel",
        DecisionService: "decisionService",
    }[type(element)]
