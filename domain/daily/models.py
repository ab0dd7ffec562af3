"""The daily work of a business date, step by step, each step done once."""

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class DailyStepStatus(StrEnum):
    """Where a step of a business date's daily run stands."""

    DONE = "DONE"
    FAILED = "FAILED"


class DailyRun(Model):
    """One step of the daily work for one business date, done once.

    A worker runs a step inside a transaction holding this row's lock, so a second worker
    waits its turn (or, on PostgreSQL, skips the date for now), and a crash leaves the step
    to be run again. Steps are idempotent, so running one twice changes nothing.
    """

    id = fields.IntField(primary_key=True)
    business_date = fields.DateField()
    step = fields.CharField(max_length=32)
    status = fields.CharEnumField(DailyStepStatus, max_length=8, null=True)
    detail: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "daily_run"
        unique_together = (("business_date", "step"),)
