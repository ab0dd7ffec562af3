"""A Camunda 8 diagram, FEEL conditions and a FEEL DMN 1.3 table, checked and run as drawn."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bpmn import engine, validation
from bpmn.errors import WorkflowRunError
from tests.bpmn.feel_processes.diagrams import CAMUNDA8_BPMN, LANE_DMN

BPMN = CAMUNDA8_BPMN.encode()
DMN = LANE_DMN.encode()


def _run(**data: Any) -> engine.WorkflowHandle:
    bundle = engine.parse(BPMN, [DMN])
    handle = engine.new_workflow(bundle, "loan_check", data=data)
    engine.run_engine_steps(handle)
    return handle


def _applicant(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "amount": Decimal("50000"), "worst_dpd_12m": 0, "bureau_score": 720,
        "bucket": "CURRENT", "submitted": dt.date(2026, 3, 2),
    }  # fmt: skip
    return {**base, **over}


def test_the_diagram_and_its_table_pass_the_deploy_checks() -> None:
    assert validation.check(BPMN, [DMN]) == []
    assert validation.expression_languages(BPMN, [DMN]) == [("bpmn", "FEEL"), ("dmn[0]", "FEEL")]


@pytest.mark.parametrize(
    ("over", "lane", "end"),
    [
        ({}, "FAST", "fast"),
        ({"worst_dpd_12m": 61}, "DECLINE", "declined"),
        ({"bureau_score": None}, "ENHANCED", None),  # FEEL null as a unary test
        ({"worst_dpd_12m": 30, "bucket": "M2"}, "STANDARD", None),  # [1..30] and a list
        ({"worst_dpd_12m": 31, "bucket": "M2"}, "FAST", "fast"),  # 31 is out of [1..30]
        ({"worst_dpd_12m": 5, "bucket": "M3"}, "FAST", "fast"),  # M3 is not "M1","M2"
        ({"submitted": dt.date(2025, 12, 31)}, "STANDARD", None),  # < date("2026-01-01")
        ({"amount": Decimal("100000.01")}, "FAST", None),  # the condition's and/<= in FEEL
    ],
)
def test_the_lane_and_the_path_follow_feel(over: dict[str, Any], lane: str, end: str) -> None:
    handle = _run(**_applicant(**over))
    if end is not None:
        assert handle.completed and end in handle.completed_elements()
        assert handle.data["lane"] == lane
    else:  # the default flow: waiting five minutes at the timer written as a bare 'PT5M'
        assert not handle.completed
        [timer] = handle.pending_timers()
        assert timer.element_id == "cool_off"
        assert handle.task_data(timer.task_id)["lane"] == lane


def test_a_run_is_saved_and_restored_with_its_feel_values() -> None:
    handle = _run(**_applicant(bureau_score=None))
    restored = engine.deserialize(engine.parse(BPMN, [DMN]), engine.serialize(handle))
    [timer] = restored.pending_timers()
    assert timer.due_at - handle.pending_timers()[0].due_at == dt.timedelta(0)
    data = restored.task_data(timer.task_id)
    assert data["lane"] == "ENHANCED" and data["submitted"] == dt.date(2026, 3, 2)
    assert engine.fire_timers(restored, {timer.task_id}) == ["cool_off"]
    engine.run_engine_steps(restored)
    assert restored.completed and "reviewed" in restored.completed_elements()


def test_a_feel_syntax_error_is_named_by_element_line_and_column() -> None:
    broken = BPMN.replace(b'=lane = "DECLINE"', b'=lane = "DECLINE" and (')
    [problem] = validation.check(broken, [DMN])
    assert problem.element_id == "f_decline"
    assert problem.line == 1 and problem.column is not None and problem.column >= 18
    assert "FEEL" in problem.reason


def test_a_broken_cell_of_a_feel_table_is_named_with_its_position() -> None:
    broken = DMN.replace(b"<text>[1..30]</text>", b"<text>[1..</text>")
    problems = validation.check(BPMN, [broken])
    assert [p.element_id for p in problems] == ["r_early_1"]
    assert problems[0].line == 1 and problems[0].column is not None


def test_definitions_declaring_feel_make_unmarked_conditions_feel() -> None:
    declared = BPMN.replace(
        b'id="Definitions_1"',
        b'id="Definitions_1" expressionLanguage="https://www.omg.org/spec/FEEL/20140401"',
    ).replace(b">=lane = ", b">lane = ")
    assert validation.check(declared, [DMN]) == []
    bundle = engine.parse(declared, [DMN])
    handle = engine.new_workflow(bundle, "loan_check", data=_applicant(worst_dpd_12m=61))
    engine.run_engine_steps(handle)
    assert "declined" in handle.completed_elements()


def test_hostile_feel_in_a_condition_is_refused_at_run_time_by_element() -> None:
    hostile = BPMN.replace(b'=lane = "DECLINE"', b"=10 ** 999999999 > 1")
    handle = engine.new_workflow(engine.parse(hostile, [DMN]), "loan_check", data=_applicant())
    try:
        engine.run_engine_steps(handle)
    except WorkflowRunError as exc:  # refused as an error of the flow's element
        assert exc.element_id in ("f_decline", "route")
    else:  # or FEEL's null: the condition is false and the run goes on
        assert handle.data["lane"] == "FAST"


def test_feel_today_and_now_read_the_business_clock() -> None:
    decided = LANE_DMN.replace('<text>&lt; date("2026-01-01")</text>', "<text>&lt; today()</text>")
    bundle = engine.parse(BPMN, [decided.encode()])
    moment = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)
    with engine.business_clock(moment):
        handle = engine.new_workflow(bundle, "loan_check", data=_applicant())
        engine.run_engine_steps(handle)  # submitted 2026-03-02, before the business today
    [timer] = handle.pending_timers()
    assert handle.task_data(timer.task_id)["lane"] == "STANDARD"
    assert timer.due_at == moment + dt.timedelta(minutes=5)


@pytest.mark.parametrize(
    ("timer", "due"),
    [
        ('=duration("PT2H") * 2', dt.datetime(2026, 3, 3, 13, 0, tzinfo=dt.UTC)),
        ('=date and time("2026-03-04T08:30:00Z")', dt.datetime(2026, 3, 4, 8, 30, tzinfo=dt.UTC)),
        ('=today() + duration("P1D")', dt.datetime(2026, 3, 4, tzinfo=dt.UTC)),
    ],
)
def test_a_feel_timer_arms_at_the_moment_it_names(timer: str, due: dt.datetime) -> None:
    element = "timeDate" if "date and time" in timer or "today" in timer else "timeDuration"
    xml = BPMN.replace(
        b'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT5M</bpmn:timeDuration>',
        f'<bpmn:{element} xsi:type="bpmn:tFormalExpression">{timer}</bpmn:{element}>'.encode(),
    )
    assert validation.check(xml, [DMN]) == []
    with engine.business_clock(dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)):
        handle = engine.new_workflow(
            engine.parse(xml, [DMN]), "loan_check", data=_applicant(bureau_score=None)
        )
        engine.run_engine_steps(handle)
    [pending] = handle.pending_timers()
    assert pending.due_at == due


def test_a_process_that_is_one_feel_table_is_answered_as_its_run_would() -> None:
    # the one-table process simulations and the daily run ask (bpmn.engine.evaluate)
    table = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="http://x">
  <bpmn:process id="lane_only" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="decide">
      <bpmn:extensionElements><zeebe:calledDecision decisionId="lane" /></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide" />
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""
    bundle = engine.parse(table, [DMN])
    assert engine.decisions.sole_feel_decision(bundle, "lane_only") is not None
    for over in ({}, {"bureau_score": None}, {"worst_dpd_12m": 30, "bucket": "M2"}):
        data = _applicant(**over)
        handle = engine.new_workflow(bundle, "lane_only", data=data)
        engine.run_engine_steps(handle)
        assert engine.evaluate(bundle, "lane_only", data) == handle.data
    broken = DMN.replace(b'hitPolicy="FIRST"', b'hitPolicy="UNIQUE"')
    with pytest.raises(WorkflowRunError) as err:
        engine.evaluate(engine.parse(table, [broken]), "lane_only", _applicant(worst_dpd_12m=61))
    assert err.value.element_id == "decide" and "UNIQUE" in err.value.reason
