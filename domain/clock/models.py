"""The business date: 'today' for every computation that depends on it."""

from tortoise import fields
from tortoise.models import Model


class BusinessDay(Model):
    """The single row holding the institution's current business date."""

    id = fields.IntField(primary_key=True)
    current = fields.DateField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "business_day"
