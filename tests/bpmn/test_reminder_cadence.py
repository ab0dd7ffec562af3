"""The reminder cadence is the deployed table: an analyst's edit decides the next run."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bpmn import daily, definitions, deployments, reminders
from bpmn.deployments import BUNDLED
from domain.customer.models import Customer, CustomerTag, Tag
from domain.enums import Channel, RiskRating
from domain.errors import ValidationError
from domain.loan.models import Installment
from domain.outreach import reminders as queue
from domain.outreach.models import MessagePurpose, OutboxMessage
from tests import factories
from tests.conftest import TODAY

CADENCE = (BUNDLED / "reminder_cadence.dmn").read_text()
DIAGRAM = (BUNDLED / "pre_due_reminders.bpmn").read_bytes()


def _edited() -> str:
    """T-10 instead of T-7 for everyone; T-5 and T-2 for HIGH risk rather than for late payers."""
    edits = {
        "<text>? in (7, 3, 1)</text>": "<text>? in (10, 3, 1)</text>",
        "<text>? not in (7, 5, 3, 2, 1)</text>": "<text>? not in (10, 5, 3, 2, 1)</text>",
        '"rule_habitual_late_habitual_late"><text>True</text>':
            '"rule_habitual_late_habitual_late"><text></text>',
        '"rule_habitual_late_risk_rating"><text></text>':
            '"rule_habitual_late_risk_rating"><text>"HIGH"</text>',
        '"rule_punctual_habitual_late"><text>? is not True</text>':
            '"rule_punctual_habitual_late"><text></text>',
        '"rule_punctual_risk_rating"><text></text>':
            '"rule_punctual_risk_rating"><text>? != "HIGH"</text>',
    }  # fmt: skip
    text = CADENCE
    for old, new in edits.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


async def _borrower(name: str, due: date, rating: RiskRating, *, late: bool = False) -> int:
    """A borrower whose first installment falls due on ``due``; its id."""
    owner = await factories.customer(name, phone=f"1350000{abs(hash(name)) % 10000:04d}",
                                     preferred_channel=Channel.SMS)  # fmt: skip
    await Customer.filter(id=owner.id).update(risk_rating=rating)
    loan = await factories.loan(owner, disbursed_on=due - timedelta(days=31))
    first = await Installment.get(loan_id=loan.id, seq=1)
    assert first.due_date == due, (first.due_date, due)
    if late:
        tag, _ = await Tag.get_or_create(name=queue.LATE_TAG)
        await CustomerTag.create(customer_id=owner.id, tag_id=tag.id, explanation="late 6 of 6")
    return first.id


async def _keys() -> set[str]:
    rows = OutboxMessage.filter(purpose=MessagePurpose.REMINDER).values_list(
        "dedupe_key", flat=True
    )
    return {str(k) for k in await rows}  # type: ignore[call-overload]


async def test_an_edited_cadence_decides_the_next_run(shipped_processes: str) -> None:
    # given: borrowers 10, 7 and 5 days before a due date (TODAY is 2026-06-15)
    ten = await _borrower("甲", date(2026, 6, 25), RiskRating.LOW)
    seven = await _borrower("乙", date(2026, 6, 22), RiskRating.LOW)
    high = await _borrower("丙", date(2026, 6, 20), RiskRating.HIGH)
    late = await _borrower("丁", date(2026, 6, 20), RiskRating.LOW, late=True)
    # when: the shipped cadence runs
    assert await reminders.run(TODAY) == {"queued": 2, "already_queued": 0}
    # then: T-7 for everyone, T-5 for the habitually late only
    assert await _keys() == {f"reminder:{seven}:T-7", f"reminder:{late}:T-5"}
    # when: an analyst deploys T-10 for everyone, and T-5 for HIGH risk instead of late payers
    await deployments.deploy(DIAGRAM, [_edited().encode()], deployed_by="analyst")
    # then: the same date's run follows the new version; what was queued stays queued
    assert await reminders.run(TODAY) == {"queued": 2, "already_queued": 0}
    assert await _keys() == {
        f"reminder:{seven}:T-7", f"reminder:{late}:T-5",
        f"reminder:{ten}:T-10", f"reminder:{high}:T-5",
    }  # fmt: skip
    body = (await OutboxMessage.get(dedupe_key=f"reminder:{ten}:T-10")).body
    assert "2026-06-25" in body and "还有 10 天" in body


async def test_the_table_runs_once_per_combination_not_per_borrower(shipped_processes: str) -> None:
    # given: twelve alike borrowers over three due dates, and the version in force
    for n in range(12):
        await _borrower(f"客户{n}", date(2026, 6, 16 + 3 * (n % 3)), RiskRating.MEDIUM)
    definition = await deployments.require_in_force(reminders.PROCESS_ID)
    cadence = reminders.of_bundle(definitions.bundle(definition), "pre_due_reminders v1")
    # when
    assert await queue.produce(TODAY, cadence) == {"queued": 8, "already_queued": 0}
    # then: T-1 and T-7 are reminded (4 each), T-4 is not; the days it may remind on were found
    # once, asking every kind of customer at most once per day
    assert await cadence.days() == {1, 2, 3, 5, 7}
    asked = set(cadence.decided)
    kinds = 2 * len(reminders.RATINGS) * len(reminders.SEGMENT_NAMES)
    assert len(asked) <= kinds * queue.HORIZON
    # when: twelve more borrowers of the same kind, and the next date
    for n in range(12):
        await _borrower(f"新客户{n}", date(2026, 6, 17 + 3 * (n % 3)), RiskRating.MEDIUM)
    assert await queue.produce(TODAY + timedelta(days=1), cadence) == {
        "queued": 12, "already_queued": 0,
    }  # fmt: skip  # T-1 and T-7 for the new ones, T-3 for the first ones due 06-19
    # then: only the day and kind not met before was asked (T-3 of a punctual MEDIUM borrower)
    assert set(cadence.decided) - asked == {(3, False, "MEDIUM", None)}


async def test_a_cadence_that_answers_nothing_for_a_day_stops_the_run_and_says_where(
    shipped_processes: str,
) -> None:
    # given: a table with no rule for four days before a due date, and a borrower then
    gap = CADENCE.replace("? not in (7, 5, 3, 2, 1)", "? not in (7, 5, 4, 3, 2, 1)")
    await deployments.deploy(DIAGRAM, [gap.encode()], deployed_by="analyst")
    await _borrower("戊", date(2026, 6, 19), RiskRating.LOW)
    await _borrower("己", date(2026, 6, 22), RiskRating.LOW)
    # when / then: nothing is queued, and the error names the version and the inputs
    with pytest.raises(ValidationError) as failed:
        await reminders.run(TODAY)
    assert "pre_due_reminders v2" in str(failed.value)
    assert "days_before_due=4" in str(failed.value) and "remind=None" in str(failed.value)
    assert await _keys() == set()


async def test_a_retired_cadence_stops_the_reminders_and_says_who_retired_it(
    shipped_processes: str,
) -> None:
    # given: a borrower seven days before a due date, and the cadence retired
    await _borrower("庚", date(2026, 6, 22), RiskRating.LOW)
    await deployments.retire(reminders.PROCESS_ID, retired_by="ana")
    # when: the daily run
    report = await daily.run(TODAY)
    # then: the reminders step failed with the reason, the others went on, nothing was queued
    assert report.failed is not None and report.failed.startswith("reminders: ")
    assert "process pre_due_reminders was retired" in report.failed and "by ana" in report.failed
    assert report.steps["care"] is not None
    assert await _keys() == set()
