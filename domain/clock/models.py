"""The business date: 'today' for every computation that depends on it."""

from tortoise import fields
from tortoise.models import Model


class BusinessDay(Model):
    """The single row holding the institution's current business date."""

    id = fields.IntField(primary_key=True)
    current = fields.DateField()
    # demo and tests: a fixed local time of day (HH:MM:SS) instead of the wall clock's
    pinned_time = fields.CharField(max_length=8, null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "business_day"
