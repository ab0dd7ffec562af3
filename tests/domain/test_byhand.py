"""Statements written by hand store and read exactly what Tortoise's own queries do."""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError, ValidationError
from tortoise.transactions import in_transaction

from domain import byhand
from domain.application.models import Application, ApplicationChannel, ApplicationStatus
from domain.loan import service as loans
from domain.loan.models import Installment
from domain.loan.schedule import AmortizationMethod, first_due_date, schedule_for
from tests import factories

DECIDED = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)


async def _stored(table: str, pk: int) -> dict[str, object]:
    """A row as the database holds it, with the driver's own types (no model in between)."""
    _, rows = await connections.get("default").execute_query(
        f"SELECT * FROM {table} WHERE id = {int(pk)}"
    )
    return {k: v for k, v in dict(rows[0]).items() if k != "id"}


async def _application(owner_id: int | None = None) -> Application:
    if owner_id is None:
        owner_id = (await factories.customer()).id
    product = await factories.product()
    return await Application.create(
        customer_id=owner_id, product_id=product.id, channel=ApplicationChannel.APP,
        amount=Decimal("20000.00"), term_months=24, status=ApplicationStatus.SUBMITTED,
        submitted_at=datetime(2026, 3, 1, tzinfo=UTC), risk_lane=None,
    )  # fmt: skip


async def test_a_row_read_by_hand_is_the_model_tortoise_reads(db: str) -> None:
    # given an application with decimals, an enum, times and an empty column
    application = await _application()
    # when it is read by a statement written once and by Tortoise
    mine = await byhand.by_id(Application, application.id)
    theirs = await Application.get(id=application.id)
    # then every field holds the same value of the same type
    assert mine is not None
    for name in Application._meta.db_fields:
        assert (getattr(mine, name), type(getattr(mine, name))) == (
            getattr(theirs, name), type(getattr(theirs, name)),
        ), name  # fmt: skip
    assert await byhand.by_id(Application, application.id + 1000) is None


async def test_an_update_by_hand_stores_what_tortoise_stores(db: str) -> None:
    # given two identical applications
    first = await _application()
    second = await _application(first.customer_id)  # type: ignore[attr-defined]
    values = {"status": ApplicationStatus.CONTRACTED, "decision": "APPROVED",
              "decided_at": DECIDED, "updated_at": DECIDED, "risk_lane": "FAST"}  # fmt: skip
    # when one is updated by Tortoise and the other by hand
    await Application.filter(id=first.id).update(**values)
    changed = await byhand.update(Application, second.id, **values)
    # then the database holds the same values (an enum by value, a time as Tortoise writes it)
    assert changed == 1
    mine, theirs = await _stored("application", second.id), await _stored("application", first.id)
    assert mine == theirs


async def test_an_update_by_hand_refuses_what_its_column_refuses(db: str) -> None:
    application = await _application()
    with pytest.raises(ValidationError):
        await byhand.update(Application, application.id, risk_lane="X" * 33)
    with pytest.raises(ValidationError):
        await byhand.update(Application, application.id, decision_reason="a\x00b")
    stored = await Application.get(id=application.id)
    assert (stored.risk_lane, stored.decision_reason) == (None, None)  # nothing written


async def _schedule(loan_id: int) -> list[dict[str, object]]:
    """A loan's installments as the database holds them, without their own ids."""
    client = connections.get("default")
    mark = "$1" if client.capabilities.dialect == "postgres" else "?"
    _, rows = await client.execute_query(
        f"SELECT * FROM installment WHERE loan_id = {mark} ORDER BY seq",
        [loan_id],
    )
    return [{k: v for k, v in dict(r).items() if k not in ("id", "loan_id")} for r in rows]


@pytest.mark.parametrize("term", [1, 24, 600])
async def test_a_schedule_stored_in_one_statement_is_the_rows_bulk_create_stores(
    db: str, term: int
) -> None:
    # given a loan stored with its schedule (600 months: more rows than one SQLite statement
    # of the schedule takes)
    owner = await factories.customer()
    mine = await factories.loan(owner, principal="120000.00", rate="0.0990", term=term)
    plan = await Installment.filter(loan_id=mine.id).order_by("seq")
    # when the same installments are stored by Tortoise's bulk_create for another loan
    theirs = await factories.loan(owner, principal="1.00", rate="0", term=1)
    await Installment.filter(loan_id=theirs.id).delete()
    await Installment.bulk_create(
        [Installment(loan_id=theirs.id, seq=p.seq, due_date=p.due_date,
                     principal_due=p.principal_due, interest_due=p.interest_due) for p in plan]
    )  # fmt: skip
    # then both hold the same rows, column by column, as the database keeps them
    stored = await _schedule(mine.id)
    assert len(stored) == term
    assert stored == await _schedule(theirs.id)
    assert sum(p.principal_due for p in plan) == Decimal("120000.00")  # to the cent


