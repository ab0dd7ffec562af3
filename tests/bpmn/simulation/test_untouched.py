"""A simulation writes nothing, sends nothing, starts nothing: every table as it was."""

from __future__ import annotations

from datetime import date

from bpmn.simulation import run
from bpmn.simulation.population import Population
from domain.outreach.models import OutboxMessage
from domain.simulation.models import PopulationKind
from tests.bpmn.simulation import arrears, history, portfolio, snapshot

LIMIT_BPMN = (history.PROCESSES / "limit_increase.bpmn").read_text()
LIMIT = (history.PROCESSES / "limit_increase.dmn").read_text()
# the draft: every borrower qualifies (its first rule tests nothing)
DRAFT_LIMIT = (
    LIMIT.replace("<text>&gt;= 6</text>", "<text></text>")
    .replace("<text>0</text>", "<text></text>", 1)
    .replace('<text>? in ("LOW", "MEDIUM")</text>', "<text></text>", 1)
)


async def test_every_kind_of_simulation_leaves_the_database_as_it_was(
    shipped_processes: str,
) -> None:
    # given: a history of applications, collections cases, loans in arrears with collectors,
    # and borrowers
    await history.seed()
    await portfolio.seed_cases()
    await arrears.seed()
    await portfolio.seed_borrowers()
    before = await snapshot.tables()
    june = (date(2026, 6, 1), date(2026, 6, 30))
    runs = [
        (history.APPROVAL, history.DRAFT_LANE, PopulationKind.APPLICATIONS),
        (portfolio.COLLECTIONS, portfolio.DRAFT_STRATEGY, PopulationKind.LOANS),
        (portfolio.RATING_BPMN, portfolio.DRAFT_RATING, PopulationKind.CUSTOMERS),
        (LIMIT_BPMN, DRAFT_LIMIT, PopulationKind.CUSTOMERS),
    ]
    # when
    changed, replayed = [], []
    for bpmn, dmn, kind in runs:
        draft = run.Draft(bpmn.encode(), [dmn.encode()])
        report = (await run.simulate(draft, Population(kind, *june))).report
        changed.append(report["totals"]["changed"])
        if report["collections"] is not None:
            replayed.append(report["collections"]["old"]["contacts"])
    # then: each draft changed something, the strategy's 90-day replay made contacts, yet no
    # row anywhere differs and nothing was sent
    assert all(n > 0 for n in changed), changed
    assert len(replayed) == 1 and replayed[0] > 0, replayed
    after = await snapshot.tables()
    assert after == before
    assert before["process_instance"][0] == 2  # kept by a6's approval and l2's collections
    assert await OutboxMessage.all().count() == 0
