"""Whether a stored workflow can move to a new version of its process."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.util.diff import diff_workflow
from SpiffWorkflow.util.task import TaskState

from bpmn.engine.parsing import ParsedBundle
from bpmn.engine.state import _SERIALIZER, deserialize

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
