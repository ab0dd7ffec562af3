"""Values as people type them in Chinese data entry, read into one form before any check.

Full-width digits, letters and punctuation and the ideographic space become their ASCII
forms (Unicode NFKC); phone numbers lose separators and a mainland +86; amounts may group
thousands with commas; dates may be 2026/1/5, 2026.1.5 or 2026年1月5日. Each reader raises
ValueError with the reason a person needs, and never goes through float.
"""

import re
import unicodedata
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

_INVISIBLE = "\u200b\ufeff"  # zero-width space and a stray byte-order mark
_PHONE_SEPARATORS = re.compile(r"[\s\-.()]")
_MAINLAND_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9]\d{9})")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_YEAR_FIRST = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_CHINESE_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?")
DATE_FORMS = "e.g. 2026-01-05, 2026/1/5, 2026.1.5 or 2026年1月5日"


def text(value: str) -> str:
    """A cell's text in NFKC, without surrounding spaces."""
    if value.isascii():
        return value.strip()
    return unicodedata.normalize("NFKC", value).strip().strip(_INVISIBLE).strip()


def phone(value: str) -> str:
    """A phone number without separators; a mainland mobile without its +86/0086/86."""
    if len(value) == 11 and value.isascii() and value.isdigit():
        return value  # the common case: nothing to take out
    compact = _PHONE_SEPARATORS.sub("", text(value))
    mobile = _MAINLAND_MOBILE.fullmatch(compact)
    return mobile.group(1) if mobile else compact


def amount(value: str) -> Decimal:
    """A decimal number, thousands optionally grouped with commas (1,234,567.89)."""
    written = text(value)
    if "," in written:
        if not _GROUPED.fullmatch(written):
            raise ValueError(f"'{value}' has a thousands separator out of place (e.g. 1,234.50)")
        written = written.replace(",", "")
    if not _PLAIN.fullmatch(written):
        raise ValueError(f"'{value}' is not a number")
    try:
        return Decimal(written)
    except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
        raise ValueError(f"'{value}' is not a number") from None


def check_date_format(date_format: str) -> None:
    """Refuse a declared date format that cannot read back the dates it writes."""
    sample = date(2026, 11, 23)
    try:
        back = datetime.strptime(sample.strftime(date_format), date_format)  # noqa: DTZ007
    except (ValueError, re.error):
        back = None
    if back is None or back.date() != sample:
        raise ValueError(
            f"'{date_format[:64]}' does not describe a whole date: it needs a year, a month and a "
            "day, e.g. %d/%m/%Y"
        )


def day(value: str, date_format: str | None = None) -> date:
    """A calendar date: the declared format first, then year-first local forms."""
    written = text(value)
    if date_format:
        try:
            return datetime.strptime(written, date_format).date()  # noqa: DTZ007
        except ValueError:
            pass
    try:
        return date.fromisoformat(written)  # 2026-01-05 (and ISO's other forms)
    except ValueError:
        pass
    found = _YEAR_FIRST.fullmatch(written)
    parts: tuple[str, ...] | None = found.group(1, 3, 4) if found else None
    if parts is None and (chinese := _CHINESE_DATE.fullmatch(written)):
        parts = chinese.groups()
    if parts is not None:
        try:
            return date(*map(int, parts))
        except ValueError:
            pass  # 2026/2/30
    declared = f", or {date_format}" if date_format else ""
    raise ValueError(f"'{value}' is not a date ({DATE_FORMS}{declared})")


def moment(value: str, date_format: str | None = None) -> datetime:
    """A point in time: ISO 8601, or a date as `day` reads it and an optional time (H:MM[:SS])."""
    written = text(value)
    try:
        return datetime.fromisoformat(written)
    except ValueError:
        pass
    head, _, tail = written.rpartition(" ")
    clock = _TIME.fullmatch(tail) if head else None
    try:
        if clock is None:
            return datetime.combine(day(written, date_format), time())
        hour, minute, second, fraction = clock.groups()
        at = time(int(hour), int(minute), int(second or 0), int((fraction or "0").ljust(6, "0")))
        return datetime.combine(day(head.strip(), date_format), at)
    except ValueError:
        raise ValueError(
            f"'{value}' is not a date and time (ISO 8601, e.g. 2024-05-01T09:30:00Z, "
            "or a date and H:MM[:SS], e.g. 2024/5/1 9:30)"
        ) from None
