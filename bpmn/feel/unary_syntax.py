"""FEEL unary tests (decision table input entries) and the tests after ``in``."""

from __future__ import annotations

from abc import ABC, abstractmethod

from bpmn.feel import nodes as n
from bpmn.feel.type_syntax import TypeSyntax

COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})


class UnaryTestSyntax(TypeSyntax, ABC):
    """Reads unary tests; the expressions inside them come from the expression parser."""

    @abstractmethod
    def expression(self) -> n.Node:
        """An expression at the cursor."""

    @abstractmethod
    def additive(self) -> n.Node:
        """An additive expression at the cursor (no comparison, and nor or)."""

    @abstractmethod
    def endpoint(self, comparison: str) -> n.Node:
        """What a comparison compares with: an additive expression, never a comparison."""

    def unary_tests(self) -> n.Node:
        """unary tests := '-' | 'not' '(' tests ')' | tests (blank matches all)"""
        if self.peek().kind == "eof":  # a blank input entry, as modellers leave them
            return n.AnyValue()
        if self.at("-") and self.peek(1).kind == "eof":
            self.advance()
            return n.AnyValue()
        if self.peek().kind == "name" and self.peek().value == "not" and self.peek(1).value == "(":
            start = self.index
            self.advance()
            self.advance()
            tests = self.test_list()
            if self.accept(")") and self.peek().kind == "eof":
                return n.NotTests(tests)
            self.index = start
        return n.TestList(self.test_list())

    def test_list(self) -> tuple[n.Node, ...]:
        """Unary tests separated by commas."""
        tests = [self.unary_test()]
        while self.accept(","):
            tests.append(self.unary_test())
        return tuple(tests)

    def unary_test(self) -> n.Node:
        """A comparison with the input (``< 5``) or an expression."""
        token = self.peek()
        if token.kind == "op" and token.value in COMPARISONS:
            self.advance()
            return n.UnaryComparison(token.value, self.endpoint(token.value))
        return self.expression()

    def in_tests(self) -> tuple[n.Node, ...]:
        """What follows ``in``: a comparison, a bracketed list of tests, or a value."""
        token = self.peek()
        if token.kind == "op" and token.value in COMPARISONS:
            self.advance()
            return (n.UnaryComparison(token.value, self.endpoint(token.value)),)
        if token.kind == "op" and token.value == "(" and self._test_list_ahead():
            self.advance()
            tests = self.test_list()
            self.expect(")", context="to close the tests")
            return tests
        return (self.additive(),)

    def _test_list_ahead(self) -> bool:
        """After '(': a comparison first, or a comma at the top level, make a test list."""
        first = self.peek(1)
        if first.kind == "op" and first.value in COMPARISONS:
            return True
        depth = 0
        for token in self.tokens[self.index :]:
            if token.kind != "op":
                continue
            if token.value in ("(", "[", "{"):
                depth += 1
            elif token.value in (")", "]", "}"):
                depth -= 1
                if depth == 0:
                    return False
            elif token.value == "," and depth == 1:
                return True
        return False
