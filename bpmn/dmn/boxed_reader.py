"""Reading DMN boxed expressions (literal, decision table, context, invocation, relation,
list, function definition, and DMN 1.4's conditional, filter, for, some, every) from XML."""

from __future__ import annotations

from typing import Any

from bpmn.dmn.errors import DmnErrorCode, DmnModelError
from bpmn.dmn.model import (
    Binding,
    BoxedContext,
    Conditional,
    ContextEntry,
    DecisionTable,
    Expression,
    Filter,
    FunctionDefinition,
    InputClause,
    Invocation,
    Iteration,
    ListExpression,
    LiteralExpression,
    OutputClause,
    Parameter,
    Relation,
    Rule,
)

FEEL_NAMESPACES = frozenset(
    {
        "http://www.omg.org/spec/FEEL/20140401",
        "http://www.omg.org/spec/DMN/20180521/FEEL/",
        "https://www.omg.org/spec/DMN/20191111/FEEL/",
        "https://www.omg.org/spec/DMN/20211108/FEEL/",
        "https://www.omg.org/spec/DMN/20230324/FEEL/",
        "http://www.w3.org/2001/XMLSchema",
    }
)
HIT_POLICIES = frozenset(
    {"UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER"}
)
AGGREGATIONS = frozenset({"SUM", "MIN", "MAX", "COUNT"})
_EXPRESSION_TAGS = frozenset(
    {
        "literalExpression", "decisionTable", "context", "invocation", "relation", "list",
        "functionDefinition", "conditional", "filter", "for", "some", "every",
    }
)  # fmt: skip


