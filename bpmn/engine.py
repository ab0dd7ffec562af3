"""SpiffWorkflow behind our own types: parser, safe script engine, serializer, runner.

Only this module touches SpiffWorkflow objects; callers get :class:`ParsedBundle`,
:class:`WorkflowHandle` and plain dataclasses/dicts back.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lxml import etree  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.util.diff import diff_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from bpmn import registry
from bpmn.errors import BpmnError, DepthLimitReached, ExpressionError, WorkflowRunError
from bpmn.expressions import SafeEvaluator

MAX_XML_BYTES = 1_000_000
MAX_TASKS_PER_RUN = 5_000
MAX_RUN_SECONDS = 5.0
SPIFF_DEPTH_LIMIT = 1_000
STATE_FORMAT = 1

ServiceHandler = Callable[[str, dict[str, Any]], Any]

_business_now: ContextVar[dt.datetime | None] = ContextVar("business_now", default=None)


class _ClockedDatetime(dt.datetime):
    """SpiffWorkflow's timers read ``datetime.now``: this one answers with the business clock.

    Installed in Spiff's timer module only. Inside :func:`business_clock` timers arm from and
    compare with the business moment given; outside it they use the wall clock as before.
    """

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> Any:
        moment = _business_now.get()
        if moment is None:
            return dt.datetime.now(tz)
        return moment.astimezone(tz) if tz is not None else moment


spiff_timer.datetime = _ClockedDatetime


@contextmanager
def business_clock(moment: dt.datetime) -> Iterator[None]:
    """Run timers against ``moment`` (aware) in this context and the threads it starts."""
    token = _business_now.set(moment)
    try:
        yield
    finally:
        _business_now.reset(token)


def secure_xml(data: bytes, max_bytes: int = MAX_XML_BYTES) -> Any:
    """Parse untrusted XML: size cap, no DOCTYPE/entities, no network. Returns an lxml root."""
    if len(data) > max_bytes:
        raise BpmnError(f"file is {len(data)} bytes, the limit is {max_bytes}")
    lowered = data.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise BpmnError("DOCTYPE and entity declarations are not allowed")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
    )
    try:
        return etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise BpmnError(f"malformed XML (line {exc.lineno}): {exc.msg}") from None


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
        reason = self.evaluator.parse_check(expression)
        if reason and reason.startswith("syntax error"):
            raise SyntaxError(reason)

    def call_service(self, task: Any, **kwargs: Any) -> str:
        return str(self.environment.call_service(task.data, **kwargs))


def _json_default(value: Any) -> Any:
    # tagged, so task data comes back with its types: '1200000' > '500000' is False as text
    if isinstance(value, Decimal):
        return {"__decimal__": str(value)}
    if isinstance(value, dt.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def plain(data: Mapping[str, Any]) -> dict[str, Any]:
    """Task data as plain JSON values (decimals and dates as strings), for storing and showing."""
    return dict(json.loads(json.dumps(data, default=str)))


def _json_untag(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "__decimal__" in obj:
            return Decimal(obj["__decimal__"])
        if "__datetime__" in obj:
            return dt.datetime.fromisoformat(obj["__datetime__"])
        if "__date__" in obj:
            return dt.date.fromisoformat(obj["__date__"])
    return obj


class _StateConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """A workflow's state without its specs: they are the deployment's, parsed once.

    Restoring takes the parsed spec objects in ``spec`` and ``subprocess_specs`` (the
    registry hands back what is not a dict as it is), instead of rebuilding them per load.
    """

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


def _make_serializer() -> BpmnWorkflowSerializer:
    reg = DefaultRegistry()
    reg.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    reg.register(
        dt.date, lambda v: {"value": v.isoformat()}, lambda v: dt.date.fromisoformat(v["value"])
    )
    config = {**SPIFF_CONFIG, BpmnWorkflow: _StateConverter}
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config, reg))


_SERIALIZER = _make_serializer()


@dataclass
class ParsedBundle:
    """Parsed, executable processes of one deployment. Specs are opaque to callers."""

    process_ids: list[str]
    _specs: dict[str, tuple[Any, dict[str, Any]]] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class PendingTimer:
    """A timer event an instance waits on, with its due moment (UTC)."""

    element_id: str
    task_id: str
    due_at: dt.datetime


@dataclass(frozen=True)
class ReadyTask:
    task_id: str
    element_id: str
    name: str | None
    lane: str | None
    kind: str


@dataclass
class WorkflowHandle:
    """An opaque running workflow; use the module functions to act on it."""

    process_id: str
    _workflow: Any = field(repr=False)

    @property
    def completed(self) -> bool:
        pending = TaskState.READY | TaskState.WAITING | TaskState.STARTED
        deep = any(t.state & pending for t in self._workflow.tasks.values())
        return bool(self._workflow.is_completed()) and not deep

    @property
    def data(self) -> dict[str, Any]:
        return dict(self._workflow.data)

    def ready_human_tasks(self) -> list[ReadyTask]:
        tasks = self._workflow.get_tasks(state=TaskState.READY, manual=True)
        return [
            ReadyTask(
                str(t.id), t.task_spec.bpmn_id, t.task_spec.bpmn_name,
                t.task_spec.lane, type(t.task_spec).__name__,
            )
            for t in tasks
        ]  # fmt: skip

    def pending_timers(self) -> list[PendingTimer]:
        """Waiting timers and when they are due (armed on the clock of the last run)."""
        found = []
        for task in _waiting_event_tasks(self._workflow):
            value = task._get_internal_data("event_value")
            if not _catches(task, TimerEventDefinition) or not isinstance(value, str):
                continue
            due = dt.datetime.fromisoformat(value)
            if due.tzinfo is None:
                due = due.replace(tzinfo=dt.UTC)
            found.append(PendingTimer(task.task_spec.bpmn_id, str(task.id), due))
        return found

    def completed_elements(self) -> list[str]:
        """Element ids of the tasks that ran, in the order they finished."""
        done = [
            t for t in self._workflow.get_tasks()
            if t.has_state(TaskState.COMPLETED) and getattr(t.task_spec, "bpmn_id", None)
        ]  # fmt: skip
        done.sort(key=lambda t: t.last_state_change)
        return [t.task_spec.bpmn_id for t in done]

    def waiting_messages(self) -> list[str]:
        """Names of the messages the instance waits for."""
        return sorted(
            {d.name for t in _waiting_event_tasks(self._workflow) for d in _catches(t, Message)}
        )

    def task_data(self, task_id: str) -> dict[str, Any]:
        return dict(self._find(task_id).data)

    def _find(self, task_id: str) -> Any:
        try:
            task = self._workflow.get_task_from_id(uuid.UUID(task_id))
        except (ValueError, TaskNotFoundException):
            task = None
        if task is None:
            raise WorkflowRunError(f"no task {task_id}")
        return task


Message = MessageEventDefinition


def _catches(task: Any, kind: type) -> list[Any]:
    """The event definitions of ``kind`` a catching task (or event-based gateway) waits for."""
    definition = task.task_spec.event_definition
    parts = (
        definition.event_definitions
        if isinstance(definition, MultipleEventDefinition)
        else [definition]
    )
    return [d for d in parts if isinstance(d, kind)]


def _waiting_event_tasks(workflow: Any) -> list[Any]:
    # the top workflow's event manager holds the catching tasks of its subprocesses too
    return [t for t in workflow.event_manager.tasks.values() if t.state == TaskState.WAITING]


def make_engine(
    evaluator: SafeEvaluator | None = None, service_handler: ServiceHandler | None = None
) -> SafeScriptEngine:
    return SafeScriptEngine(evaluator or SafeEvaluator(), service_handler)


def parse(bpmn_xml: bytes, dmn_xmls: list[bytes] | None = None) -> ParsedBundle:
    """Parse one BPMN file (+ DMN files) into a bundle of executable process specs."""
    parser = SpiffBpmnParser()
    try:
        for dmn in dmn_xmls or []:
            parser.add_dmn_xml(secure_xml(dmn))
        parser.add_bpmn_xml(secure_xml(bpmn_xml))
        bundle = ParsedBundle(process_ids=[])
        for pid in parser.get_process_ids():
            if parser.get_process_parser(pid).node.get("isExecutable") != "true":
                continue
            spec = parser.get_spec(pid)
            subs = parser.get_subprocess_specs(pid)
            bundle.process_ids.append(pid)
            bundle._specs[pid] = (spec, subs)
    except SpiffWorkflowException as exc:
        raise BpmnError(_spiff_reason(exc)) from None
    if not bundle.process_ids:
        raise BpmnError("no executable process (isExecutable is not 'true')")
    return bundle


def new_workflow(
    bundle: ParsedBundle,
    process_id: str,
    engine: SafeScriptEngine | None = None,
    data: Mapping[str, Any] | None = None,
) -> WorkflowHandle:
    """A new run of a process, its start event holding `data` (nothing has run yet)."""
    if process_id not in bundle._specs:
        raise WorkflowRunError(f"unknown process {process_id!r}")
    spec, subs = bundle._specs[process_id]
    try:
        workflow = BpmnWorkflow(spec, subs, script_engine=engine or make_engine())
    except RecursionError:
        raise WorkflowRunError("process has a cycle with no way out", process_id) from None
    if data:
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
    return WorkflowHandle(process_id, workflow)


def serialize(handle: WorkflowHandle) -> str:
    """Workflow state as JSON, without the specs (store those once per version)."""
    dct = _SERIALIZER.to_dict(handle._workflow)
    envelope = {"format": STATE_FORMAT, "process_id": handle.process_id, "state": dct}
    return json.dumps(envelope, default=_json_default)


def deserialize(
    bundle: ParsedBundle, state: str, engine: SafeScriptEngine | None = None
) -> WorkflowHandle:
    """Restore a workflow and re-attach the safe engine (Spiff installs its eval engine)."""
    envelope = json.loads(state, object_hook=_json_untag)
    if envelope.get("format") != STATE_FORMAT:
        raise WorkflowRunError("unknown workflow state format")
    process_id = envelope["process_id"]
    if process_id not in bundle._specs:
        raise WorkflowRunError(f"process {process_id!r} is not in this bundle")
    spec, subprocess_specs = bundle._specs[process_id]
    dct = dict(envelope["state"], spec=spec, subprocess_specs=subprocess_specs)
    workflow = _SERIALIZER.from_dict(dct)
    safe = engine or make_engine()
    workflow.script_engine = safe  # subprocesses read the top workflow's engine
    return WorkflowHandle(process_id, workflow)


def _spiff_reason(exc: BaseException) -> str:
    inner = getattr(exc, "exception", None) or exc.__cause__
    if isinstance(inner, ExpressionError | BpmnError):
        return str(inner)
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__


def _element_of(exc: BaseException) -> str | None:
    task = getattr(exc, "task", None)
    spec = getattr(task, "task_spec", None) or getattr(exc, "task_spec", None)
    return getattr(spec, "bpmn_id", None) or getattr(exc, "id", None)


def run_engine_steps(handle: WorkflowHandle) -> None:
    """Run engine tasks until only human tasks/waits remain; bounded in tasks and time.

    Raises :class:`DepthLimitReached` when SpiffWorkflow stops silently at its depth limit
    and :class:`WorkflowRunError` (with the element id) when an expression fails.
    """
    workflow = handle._workflow
    started = time.monotonic()
    count = 0

    def guard(task: Any) -> None:
        nonlocal count
        count += 1
        if count > MAX_TASKS_PER_RUN or time.monotonic() - started > MAX_RUN_SECONDS:
            raise WorkflowRunError(
                "too many steps in one run (endless loop?)", task.task_spec.bpmn_id
            )

    try:
        workflow.do_engine_steps(will_complete_task=guard)
    except BpmnError:
        raise
    except SpiffWorkflowException as exc:
        inner = getattr(exc, "exception", None) or exc.__cause__
        if isinstance(inner, WorkflowRunError):
            raise inner from None  # keeps ServiceUnavailable apart from a real failure
        raise WorkflowRunError(_spiff_reason(exc), _element_of(exc)) from None
    except RecursionError:
        raise DepthLimitReached("task tree too deep (long loop)") from None
    _check_depth(workflow)


def _check_depth(workflow: Any) -> None:
    # is_completed() itself walks only 1,000 levels, so it says True after a silent stop
    for task in workflow.tasks.values():
        ready = task.state == TaskState.READY and not task.task_spec.manual
        if ready and task.depth >= SPIFF_DEPTH_LIMIT - 1:
            raise DepthLimitReached(
                f"task tree deeper than {SPIFF_DEPTH_LIMIT}: SpiffWorkflow stopped silently "
                "(long loop); model the loop with a wait state or a subprocess",
                task.task_spec.bpmn_id,
            )


def finish_human_task(
    handle: WorkflowHandle, task_id: str, data: Mapping[str, Any] | None = None
) -> None:
    """Complete a ready user/manual task with form data; the engine steps after it wait."""
    task = handle._find(task_id)
    if task.state != TaskState.READY or not task.task_spec.manual:
        raise WorkflowRunError("task is not a ready human task", task.task_spec.bpmn_id)
    task.data.update(data or {})
    try:
        task.run()
    except SpiffWorkflowException as exc:
        raise WorkflowRunError(_spiff_reason(exc), _element_of(exc)) from None


def complete_human_task(
    handle: WorkflowHandle, task_id: str, data: Mapping[str, Any] | None = None
) -> None:
    """Complete a ready user/manual task with form data, then run engine steps."""
    finish_human_task(handle, task_id, data)
    run_engine_steps(handle)


def fire_timers(handle: WorkflowHandle, task_ids: set[str]) -> list[str]:
    """Fire the waiting timers named by engine task id; returns their element ids.

    The caller decides what is due (the wait table, on the business clock). Timers due on
    the clock of the current context fire too, as SpiffWorkflow refreshes them all.
    """
    fired = []
    for task in _waiting_event_tasks(handle._workflow):
        if not _catches(task, TimerEventDefinition) or str(task.id) not in task_ids:
            continue
        task._set_internal_data(event_fired=True)
        task.task_spec._update(task)  # what refresh_timers does, here also inside subprocesses
        fired.append(task.task_spec.bpmn_id)
    handle._workflow.refresh_timers()
    return fired


def deliver_message(handle: WorkflowHandle, name: str, payload: Mapping[str, Any]) -> bool:
    """Hand a message to the tasks waiting for it by name; False when none waits."""
    for task in _waiting_event_tasks(handle._workflow):
        for definition in _catches(task, Message):
            if definition.name != name:
                continue
            # aimed at the waiting task's own workflow, which may be a subprocess
            event = BpmnEvent(definition, payload=dict(payload), target=task.workflow)
            handle._workflow.catch(event)
            return True
    return False


def evaluate(
    bundle: ParsedBundle,
    process_id: str,
    data: Mapping[str, Any],
    service_handler: ServiceHandler | None = None,
) -> dict[str, Any]:
    """Run a process in memory to its first wait and return the data there (nothing stored).

    For processes used as decisions (a rating, an eligibility): the answer is in the data.
    """
    handle = new_workflow(bundle, process_id, make_engine(service_handler=service_handler), data)
    run_engine_steps(handle)
    ready = handle.ready_human_tasks()
    return handle.task_data(ready[0].task_id) if ready else handle.data


NOT_REACHED = TaskState.PREDICTED_MASK | TaskState.FUTURE


def _label(spec: Any) -> str:
    name = getattr(spec, "bpmn_name", None)
    return f"{spec.bpmn_id or spec.name} ({name})" if name else str(spec.bpmn_id or spec.name)


def migration_problems(old: ParsedBundle, new: ParsedBundle, state: str) -> list[str]:
    """Why a stored workflow cannot move to the new version; empty when it safely can.

    Safe means: every element the instance has already reached (ready, waiting, running or
    done) is unchanged in the new version, no element it holds is removed, and every running
    subprocess still exists. Elements changed but not reached yet take the new definition.
    """
    handle = deserialize(old, state)
    if handle.process_id not in new._specs:
        return [f"the new version has no process {handle.process_id!r}"]
    spec, subs = new._specs[handle.process_id]
    top, sub_diffs = diff_workflow(_SERIALIZER.registry, handle._workflow, spec, subs)
    problems: list[str] = []
    diffs = [(handle._workflow, top)] + [
        (handle._workflow.subprocesses[sp_id], diff) for sp_id, diff in sub_diffs.items()
    ]
    for workflow, diff in diffs:
        if diff is None:
            problems.append(f"subprocess {workflow.spec.name!r} is running and no longer exists")
            continue
        for task in diff.removed:
            problems.append(f"{_label(task.task_spec)} is removed and the instance holds it")
        for task in diff.changed:
            if not task.state & NOT_REACHED:
                problems.append(f"{_label(task.task_spec)} changed and is already reached")
    # the engine's own helper specs (no element id, e.g. a boundary split) change along with
    # an element: name them only when no element explains the refusal
    named = [p for p in problems if "." not in p.split(" ", 1)[0]]
    problems = named or problems
    if not problems:
        try:
            deserialize(new, state)
        except Exception as exc:  # the last word: the new version must load this state
            problems.append(f"the state does not load on the new version: {exc}")
    return sorted(set(problems))


@dataclass(frozen=True)
class DecisionCell:
    """An input cell of a decision rule: its input's expression and its tests (None: any)."""

    input_expression: str | None
    tests: tuple[str | None, ...]


