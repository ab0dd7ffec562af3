"""Customer service: validation on write, filters as SQL."""

import pytest

from domain.customer import service
from domain.customer.models import Customer
from domain.customfield import service as custom_fields
from domain.customfield.models import FieldType
from domain.errors import ValidationError

VALID_ID = "11010519491231002X"


async def test_create_validates_every_field_and_stores_nothing_on_error(db: str) -> None:
    # when
    with pytest.raises(ValidationError) as caught:
        await service.create(
            data={"name": " ", "id_number": "110105194912310021", "phone": "12345",
                  "email": "nope", "preferred_channel": "FAX"},
        )  # fmt: skip
    # then
    fields = {p.field for p in caught.value.problems}
    assert fields == {"name", "id_number", "phone", "email", "preferred_channel"}
    assert await Customer.all().count() == 0


async def test_custom_fields_are_validated_and_filterable(db: str) -> None:
    # given
    await custom_fields.define(
        name="occupation", field_type=FieldType.CHOICE, allowed_values=["teacher", "farmer"]
    )
    a = await service.create(
        data={"name": "甲", "id_number": VALID_ID}, custom={"occupation": "teacher"}
    )
    await service.create(data={"name": "乙"}, custom={"occupation": "farmer"})
    # when
    with pytest.raises(ValidationError) as caught:
        await service.create(data={"name": "丙"}, custom={"occupation": "pilot"})
    found = await service.filtered(
        Customer.all(),
        service.CustomerFilter(
            custom_fields=[service.CustomFieldCondition("occupation", ["teacher"])]
        ),
    )
    # then
    assert caught.value.problems[0].field == "custom_fields.occupation"
    assert [c.id for c in found] == [a.id]