def local_name(tag: Any) -> str:
    """An element's tag without its namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class BoxedReader:
    """Reads the DMN elements of one file: ``ns`` is its DMN namespace, ``model_ns`` the
    model's own namespace and ``nsmap`` its prefixes."""

    def __init__(self, ns: str, model_ns: str, nsmap: dict[str | None, str]) -> None:
        self.ns = ns
        self.model_ns = model_ns
        self.nsmap = nsmap

    def children(self, node: Any, name: str | None = None) -> list[Any]:
        """DMN child elements of node (extension and diagram elements are left out)."""
        prefix = "{" + self.ns + "}"
        return [
            child
            for child in node
            if isinstance(child.tag, str)
            and child.tag.startswith(prefix)
            and (name is None or child.tag[len(prefix) :] == name)
        ]

    def child(self, node: Any, name: str) -> Any | None:
        """The first DMN child element named ``name``, if any."""
        found = self.children(node, name)
        return found[0] if found else None

    def text_of(self, node: Any, name: str = "text") -> str | None:
        """The FEEL text of an element; text in any other language is refused."""
        self.check_language(node)
        found = self.child(node, name)
        return None if found is None else (found.text or "")

    def check_language(self, node: Any) -> None:
        """Refuse an expression language other than FEEL (JUEL, JavaScript, Python...)."""
        language = node.get("expressionLanguage")
        # the same rule as bpmn.engine.languages: a language URI naming FEEL is FEEL
        if language and "feel" not in language.lower():
            raise DmnModelError(
                f"expression language {language!r} is not supported (only FEEL)",
                node.get("id") or self._owner(node),
                DmnErrorCode.UNSUPPORTED,
            )

    def required(self, node: Any, attribute: str) -> str:
        """An attribute the element must have; DmnModelError naming the element otherwise."""
        value = node.get(attribute)
        if not value:
            raise DmnModelError(
                f"<{local_name(node.tag)}> has no {attribute}", node.get("id") or self._owner(node)
            )
        return str(value)

    def _owner(self, node: Any) -> str | None:
        parent = node.getparent()
        while parent is not None:
            if parent.get("id"):
                return str(parent.get("id"))
            parent = parent.getparent()
        return None

    def type_ref(self, value: str | None) -> str | None:
        """A typeRef with FEEL/XSD prefixes removed (DMN 1.1 writes QNames)."""
        if value is None:
            return None
        value = value.strip()
        if ":" in value and not value.startswith(("list<", "context<", "function<")):
            prefix, local = value.split(":", 1)
            uri = self.nsmap.get(prefix)
            if uri in FEEL_NAMESPACES or uri == self.model_ns or prefix == "feel":
                return local
        return value or None

    def expression_in(self, node: Any) -> Expression | None:
        """The one boxed expression among node's children, if any."""
        for child in self.children(node):
            if local_name(child.tag) in _EXPRESSION_TAGS:
                return self.expression(child)
        return None

    def expression(self, node: Any) -> Expression:
        """The boxed expression an expression element holds."""
        tag = local_name(node.tag)
        ident = node.get("id") or self._owner(node) or ""
        type_ref = self.type_ref(node.get("typeRef"))
        if tag == "literalExpression":
            return LiteralExpression(ident, self.text_of(node) or "", type_ref)
        if tag == "decisionTable":
            return self._table(node, ident, type_ref)
        if tag == "context":
            entries = []
            for entry in self.children(node, "contextEntry"):
                variable = self.child(entry, "variable")
                entries.append(
                    ContextEntry(
                        name=None if variable is None else self.required(variable, "name"),
                        type_ref=None
                        if variable is None
                        else self.type_ref(variable.get("typeRef")),
                        expression=self.expression_in(entry),
                    )
                )
            return BoxedContext(ident, tuple(entries), type_ref)
        if tag == "invocation":
            callee = self.expression_in(node)
            if not isinstance(callee, LiteralExpression):
                raise DmnModelError("invocation names no function", ident)
            bindings = tuple(
                Binding(self.required(self.child(b, "parameter"), "name"), self.expression_in(b))
                for b in self.children(node, "binding")
                if self.child(b, "parameter") is not None
            )
            return Invocation(ident, callee.text.strip(), bindings, type_ref)
        if tag == "relation":
            columns = tuple(self.required(c, "name") for c in self.children(node, "column"))
            rows = []
            for row in self.children(node, "row"):
                cells = tuple(self.expression(c) for c in self.children(row))
                if len(cells) != len(columns):
                    raise DmnModelError(
                        f"row has {len(cells)} cells for {len(columns)} columns",
                        row.get("id") or ident,
                    )
                rows.append(cells)
            return Relation(ident, columns, tuple(rows), type_ref)
        if tag == "list":
            return ListExpression(
                ident, tuple(self.expression(c) for c in self.children(node)), type_ref
            )
        if tag == "functionDefinition":
            return self._function(node)
        if tag == "conditional":
            parts = [self._part(node, name) for name in ("if", "then", "else")]
            return Conditional(ident, parts[0], parts[1], parts[2], type_ref)
        if tag == "filter":
            return Filter(ident, self._part(node, "in"), self._part(node, "match"), type_ref)
        body_tag = "return" if tag == "for" else "satisfies"
        return Iteration(
            ident,
            tag,
            self.required(node, "iteratorVariable"),
            self._part(node, "in"),
            self._part(node, body_tag),
            type_ref,
        )

    def _part(self, node: Any, name: str) -> Expression | None:
        part = self.child(node, name)
        return None if part is None else self.expression_in(part)

    def _function(self, node: Any) -> FunctionDefinition:
        params = tuple(
            Parameter(self.required(p, "name"), self.type_ref(p.get("typeRef")))
            for p in self.children(node, "formalParameter")
        )
        return FunctionDefinition(
            id=node.get("id") or self._owner(node) or "",
            kind=(node.get("kind") or "FEEL").upper(),
            params=params,
            body=self.expression_in(node),
            type_ref=self.type_ref(node.get("typeRef")),
        )

    def _table(self, node: Any, ident: str, type_ref: str | None) -> DecisionTable:
        hit_policy = (node.get("hitPolicy") or "UNIQUE").strip().upper()
        aggregation = node.get("aggregation")
        if hit_policy not in HIT_POLICIES:
            raise DmnModelError(f"unknown hit policy {hit_policy!r}", ident)
        if aggregation is not None and aggregation not in AGGREGATIONS:
            raise DmnModelError(f"unknown aggregation {aggregation!r}", ident)
        inputs = []
        for clause in self.children(node, "input"):
            expression = self.child(clause, "inputExpression")
            values = self.child(clause, "inputValues")
            inputs.append(
                InputClause(
                    id=clause.get("id") or ident,
                    text=(self.text_of(expression) or "") if expression is not None else "",
                    type_ref=None
                    if expression is None
                    else self.type_ref(expression.get("typeRef")),
                    input_values=None if values is None else self.text_of(values),
                )
            )
        outputs = []
        for clause in self.children(node, "output"):
            values = self.child(clause, "outputValues")
            default = self.child(clause, "defaultOutputEntry")
            outputs.append(
                OutputClause(
                    id=clause.get("id") or ident,
                    name=clause.get("name"),
                    type_ref=self.type_ref(clause.get("typeRef")),
                    output_values=None if values is None else self.text_of(values),
                    default=None if default is None else self.text_of(default),
                )
            )
        if not outputs:
            raise DmnModelError("decision table has no output", ident)
        rules = []
        for index, rule in enumerate(self.children(node, "rule")):
            rule_id = rule.get("id") or f"{ident}#{index + 1}"
            ins = tuple(self.text_of(e) or "" for e in self.children(rule, "inputEntry"))
            outs = tuple(self.text_of(e) or "" for e in self.children(rule, "outputEntry"))
            if len(ins) != len(inputs) or len(outs) != len(outputs):
                raise DmnModelError(
                    f"rule has {len(ins)} input and {len(outs)} output entries for "
                    f"{len(inputs)} inputs and {len(outputs)} outputs",
                    rule_id,
                )
            notes = tuple(self.text_of(e) or "" for e in self.children(rule, "annotationEntry"))
            rules.append(Rule(rule_id, ins, outs, notes))
        return DecisionTable(
            ident, hit_policy, aggregation, tuple(inputs), tuple(outputs), tuple(rules), type_ref
        )