@dataclass(frozen=True)
class DecisionRule:
    """A row of a decision table as the engine runs it: input cells, then (output, text)."""

    cells: tuple[DecisionCell, ...]
    outputs: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class SoleDecision:
    """A process that is one decision table and nothing else, with the table's rows."""

    decision_id: str
    hit_policy: str
    rules: tuple[DecisionRule, ...]


_PLAIN_TASKS = ("BpmnStartTask", "StartEvent", "BusinessRuleTask", "EndEvent", "_EndJoin")


def sole_decision(bundle: ParsedBundle, process_id: str) -> SoleDecision | None:
    """The decision table ``process_id`` consists of; None when the process does anything else.

    Anything else: a script, a gateway, a second task, a subprocess, a boundary or non-plain
    event, data objects or associations, a loop. Then only running the process says what it does.
    """
    spec, subs = bundle._specs[process_id]
    if subs or spec.io_specification is not None or spec.data_objects or spec.data_stores:
        return None
    tasks = spec.task_specs
    chain = [tasks.get("Start")]
    while chain[-1] is not None and len(chain) <= len(tasks) and chain[-1].outputs:
        if len(chain[-1].outputs) != 1:
            return None
        chain.append(chain[-1].outputs[0])
    kinds = tuple(type(t).__name__ for t in chain[:-1])
    if len(chain) != len(tasks) or kinds != _PLAIN_TASKS or chain[-1].name != "End":
        return None
    for task in chain:
        if len(task.inputs) > 1 or task.pre_assign or task.post_assign or task.defines:
            return None
        if getattr(task, "prescript", None) or getattr(task, "postscript", None):
            return None
        if getattr(task, "data_input_associations", None) or getattr(
            task, "data_output_associations", None
        ):
            return None
        if getattr(task, "io_specification", None) is not None:
            return None
        event = getattr(task, "event_definition", None)
        if event is not None and type(event).__name__ != "NoneEventDefinition":
            return None
    table = chain[2].dmnEngine.decision_table
    rules = tuple(
        DecisionRule(
            cells=tuple(
                DecisionCell(entry.input.expression, tuple(entry.lhs))
                for entry in rule.inputEntries
            ),
            outputs=tuple(
                (entry.output.name or entry.output.label, getattr(entry, "text", None))
                for entry in rule.outputEntries
            ),
        )
        for rule in table.rules
    )
    return SoleDecision(chain[2].extensions.get("calledDecisionId", ""), table.hit_policy, rules)