async def test_a_schedule_with_an_amount_its_column_refuses_stores_nothing(db: str) -> None:
    owner = await factories.customer()
    loan = await factories.loan(owner, term=2)
    await Installment.filter(loan_id=loan.id).delete()
    plan = schedule_for(
        principal=Decimal("100.00"), annual_rate=Decimal("0"), term_months=2,
        first_due=first_due_date(date(2026, 1, 15)), method=AmortizationMethod.EQUAL_INSTALLMENT,
        anchor_day=15,
    )  # fmt: skip
    too_big = [plan[0], replace(plan[1], principal_due=Decimal("1e20"))]
    with pytest.raises(ValidationError):
        await loans.insert_schedule(loan.id, too_big)
    assert await Installment.filter(loan_id=loan.id).count() == 0


def _made(customer_id: int, product_id: int) -> Application:
    return Application(
        customer_id=customer_id, product_id=product_id, channel=ApplicationChannel.BRANCH,
        amount=Decimal("1234.50"), term_months=12, status=ApplicationStatus.SUBMITTED,
        submitted_at=DECIDED, purpose="car", risk_lane=None,
    )  # fmt: skip


async def test_a_row_created_by_hand_is_the_row_tortoise_creates(db: str) -> None:
    # given one application created by Tortoise and the same one made, not saved
    owner = await factories.customer()
    product = await factories.product()
    theirs = _made(owner.id, product.id)
    await theirs.save()
    # when the second is created by hand, with the first's lane set in the same statement
    lane = byhand.updating(Application, theirs.id, risk_lane="FAST")
    mine = await byhand.create(_made(owner.id, product.id), lane)
    # then it has its key, and both rows hold the same columns but the lane and the moments
    # each was stored at
    assert mine.id not in (None, theirs.id) and mine._saved_in_db
    stored, expected = (
        await _stored("application", mine.id),
        await _stored("application", theirs.id),
    )
    assert expected.pop("risk_lane") == "FAST"
    assert stored.pop("risk_lane") is None
    del stored["updated_at"], expected["updated_at"]
    assert stored == expected
    # and the model created is the row Tortoise reads back, field by field
    read = await Application.get(id=mine.id)
    for name in Application._meta.db_fields:
        assert getattr(read, name) == getattr(mine, name), name


async def test_statements_sent_with_a_created_row_name_its_key(db: str) -> None:
    # given a loan made with its schedule and an application whose status the same call sets
    owner = await factories.customer()
    product = await factories.product()
    application = await _application(owner.id)
    disbursed = byhand.updating(Application, application.id, status=ApplicationStatus.DISBURSED)
    # when the loan is created
    loan = await loans.create(
        customer_id=owner.id, product_id=product.id, principal=Decimal("900.00"),
        annual_rate=Decimal("0.12"), term_months=3, method=AmortizationMethod.EQUAL_INSTALLMENT,
        disbursed_on=date(2026, 1, 15), also=[disbursed],
    )  # fmt: skip
    # then its schedule is stored under its key, to the cent, and the application moved on
    rows = await Installment.filter(loan_id=loan.id).order_by("seq")
    assert [r.seq for r in rows] == [1, 2, 3]
    assert sum(r.principal_due for r in rows) == Decimal("900.00")
    assert (await Application.get(id=application.id)).status == ApplicationStatus.DISBURSED


async def test_a_created_row_whose_follower_fails_is_not_kept(db: str) -> None:
    # given an application made, and a statement sent with it that another row's column refuses
    owner = await factories.customer()
    product = await factories.product()
    other = await _application(owner.id)
    before = await Application.all().count()
    broken = (
        "UPDATE application SET term_months = :bad WHERE id = :id",
        {"bad": None, "id": other.id},
    )
    # when it is created inside a transaction, which the failure ends
    with pytest.raises(IntegrityError):
        async with in_transaction():
            await byhand.create(_made(owner.id, product.id), broken)
    # then no application was added
    assert await Application.all().count() == before
