"""Hostile uploads: each must be refused by check() or fail safely when run."""

import time
from pathlib import Path

import pytest

from bpmn import engine, validation
from bpmn.errors import BpmnError, WorkflowRunError

from . import diagrams as d

CANARY = Path("/tmp/lendgraph_pwned_canary")
RCE = f"__import__('os').system('touch {CANARY}')"
SUBCLASSES = "().__class__.__base__.__subclasses__()"

XXE = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;'
    b"</bpmn:definitions>"
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]><lolz>&lol9;</lolz>"
)

HOSTILE_RUNTIME = {
    "gateway_rce": d.gateway(RCE),
    "gateway_subclasses": d.gateway(f"len({SUBCLASSES}) > 0"),
    "script_rce": d.linear(d.script_task("s", f"x = {RCE}")),
    "script_statement": d.linear(d.script_task("s", "import os\nos.system('id')")),
    "timer_rce": d.timer(RCE),
    "huge_number": d.linear(d.script_task("s", "x = 9**9**9")),
    "huge_string": d.linear(d.script_task("s", "x = 'a' * 10**9")),
    "random_os": d.gateway("random._os.system('id') == 0"),
}


@pytest.fixture(autouse=True)
def _no_canary() -> None:
    CANARY.unlink(missing_ok=True)
    yield
    assert not CANARY.exists(), "hostile diagram executed code"


RUNTIME_ONLY = {"huge_number", "huge_string"}  # parse fine; bounded when evaluated


@pytest.mark.parametrize("name", sorted(set(HOSTILE_RUNTIME) - RUNTIME_ONLY))
def test_refused_at_deploy_with_element_id(name: str) -> None:
    problems = validation.check(HOSTILE_RUNTIME[name])
    assert problems and all(p.element_id for p in problems), problems


@pytest.mark.parametrize("name", sorted(HOSTILE_RUNTIME))
def test_fails_safely_when_run_anyway(name: str) -> None:
    started = time.monotonic()
    bundle = engine.parse(HOSTILE_RUNTIME[name])
    handle = engine.new_workflow(bundle, "p1")
    with pytest.raises(WorkflowRunError) as err:
        engine.run_engine_steps(handle)
    assert err.value.element_id
    assert time.monotonic() - started < 2


def test_dmn_cell_code_execution() -> None:
    for cell in (f"== {RCE}", SUBCLASSES):
        dmn = d.dmn(cell)
        problems = validation.check(d.business_rule(), [dmn])
        assert [p.element_id for p in problems] == ["cell_in"]
        xml = d.linear(
            d.script_task("s", "score = 1"),
            '<bpmn:businessRuleTask id="rules"><bpmn:extensionElements>'
            "<spiffworkflow:calledDecisionId>dec1</spiffworkflow:calledDecisionId>"
            "</bpmn:extensionElements></bpmn:businessRuleTask>",
        )
        handle = engine.new_workflow(engine.parse(xml, [dmn]), "p1")
        with pytest.raises(WorkflowRunError):
            engine.run_engine_steps(handle)
    assert validation.check(d.business_rule(), [d.dmn("'x'", RCE)])[0].element_id == "cell_out"


def test_message_payload_and_prescript() -> None:
    payload = d.linear(
        '<bpmn:sendTask id="send" messageRef="m1"><bpmn:extensionElements>'
        f"<spiffworkflow:messagePayload>{{'x': {RCE}}}</spiffworkflow:messagePayload>"
        "</bpmn:extensionElements></bpmn:sendTask>",
        extra='<bpmn:message id="m1" name="m1"/>',
    )
    assert any(p.element_id == "send" for p in validation.check(payload))
    pre = d.linear(
        '<bpmn:task id="t"><bpmn:extensionElements>'
        f"<spiffworkflow:preScript>x = {SUBCLASSES}</spiffworkflow:preScript>"
        "</bpmn:extensionElements></bpmn:task>"
    )
    assert [p.element_id for p in validation.check(pre)] == ["t"]


@pytest.mark.parametrize("xml", [XXE, LAUGHS], ids=["xxe", "billion_laughs"])
def test_doctype_refused_before_parsing(xml: bytes) -> None:
    problems = validation.check(xml)
    assert problems == [validation.Problem(None, "DOCTYPE and entity declarations are not allowed")]
    with pytest.raises(BpmnError):
        engine.parse(xml)


def test_oversized_and_malformed() -> None:
    big = d.linear(d.script_task("s", "x = 1")) + b"<!--" + b"a" * 2_000 + b"-->"
    assert "limit" in validation.check(big, max_bytes=1_000)[0].reason
    problems = validation.check(b"<bpmn:definitions><oops></bpmn:definitions>")
    assert problems[0].element_id is None and "malformed XML (line 1)" in problems[0].reason


def test_unsupported_elements_and_foreign_syntax() -> None:
    xml = d.process(
        '<bpmn:startEvent id="start"/>'
        + d.script_task("js", "execution.setVariable('a', 1)", fmt="javascript")
        + '<bpmn:complexGateway id="cg"/>'
        + '<bpmn:serviceTask id="ext" camunda:type="external" camunda:topic="x"/>'
        + '<bpmn:serviceTask id="unknown_op"><bpmn:extensionElements>'
        '<spiffworkflow:serviceTaskOperator id="os.system"/></bpmn:extensionElements>'
        "</bpmn:serviceTask>"
        + '<bpmn:callActivity id="call" calledElement="nowhere"/>'
        + '<bpmn:businessRuleTask id="brt" camunda:decisionRef="absent"/>'
        + '<bpmn:endEvent id="end"/>'
        + d.flow("f1", "start", "end", "${amount > 1000}")
        + d.flow("f2", "start", "js", "frobnicate(amount)")
    )
    by_id = {p.element_id: p.reason for p in validation.check(xml, [])}
    assert "script format 'javascript'" in by_id["js"]
    assert "complexGateway is not supported" in by_id["cg"]
    assert "external tasks" in by_id["ext"]
    assert "unknown service operation 'os.system'" in by_id["unknown_op"]
    assert "called process 'nowhere' is missing" in by_id["call"]
    assert "DMN decision 'absent' is missing" in by_id["brt"]
    assert "JUEL" in by_id["f1"]
    assert "unknown function 'frobnicate'" in by_id["f2"]


def test_non_executable_process_is_named() -> None:
    xml = d.process('<bpmn:startEvent id="s"/>', pid="Process_draft", executable="false")
    reasons = validation.check(xml)
    assert reasons[0] == validation.Problem(
        "Process_draft", 'process is not executable (set isExecutable="true")'
    )


def test_service_parameters_checked_against_registry() -> None:
    xml = d.service("credit.pull_report", {"customer": ("int", "1"), "bureau": ("int", "2")})
    reasons = {p.reason for p in validation.check(xml)}
    assert "operation 'credit.pull_report' has no parameter 'customer'" in reasons
    assert "parameter 'bureau' of 'credit.pull_report' is str, not int" in reasons
    assert "operation 'credit.pull_report' needs parameter 'customer_id'" in reasons


def test_deploy_check_returns_bundle_or_raises() -> None:
    bundle = validation.deploy_check(d.gateway("interest > 10"))
    assert bundle.process_ids == ["p1"]
    with pytest.raises(BpmnError, match="f_review"):
        validation.deploy_check(d.gateway(RCE))
