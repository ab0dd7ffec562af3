"""Loaded DMN models: references checked at load, and the public evaluation entry points."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bpmn import feel
from bpmn.dmn import feelcalls
from bpmn.dmn.errors import DmnErrorCode, DmnEvaluationError, DmnModelError
from bpmn.dmn.evaluation import Evaluation, Message, element_kind
from bpmn.dmn.feelcalls import Clock
from bpmn.dmn.instances import feel_types
from bpmn.dmn.model import (
    BusinessKnowledgeModel,
    Decision,
    DecisionService,
    DecisionTable,
    Definitions,
    Element,
    InputData,
    Ref,
)
from bpmn.dmn.reader import DMN_VERSIONS, read_definitions
from bpmn.dmn.tables import TableExplanation
from bpmn.dmn.types import TypeSystem

MAX_MODELS = 64
# a whole decision with its requirements, inside a process step: each FEEL evaluation in it
# has its own smaller budget (bpmn.feel.errors.MAX_SECONDS)
EVALUATION_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class DecisionOutcome:
    """A decision's value, every decision evaluated on the way, and why any became null."""

    value: Any
    variable_name: str
    output_names: tuple[str, ...]
    results: dict[str, Any]
    messages: tuple[Message, ...]
    explanations: tuple[tuple[str, TableExplanation], ...]
    failed: bool


def load_models(xmls: list[bytes], clock: Clock | None = None) -> DmnModels:
    """Read DMN files that may import each other; the first is the main model.

    ``clock`` feeds FEEL's now() and today() (the system clock, in UTC, by default).
    """
    return DmnModels(_read_all(xmls), clock)


def load_each_as_main(xmls: list[bytes], clock: Clock | None = None) -> list[DmnModels]:
    """The files loaded together once per file, each in turn the main model (each file read
    once): a deployment's decisions, whichever file holds them."""
    definitions = _read_all(xmls)
    return [
        DmnModels([main, *definitions[:index], *definitions[index + 1 :]], clock)
        for index, main in enumerate(definitions)
    ]


def _read_all(xmls: list[bytes]) -> list[Definitions]:
    if not xmls:
        raise DmnModelError("no DMN model given")
    if len(xmls) > MAX_MODELS:
        raise DmnModelError(
            f"{len(xmls)} models, the limit is {MAX_MODELS}", code=DmnErrorCode.LIMIT
        )
    return [read_definitions(xml) for xml in xmls]


