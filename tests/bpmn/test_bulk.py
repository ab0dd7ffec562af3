"""Collections started in bulk: the rows one-by-one starts write, each instance exactly once."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest

from bpmn import bulk, collection_strategy, collections, deployments, runner
from bpmn.deployments import deploy_bundled
from domain import faults
from domain.clock import service as clock
from domain.customer.models import Customer, CustomerTag, Tag
from domain.db import is_postgres
from domain.enums import Channel, RiskRating
from domain.loan import service as loans
from domain.loan.models import Loan, LoanStatus
from domain.outreach.models import OutboxMessage
from domain.process.models import ProcessInstance, ProcessWait, TaskEvent, WorkTask
from domain.profile import assignment
from domain.reports.models import CollectionCase
from domain.statements import count_statements
from tests import factories
from tests.conftest import TODAY
from tests.faults.dump import Rows, differences, dump

# disbursed on: first installment due a month later, unpaid on 2026-06-15
M1, M2, M3 = date(2026, 5, 10), date(2026, 4, 10), date(2026, 3, 1)
RISKS = (RiskRating.LOW, RiskRating.MEDIUM, RiskRating.HIGH, None)
SEGMENTS = ("CHAMPIONS", "LOST", None, "LOYAL")


async def _portfolio(customers: int = 14) -> None:
    """Past-due loans of every bucket, risk and value, a few customers with two of them."""
    await factories.user("col_sh1", ["collector"], branch="SH")
    await factories.user("col_sh2", ["collector"], branch="SH")
    await factories.user("col_bj", ["collector"], branch="BJ")
    strategic, _ = await Tag.get_or_create(name=assignment.STRATEGIC)
    for n in range(customers):
        contact: dict[str, Any] = (
            {"email": f"c{n}@example.com", "phone": None} if n % 5 == 4 else
            {"phone": f"1390000{n:04d}", "preferred_channel": Channel.SMS}
        )  # fmt: skip
        owner = await factories.customer(f"客户{n}", branch="SH" if n % 3 else "BJ", **contact)
        await Customer.filter(id=owner.id).update(
            risk_rating=RISKS[n % 4], rfm_segment=SEGMENTS[n % 4 if n % 7 else 2]
        )
        if n % 6 == 5:
            await CustomerTag.create(customer_id=owner.id, tag_id=strategic.id)
        await factories.loan(owner, disbursed_on=(M1, M2, M3)[n % 3])
        if n % 4 == 1:
            await factories.loan(owner, disbursed_on=M1, principal="5000.00")
    await factories.loan(await factories.customer("准时"), disbursed_on=date(2026, 6, 1))
    await loans.refresh_delinquency(TODAY)


async def _one_by_one() -> list[runner.InstanceView]:
    """How collections started before bulk starts: runner.start and a case, loan by loan."""
    started = []
    for loan in await Loan.filter(status=LoanStatus.ACTIVE, days_past_due__gt=0).order_by("id"):
        data = await collections.start_data(loan)
        view = await runner.start(collections.PROCESS_ID, data, business_key=f"loan:{loan.id}")
        # an instance resting at a timer of its cycle shows no strategy: the table says it
        definition = await deployments.require_in_force(collections.PROCESS_ID)
        strategy = view.data.get("strategy") or collection_strategy.of_version(definition).of(data)
        await CollectionCase.create(
            loan_id=loan.id, customer_id=loan.customer_id, instance_id=view.id,  # type: ignore[attr-defined]
            strategy=str(strategy) if strategy else None, bucket=loan.bucket,
            opened_at=await clock.now(),
        )  # fmt: skip
        started.append(view)
    return started


async def _forget() -> None:
    """Back to before the starts: no instances, cases or messages, no collectors assigned."""
    for model in (CollectionCase, TaskEvent, ProcessWait, WorkTask, OutboxMessage):
        await model.all().delete()
    await ProcessInstance.all().delete()
    await Loan.all().update(collector_id=None)


def _natural(value: Any, messages: dict[int, tuple[str, str]]) -> Any:
    if isinstance(value, dict):
        return {
            k: messages.get(v, ("missing", v)) if k == "message_id" else _natural(v, messages)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_natural(v, messages) for v in value]
    return value


async def _states() -> dict[str, Any]:
    """Each instance's data, journal answers and waits as a user sees them (ids as names)."""
    keys = dict(await ProcessInstance.all().values_list("id", "business_key"))
    messages = {
        m.id: (keys[m.process_instance_id], m.dedupe_key.split(":")[2])
        for m in await OutboxMessage.all()
    }
    out = {}
    for row in await ProcessInstance.all():
        state = row.state or {}
        answers = sorted(
            (k.split(":")[0], _natural(v, messages)) for k, v in state["services"].items()
        )
        out[row.business_key] = (row.status, row.revision, row.error, state["messages"],
                                 _natural(state["data"], messages), repr(answers))  # fmt: skip
    return out


