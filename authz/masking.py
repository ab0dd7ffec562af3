"""Masks for sensitive personal data (PIPL art. 28, JR/T 0171-2020), and a search guard.

Every mask is a pure function and hides at least four characters: a value too short to show
its usual head and tail shows less (the head goes first, then the tail shrinks). The masks are
head/tail substrings over ASCII digits and ASCII white space (a full-width digit is not one:
it is masked with the rest), so the same functions in SQL (`lg_mask_phone`,
`lg_mask_id_number`, migration 0027) give the same text for every value.
"""

import re
from collections.abc import Callable, Mapping
from typing import Any

MIN_HIDDEN = 4
STAR = "*"
_SPACE = " \t\n\r\f\v"
_SPACES = re.compile(f"[{_SPACE}]")
_NOT_DIGITS = re.compile("[^0-9]")


def _keep(value: str, head: int, tail: int) -> str:
    size = len(value)
    if size <= MIN_HIDDEN:
        return STAR * size
    if size - head - tail < MIN_HIDDEN:
        head = 0
    tail = min(tail, size - head - MIN_HIDDEN)
    return value[:head] + STAR * (size - head - tail) + value[size - tail :]


def mask_id_number(value: str | None) -> str | None:
    """An ID number with the first 6 and last 4 characters kept: `110101********1234`."""
    if value is None:
        return None
    return _keep(_SPACES.sub("", value), 6, 4)


# ITU country calling codes form a prefix code: 1 and 7 have one digit, these have two,
# every other code has three
_TWO_DIGIT_CODES = frozenset(
    {"20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46"}
    | {"47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63"}
    | {"64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"}
)


def _country_code(digits: str) -> str:
    if digits[:1] in ("1", "7"):
        return digits[:1]
    return digits[:2] if digits[:2] in _TWO_DIGIT_CODES else digits[:3]


def mask_phone(value: str | None) -> str | None:
    """A phone number with the first 3 and last 4 digits kept: `138****5678`.

    International numbers (`+86 138…`, `0086 138…`) keep their country code and mask the
    national number the same way: `+86 138****5678`. Formatting characters are dropped.
    """
    if value is None:
        return None
    text = value.strip(_SPACE)
    digits = _NOT_DIGITS.sub("", text)
    if not digits:
        return STAR * len(text)
    if text.startswith("+") or text.startswith("00"):
        digits = digits[2:] if text.startswith("00") else digits
        code = _country_code(digits)
        return f"+{code} {_keep(digits[len(code) :], 3, 4)}"
    return _keep(digits, 3, 4)


def mask_bank_account(value: str | None) -> str | None:
    """A bank account or card number with only the last 4 characters kept."""
    if value is None:
        return None
    return _keep(re.sub(r"[\s-]", "", value), 0, 4)


Mask = Callable[[str | None], str | None]

# the sensitive fields of each object, and their masks
SENSITIVE_FIELDS: dict[str, dict[str, Mask]] = {
    "customer": {"id_number": mask_id_number, "phone": mask_phone},
}
_BY_NAME: dict[str, Mask] = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "bank_account": mask_bank_account,
    "account_number": mask_bank_account,
}


def mask_fields(object_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a record (e.g. an audit entry's before/after) with its sensitive fields masked."""
    masks = {**_BY_NAME, **SENSITIVE_FIELDS.get(object_type, {})}
    return {
        key: masks[key](value) if key in masks and isinstance(value, str) else value
        for key, value in data.items()
    }


_BETWEEN_DIGITS = re.compile(r"(?<=\d)[\s\-.()/]+(?=\d)")
_LONG_DIGITS = re.compile(r"\d{7,}")  # more than a masked phone or ID shows in one piece
_ID_TAIL = re.compile(r"\d{4,}[xX]")  # an ID number's check character with hidden digits


def looks_sensitive(text: str) -> bool:
    """Whether a search text looks like (part of) an ID, phone or account number.

    That is 7 or more digits in a row (spaces, dashes, dots and brackets between digits
    ignored), or 4 or more digits followed by an ID check character X.
    """
    compact = _BETWEEN_DIGITS.sub("", text)
    return bool(_LONG_DIGITS.search(compact) or _ID_TAIL.search(compact))
