"""Parsing untrusted BPMN and DMN files into a bundle of executable process specs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree  # type: ignore[import-untyped]
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from bpmn.errors import BpmnError, ExpressionError

MAX_XML_BYTES = 1_000_000


def secure_xml(data: bytes, max_bytes: int = MAX_XML_BYTES) -> Any:
    """Parse untrusted XML: size cap, no DOCTYPE/entities, no network. Returns an lxml root."""
    if len(data) > max_bytes:
        raise BpmnError(f"file is {len(data)} bytes, the limit is {max_bytes}")
    lowered = data.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise BpmnError("DOCTYPE and entity declarations are not allowed")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
    )
    try:
        return etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise BpmnError(f"malformed XML (line {exc.lineno}): {exc.msg}") from None


@dataclass
class ParsedBundle:
    """Parsed, executable processes of one deployment. Specs are opaque to callers."""

    process_ids: list[str]
    _specs: dict[str, tuple[Any, dict[str, Any]]] = field(repr=False, default_factory=dict)


def parse(bpmn_xml: bytes, dmn_xmls: list[bytes] | None = None) -> ParsedBundle:
    """Parse one BPMN file (+ DMN files) into a bundle of executable process specs."""
    parser = SpiffBpmnParser()
    try:
        for dmn in dmn_xmls or []:
            parser.add_dmn_xml(secure_xml(dmn))
        parser.add_bpmn_xml(secure_xml(bpmn_xml))
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


def _spiff_reason(exc: BaseException) -> str:
    inner = getattr(exc, "exception", None) or exc.__cause__
    if isinstance(inner, ExpressionError | BpmnError):
        return str(inner)
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
