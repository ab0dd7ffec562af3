"""Interop: every shared sample either runs or gets per-element reasons, never a crash."""

from pathlib import Path

import pytest

from bpmn import engine, validation
from bpmn.errors import BpmnError, WorkflowRunError

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
BPMN_FILES = sorted(SAMPLES.glob("*/*.bpmn")) if SAMPLES.is_dir() else []
pytestmark = pytest.mark.skipif(not BPMN_FILES, reason="shared samples folder is absent")


def _dmns(path: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(path.parent.glob("*.dmn"))]


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.name)
def test_sample_runs_or_gets_reasons(path: Path) -> None:
    problems = validation.check(path.read_bytes(), _dmns(path))
    if problems:
        assert all(p.reason for p in problems)
        return
    bundle = engine.parse(path.read_bytes(), _dmns(path))
    for pid in bundle.process_ids:
        handle = engine.new_workflow(bundle, pid)
        try:
            engine.run_engine_steps(handle)
        except WorkflowRunError as exc:
            assert exc.element_id  # a named element, not a crash
            continue
        restored = engine.deserialize(bundle, engine.serialize(handle))
        assert restored.completed == handle.completed


def test_expected_outcomes() -> None:
    spiff, foreign = SAMPLES / "spiff", SAMPLES / "foreign"
    ok = validation.check((spiff / "business_rule_task.bpmn").read_bytes(), _dmns(spiff / "x"))
    assert ok == []
    loan = validation.check((foreign / "camunda-loanApproval.bpmn").read_bytes(), [])
    assert [p.element_id for p in loan] == ["ServiceTask_1"]
    dinner = validation.check(
        (foreign / "camunda-invoiceApproval.bpmn").read_bytes(), _dmns(foreign / "x")
    )
    assert dinner == []  # the dinner decisions' FEEL cells ([5..8], "a","b") are read as FEEL
    svc = validation.check((spiff / "service_task.bpmn").read_bytes(), [])
    assert {p.element_id for p in svc} == {"Activity-1inxqgx", "Activity_12erefa"}
    bundle = engine.parse((spiff / "business_rule_task.bpmn").read_bytes(), _dmns(spiff / "x"))
    handle = engine.new_workflow(bundle, bundle.process_ids[0])
    engine.run_engine_steps(handle)
    assert handle.completed and handle.data["answer"] == "Y"


def test_prescript_sample_runs_through_safe_scripts() -> None:
    path = SAMPLES / "spiff" / "prescript_postscript.bpmn"
    assert validation.check(path.read_bytes()) == []  # 'del x' lines are allowed
    handle = engine.new_workflow(engine.parse(path.read_bytes()), "Process_1")
    with pytest.raises(BpmnError) as err:  # the sample expects 'a' and 'b' as input data
        engine.run_engine_steps(handle)
    assert isinstance(err.value, WorkflowRunError)
    assert err.value.element_id == "Activity_1iqs4li"
    assert "'a' is not defined" in err.value.reason
