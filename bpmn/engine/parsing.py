"""Parsing untrusted BPMN and DMN files into a bundle of executable process specs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from bpmn.engine import feel_bridge, languages
from bpmn.errors import BpmnError, ExpressionError
from bpmn.xmlsafe import secure_xml

# BPMN elements whose text the engine evaluates as an expression
EXPRESSION_ELEMENTS = frozenset(
    {"conditionExpression", "condition", "completionCondition", "loopCardinality"}
)
TIMER_ELEMENTS = frozenset({"timeDuration", "timeDate"})
MARKED_ELEMENTS = EXPRESSION_ELEMENTS | TIMER_ELEMENTS
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


@dataclass
class ParsedBundle:
    """Parsed, executable processes of one deployment. Specs are opaque to callers."""

    process_ids: list[str]
    _specs: dict[str, tuple[Any, dict[str, Any]]] = field(repr=False, default_factory=dict)
    # per process: its sole business rule task's spec, or None (read once, the specs never change)
    _sole: dict[str, Any] = field(repr=False, default_factory=dict)


class _Parser(SpiffBpmnParser):  # type: ignore[misc]
    """SpiffWorkflow's parser, with the decisions of FEEL files run by lendgraph's DMN engine."""

    def __init__(self) -> None:
        super().__init__()
        self.feel_decisions: dict[str, feel_bridge.FeelDecision] = {}

    def get_engine(self, decision_ref: str | None, node: Any) -> Any:
        decision_ref = decision_ref or called_decision(node)
        found = self.feel_decisions.get(decision_ref or "")
        if found is not None:
            return found.for_task(node)
        return super().get_engine(decision_ref, node)


def called_decisions(bpmn_xml: bytes) -> list[str]:
    """The decisions a diagram's business rule tasks call, in the order they appear."""
    found: list[str] = []
    for task in secure_xml(bpmn_xml).iter(f"{{{BPMN_NS}}}businessRuleTask"):
        spiff = task.find(f".//{{{SPIFF_NS}}}calledDecisionId")
        name = (spiff.text or "").strip() if spiff is not None else called_decision(task)
        if name and name not in found:
            found.append(name)
    return found


def called_decision(node: Any) -> str | None:
    """The decision a business rule task calls as Camunda 8 (``zeebe:calledDecision``) or
    Camunda 7 (``camunda:decisionRef``) write it; lendgraph's own diagrams name it in
    ``spiffworkflow:calledDecisionId``, which SpiffWorkflow reads itself."""
    called = node.find(f".//{feel_bridge.ZEEBE}calledDecision")
    if called is not None and called.get("decisionId"):
        return str(called.get("decisionId"))
    ref = node.get(feel_bridge.CAMUNDA + "decisionRef")
    return str(ref) if ref else None


def parse(bpmn_xml: bytes, dmn_xmls: list[bytes] | None = None) -> ParsedBundle:
    """Parse one BPMN file (+ DMN files) into a bundle of executable process specs."""
    parser = _Parser()
    try:
        feel_files = []
        for dmn in dmn_xmls or []:
            root = secure_xml(dmn)
            if languages.dmn_language(root) is languages.Language.FEEL:
                feel_files.append(dmn)
            else:
                parser.add_dmn_xml(root)
        parser.feel_decisions = feel_bridge.load_decisions(feel_files)
        root = secure_xml(bpmn_xml)
        mark_expressions(root)
        parser.add_bpmn_xml(root)
        bundle = ParsedBundle(process_ids=[])
        for pid in parser.get_process_ids():
            if parser.get_process_parser(pid).node.get("isExecutable") != "true":
                continue
            spec = parser.get_spec(pid)
            subs = parser.get_subprocess_specs(pid)
            bundle.process_ids.append(pid)
            bundle._specs[pid] = (spec, subs)
    except SpiffWorkflowException as exc:
        raise BpmnError(_spiff_reason(exc)) from None
    if not bundle.process_ids:
        raise BpmnError("no executable process (isExecutable is not 'true')")
    return bundle


def mark_expressions(root: Any) -> None:
    """Mark every FEEL expression of a BPMN file with ``=``, the one sign the engine reads.

    A timer written as a bare ISO 8601 literal (``PT5M``, as other modelers write it) becomes
    a string, which both languages read alike.
    """
    default = languages.bpmn_language(root)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        local = el.tag.rsplit("}", 1)[-1]
        text = (el.text or "").strip()
        if not text or local not in MARKED_ELEMENTS:
            continue
        if local in TIMER_ELEMENTS and languages.iso_literal(text):
            el.text = f'"{text}"'
            continue
        own = languages.declared(el.get("language"))
        marked = languages.is_feel_expression(text)
        if not marked and (own or default) is not languages.Language.FEEL:
            continue
        inner = text.lstrip()[1:] if marked else text
        # a timer reads ISO 8601 text: FEEL's string() of a date-time or a duration is that
        el.text = f"=string({inner})" if local in TIMER_ELEMENTS else "=" + inner


def _spiff_reason(exc: BaseException) -> str:
    inner = getattr(exc, "exception", None) or exc.__cause__
    if isinstance(inner, ExpressionError | BpmnError):
        return str(inner)
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
