"""FEEL type syntax (``instance of`` and typed parameters): names, list<T>, context<k: T>,
range<T> and function<T, ...> -> U."""

from __future__ import annotations

from bpmn.feel import nodes as n
from bpmn.feel.stream import TokenStream


class TypeSyntax(TokenStream):
    """Reads a type at the cursor."""

    def type_ref(self) -> n.TypeRef:
        """A type at the cursor."""
        if self.accept("function", "kw"):
            args: list[n.TypeRef] = []
            self.expect("<", context="after 'function'")
            if not self.accept(">"):
                args.append(self.type_ref())
                while self.accept(","):
                    args.append(self.type_ref())
                self.expect(">", context="to close the parameter types")
            self.expect("->", context="before the result type")
            return n.TypeRef("function", (*args, self.type_ref()))
        if self.peek().kind == "kw" and self.peek().value == "null":
            self.advance()
            return n.TypeRef("Null")
        name = self.name("a type name")
        while self.accept("."):
            name += "." + self.name("a type name after '.'")
        if name in ("list", "range") and self.accept("<"):
            inner = self.type_ref()
            self.expect(">", context=f"to close {name}<")
            return n.TypeRef(name, (inner,))
        if name == "context" and self.accept("<"):
            fields: list[tuple[str, n.TypeRef]] = []
            while not self.at(">"):
                key = self.name("a context key")
                self.expect(":", context="after the context key")
                fields.append((key, self.type_ref()))
                if not self.accept(","):
                    break
            self.expect(">", context="to close context<")
            return n.TypeRef("context", (), tuple(fields))
        return n.TypeRef(name)


def parse_type(text: str) -> n.TypeRef:
    """A FEEL type written as text (``number``, ``list<string>``, ``context<a: number>``)."""
    parser = TypeSyntax(text, frozenset())
    kind = parser.type_ref()
    if parser.peek().kind != "eof":
        parser.fail("the end of the type")
    return kind
