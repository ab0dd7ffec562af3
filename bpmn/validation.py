"""Deploy-time checks: every reason a diagram cannot run, named by element id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bpmn import feel_checks, registry
from bpmn.engine import MAX_XML_BYTES, ParsedBundle, languages, parse, secure_xml
from bpmn.engine.parsing import MARKED_ELEMENTS, called_decision
from bpmn.errors import BpmnError, DeployError
from bpmn.expressions import SafeEvaluator

SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

SUPPORTED_FLOW_ELEMENTS = frozenset(
    {
        "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
        "boundaryEvent", "userTask", "serviceTask", "scriptTask", "businessRuleTask",
        "manualTask", "task", "sendTask", "receiveTask", "exclusiveGateway", "parallelGateway",
        "inclusiveGateway", "eventBasedGateway", "callActivity", "subProcess", "sequenceFlow",
    }
)  # fmt: skip
AUXILIARY_ELEMENTS = frozenset(
    {
        "laneSet", "dataObject", "dataObjectReference", "dataStoreReference", "textAnnotation",
        "association", "documentation", "extensionElements", "ioSpecification", "property",
        "incoming", "outgoing", "multiInstanceLoopCharacteristics", "standardLoopCharacteristics",
        "dataInputAssociation", "dataOutputAssociation",
    }
)  # fmt: skip
UNSUPPORTED_DECISION_LOGIC = frozenset(
    {"literalExpression", "context", "invocation", "list", "relation", "functionDefinition"}
)
SUPPORTED_EVENT_DEFINITIONS = frozenset(
    {
        "timerEventDefinition", "messageEventDefinition", "errorEventDefinition",
        "escalationEventDefinition", "signalEventDefinition", "terminateEventDefinition",
        "cancelEventDefinition", "conditionalEventDefinition",
    }
)  # fmt: skip
PYTHON_SCRIPT_FORMATS = frozenset({"", "python", "text/python", "text/x-python", "py"})
CAMUNDA_DELEGATES = ("class", "delegateExpression", "expression")


@dataclass(frozen=True)
class Problem:
    element_id: str | None
    reason: str
    line: int | None = None  # where in the element's expression, when it is a syntax error
    column: int | None = None


def _local(el: Any) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(el: Any) -> str:
    return (el.text or "").strip() if el is not None else ""


class _Checker:
    def __init__(self, evaluator: SafeEvaluator) -> None:
        self.ev = evaluator
        self.problems: list[Problem] = []
        self.language = languages.Language.LENDGRAPH  # the BPMN file's, once read

    def add(
        self, element_id: str | None, reason: str, line: int | None = None, col: int | None = None
    ) -> None:
        self.problems.append(Problem(element_id, reason, line, col))

    def expr(
        self, element_id: str | None, text: str, what: str, language: str | None = None
    ) -> None:
        if "${" in text or "#{" in text:
            self.add(element_id, f"{what} uses a JUEL expression, which is not supported")
            return
        if languages.is_feel_expression(text):
            feel_checks.expression(self.add, element_id, text.lstrip()[1:], what)
            return
        if (languages.declared(language) or self.language) is languages.Language.FEEL:
            feel_checks.expression(self.add, element_id, text, what)
            return
        reason = self.ev.parse_check(text)
        if reason:
            self.add(element_id, f"{what}: {reason}")

    def script(self, element_id: str | None, text: str, what: str) -> None:
        reason = self.ev.script_check(text)
        if reason:
            self.add(element_id, f"{what}: {reason}")


def check(
    bpmn_xml: bytes,
    dmn_xmls: list[bytes] | None = None,
    *,
    max_bytes: int = MAX_XML_BYTES,
    evaluator: SafeEvaluator | None = None,
) -> list[Problem]:
    """Every problem that keeps the upload from deploying; empty when it can run."""
    c = _Checker(evaluator or SafeEvaluator())
    decisions: set[str] = set()
    dmn_ok = True
    feel_files: list[bytes] = []
    for index, dmn in enumerate(dmn_xmls or []):
        try:
            root = secure_xml(dmn, max_bytes)
        except BpmnError as exc:
            c.add(f"dmn[{index}]", str(exc))
            dmn_ok = False
            continue
        if languages.dmn_language(root) is languages.Language.FEEL:
            decisions.update(feel_checks.dmn_file(c.add, root))
            feel_files.append(dmn)
        else:
            decisions.update(_check_dmn(c, root))
    if not c.problems:
        feel_checks.dmn_models(c.add, feel_files)
    try:
        root = secure_xml(bpmn_xml, max_bytes)
    except BpmnError as exc:
        return [*c.problems, Problem(None, str(exc))]
    c.language = languages.bpmn_language(root)
    processes = [p for p in root.iter() if _local(p) == "process"]
    process_ids = {p.get("id") for p in processes}
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    for proc in processes:
        if proc.get("isExecutable") != "true":
            c.add(proc.get("id"), 'process is not executable (set isExecutable="true")')
    if not executable:
        c.add(None, "no executable process in the file")
    for proc in executable:
        _check_container(c, proc, decisions if dmn_ok else None, process_ids)
    if not c.problems:
        try:
            parse(bpmn_xml, dmn_xmls or [])
        except BpmnError as exc:
            c.add(None, f"engine refused the diagram: {exc}")
    return c.problems


def expression_languages(bpmn_xml: bytes, dmn_xmls: list[bytes]) -> list[tuple[str, str]]:
    """The language each file of a draft is read in: ("bpmn", …), ("dmn[0]", …), …"""
    found: list[tuple[str, str]] = []
    try:
        root = secure_xml(bpmn_xml)
    except BpmnError:
        pass
    else:
        found.append(("bpmn", languages.bpmn_file_language(root, MARKED_ELEMENTS).value))
    for index, dmn in enumerate(dmn_xmls):
        try:
            found.append((f"dmn[{index}]", languages.dmn_language(secure_xml(dmn)).value))
        except BpmnError:
            continue
    return found


def deploy_check(bpmn_xml: bytes, dmn_xmls: list[bytes] | None = None) -> ParsedBundle:
    """Check then parse; raises :class:`DeployError` listing every problem."""
    problems = check(bpmn_xml, dmn_xmls)
    if problems:
        raise DeployError([(p.element_id, p.reason) for p in problems])
    return parse(bpmn_xml, dmn_xmls or [])


def _check_container(
    c: _Checker, container: Any, decisions: set[str] | None, process_ids: set[str | None]
) -> None:
    for el in container:
        if not isinstance(el.tag, str):
            continue
        name, eid = _local(el), el.get("id")
        if el.tag.startswith("{") and not el.tag.startswith("{" + BPMN_NS):
            continue
        if name not in SUPPORTED_FLOW_ELEMENTS | AUXILIARY_ELEMENTS:
            c.add(eid, f"element {name} is not supported by this engine")
            continue
        for attr in CAMUNDA_DELEGATES:
            if el.get(CAMUNDA + attr):
                c.add(eid, f"Camunda {attr} delegates are not supported; use a registry operation")
        if el.get(CAMUNDA + "type") == "external":
            c.add(eid, "Camunda external tasks are not supported; use a registry operation")
        _check_element(c, el, name, eid, decisions, process_ids)
        if name == "subProcess":
            _check_container(c, el, decisions, process_ids)


def _check_element(
    c: _Checker,
    el: Any,
    name: str,
    eid: str | None,
    decisions: set[str] | None,
    process_ids: set[str | None],
) -> None:
    own = [s for ch in el if _local(ch) not in SUPPORTED_FLOW_ELEMENTS for s in ch.iter()]
    for sub in own if name == "subProcess" else el.iter():
        if not isinstance(sub.tag, str):
            continue
        local = _local(sub)
        if local.endswith("EventDefinition") and local not in SUPPORTED_EVENT_DEFINITIONS:
            c.add(eid, f"{local} is not supported")
        elif local == "timeCycle":
            c.add(eid, "cycle timers are not supported: loop back through a duration timer")
        elif local in ("timeDuration", "timeDate"):
            if not languages.iso_literal(_text(sub)):
                c.expr(eid, _text(sub), f"timer {local}")
        elif local in ("conditionExpression", "condition", "completionCondition"):
            c.expr(eid, _text(sub), local, sub.get("language"))
        elif local == "loopCardinality":
            c.expr(eid, _text(sub), "loop cardinality")
        elif sub.tag in (SPIFF + "preScript", SPIFF + "postScript"):
            c.script(eid, sub.text or "", local)
        elif sub.tag == SPIFF + "messagePayload":
            c.expr(eid, _text(sub), "message payload")
        elif sub.tag == SPIFF + "taskMetadataValue" and sub.get("value"):
            c.expr(eid, sub.get("value"), f"metadata {sub.get('name')}")
        elif sub.tag == CAMUNDA + "script" or local == "inputOutput":
            c.add(eid, f"camunda:{local} is not supported")
    if name == "sequenceFlow":
        cond = next((s for s in el if _local(s) == "conditionExpression"), None)
        if cond is not None and not languages.is_known(cond.get("language")):
            c.add(eid, f"condition language {cond.get('language')!r} is not supported")
    elif name == "scriptTask":
        fmt = (el.get("scriptFormat") or "").lower()
        if fmt not in PYTHON_SCRIPT_FORMATS:
            c.add(eid, f"script format {fmt!r} is not supported; scripts are assignments")
        else:
            script = next((s for s in el if _local(s) == "script"), None)
            c.script(eid, script.text or "" if script is not None else "", "script")
    elif name == "serviceTask":
        _check_service(c, el, eid)
    elif name == "businessRuleTask":
        ref = _text(el.find(SPIFF + "calledDecisionId")) or _text(
            el.find(f"{{{BPMN_NS}}}extensionElements/{SPIFF}calledDecisionId")
        )
        ref = ref or called_decision(el) or ""
        if not ref:
            c.add(eid, "business rule task names no decision")
        elif decisions is not None and ref not in decisions:
            c.add(eid, f"DMN decision {ref!r} is missing")
    elif name == "callActivity":
        called = el.get("calledElement")
        if not called or called not in process_ids:
            c.add(eid, f"called process {called!r} is missing")


def _check_service(c: _Checker, el: Any, eid: str | None) -> None:
    operator = next(el.iter(SPIFF + "serviceTaskOperator"), None)
    if operator is None:
        if not any(el.get(CAMUNDA + a) for a in (*CAMUNDA_DELEGATES, "type")):
            c.add(eid, "service task names no operation (spiffworkflow:serviceTaskOperator)")
        return
    op_name = operator.get("id") or ""
    if op_name not in registry.OPERATIONS:
        c.add(eid, f"unknown service operation {op_name!r}")
        return
    declared: dict[str, str | None] = {}
    for param in operator.iter(SPIFF + "parameter"):
        pname = param.get("id") or ""
        declared[pname] = param.get("type")
        c.expr(eid, param.get("value") or "", f"parameter {pname}")
    for reason in registry.OPERATIONS[op_name].check_params(declared):
        c.add(eid, reason)


def _check_dmn(c: _Checker, root: Any) -> set[str]:
    decisions: set[str] = set()
    for decision in root.iter():
        if _local(decision) != "decision":
            continue
        decisions.add(decision.get("id"))
        for table in decision:
            if _local(table) in UNSUPPORTED_DECISION_LOGIC:
                c.add(decision.get("id"), f"{_local(table)} decisions are not supported")
            if _local(table) != "decisionTable":
                continue
            policy = table.get("hitPolicy", "UNIQUE")
            if policy not in ("UNIQUE", "COLLECT"):
                c.add(table.get("id") or decision.get("id"), f"hit policy {policy} unsupported")
        for cell in decision.iter():
            local = _local(cell)
            text = _text(cell.find("{*}text")) if local.endswith(("Entry", "Expression")) else ""
            if not text or text == "-":
                continue
            if local == "inputExpression" or local == "outputEntry":
                c.expr(cell.get("id"), text, f"DMN {local}")
            elif local == "inputEntry":
                # '?' stands for the input value, as the engine reads it: "? is None"
                text = re.sub(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)", "dmninputexpr", text)
                reason = c.ev.parse_check(text)
                if reason and reason.startswith("syntax error") and "dmninputexpr" not in text:
                    reason = c.ev.parse_check(f"v {text}")
                if reason:
                    feel = ""
                    if feel_checks.reads_as_feel(_text(cell.find("{*}text")), unary=True):
                        feel = (
                            " (this cell is FEEL: declare expressionLanguage="
                            '"https://www.omg.org/spec/DMN/20191111/FEEL/" on the definitions)'
                        )
                    c.add(cell.get("id"), f"DMN input entry: {reason}{feel}")
    return decisions
