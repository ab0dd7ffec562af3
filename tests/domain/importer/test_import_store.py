"""The importer's fast unsaved instances must match what the models' constructors build."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from tortoise.models import Model

from domain.customer.models import Customer, CustomerExternalRef
from domain.customfield.models import CustomFieldValue
from domain.enums import CustomerKind
from domain.importer.store import unsaved
from domain.interaction.models import Direction, Interaction, InteractionChannel, InteractionType
from domain.loan.models import Installment, Loan


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (Customer, {"id": 7, "name": "甲", "kind": CustomerKind.PERSON, "phone": "13800000001"}),
        (CustomerExternalRef, {"customer_id": 7, "source": "core", "external_id": "C1"}),
        (
            CustomFieldValue,
            {"customer_id": 7, "field_id": 1, "value_text": "2", "value_number": Decimal(2)},
        ),
        (
            Loan,
            {
                "id": 3,
                "customer_id": 7,
                "product_id": 1,
                "principal": Decimal("10.00"),
                "annual_rate": Decimal("0.1"),
                "term_months": 1,
                "method": "EQUAL_PRINCIPAL",
                "disbursed_on": date(2026, 1, 1),
                "outstanding_principal": Decimal("10.00"),
            },
        ),
        (
            Installment,
            {
                "loan_id": 3,
                "seq": 1,
                "due_date": date(2026, 2, 1),
                "principal_due": Decimal("10.00"),
                "interest_due": Decimal("0.08"),
            },
        ),
        (
            Interaction,
            {
                "customer_id": 7,
                "channel": InteractionChannel.SMS,
                "direction": Direction.INBOUND,
                "type": InteractionType.MESSAGE,
            },
        ),
    ],
)
async def test_unsaved_matches_the_model_constructor(
    orm: str, model: type[Model], values: dict[str, Any]
) -> None:
    assert unsaved(model, **values).__dict__ == model(**values).__dict__


def test_unsaved_refuses_unknown_columns() -> None:
    with pytest.raises(ValueError, match="no column"):
        unsaved(CustomerExternalRef, nope=1)
