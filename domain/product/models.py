"""Loan products: how they amortize and within which bounds they lend."""

from tortoise import fields
from tortoise.models import Model

from domain.loan.schedule import AmortizationMethod


class Product(Model):
    """A loan product offered to customers."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=128)
    method = fields.CharEnumField(AmortizationMethod, max_length=32)
    min_rate = fields.DecimalField(max_digits=8, decimal_places=6)
    max_rate = fields.DecimalField(max_digits=8, decimal_places=6)
    min_term = fields.IntField()
    max_term = fields.IntField()
    min_amount = fields.DecimalField(max_digits=16, decimal_places=2)
    max_amount = fields.DecimalField(max_digits=16, decimal_places=2)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "product"
