"""Deploy-time checks of FEEL: expressions of a BPMN file, and whole DMN files in FEEL.

A syntax error is named by the element that holds the text and by its line and column inside
that text, as the designer shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bpmn import dmn, feel
from bpmn.engine import languages

Add = Callable[[str | None, str, int | None, int | None], None]

_EXPRESSIONS = ("inputExpression", "outputEntry", "literalExpression", "defaultOutputEntry")


def expression(add: Add, element_id: str | None, text: str, what: str) -> None:
    """Check one FEEL expression (without its ``=`` mark)."""
    try:
        feel.parse_expression(text)
    except feel.FeelSyntaxError as exc:
        add(element_id, f"{what}: FEEL syntax error: {exc.message}", exc.line, exc.column)


def unary_tests(add: Add, element_id: str | None, text: str, what: str) -> None:
    """Check one cell of FEEL unary tests (a decision table's input entry)."""
    try:
        feel.parse_unary_tests(text)
    except feel.FeelSyntaxError as exc:
        add(element_id, f"{what}: FEEL syntax error: {exc.message}", exc.line, exc.column)


def dmn_file(add: Add, root: Any) -> set[str]:
    """Check a DMN file in FEEL cell by cell; the ids of its decisions."""
    own = languages.Language.LENDGRAPH
    decisions: set[str] = set()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        local = el.tag.rsplit("}", 1)[-1]
        if local == "decision" and el.get("id"):
            decisions.add(el.get("id"))
        if languages.element_language(el, languages.Language.FEEL) is own:
            add(el.get("id"), "mixes lendgraph's expressions into a FEEL file", None, None)
            continue
        text_el = el.find("{*}text")
        text = (text_el.text or "").strip() if text_el is not None else ""
        if local == "inputEntry":
            if text:
                unary_tests(add, el.get("id"), text, "DMN input entry")
        elif local in _EXPRESSIONS and text:
            expression(add, el.get("id"), text, f"DMN {local}")
    return decisions


def dmn_models(add: Add, files: list[bytes]) -> None:
    """Load the FEEL DMN files of a deployment together (they may import each other)."""
    if not files:
        return
    try:
        dmn.load_models(files)
    except dmn.DmnError as exc:
        add(getattr(exc, "element_id", None), f"DMN model: {exc}", None, None)


def reads_as_feel(text: str, unary: bool) -> bool:
    """Whether a cell lendgraph's language refused is FEEL, to say so in the reason."""
    try:
        (feel.parse_unary_tests if unary else feel.parse_expression)(text)
    except feel.FeelError:
        return False
    return True
