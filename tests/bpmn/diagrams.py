"""Small inline diagrams for the bpmn tests."""

from __future__ import annotations

import itertools
from xml.sax.saxutils import escape

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d1" targetNamespace="x">'
)


def process(body: str, pid: str = "p1", executable: str = "true") -> bytes:
    return (
        f'{HEAD}<bpmn:process id="{pid}" isExecutable="{executable}">{body}</bpmn:process>'
        "</bpmn:definitions>"
    ).encode()


def flow(fid: str, src: str, dst: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{src}" targetRef="{dst}"/>'
    return (
        f'<bpmn:sequenceFlow id="{fid}" sourceRef="{src}" targetRef="{dst}">'
        f"<bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>"
    )


def script_task(tid: str, script: str, fmt: str = "python") -> str:
    return (
        f'<bpmn:scriptTask id="{tid}" scriptFormat="{fmt}">'
        f"<bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>"
    )


def linear(*middle: str, extra: str = "") -> bytes:
    """start -> each middle element (by its id attribute order) -> end."""
    ids = [m.split('id="', 1)[1].split('"', 1)[0] for m in middle]
    chain = ["start", *ids, "end"]
    flows = "".join(flow(f"f{i}", a, b) for i, (a, b) in enumerate(itertools.pairwise(chain)))
    return process(
        '<bpmn:startEvent id="start"/>'
        + "".join(middle)
        + '<bpmn:endEvent id="end"/>'
        + flows
        + extra
    )


def gateway(condition: str) -> bytes:
    """start -> script -> xor(condition -> user task 'review', else -> end_auto)."""
    return process(
        '<bpmn:startEvent id="start"/>'
        + script_task("calc", "amount = 1000\nrate = 0.05\ninterest = amount * rate")
        + '<bpmn:exclusiveGateway id="gw" default="f_else"/>'
        + '<bpmn:userTask id="review" name="Review"/>'
        + '<bpmn:endEvent id="end"/><bpmn:endEvent id="end_auto"/>'
        + flow("f1", "start", "calc")
        + flow("f2", "calc", "gw")
        + flow("f_review", "gw", "review", condition)
        + flow("f_else", "gw", "end_auto")
        + flow("f3", "review", "end")
    )


def timer(expression: str) -> bytes:
    return process(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
        f"<bpmn:timeDuration>{escape(expression)}</bpmn:timeDuration>"
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:endEvent id="end"/>' + flow("f1", "start", "wait") + flow("f2", "wait", "end")
    )


def dmn(input_entry: str, output_entry: str = '"ok"', decision: str = "dec1") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dd" name="d" '
        'namespace="x">'
        f'<decision id="{decision}" name="d"><decisionTable id="t1">'
        '<input id="i1" label="score"><inputExpression id="ie1" typeRef="integer">'
        "<text>score</text></inputExpression></input>"
        '<output id="o1" label="band" name="band" typeRef="string"/>'
        f'<rule id="r1"><inputEntry id="cell_in"><text>{escape(input_entry)}</text></inputEntry>'
        f'<outputEntry id="cell_out"><text>{escape(output_entry)}</text></outputEntry></rule>'
        "</decisionTable></decision></definitions>"
    ).encode()


def business_rule(decision: str = "dec1") -> bytes:
    return linear(
        '<bpmn:businessRuleTask id="rules"><bpmn:extensionElements>'
        f"<spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>"
        "</bpmn:extensionElements></bpmn:businessRuleTask>"
    )


def loop(with_user_task: bool = False) -> bytes:
    """start -> a -> b -> gateway: back to a while n < 10**9 (i.e. forever), else end."""
    body = '<bpmn:userTask id="b"/>' if with_user_task else script_task("b", "n = n + 1")
    return process(
        '<bpmn:startEvent id="start"/>'
        + script_task("init", "n = 0")
        + script_task("a", "m = n")
        + body
        + '<bpmn:exclusiveGateway id="gw" default="f_end"/><bpmn:endEvent id="end"/>'
        + flow("f0", "start", "init")
        + flow("f1", "init", "a")
        + flow("f2", "a", "b")
        + flow("f3", "b", "gw")
        + flow("f_back", "gw", "a", "n < 10**9")
        + flow("f_end", "gw", "end")
    )


def service(operator: str, params: dict[str, tuple[str, str]]) -> bytes:
    ps = "".join(
        f'<spiffworkflow:parameter id="{k}" type="{t}" value="{escape(v, {chr(34): "&quot;"})}"/>'
        for k, (t, v) in params.items()
    )
    return linear(
        '<bpmn:serviceTask id="svc"><bpmn:extensionElements>'
        f'<spiffworkflow:serviceTaskOperator id="{operator}" resultVariable="result">'
        f"<spiffworkflow:parameters>{ps}</spiffworkflow:parameters>"
        "</spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>"
    )


def message_wait(name: str = "payment_received", variable: str = "payment") -> bytes:
    """start -> wait for message `name` (payload into `variable`) -> script -> end."""
    return (
        f'{HEAD}<bpmn:message id="msg1" name="{name}"/>'
        '<bpmn:process id="p_msg" isExecutable="true"><bpmn:startEvent id="start"/>'
        '<bpmn:intermediateCatchEvent id="wait_msg"><bpmn:messageEventDefinition '
        'id="med1" messageRef="msg1"><bpmn:extensionElements>'
        f"<spiffworkflow:messageVariable>{variable}</spiffworkflow:messageVariable>"
        "</bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:intermediateCatchEvent>"
        + script_task("after", f'paid = {variable}["amount"]')
        + '<bpmn:endEvent id="end"/>'
        + flow("f1", "start", "wait_msg")
        + flow("f2", "wait_msg", "after")
        + flow("f3", "after", "end")
        + "</bpmn:process></bpmn:definitions>"
    ).encode()
