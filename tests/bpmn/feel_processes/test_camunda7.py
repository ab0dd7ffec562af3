"""Camunda 7's dinner decisions (a DRD of two FEEL tables) called as Camunda 7 calls them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bpmn import engine, validation
from bpmn.errors import WorkflowRunError

SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "samples" / "foreign"
DINNER = SAMPLES / "camunda-dinnerDecisions.dmn"
pytestmark = pytest.mark.skipif(not DINNER.is_file(), reason="shared samples folder is absent")

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://x"
  exporter="Camunda Modeler" exporterVersion="4.7.0">
  <bpmn:process id="dinner" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="choose" camunda:decisionRef="beverages"
      camunda:resultVariable="{variable}" camunda:mapDecisionResult="{mapping}">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="choose" />
    <bpmn:sequenceFlow id="f2" sourceRef="choose" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def _dinner(mapping: str, **data: object) -> object:
    xml = BPMN.format(variable="drinks", mapping=mapping).encode()
    dmn = DINNER.read_bytes()
    assert validation.check(xml, [dmn]) == []
    handle = engine.new_workflow(engine.parse(xml, [dmn]), "dinner", data=data)
    engine.run_engine_steps(handle)
    assert handle.completed
    return handle.data["drinks"]


def test_the_collect_table_reads_the_dish_the_required_table_chose() -> None:
    drinks = _dinner("collectEntries", season="Fall", guestCount=8, guestsWithChildren=True)
    assert drinks == ["Aecht Schlenkerla Rauchbier", "Apple Juice", "Water"]


def test_a_range_cell_and_the_result_list_shape() -> None:
    rows = _dinner("resultList", season="Spring", guestCount=Decimal(6), guestsWithChildren=False)
    assert rows == [{"beverages": "Pinot Noir"}, {"beverages": "Water"}]  # Spring, [5..8]: Steak


def test_single_entry_refuses_several_rows_by_the_task() -> None:
    with pytest.raises(WorkflowRunError) as err:
        _dinner("singleEntry", season="Fall", guestCount=8, guestsWithChildren=True)
    assert err.value.element_id == "choose" and "matched 3 rules" in err.value.reason
