"""Workflow state: a new run of a process, and its state saved and restored without specs."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from bpmn.engine.handle import WorkflowHandle
from bpmn.engine.parsing import ParsedBundle
from bpmn.engine.script import SafeScriptEngine, make_engine
from bpmn.engine.values import _json_default, _json_untag
from bpmn.errors import WorkflowRunError

STATE_FORMAT = 1


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
