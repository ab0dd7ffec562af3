"""A reminder-cadence draft simulated on hand-built installments, cell for cell and group for
group, to the cent, with nothing written."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from bpmn.simulation import reminder_cases, run, sources
from bpmn.simulation.population import Population
from domain.errors import ValidationError
from domain.loan.models import Installment
from domain.outreach.models import OutboxMessage
from domain.simulation.models import PopulationKind
from domain.statements import count_statements
from tests.bpmn.simulation import cadence, snapshot
from tests.bpmn.simulation.reading import cells

# old remind × new remind: cases and amounts, by installment (see tests.bpmn.simulation.cadence)
CELLS = {
    # a1 7, 3 (2 × 1,000.11); b1 7; c1 7, 5, 3, 1 (4 × 3,000.33); d1 7
    ("True", "True"): (8, Decimal("20002.20")),
    # b1 10 (2,000.22), e1 10 (500.05), c2 10 (3,100.31): T-10 for HIGH risk
    ("False", "True"): (3, Decimal("5600.58")),
    # c1 2 (3,000.33): no T-2 for habitual late payers
    ("True", "False"): (1, Decimal("3000.33")),
    # a1 8 × 1,000.11, b1 8 × 2,000.22, e1 2 × 500.05, c1 2 × 3,000.33, c2 9 × 3,100.31,
    # d1 4 × 4,000.44, g1 6 × 600.06
    ("False", "False"): (39, Decimal("78508.31")),
}
# (segment, rating): entered, left, entered amount, left amount
MOVEMENTS = {
    ("AT_RISK", "HIGH"): (1, 1, Decimal("3100.31"), Decimal("3000.33")),  # c2 in, c1 out
    ("CHAMPIONS", "HIGH"): (2, 0, Decimal("2500.27"), Decimal("0.00")),  # b1 and e1 in
}


def _groups(report: dict[str, Any]) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {
        (m["segment"], m["rating"]): (m["entered"], m["left"], Decimal(m["enteredAmount"]),
                                      Decimal(m["leftAmount"]))
        for m in report["movements"]
    }  # fmt: skip


def _draft() -> run.Draft:
    return run.Draft(cadence.REMINDERS_BPMN.encode(), [cadence.DRAFT_CADENCE.encode()])


@pytest.mark.parametrize("chunk", [3, 5_000])
async def test_a_cadence_draft_on_the_reminders_of_ten_days(
    shipped_processes: str, chunk: int
) -> None:
    # given
    seeded = await cadence.seed()
    before = await snapshot.tables()
    june = Population(PopulationKind.LOANS, cadence.START, cadence.END, chunk=chunk)
    # when
    report = (await run.simulate(_draft(), june)).report
    # then: every cell to the cent, 51 reminders weighed, none of them recorded
    assert report["decisionId"] == "reminder_cadence" and report["outcomeOutput"] == "remind"
    assert cells(report) == CELLS
    totals = report["totals"]
    assert (totals["cases"], totals["changed"]) == (51, 4)
    assert (Decimal(totals["amount"]), Decimal(totals["changedAmount"])) == (
        Decimal("107111.42"), Decimal("8600.91"),
    )  # fmt: skip
    assert totals["inputSources"] == {"REBUILT": 51}
    assert _groups(report) == MOVEMENTS
    # the changed reminders name their loans and the day before the due date
    changed = {(c["caseId"], c["inputs"]["days_before_due"]) for c in report["sample"]}
    loans = seeded.loans
    assert changed == {(loans["b"], 10), (loans["e"], 10), (loans["c"], 10), (loans["c"], 2)}
    [dropped] = [c for c in report["sample"] if c["new"]["outcome"] == "False"]
    assert dropped["inputs"] == {"days_before_due": 2, "habitual_late": True,
                                 "risk_rating": "HIGH", "rfm_segment": "AT_RISK"}  # fmt: skip
    assert [r["id"] for r in dropped["old"]["rules"]] == ["rule_habitual_late"]
    assert [r["id"] for r in dropped["new"]["rules"]] == ["draft_other"]
    assert dropped["amount"] == "3000.33"
    # nothing written, nothing sent
    assert await snapshot.tables() == before
    assert await OutboxMessage.all().count() == 0


async def test_the_movements_group_by_the_labels_the_reminders_carry_unread(
    shipped_processes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: 51 reminders three a chunk; the 4 changed ones in 4 chunks
    await cadence.seed()
    june = Population(PopulationKind.LOANS, cadence.START, cadence.END, chunk=3)
    with count_statements() as log:
        carried = (await run.simulate(_draft(), june)).report
    # when: the movements read the customers' labels instead, as for other kinds of case
    unlabelled = dataclasses.replace(sources.SOURCES["pre_due_reminders"], labels=None)
    monkeypatch.setitem(sources.SOURCES, "pre_due_reminders", unlabelled)
    with count_statements() as read:
        reread = (await run.simulate(_draft(), june)).report
    # then: the same groups; a read of the labels per chunk with a change is the difference
    assert _groups(carried) == _groups(reread) == MOVEMENTS
    labels = [s for s in read.statements if "rfm_segment, risk_rating FROM customer" in s]
    assert len(labels) == 4
    assert log.count == read.count - 4


async def test_the_count_is_the_reminders_the_chunks_give(shipped_processes: str) -> None:
    await cadence.seed()
    june = Population(PopulationKind.LOANS, cadence.START, cadence.END, chunk=4)
    sizes = [len(chunk) async for chunk in reminder_cases.chunks(june)]
    assert await reminder_cases.count(june) == sum(sizes) == 51
    assert sizes == [4] * 12 + [3]


async def test_a_payment_ends_an_installment_s_reminders_from_the_next_day(
    shipped_processes: str,
) -> None:
    # d1 paid on 5 June: its days 10..6; paid on 7 June instead, days 10..4 (7 June is T-4)
    seeded = await cadence.seed()
    june = Population(PopulationKind.LOANS, cadence.START, cadence.END)

    async def days_of_d1() -> list[int]:
        found = [
            case.values["days_before_due"]
            async for chunk in reminder_cases.chunks(june)
            for case in chunk
            if case.case_id == seeded.loans["d"] and case.amount == Decimal("4000.44")
        ]
        return sorted(found)

    assert await days_of_d1() == [6, 7, 8, 9, 10]
    await Installment.filter(loan_id=seeded.loans["d"]).update(paid_on=cadence.START.replace(day=7))
    assert await days_of_d1() == [4, 5, 6, 7, 8, 9, 10]


async def test_borrowers_are_not_the_reminders_population(shipped_processes: str) -> None:
    borrowers = Population(PopulationKind.CUSTOMERS, cadence.START, cadence.END)
    with pytest.raises(ValidationError) as refused:
        await run.simulate(_draft(), borrowers)
    assert refused.value.problems[0].message == "pre_due_reminders decides loans, not customers"
