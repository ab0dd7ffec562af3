import json
import time

import pytest

from bpmn import engine, registry
from bpmn.errors import DepthLimitReached, WorkflowRunError

from . import diagrams as d


def _run(xml: bytes, dmns: list[bytes] | None = None) -> engine.WorkflowHandle:
    bundle = engine.parse(xml, dmns or [])
    handle = engine.new_workflow(bundle, bundle.process_ids[0])
    engine.run_engine_steps(handle)
    return handle


def test_happy_path_runs_serializes_deserializes_and_continues() -> None:
    bundle = engine.parse(d.gateway("interest > 10"))
    assert bundle.process_ids == ["p1"]
    handle = engine.new_workflow(bundle, "p1")
    engine.run_engine_steps(handle)
    [task] = handle.ready_human_tasks()
    assert (task.element_id, task.name, task.kind) == ("review", "Review", "UserTask")

    state = engine.serialize(handle)
    assert "spec" not in json.loads(state)["state"]  # specs are stored once per version
    restored = engine.deserialize(bundle, state)
    assert isinstance(restored._workflow.script_engine, engine.SafeScriptEngine)
    [again] = restored.ready_human_tasks()
    assert again.task_id == task.task_id
    engine.complete_human_task(restored, again.task_id, {"approved": True})
    assert restored.completed
    assert restored.data["interest"] == 50.0
    assert restored.data["approved"] is True


def test_gateway_default_branch() -> None:
    handle = _run(d.gateway("interest > 100"))
    assert handle.completed and handle.ready_human_tasks() == []


def test_safe_engine_survives_deserialization() -> None:
    # a user task first, then a script that Python's exec would run happily
    xml = d.linear('<bpmn:userTask id="u"/>', d.script_task("s", "x = ().__class__"))
    bundle = engine.parse(xml)
    handle = engine.new_workflow(bundle, "p1")
    engine.run_engine_steps(handle)
    restored = engine.deserialize(bundle, engine.serialize(handle))
    [task] = restored.ready_human_tasks()
    with pytest.raises(WorkflowRunError) as err:
        engine.complete_human_task(restored, task.task_id)
    assert err.value.element_id == "s"
    assert "__class__" in err.value.reason


def test_dmn_failure_names_the_task() -> None:
    with pytest.raises(WorkflowRunError) as err:
        _run(d.business_rule(), [d.dmn(">= 600", '"A"')])  # no 'score' in the data
    assert err.value.element_id == "rules"


def test_dmn_evaluates_through_safe_engine() -> None:
    xml = d.linear(
        d.script_task("s", "score = 650"),
        '<bpmn:businessRuleTask id="rules"><bpmn:extensionElements>'
        "<spiffworkflow:calledDecisionId>dec1</spiffworkflow:calledDecisionId>"
        "</bpmn:extensionElements></bpmn:businessRuleTask>",
    )
    handle = _run(xml, [d.dmn(">= 600", '"A"')])
    assert handle.completed and handle.data["band"] == "A"


def test_endless_script_loop_is_detected_not_silent() -> None:
    started = time.monotonic()
    bundle = engine.parse(d.loop())
    handle = engine.new_workflow(bundle, "p1")
    with pytest.raises((DepthLimitReached, WorkflowRunError)) as err:
        engine.run_engine_steps(handle)
    assert err.value.element_id in {"a", "b", "gw"}
    assert time.monotonic() - started < 5


def test_service_task_calls_registry_only() -> None:
    calls: list[tuple[str, dict[str, object]]] = []

    def handler(name: str, args: dict[str, object]) -> dict[str, object]:
        calls.append((name, args))
        return {"ok": True}

    xml = d.service("customer.add_tag", {"customer_id": ("int", "7"), "tag": ("str", "'vip'")})
    bundle = engine.parse(xml)
    handle = engine.new_workflow(bundle, "p1", engine.make_engine(service_handler=handler))
    engine.run_engine_steps(handle)
    assert handle.completed
    assert calls == [("customer.add_tag", {"customer_id": 7, "tag": "vip"})]
    assert handle.data["result"] == {"ok": True}


def test_registry_decorator_and_unknown_names() -> None:
    with pytest.raises(Exception, match="unknown service operation"):
        registry.implements("os.system")
    op = registry.get_operation("loan.create_contract")
    assert op.param("principal") == registry.Param("principal", "decimal")
    assert op.check_params({"application_id": "int"})  # missing required params
    with pytest.raises(TypeError):
        op.coerce({"application_id": "x", "principal": 1, "annual_rate": 1, "term_months": 1})
