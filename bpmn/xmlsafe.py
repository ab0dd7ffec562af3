"""Untrusted XML (BPMN, DMN) read safely: a size cap, no DTD or entities, no network."""

from __future__ import annotations

from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from bpmn.errors import BpmnError

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
