"""Fields that administrators add to customers without a release."""

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.customer.models import Customer


class FieldType(StrEnum):
    """The type a custom field's values must have."""

    STRING = "STRING"
    INTEGER = "INTEGER"
    DECIMAL = "DECIMAL"
    BOOLEAN = "BOOLEAN"
    DATE = "DATE"
    CHOICE = "CHOICE"


class CustomFieldDefinition(Model):
    """An administrator-defined customer attribute: name, type, required, allowed values."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    label = fields.CharField(max_length=128, default="")
    field_type = fields.CharEnumField(FieldType, max_length=16)
    required = fields.BooleanField(default=False)
    allowed_values: fields.Field[list[Any]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "custom_field_definition"


class CustomFieldValue(Model):
    """One customer's value of one custom field, kept in a filterable form."""

    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation["Customer"] = fields.ForeignKeyField(
        "lendgraph.Customer", related_name="custom_values", on_delete=fields.CASCADE
    )
    field: fields.ForeignKeyRelation[CustomFieldDefinition] = fields.ForeignKeyField(
        "lendgraph.CustomFieldDefinition", related_name="values", on_delete=fields.CASCADE
    )
    value_text = fields.CharField(max_length=1000, db_index=True)
    value_number = fields.DecimalField(max_digits=24, decimal_places=6, null=True, db_index=True)

    class Meta:
        table = "custom_field_value"
        unique_together = (("customer", "field"),)