class DmnModels:
    """DMN models loaded together; ``main`` is the one names are looked up in first."""

    def __init__(self, definitions: list[Definitions], clock: Clock | None = None) -> None:
        self.clock = clock or _utc_now
        self.models: dict[str, Definitions] = {}
        for model in definitions:
            if model.namespace in self.models:
                raise DmnModelError(
                    f"two models share the namespace {model.namespace}",
                    model.name,
                    DmnErrorCode.DUPLICATE,
                )
            self.models[model.namespace] = model
        self.main = definitions[0]
        self.types = TypeSystem(self.models)
        self._check_imports()
        self._check_references()
        self._check_cycles()
        # names for FEEL's ``instance of``: the main model's (and its imports') item
        # definitions, then those of the other models where no name clashes
        self._feel_types: dict[str, Any] = {}
        for model in reversed(list(self.models.values())):
            self._feel_types.update(feel_types(self.types, model.namespace))
        self._feel_types.update(feel_types(self.types, self.main.namespace))

    # -- lookups ------------------------------------------------------------------------

    @property
    def decision_ids(self) -> tuple[str, ...]:
        """Ids of the main model's decisions, in document order."""
        return tuple(e.id for e in self.main.elements.values() if isinstance(e, Decision))

    def element(self, ref: Ref) -> Element:
        """The element a reference names (references were checked at load)."""
        return self.models[ref[0]].elements[ref[1]]

    def find(self, name_or_id: str, namespace: str | None = None) -> Ref:
        """The element with this name (or id), in the main model first, then in the others."""
        order = [self.models[namespace]] if namespace else [self.main, *self.models.values()]
        for model in order:
            element = model.by_name(name_or_id)
            if element is not None:
                return (model.namespace, element.id)
        raise DmnEvaluationError(f"no element named {name_or_id!r}", None, DmnErrorCode.NOT_FOUND)

    def import_name(self, namespace: str, imported: str) -> str | None:
        """The name under which a model sees another model's elements."""
        for item in self.models[namespace].imports:
            if item.namespace == imported:
                return item.name or None
        return None

    def service_parameters(self, ref: Ref) -> tuple[str, ...]:
        """A decision service's parameters: its input data, then its input decisions."""
        service = self.element(ref)
        assert isinstance(service, DecisionService)
        return tuple(self.element(r).name for r in (*service.input_data, *service.input_decisions))

    # -- evaluation ---------------------------------------------------------------------

    def evaluate(
        self,
        decision: str,
        inputs: Mapping[str, Any],
        *,
        namespace: str | None = None,
        imported_inputs: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Any:
        """The value of one decision (null when it could not be evaluated)."""
        outcome = self.evaluate_decision(
            decision,
            inputs,
            namespace=namespace,
            imported_inputs=imported_inputs,
            strict=False,
        )
        return outcome.value

    def evaluate_all(
        self,
        inputs: Mapping[str, Any],
        imported_inputs: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Every decision of the main model by name, each evaluated once."""
        run = self._run(inputs, imported_inputs)
        with self._evaluating():
            return {
                element.name: run.value_of((self.main.namespace, element.id))
                for element in self.main.elements.values()
                if isinstance(element, Decision)
            }

    def evaluate_many(
        self,
        decisions: list[str],
        inputs: Mapping[str, Any],
        imported_inputs: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> tuple[dict[str, Any], tuple[Message, ...]]:
        """Several decisions (by name or id) in one evaluation, and why any became null."""
        run = self._run(inputs, imported_inputs)
        values = {}
        for name in decisions:
            ref = self.find(name)
            if not isinstance(self.element(ref), Decision):
                raise DmnEvaluationError(
                    f"{name} is not a decision", ref[1], DmnErrorCode.NOT_FOUND
                )
            with self._evaluating():
                values[name] = run.value_of(ref)
        return values, tuple(run.messages)

    def evaluate_decision(
        self,
        decision: str,
        inputs: Mapping[str, Any],
        *,
        namespace: str | None = None,
        imported_inputs: Mapping[str, Mapping[str, Any]] | None = None,
        strict: bool = True,
        variables: Mapping[str, Any] | None = None,
    ) -> DecisionOutcome:
        """Evaluate a decision (by name or id) with what fired and why values became null.

        ``strict`` raises DmnEvaluationError when the decision itself could not be evaluated.
        """
        ref = self.find(decision, namespace)
        element = self.element(ref)
        if not isinstance(element, Decision):
            raise DmnEvaluationError(
                f"{element.name} is a {element_kind(element)}, not a decision",
                element.id,
                DmnErrorCode.NOT_FOUND,
            )
        run = self._run(inputs, imported_inputs, variables)
        with self._evaluating():
            value = run.value_of(ref)
        failure = run.failures.get(ref)
        if strict and failure is not None:
            raise DmnEvaluationError(failure.reason, failure.element_id, failure.code)
        return self._outcome(run, element, value, ref in run.failures)

    def invoke_service(
        self, service: str, inputs: Mapping[str, Any], *, namespace: str | None = None
    ) -> DecisionOutcome:
        """Evaluate a decision service with its parameters given by name."""
        ref = self.find(service, namespace)
        element = self.element(ref)
        if not isinstance(element, DecisionService):
            raise DmnEvaluationError(
                f"{element.name} is not a decision service", element.id, DmnErrorCode.NOT_FOUND
            )
        run = self._run({}, None)
        failed = False
        try:
            with self._evaluating():
                value, outputs = run.service(ref, inputs)
        except DmnEvaluationError as exc:
            run.fail(ref, exc.element_id or element.id, exc.reason, exc.code)
            value, outputs, failed = None, {}, True
        return DecisionOutcome(
            value=value,
            variable_name=element.name,
            output_names=tuple(outputs),
            results=outputs,
            messages=tuple(run.messages),
            explanations=tuple(run.explanations),
            failed=failed,
        )

    @contextmanager
    def _evaluating(self) -> Iterator[None]:
        with feel.item_definitions(self._feel_types), feelcalls.using_clock(self.clock):
            yield

    def _run(
        self,
        inputs: Mapping[str, Any],
        imported: Mapping[str, Mapping[str, Any]] | None,
        variables: Mapping[str, Any] | None = None,
    ) -> Evaluation:
        by_namespace: dict[str, Mapping[str, Any]] = dict(imported or {})
        by_namespace[self.main.namespace] = inputs
        for item in self.main.imports:
            nested = inputs.get(item.name)
            if item.namespace not in by_namespace and isinstance(nested, Mapping):
                by_namespace[item.namespace] = nested
        deadline = time.monotonic() + EVALUATION_SECONDS
        return Evaluation(self, by_namespace, deadline, variables=variables)

    def _outcome(
        self, run: Evaluation, decision: Decision, value: Any, failed: bool
    ) -> DecisionOutcome:
        expression = decision.expression
        if isinstance(expression, DecisionTable):
            names = tuple(o.name or decision.name for o in expression.outputs)
        else:
            names = (decision.name,)
        results = {
            self.element(ref).name: memo
            for ref, memo in run.memo.items()
            if isinstance(self.element(ref), Decision)
        }
        return DecisionOutcome(
            value=value,
            variable_name=decision.name,
            output_names=names,
            results=results,
            messages=tuple(run.messages),
            explanations=tuple(run.explanations),
            failed=failed,
        )

    # -- checks at load -----------------------------------------------------------------

    def _check_imports(self) -> None:
        for model in self.models.values():
            for item in model.imports:
                dmn_import = not item.import_type or item.import_type in DMN_VERSIONS
                if dmn_import and item.namespace not in self.models:
                    raise DmnModelError(
                        f"imported model {item.namespace} was not given",
                        item.name or model.name,
                        DmnErrorCode.UNKNOWN_REFERENCE,
                    )

    def _check_references(self) -> None:
        expected: dict[str, tuple[type, ...]] = {
            "decision": (Decision,),
            "input": (InputData,),
            "knowledge": (BusinessKnowledgeModel, DecisionService),
        }
        for model in self.models.values():
            for element in model.elements.values():
                for kind, refs in _references(element):
                    for ref in refs:
                        target = self.models.get(ref[0])
                        found = None if target is None else target.elements.get(ref[1])
                        if not isinstance(found, expected[kind]):
                            raise DmnModelError(
                                f"refers to {ref[0]}#{ref[1]}, which is no {kind} here",
                                element.id,
                                DmnErrorCode.UNKNOWN_REFERENCE,
                            )

    def _check_cycles(self) -> None:
        # depth-first without recursion: a long chain of decisions must not exhaust the stack
        done: set[Ref] = set()
        for model in self.models.values():
            for element in model.elements.values():
                if isinstance(element, Decision):
                    self._visit((model.namespace, element.id), done)

    def _visit(self, start: Ref, done: set[Ref]) -> None:
        on_path: set[Ref] = set()
        stack: list[tuple[Ref, Iterator[Ref]]] = []

        def push(ref: Ref) -> None:
            decision = self.element(ref)
            assert isinstance(decision, Decision)
            on_path.add(ref)
            stack.append((ref, iter(decision.required_decisions)))

        if start in done:
            return
        push(start)
        while stack:
            ref, pending = stack[-1]
            required = next(pending, None)
            if required is None:
                stack.pop()
                on_path.discard(ref)
                done.add(ref)
            elif required in on_path:
                raise DmnModelError(
                    "decisions require each other in a cycle", required[1], DmnErrorCode.CYCLE
                )
            elif required not in done:
                push(required)


def _references(element: Element) -> list[tuple[str, tuple[Ref, ...]]]:
    if isinstance(element, Decision):
        return [
            ("decision", element.required_decisions),
            ("input", element.required_inputs),
            ("knowledge", element.required_knowledge),
        ]
    if isinstance(element, BusinessKnowledgeModel):
        return [("knowledge", element.required_knowledge)]
    if isinstance(element, DecisionService):
        return [
            ("decision", (*element.outputs, *element.encapsulated, *element.input_decisions)),
            ("input", element.input_data),
        ]
    return []


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
