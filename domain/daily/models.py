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


class ChunkStatus(StrEnum):
    """Where a chunk of a step stands."""

    PENDING = "PENDING"
    DONE = "DONE"
    FAILED = "FAILED"


class DailyChunk(Model):
    """A range of customers (ids ``lo`` ≤ id < ``hi``) for one step of one business date.

    A worker claims a chunk with ``FOR UPDATE SKIP LOCKED`` inside the transaction that does
    its work, so every chunk is done once, by whoever comes first. A worker that dies
    mid-chunk loses its transaction and leaves the chunk PENDING for the next one. A chunk
    that fails is FAILED with the error and its attempts, and is taken again by a later run.
    """

    id = fields.IntField(primary_key=True)
    business_date = fields.DateField()
    step = fields.CharField(max_length=32)
    lo = fields.BigIntField()
    hi = fields.BigIntField()
    status = fields.CharEnumField(ChunkStatus, max_length=8, default=ChunkStatus.PENDING)
    detail: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    error = fields.TextField(null=True)
    attempts = fields.IntField(default=0)
    worker = fields.CharField(max_length=96, null=True)
    seconds = fields.FloatField(null=True)
    statements = fields.IntField(null=True)  # sent by the chunk (PostgreSQL)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "daily_chunk"
        unique_together = (("business_date", "step", "lo"),)
