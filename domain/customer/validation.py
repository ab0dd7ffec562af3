"""Checks and normalisation of customer attributes, shared by every write path."""

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.enums import Channel, CustomerKind
from domain.errors import Problems

ID_TYPES = ("RESIDENT_ID", "PASSPORT", "BUSINESS_LICENSE", "OTHER")
_PHONE = re.compile(r"^(1[3-9]\d{9}|\+[1-9]\d{7,14})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECK = "10X98765432"
_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

FIELDS = (
    "kind", "name", "id_type", "id_number", "phone", "email", "birth_date", "address",
    "time_zone", "monthly_income", "branch", "preferred_channel", "consent_sms",
    "consent_app_push", "consent_email", "consent_phone",
)  # fmt: skip


def resident_id_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of a mainland resident ID."""
    total = sum(int(d) * w for d, w in zip(first17, _RESIDENT_WEIGHTS, strict=True))
    return _RESIDENT_CHECK[total % 11]


def is_valid_resident_id(value: str) -> bool:
    """Whether an 18-character resident ID has a valid birth date and check character."""
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return resident_id_check_digit(value[:17]) == value[17]


def _text(value: Any, field: str, problems: Problems, max_len: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > max_len:
        problems.add(field, f"must be at most {max_len} characters")
    return text or None


def _date(value: Any, field: str, problems: Problems) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.add(field, f"'{value}' is not a date (YYYY-MM-DD)")
        return None


def _bool(value: Any, field: str, problems: Problems) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y"):
        return True
    if text in ("false", "0", "no", "n", ""):
        return False
    problems.add(field, f"'{value}' is not true or false")
    return None


def parse_decimal(value: Any, field: str, problems: Problems) -> Decimal | None:
    """A decimal from text or number, or a recorded problem."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        problems.add(field, f"'{value}' is not a number")
        return None
    if not number.is_finite():
        problems.add(field, f"'{value}' is not a finite number")
        return None
    return number


def _check_id_number(id_type: str | None, id_number: str, problems: Problems) -> str:
    normalised = id_number.upper().replace(" ", "")
    if id_type == "RESIDENT_ID" and not is_valid_resident_id(normalised):
        problems.add("id_number", "is not a valid 18-character resident ID")
    elif id_type == "BUSINESS_LICENSE" and not _USCC.fullmatch(normalised):
        problems.add("id_number", "is not a valid unified social credit code")
    return normalised


def clean_customer(
    data: Mapping[str, Any], *, partial: bool, today: date, problems: Problems | None = None
) -> dict[str, Any]:
    """Validate and normalise customer attributes; with `partial` only the given keys."""
    own = problems is None
    problems = problems or Problems()
    out: dict[str, Any] = {}
    unknown = set(data) - set(FIELDS)
    for field in sorted(unknown):
        problems.add(field, "is not a customer attribute")
    given = {k: v for k, v in data.items() if k in FIELDS}
    if not partial or "name" in given:
        name = _text(given.get("name"), "name", problems, 200)
        if not name:
            problems.add("name", "is required")
        out["name"] = name
    if not partial or "kind" in given:
        kind = given.get("kind") or CustomerKind.PERSON
        if str(kind) not in CustomerKind.__members__:
            problems.add("kind", f"'{kind}' is not one of {', '.join(CustomerKind)}")
        else:
            out["kind"] = CustomerKind(str(kind))
    if "id_type" in given or not partial:
        id_type = str(given.get("id_type") or "RESIDENT_ID").upper()
        if id_type not in ID_TYPES:
            problems.add("id_type", f"'{id_type}' is not one of {', '.join(ID_TYPES)}")
        out["id_type"] = id_type
    if given.get("id_number"):
        known_type = out.get("id_type") or given.get("id_type")
        out["id_number"] = _check_id_number(known_type, str(given["id_number"]), problems)
    elif "id_number" in given:
        out["id_number"] = None
    if "phone" in given:
        phone = _text(given["phone"], "phone", problems, 32)
        if phone is not None:
            phone = re.sub(r"[\s-]", "", phone)
            if not _PHONE.fullmatch(phone):
                problems.add("phone", "must be a mainland mobile number or +country number")
        out["phone"] = phone
    if "email" in given:
        email = _text(given["email"], "email", problems, 254)
        if email is not None and not _EMAIL.fullmatch(email):
            problems.add("email", f"'{email}' is not an email address")
        out["email"] = email.lower() if email else None
    if "birth_date" in given:
        born = _date(given["birth_date"], "birth_date", problems)
        if born is not None and not date(1900, 1, 1) <= born <= today:
            problems.add("birth_date", "must be between 1900-01-01 and the business date")
        out["birth_date"] = born
    if "address" in given:
        out["address"] = _text(given["address"], "address", problems, 400)
    if "branch" in given:
        out["branch"] = _text(given["branch"], "branch", problems, 64)
    if "time_zone" in given:
        zone = _text(given["time_zone"], "time_zone", problems, 64) or "Asia/Shanghai"
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.add("time_zone", f"'{zone}' is not a known time zone")
        out["time_zone"] = zone
    if "monthly_income" in given:
        income = parse_decimal(given["monthly_income"], "monthly_income", problems)
        if income is not None and (income < 0 or income != income.quantize(Decimal("0.01"))):
            problems.add("monthly_income", "must be zero or more, in cents")
        out["monthly_income"] = income
    if "preferred_channel" in given:
        channel = given["preferred_channel"]
        if channel in (None, ""):
            out["preferred_channel"] = None
        elif str(channel) not in Channel.__members__:
            problems.add("preferred_channel", f"'{channel}' is not one of {', '.join(Channel)}")
        else:
            out["preferred_channel"] = Channel(str(channel))
    for consent in ("consent_sms", "consent_app_push", "consent_email", "consent_phone"):
        if consent in given:
            flag = _bool(given[consent], consent, problems)
            if flag is not None:
                out[consent] = flag
    if own:
        problems.raise_if_any()
    return out
