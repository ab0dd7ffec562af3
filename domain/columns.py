"""What a column can hold, checked before any SQL runs, from the column's own definition.

Tortoise validates a value on its way to the database, both when a row is saved and when it
is compared in a filter (`to_db_value`), and CharField checks its `max_length` there. `guard`
adds the rest of what each column declares: integer ranges (16, 32, 64 bits), decimal digits
(`max_digits`, `decimal_places`), an enum column's values, no NUL character in text
(PostgreSQL refuses it, SQLite would keep it), JSON of bounded depth and size. `problem_of`
turns the resulting error into a ValidationError that names the field and the limit, so
every layer answers the same way on both databases.
"""

import importlib
from decimal import Decimal
from enum import Enum
from typing import Any

from tortoise import fields
from tortoise.exceptions import ValidationError as TortoiseValidationError
from tortoise.fields.data import CharEnumFieldInstance, IntEnumFieldInstance
from tortoise.models import Model
from tortoise.validators import MaxLengthValidator, Validator

from domain.errors import ValidationError

JSON_DEPTH = 32  # nesting a stored JSON value may have (encoders recurse per level)
JSON_ITEMS = 100_000  # values in one stored JSON document
_guarded: set[type[Model]] = set()


class ColumnError(TortoiseValidationError):
    """A value the column cannot hold; `reason` says why, without echoing the value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ColumnCheck(Validator):
    """A check this module installed."""


class Length(MaxLengthValidator, ColumnCheck):
    """At most `max_length` characters (Tortoise's own check, with a reason that names it)."""

    def __call__(self, value: str) -> None:
        if value is not None and len(value) > self.max_length:
            raise ColumnError(f"must be at most {self.max_length} characters")


class NoNul(ColumnCheck):
    """Text without NUL characters."""

    def __call__(self, value: Any) -> None:
        if isinstance(value, str) and "\x00" in value:
            raise ColumnError("must not contain NUL characters")


class IntRange(ColumnCheck):
    """An integer inside the column's range."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def __call__(self, value: Any) -> None:
        if isinstance(value, int) and not self.low <= value <= self.high:
            raise ColumnError(f"must be between {self.low} and {self.high}")


class Digits(ColumnCheck):
    """A finite decimal with at most `max_digits - decimal_places` digits before the point."""

    def __init__(self, max_digits: int, decimal_places: int) -> None:
        self.whole = max_digits - decimal_places
        self.limit = Decimal(10) ** self.whole

    def __call__(self, value: Any) -> None:
        if isinstance(value, float | int):
            value = Decimal(str(value))
        if not isinstance(value, Decimal):
            return
        if not value.is_finite():
            raise ColumnError("must be a finite number")
        if abs(value) >= self.limit:
            raise ColumnError(f"must have at most {self.whole} digits before the decimal point")


class JsonShape(ColumnCheck):
    """A JSON value of bounded depth and size, whose numbers every encoder can write."""

    def __call__(self, value: Any) -> None:
        problem = json_problem(value)
        if problem is not None:
            raise ColumnError(problem)


def json_problem(value: Any) -> str | None:
    """Why a JSON value cannot be kept (too deep, too large, a number beyond 64 bits), or None."""
    depth, level, count = 0, [value], 0
    while level:
        nested: list[Any] = []
        for item in level:
            count += 1
            if isinstance(item, dict):
                nested.extend(item.values())
            elif isinstance(item, list | tuple):
                nested.extend(item)
            elif isinstance(item, int) and not -(2**63) <= item < 2**64:
                return "has a number beyond 64 bits"
        if count > JSON_ITEMS:
            return f"must have at most {JSON_ITEMS} values"
        if nested:
            depth += 1
            if depth > JSON_DEPTH:
                return f"must be nested at most {JSON_DEPTH} levels deep"
        level = nested
    return None


def decimal_whole_digits(modules: list[str]) -> int:
    """The most digits before the point that any decimal column of these modules holds."""
    return max(
        field.max_digits - field.decimal_places
        for model in _models(modules)
        for field in model._meta.fields_map.values()
        if isinstance(field, fields.DecimalField)
    )


class Member(ColumnCheck):
    """One of an enum column's values."""

    def __init__(self, enum: type[Enum]) -> None:
        self.enum = enum
        self.values = {m.value for m in enum}

    def __call__(self, value: Any) -> None:
        if not isinstance(value, self.enum) and value not in self.values:
            shown = ", ".join(str(v) for v in sorted(self.values, key=str))
            raise ColumnError(f"must be one of {shown}")


def _validators(field: fields.Field[Any]) -> list[Validator]:
    if isinstance(field, CharEnumFieldInstance | IntEnumFieldInstance):
        return [Member(field.enum_type)]
    if isinstance(field, fields.CharField | fields.TextField):
        return [NoNul()]
    if isinstance(field, fields.IntField):  # Small and BigInt derive from it
        return [IntRange(field.constraints["ge"], field.constraints["le"])]
    if isinstance(field, fields.DecimalField):
        return [Digits(field.max_digits, field.decimal_places)]
    if isinstance(field, fields.JSONField):
        return [JsonShape()]
    return []


def guard_model(model: type[Model]) -> None:
    """Give every field of a model the validators its column definition implies (once).

    A foreign key's `…_id` field, made when Tortoise initialises, shares the validator list
    of the primary key it points at, so guarding before `Tortoise.init` covers it too.
    """
    if model in _guarded:
        return
    for field in model._meta.fields_map.values():
        if any(isinstance(v, ColumnCheck) for v in field.validators):
            continue  # a list shared with a field already guarded
        field.validators[:] = [
            Length(v.max_length) if type(v) is MaxLengthValidator else v for v in field.validators
        ]
        field.validators.extend(_validators(field))
    _guarded.add(model)


def _models(modules: list[str]) -> list[type[Model]]:
    found = []
    for name in modules:
        for value in vars(importlib.import_module(name)).values():
            is_model = isinstance(value, type) and issubclass(value, Model) and value is not Model
            if is_model and not value._meta.abstract:
                found.append(value)
    return found


def guard(modules: list[str]) -> None:
    """Guard every model defined in the given modules."""
    for model in _models(modules):
        guard_model(model)


def problem_of(exc: TortoiseValidationError) -> ValidationError:
    """The validation error, naming the field, of a value a column refused."""
    field, _, _ = str(exc).partition(":")
    cause = exc.__cause__ if isinstance(exc.__cause__, ColumnError) else exc
    reason = cause.reason if isinstance(cause, ColumnError) else "is not a value this field holds"
    return ValidationError.single(field.strip() or "input", reason)
