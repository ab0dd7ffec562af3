"""String built-ins: substring, case, search, regular expressions, split and join."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bpmn.feel.builtins.registry import ABSENT, Invalid, as_list, builtin, text, whole
from bpmn.feel.errors import MAX_STRING_LENGTH, FeelLimitError
from bpmn.feel.regex import run_regex


@builtin("substring", ("string", "start position", "length"), required=2)
def substring(value: Any, start: Any, length: Any = ABSENT) -> str:
    """substring(string, start position, length?): code points, 1-based, negative from end."""
    source = text(value)
    first = whole(start)
    if first == 0:
        raise Invalid("substring: start position 0")
    begin = first - 1 if first > 0 else max(len(source) + first, 0)
    if length is ABSENT:
        return source[begin:]
    count = whole(length)
    if count < 0:
        raise Invalid("substring: negative length")
    return source[begin : begin + count]


@builtin("string length", ("string",))
def string_length(value: Any) -> Decimal:
    """The number of code points."""
    return Decimal(len(text(value)))


@builtin("upper case", ("string",))
def upper_case(value: Any) -> str:
    """Upper case."""
    return text(value).upper()


@builtin("lower case", ("string",))
def lower_case(value: Any) -> str:
    """Lower case."""
    return text(value).lower()


@builtin("substring before", ("string", "match"))
def substring_before(value: Any, match: Any) -> str:
    """The text before the first ``match`` ("" when absent)."""
    source, found = text(value), text(match)
    index = source.find(found)
    return source[:index] if index >= 0 else ""


@builtin("substring after", ("string", "match"))
def substring_after(value: Any, match: Any) -> str:
    """The text after the first ``match`` ("" when absent)."""
    source, found = text(value), text(match)
    index = source.find(found)
    return source[index + len(found) :] if index >= 0 else ""


@builtin("contains", ("string", "match"))
def contains(value: Any, match: Any) -> bool:
    """Whether ``match`` occurs in the string."""
    return text(match) in text(value)


@builtin("starts with", ("string", "match"))
def starts_with(value: Any, match: Any) -> bool:
    """Whether the string starts with ``match``."""
    return text(value).startswith(text(match))


@builtin("ends with", ("string", "match"))
def ends_with(value: Any, match: Any) -> bool:
    """Whether the string ends with ``match``."""
    return text(value).endswith(text(match))


def _flags(flags: Any) -> str:
    return "" if flags is None else text(flags)


@builtin("matches", ("input", "pattern", "flags"), required=2)
def matches(value: Any, pattern: Any, flags: Any = None) -> bool:
    """Whether the XPath regular expression matches somewhere in the input."""
    return bool(run_regex("matches", text(value), text(pattern), _flags(flags)))


@builtin("replace", ("input", "pattern", "replacement", "flags"), required=3)
def replace(value: Any, pattern: Any, replacement: Any, flags: Any = None) -> str:
    """Every match of the XPath regular expression replaced (``$1`` names a group)."""
    result = run_regex("replace", text(value), text(pattern), _flags(flags), text(replacement))
    if not isinstance(result, str):
        raise Invalid("replace: no result")
    if len(result) > MAX_STRING_LENGTH:
        raise FeelLimitError("string too long")
    return result


@builtin("split", ("string", "delimiter"))
def split(value: Any, delimiter: Any) -> list[str]:
    """The string cut at each match of the delimiter pattern."""
    result = run_regex("split", text(value), text(delimiter), "")
    if not isinstance(result, list):
        raise Invalid("split: no result")
    return [str(part) for part in result]


@builtin("string join", ("list", "delimiter"), required=1)
def string_join(values: Any, delimiter: Any = None) -> str:
    """The strings of the list joined by the delimiter; nulls are skipped."""
    values = as_list(values)
    separator = "" if delimiter is None else text(delimiter)
    parts = [text(item) for item in values if item is not None]
    if sum(len(part) for part in parts) + len(separator) * len(parts) > MAX_STRING_LENGTH:
        raise FeelLimitError("string too long")
    return separator.join(parts)
