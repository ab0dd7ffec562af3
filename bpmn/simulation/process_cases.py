"""A whole approval diagram run in memory on one past application, as one side of a
simulation: where it ends, which human tasks it makes and what it decides.

The run goes through the engine itself (safe expressions, the diagram's own tables). Its
service tasks are answered, never called: the credit report pull and the scoring from the
application's history (the inputs :mod:`.applications` reads, RECORDED or REBUILT), every
other operation with the registry's canned example (a contract, a disbursement), so nothing
is written, sent or counted. A human task is created (counted for its candidate role) and
then answered: a review (a form with a ``decision``) with the decision the application
actually got, which is an assumption (another reviewer might have decided otherwise); any
other task (signing) with nothing. Where the application has no decision yet the run waits
there (PENDING). Timers fire at once, as in a dry run. The diagram runs once per
:class:`.process_key.ProcessKey`; the amounts are the case's own.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bpmn import approval, definitions, engine, registry
from bpmn.errors import BpmnError
from bpmn.simulation.process_key import ANSWERED, ProcessKey
from domain.application.models import ApplicationStatus

MAX_ROUNDS = 50  # human tasks and timers answered in one run at most
KEPT = 200_000  # runs kept per side at most
STAND_IN_ID = 0  # the application and customer id every run is given
UNASSIGNED = "unassigned"  # the role of a human task with no candidate role nor lane
APPROVED, DECLINED, PENDING, ERROR = "APPROVED", "DECLINED", "PENDING", "ERROR"
ENDED = "ENDED"  # the process ended with no decision
_GRANTED = {ApplicationStatus.APPROVED, ApplicationStatus.CONTRACTED, ApplicationStatus.DISBURSED}


def recorded_decision(status: str | None) -> str | None:
    """The decision an application actually got, as a reviewer's answer; None if none yet."""
    if status is None:
        return None
    if status in _GRANTED:
        return APPROVED
    return DECLINED if status == ApplicationStatus.DECLINED else None


@dataclass(frozen=True, slots=True)
class Path:
    """How one run went: its outcome, lane, the elements it passed and the tasks it made."""

    outcome: str  # APPROVED, DECLINED, PENDING (waits for a decision), ENDED, ERROR
    lane: str | None
    elements: tuple[str, ...]
    tasks: tuple[tuple[str, str], ...]  # (element id, candidate role), in the order made
    reviewed: bool  # a human decided (a review task was answered)
    error: str | None = None

    def shown(self) -> dict[str, Any]:
        """As a changed case keeps it."""
        return {
            "outcome": self.outcome, "rules": [],
            "outputs": {"lane": self.lane, **({"error": self.error} if self.error else {})},
            "path": list(self.elements),
            "tasks": [{"element": e, "role": r} for e, r in self.tasks],
        }  # fmt: skip


class ProcessSide:
    """A diagram ready to run on past applications, its runs kept per key."""

    def __init__(
        self,
        label: str,
        process_id: str,
        bundle: engine.ParsedBundle,
        specs: Mapping[str, definitions.TaskSpec],
        key: ProcessKey,
    ) -> None:
        self.label = label
        self.process_id = process_id
        self.bundle = bundle
        self.specs = specs
        self.key = key
        self.engine = engine.make_engine(service_handler=self._answer)
        self.paths: dict[Hashable, Path] = {}
        self.runs = 0
        self._values: Mapping[str, Any] = {}

    def path(self, values: Mapping[str, Any], decision: str | None) -> Path:
        """The run for this start data and decision: made once per key, then read back."""
        key = self.key.key(values, decision)
        found = self.paths.get(key)
        if found is None:
            if len(self.paths) >= KEPT:
                self.paths.clear()
            found = self.paths[key] = self.run(values, decision)
            self.runs += 1
        return found

    def run(self, values: Mapping[str, Any], decision: str | None) -> Path:
        """Run the diagram on one case's start data, unkeyed."""
        self._values = values
        start = {**approval._policy(), **values,
                 "application_id": STAND_IN_ID, "customer_id": STAND_IN_ID}  # fmt: skip
        tasks: list[tuple[str, str]] = []
        reviewed, waiting = False, False
        handle = engine.new_workflow(self.bundle, self.process_id, self.engine, start)
        try:
            for _ in range(MAX_ROUNDS):
                engine.run_engine_steps(handle)
                if handle.completed:
                    break
                ready = handle.ready_human_tasks()
                if ready:
                    task = ready[0]
                    spec = self.specs.get(task.element_id)
                    role = (spec.candidate_role if spec else None) or task.lane or UNASSIGNED
                    tasks.append((task.element_id, role))
                    if spec is not None and spec.form is not None and "decision" in spec.form:
                        if decision is None:
                            waiting = True
                            break
                        reviewed = True
                        engine.finish_human_task(handle, task.task_id, {"decision": decision})
                    else:
                        engine.finish_human_task(handle, task.task_id, {})
                    continue
                timers = handle.pending_timers()
                if not timers:
                    waiting = True  # a message it waits for: the run stops there
                    break
                engine.fire_timers(handle, {t.task_id for t in timers})
            else:
                return self._ended(handle, tasks, reviewed, f"no end after {MAX_ROUNDS} rounds")
        except BpmnError as exc:
            return self._ended(handle, tasks, reviewed, str(exc)[:300])
        data = _data(handle)
        lane = data.get("lane")
        decided = data.get("decision")
        outcome = PENDING if waiting else ENDED
        if decided in (APPROVED, DECLINED):
            outcome = str(decided)
        return Path(outcome, None if lane is None else str(lane),
                    tuple(handle.completed_elements()), tuple(tasks), reviewed)  # fmt: skip

    def _ended(
        self,
        handle: engine.WorkflowHandle,
        tasks: list[tuple[str, str]],
        reviewed: bool,
        error: str,
    ) -> Path:
        lane = _data(handle).get("lane")
        return Path(ERROR, None if lane is None else str(lane),
                    tuple(handle.completed_elements()), tuple(tasks), reviewed, error)  # fmt: skip

    def _answer(self, name: str, arguments: dict[str, Any]) -> Any:
        """A service task's answer: from the case's history, else the canned example."""
        fields = ANSWERED.get(name)
        if fields is not None:
            # as the live operations answer: decimals as text (a tagged decimal is not one)
            return {field: _answered(self._values.get(source)) for field, source in fields.items()}
        return dict(registry.get_operation(name).example)


def _answered(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _data(handle: engine.WorkflowHandle) -> dict[str, Any]:
    """The data where the run stands: its last ready task's, else the workflow's."""
    ready = handle.ready_human_tasks()
    if ready:
        return handle.task_data(ready[0].task_id)
    return handle.data
