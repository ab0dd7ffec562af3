"""Small DMN 1.3 models built in code for the tests."""

from __future__ import annotations

from xml.sax.saxutils import escape

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def definitions(
    body: str, namespace: str = "urn:test", name: str = "test", extra: str = ""
) -> bytes:
    """A definitions element around ``body``."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="{DMN13}" id="defs" '
        f'name="{name}" namespace="{namespace}" {extra}>{body}</definitions>'
    ).encode()


def input_data(name: str, type_ref: str | None = None, ident: str | None = None) -> str:
    """An inputData element (its id is ``i_`` and the name without spaces)."""
    ident = ident or "i_" + name.replace(" ", "_")
    typed = f' typeRef="{escape(type_ref)}"' if type_ref else ""
    return f'<inputData id="{ident}" name="{name}"><variable name="{name}"{typed}/></inputData>'


def decision(
    name: str,
    logic: str,
    *,
    inputs: tuple[str, ...] = (),
    decisions: tuple[str, ...] = (),
    knowledge: tuple[str, ...] = (),
    type_ref: str | None = None,
) -> str:
    """A decision requiring the given elements (given by id)."""
    typed = f' typeRef="{type_ref}"' if type_ref else ""
    reqs = "".join(
        f'<informationRequirement><requiredInput href="#{i}"/></informationRequirement>'
        for i in inputs
    )
    reqs += "".join(
        f'<informationRequirement><requiredDecision href="#{d}"/></informationRequirement>'
        for d in decisions
    )
    reqs += "".join(
        f'<knowledgeRequirement><requiredKnowledge href="#{k}"/></knowledgeRequirement>'
        for k in knowledge
    )
    ident = "d_" + name.replace(" ", "_")
    return (
        f'<decision id="{ident}" name="{name}"><variable name="{name}"{typed}/>'
        f"{reqs}{logic}</decision>"
    )


def literal(text: str) -> str:
    """A literal expression."""
    return f"<literalExpression><text>{escape(text)}</text></literalExpression>"


def table(
    hit_policy: str,
    inputs: list[str],
    outputs: list[tuple[str | None, str | None]],
    rules: list[tuple[list[str], list[str]]],
    aggregation: str | None = None,
) -> str:
    """A decision table: input expressions, (name, output values) outputs, rules."""
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    body = "".join(
        f'<input id="in{n}"><inputExpression><text>{escape(text)}</text></inputExpression></input>'
        for n, text in enumerate(inputs)
    )
    for n, (name, values) in enumerate(outputs):
        named = f' name="{name}"' if name else ""
        listed = f"<outputValues><text>{escape(values)}</text></outputValues>" if values else ""
        body += f'<output id="out{n}"{named}>{listed}</output>'
    for n, (tests, results) in enumerate(rules):
        body += f'<rule id="r{n + 1}">'
        body += "".join(f"<inputEntry><text>{escape(t)}</text></inputEntry>" for t in tests)
        body += "".join(f"<outputEntry><text>{escape(r)}</text></outputEntry>" for r in results)
        body += "</rule>"
    return f'<decisionTable id="dt" hitPolicy="{hit_policy}"{agg}>{body}</decisionTable>'
