"""The token stream FEEL's parsers read: look ahead, accept, expect, and name what failed."""

from __future__ import annotations

from typing import NoReturn

from bpmn.feel.errors import FeelSyntaxError
from bpmn.feel.lexer import Token, tokenize


def _describe(token: Token) -> str:
    if token.kind == "eof":
        return "the end of the text"
    if token.kind == "str":
        return "a string"
    if token.kind == "num":
        return f"the number {token.value}"
    return f"'{token.value}'"


class TokenStream:
    """Tokens of one text with a cursor; ``fail`` raises a FeelSyntaxError at the cursor."""

    def __init__(self, text: str, names: frozenset[str]) -> None:
        self.text = text
        self.tokens = tokenize(text, names)
        self.index = 0
        self.depth = 0

    def peek(self, ahead: int = 0) -> Token:
        """The token ``ahead`` places after the cursor (the end token past it)."""
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        """The token at the cursor, moving past it."""
        token = self.tokens[self.index]
        if token.kind != "eof":
            self.index += 1
        return token

    def at(self, value: str, kind: str = "op") -> bool:
        """Whether the cursor is on this operator or keyword."""
        token = self.tokens[self.index]
        return token.kind == kind and token.value == value

    def accept(self, value: str, kind: str = "op") -> bool:
        """Move past this operator or keyword when the cursor is on it."""
        if self.at(value, kind):
            self.index += 1
            return True
        return False

    def expect(self, value: str, kind: str = "op", context: str = "") -> Token:
        """Move past this operator or keyword, or fail naming it."""
        if not self.at(value, kind):
            where = f" {context}" if context else ""
            self.fail(f"'{value}'{where}")
        return self.advance()

    def fail(self, expected: str, token: Token | None = None) -> NoReturn:
        """Raise a FeelSyntaxError: what was expected, and what was found instead."""
        token = token or self.peek()
        raise FeelSyntaxError(
            f"expected {expected} but found {_describe(token)}", self.text, token.pos
        )

    def name(self, what: str = "a name") -> str:
        """One name: a known name, or words joined by single spaces."""
        token = self.peek()
        if token.kind != "name":
            self.fail(what)
        self.advance()
        if token.known:
            return token.value
        words = [token.value]
        while self.peek().kind == "name" and not self.peek().known:
            words.append(self.advance().value)
        return " ".join(words)
