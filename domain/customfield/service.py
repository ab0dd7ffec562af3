"""Defining custom fields and validating their values on every write."""

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from domain.customer.validation import parse_decimal
from domain.customfield.models import CustomFieldDefinition, CustomFieldValue, FieldType
from domain.errors import ConflictError, Problems

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


async def define(
    *,
    name: str,
    field_type: FieldType,
    label: str = "",
    required: bool = False,
    allowed_values: list[str] | None = None,
) -> CustomFieldDefinition:
    """Define a new custom field for customers."""
    problems = Problems()
    if not _NAME.fullmatch(name):
        problems.add("name", "must be lower_snake_case, starting with a letter, at most 64 long")
    if field_type == FieldType.CHOICE and not allowed_values:
        problems.add("allowed_values", "a CHOICE field needs at least one allowed value")
    if field_type != FieldType.CHOICE and allowed_values:
        problems.add("allowed_values", "only CHOICE fields have allowed values")
    problems.raise_if_any()
    if await CustomFieldDefinition.exists(name=name):
        raise ConflictError(f"custom field '{name}' already exists")
    return await CustomFieldDefinition.create(
        name=name,
        label=label or name,
        field_type=field_type,
        required=required,
        allowed_values=list(allowed_values or []),
    )


async def definitions() -> dict[str, CustomFieldDefinition]:
    """Every custom field definition by name."""
    return {d.name: d for d in await CustomFieldDefinition.all()}


def canonical(
    definition: CustomFieldDefinition, value: Any, problems: Problems, where: str
) -> tuple[str, Decimal | None] | None:
    """The stored text (and number, if numeric) of a value, or None with a recorded problem."""
    kind = definition.field_type
    if kind == FieldType.BOOLEAN:
        if isinstance(value, bool):
            return ("true" if value else "false"), None
        text = str(value).strip().lower()
        if text in ("true", "false"):
            return text, None
        problems.add(where, f"'{value}' is not true or false")
        return None
    if kind in (FieldType.INTEGER, FieldType.DECIMAL):
        if isinstance(value, bool):
            problems.add(where, f"'{value}' is not a number")
            return None
        number = parse_decimal(value, where, problems)
        if number is None:
            return None
        if kind == FieldType.INTEGER and number != number.to_integral_value():
            problems.add(where, f"'{value}' is not a whole number")
            return None
        return (str(int(number)) if kind == FieldType.INTEGER else str(number)), number
    text = str(value).strip()
    if kind == FieldType.DATE:
        try:
            return date.fromisoformat(text).isoformat(), None
        except ValueError:
            problems.add(where, f"'{value}' is not a date (YYYY-MM-DD)")
            return None
    if kind == FieldType.CHOICE and text not in definition.allowed_values:
        allowed = ", ".join(map(str, definition.allowed_values))
        problems.add(where, f"'{value}' is not one of {allowed}")
        return None
    if len(text) > 1000:
        problems.add(where, "must be at most 1000 characters")
        return None
    return text, None


def clean_values(
    values: Mapping[str, Any],
    defs: Mapping[str, CustomFieldDefinition],
    problems: Problems,
    *,
    existing: set[str] | None = None,
) -> dict[str, tuple[str, Decimal | None] | None]:
    """Validated values by field name (None = remove); checks required fields are present."""
    out: dict[str, tuple[str, Decimal | None] | None] = {}
    for name, value in values.items():
        where = f"custom_fields.{name}"
        definition = defs.get(name)
        if definition is None:
            problems.add(where, "is not a defined custom field")
            continue
        if value is None or value == "":
            if definition.required:
                problems.add(where, "is required")
            out[name] = None
            continue
        cleaned = canonical(definition, value, problems, where)
        if cleaned is not None:
            out[name] = cleaned
    present = set(existing or ()) | {n for n, v in out.items() if v is not None}
    present -= {n for n, v in out.items() if v is None}
    for name, definition in defs.items():
        if definition.required and name not in present and name not in values:
            problems.add(f"custom_fields.{name}", "is required")
    return out


async def store(
    customer_id: int,
    cleaned: Mapping[str, tuple[str, Decimal | None] | None],
    defs: Mapping[str, CustomFieldDefinition],
) -> None:
    """Write validated values of one customer (inside the caller's transaction)."""
    for name, value in cleaned.items():
        field_id = defs[name].id
        if value is None:
            await CustomFieldValue.filter(customer_id=customer_id, field_id=field_id).delete()
            continue
        await CustomFieldValue.update_or_create(
            customer_id=customer_id,
            field_id=field_id,
            defaults={"value_text": value[0], "value_number": value[1]},
        )


def typed(definition: CustomFieldDefinition, text: str) -> Any:
    """A stored value in its JSON form (numbers as numbers, booleans as booleans)."""
    if definition.field_type == FieldType.BOOLEAN:
        return text == "true"
    if definition.field_type == FieldType.INTEGER:
        return int(text)
    return text
