"""Which expression language a diagram speaks: FEEL (the DMN standard's) or lendgraph's own.

The rule, the same for the engine, the deploy checks and the designer:

- A language the file declares wins: ``expressionLanguage`` on the definitions (BPMN or DMN)
  or on the element (a DMN decision table, input expression, entry; a BPMN condition's
  ``language``), and ``typeLanguage`` for DMN.
- A BPMN expression that starts with ``=`` is FEEL (how Camunda 8 marks it); lendgraph's own
  expressions cannot start with ``=``, so the mark is never ambiguous.
- A DMN file that declares nothing is FEEL, as the DMN standard says, when it comes from
  another tool: a DMN 1.1 or 1.2 namespace, an ``exporter`` attribute, or Camunda's extension
  namespace. Otherwise it is lendgraph's own, which is what the designer and the shipped
  tables were written in before FEEL was accepted (the designer now declares it).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

LENDGRAPH_LANGUAGE_URI = "https://lendgraph.org/spec/expressions"
_OWN_NAMES = frozenset({"python", "text/python", "text/x-python", "py", LENDGRAPH_LANGUAGE_URI})
_OLD_DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
)
_CAMUNDA_NAMESPACES = ("http://camunda.org/schema/1.0/dmn", "http://camunda.org/schema/zeebe/1.0")
_ISO_LITERAL = re.compile(
    r"^(?:R\d*/)?(?:-?P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?"
    r"(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:[.,]\d+)?S)?)?"
    r"|\d{4}-\d\d-\d\d(?:T\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?)?)$"
)


class Language(StrEnum):
    FEEL = "FEEL"
    LENDGRAPH = "LENDGRAPH"
    MIXED = "MIXED"  # a BPMN file with some expressions marked '=' and others not


def declared(uri: str | None) -> Language | None:
    """The language an ``expressionLanguage``/``typeLanguage``/``language`` value names."""
    if uri is None or not uri.strip():
        return None
    text = uri.strip()
    if "feel" in text.lower():
        return Language.FEEL
    if text.lower() in _OWN_NAMES:
        return Language.LENDGRAPH
    return None


def is_known(uri: str | None) -> bool:
    """Whether a declared language is one the engine runs (absent counts as known)."""
    return uri is None or not uri.strip() or declared(uri) is not None


def dmn_language(root: Any) -> Language:
    """The language of a DMN file's cells when its elements declare none of their own."""
    for attr in ("expressionLanguage", "typeLanguage"):
        found = declared(root.get(attr))
        if found is not None:
            return found
    namespaces = {ns for ns in (root.nsmap or {}).values() if ns}
    if root.get("exporter") or namespaces & {*_OLD_DMN_NAMESPACES, *_CAMUNDA_NAMESPACES}:
        return Language.FEEL
    return Language.LENDGRAPH


def element_language(element: Any, default: Language) -> Language:
    """The language of one DMN element: its own declaration, its ancestors', else ``default``."""
    node = element
    while node is not None:
        found = declared(node.get("expressionLanguage"))
        if found is not None:
            return found
        node = node.getparent()
    return default


def bpmn_language(root: Any) -> Language:
    """The language the BPMN definitions declare for their expressions (lendgraph's if none)."""
    return declared(root.get("expressionLanguage")) or Language.LENDGRAPH


def bpmn_file_language(root: Any, expression_elements: frozenset[str]) -> Language:
    """What a BPMN file's expressions are written in, as the designer shows it."""
    default = bpmn_language(root)
    seen: set[Language] = set()
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag.rsplit("}", 1)[-1] not in expression_elements:
            continue
        text = (el.text or "").strip()
        if text and not iso_literal(text):
            marked = Language.FEEL if is_feel_expression(text) else None
            seen.add(marked or declared(el.get("language")) or default)
    if not seen:
        return default
    return seen.pop() if len(seen) == 1 else Language.MIXED


def is_feel_expression(text: str) -> bool:
    """A BPMN expression marked as FEEL by a leading ``=``."""
    return text.lstrip().startswith("=")


def iso_literal(text: str) -> bool:
    """A timer written as a bare ISO 8601 duration or date-time, as other modelers write it."""
    return bool(_ISO_LITERAL.match(text.strip()))
