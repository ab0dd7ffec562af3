"""Month-end loan positions (for roll and cure rates) and the dashboards users build."""

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.loan.models import Loan
    from domain.user.models import User


class LoanMonthEnd(Model):
    """Where a loan stood at a month's end, and where it stood at the month's end before.

    Loans that closed or were charged off during the month have a row too, with the bucket
    CLOSED or CHARGED_OFF and nothing outstanding, so every balance of the month before is
    accounted for (cured, rolled, stayed, closed or lost).
    """

    id = fields.IntField(primary_key=True)
    month_end = fields.DateField()
    loan: fields.ForeignKeyRelation["Loan"] = fields.ForeignKeyField(
        "lendgraph.Loan", related_name="month_ends", on_delete=fields.CASCADE
    )
    customer_id = fields.IntField()
    bucket = fields.CharField(max_length=16)
    days_past_due = fields.IntField()
    outstanding = fields.DecimalField(max_digits=16, decimal_places=2)
    prev_bucket = fields.CharField(max_length=16, null=True)
    prev_outstanding = fields.DecimalField(max_digits=16, decimal_places=2, null=True)

    class Meta:
        table = "loan_month_end"
        unique_together = (("month_end", "loan_id"),)
        indexes = (("month_end", "bucket"), ("customer_id",))


class LoanMonthSummary(Model):
    """The month-end positions of one month, summed by product, bucket and bucket before.

    Kept by the daily run with the positions (one grouped statement a month), so roll and
    cure rates over the whole portfolio read a few hundred rows instead of every loan's.
    """

    id = fields.IntField(primary_key=True)
    month_end = fields.DateField(db_index=True)
    product_id = fields.IntField()
    bucket = fields.CharField(max_length=16)
    prev_bucket = fields.CharField(max_length=16, null=True)
    loans = fields.IntField()
    outstanding = fields.DecimalField(max_digits=18, decimal_places=2)
    prev_outstanding = fields.DecimalField(max_digits=18, decimal_places=2, null=True)

    class Meta:
        table = "loan_month_summary"


class Board(Model):
    """A dashboard: tiles of measure, dimension, chart and filters, shared with roles."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    owner: fields.ForeignKeyRelation["User"] = fields.ForeignKeyField(
        "lendgraph.User", related_name="boards", on_delete=fields.CASCADE
    )
    tiles: fields.Field[list[dict[str, Any]]] = fields.JSONField()
    shared_with: fields.Field[list[str]] = fields.JSONField(default=list)  # role names
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "board"


class CollectionCase(Model):
    """A loan's collections case: when it opened, in which bucket, with which strategy.

    Written when the collections process starts for a past-due loan (the strategy is the
    decision table's answer), so contacts, recoveries and cures can be counted by strategy.
    """

    id = fields.IntField(primary_key=True)
    loan: fields.ForeignKeyRelation["Loan"] = fields.ForeignKeyField(
        "lendgraph.Loan", related_name="collection_cases", on_delete=fields.CASCADE
    )
    customer_id = fields.IntField(db_index=True)
    instance_id = fields.IntField(unique=True)
    strategy = fields.CharField(max_length=32, null=True)
    bucket = fields.CharField(max_length=16)
    opened_at = fields.DatetimeField()

    class Meta:
        table = "collection_case"
        indexes = (("loan_id",),)
