"""FEEL tokens: numbers, strings, names (with known multi-word names), operators, keywords."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bpmn.feel.errors import MAX_EXPRESSION_LENGTH, FeelSyntaxError

KEYWORDS = frozenset(
    {
        "and", "or", "in", "instance", "of", "between", "if", "then", "else", "for",
        "return", "some", "every", "satisfies", "function", "true", "false", "null",
        "external",
    }
)  # fmt: skip

# Built-in names that hold a keyword, so they cannot be read as words joined by spaces.
BUILTIN_NAMES = (
    "date and time", "years and months duration", "days and time duration",
    "day of year", "day of week", "month of year", "week of year", "index of",
)  # fmt: skip

_OPERATORS = (
    "**", "..", "!=", "<=", ">=", "->", "+", "-", "*", "/", "=", "<", ">", ".", ",", ":",
    "(", ")", "[", "]", "{", "}",
)  # fmt: skip

_NUMBER = re.compile(r"(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")
_NAME_START = r"[^\W\d]|\?|[\U00010000-\U000EFFFF]"
_WORD = re.compile(rf"(?:{_NAME_START})(?:[\w'?]|[\U00010000-\U000EFFFF])*")
_SPACE = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)+", re.DOTALL)
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "r": "\r", "t": "\t", "b": "\b"}
_ESCAPES |= {"f": "\f"}


@dataclass(frozen=True, slots=True)
class Token:
    """One token; ``kind`` is num, str, at, name, kw, op or eof; ``known`` marks a full name."""

    kind: str
    value: str
    pos: int
    end: int
    known: bool = False


@lru_cache(maxsize=512)
def _known_pattern(names: frozenset[str]) -> re.Pattern[str] | None:
    """One alternation of the known names, longest first, spaces matching any blank run."""
    chosen = sorted({*names, *BUILTIN_NAMES}, key=len, reverse=True)
    if not chosen:
        return None
    parts = [r"\s+".join(re.escape(word) for word in name.split()) for name in chosen]
    return re.compile(r"(?:" + "|".join(parts) + r")(?![\w'?])")


def tokenize(text: str, names: frozenset[str] = frozenset()) -> list[Token]:
    """The tokens of ``text``; ``names`` are names in scope that hold spaces or symbols."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise FeelSyntaxError(f"expression longer than {MAX_EXPRESSION_LENGTH} characters", text, 0)
    known = _known_pattern(names)
    tokens: list[Token] = []
    pos = 0
    size = len(text)
    while True:
        blank = _SPACE.match(text, pos)
        if blank:
            pos = blank.end()
        if pos >= size:
            break
        if text.startswith("/*", pos):
            raise FeelSyntaxError("comment not closed: expected '*/'", text, pos)
        char = text[pos]
        if char == '"':
            value, end = _string(text, pos)
            tokens.append(Token("str", value, pos, end))
        elif char == "@" and text.startswith('"', pos + 1):
            value, end = _string(text, pos + 1)
            tokens.append(Token("at", value, pos, end))
        elif char == "`":
            end = text.find("`", pos + 1)
            if end < 0:
                raise FeelSyntaxError("name not closed: expected '`'", text, pos)
            tokens.append(Token("name", text[pos + 1 : end], pos, end + 1, known=True))
            end += 1
        elif (found := _NUMBER.match(text, pos)) is not None:
            end = found.end()
            tokens.append(Token("num", found.group(), pos, end))
        elif (
            known is not None
            and (found := known.match(text, pos)) is not None
            and (pos == 0 or not (text[pos - 1].isalnum() or text[pos - 1] in "_'?"))
        ):
            end = found.end()
            tokens.append(Token("name", " ".join(found.group().split()), pos, end, known=True))
        elif (found := _WORD.match(text, pos)) is not None:
            end = found.end()
            word = found.group()
            tokens.append(Token("kw" if word in KEYWORDS else "name", word, pos, end))
        else:
            operator = next((o for o in _OPERATORS if text.startswith(o, pos)), None)
            if operator is None:
                raise FeelSyntaxError(f"unexpected character {char!r}", text, pos)
            end = pos + len(operator)
            tokens.append(Token("op", operator, pos, end))
        pos = end
    tokens.append(Token("eof", "", size, size))
    return tokens


def _string(text: str, start: int) -> tuple[str, int]:
    """The value of the string literal opening at ``start`` and the offset after it."""
    out: list[str] = []
    pos = start + 1
    size = len(text)
    while pos < size:
        char = text[pos]
        if char == '"':
            return _join_surrogates("".join(out)), pos + 1
        if char != "\\":
            out.append(char)
            pos += 1
            continue
        code = text[pos + 1 : pos + 2]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            pos += 2
        elif code in ("u", "U"):
            width = 4 if code == "u" else 6
            digits = text[pos + 2 : pos + 2 + width]
            if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise FeelSyntaxError(f"expected {width} hex digits after '\\{code}'", text, pos)
            value = int(digits, 16)
            if value > 0x10FFFF:
                raise FeelSyntaxError("code point out of range", text, pos)
            out.append(chr(value))
            pos += 2 + width
        else:
            # Not a FEEL escape: kept as written, so regex patterns like "\d" read naturally.
            out.append("\\")
            pos += 1
    raise FeelSyntaxError("string not closed: expected '\"'", text, start)


def _join_surrogates(value: str) -> str:
    """Pairs of UTF-16 surrogates written as two escapes become one code point."""
    if not any("\ud800" <= c <= "\udfff" for c in value):
        return value
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