async def _everything(url: str) -> tuple[Rows, dict[str, Any]]:
    return await dump(url), await _states()


async def test_a_bulk_start_writes_what_one_by_one_starts_write(db: str) -> None:
    await deploy_bundled()
    await _portfolio()
    reference = await _one_by_one()
    want = await _everything(db)
    await _forget()
    with count_statements() as log:
        started = await collections.start_for_past_due(limit=1_000_000)
    got = await _everything(db)
    assert len(started) == len(reference) == 18
    assert not (diff := differences(got[0], want[0])), "\n".join(diff)
    assert got[1] == want[1]
    assert {v.business_key: [t.element_id for t in v.open_tasks] for v in started} == {
        v.business_key: [t.element_id for t in v.open_tasks] for v in reference
    }
    # set-based: the statements do not grow with the instances (one by one: ~30 each)
    assert log.count < 80, log.count
    # every case has its strategy, those waiting for a contact window too
    strategies = {c.strategy for c in await CollectionCase.all()}
    assert strategies == {"GENTLE", "STANDARD", "INTENSIVE", "LEGAL"}


async def test_a_second_bulk_start_starts_nothing_more(db: str) -> None:
    await deploy_bundled()
    await _portfolio(6)
    first = await collections.start_for_past_due(limit=1_000_000)
    rows = await dump(db)
    again = await collections.start_for_past_due(limit=1_000_000)
    assert len(first) == 8 and again == []
    assert not differences(await dump(db), rows)
    # the keys are claimed in the database too: a start that skips no running key adds none
    starts = [bulk.Start(v.business_key, {"loan_id": 0, "customer_id": 0}) for v in first]
    assert await bulk.start_many(collections.PROCESS_ID, starts) == []
    assert not differences(await dump(db), rows)


async def test_a_fault_in_a_batch_rolls_the_batch_back_and_a_rerun_completes_it(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await deploy_bundled()
    await _portfolio()
    reference = await _one_by_one()
    want = await _everything(db)
    await _forget()
    monkeypatch.setenv(faults.FAULT_ENV, "daily.collections.started")
    monkeypatch.setenv(faults.FAULT_ACTION_ENV, "raise")
    monkeypatch.setenv(faults.FAULT_AFTER_ENV, "3")
    monkeypatch.setattr(faults, "_passed", {})
    with pytest.raises(faults.FaultInjected):
        await collections.start_for_past_due(limit=1_000_000)
    for model in (ProcessInstance, CollectionCase, OutboxMessage, WorkTask, TaskEvent):
        assert await model.all().count() == 0, model  # nothing of the batch, not even half
    assert await Loan.filter(collector_id__isnull=False).count() == 0
    monkeypatch.delenv(faults.FAULT_ENV)
    assert len(await collections.start_for_past_due(limit=1_000_000)) == len(reference)
    got = await _everything(db)
    assert not (diff := differences(got[0], want[0])), "\n".join(diff)
    assert got[1] == want[1]


async def test_two_bulk_starts_at_once_start_each_instance_once(db: str) -> None:
    if not is_postgres(db):
        pytest.skip("SQLite serialises writers; concurrent workers run on PostgreSQL")
    await deploy_bundled()
    await _portfolio()
    first, second = await asyncio.gather(
        collections.start_for_past_due(limit=1_000_000),
        collections.start_for_past_due(limit=1_000_000),
    )
    assert sorted(v.business_key for v in first + second) == sorted(
        f"loan:{loan.id}" for loan in await Loan.filter(days_past_due__gt=0)
    )
    assert await ProcessInstance.all().count() == await CollectionCase.all().count() == 18
    assert await OutboxMessage.all().count() == 18  # one reminder each
