"""simulate over GraphQL for a reminder cadence: the reminders weighed on past days as cases,
who enters and who leaves, the changed reminders in the reader's scope, in the background too."""

from __future__ import annotations

from typing import Any

from bpmn.simulation import jobs
from domain.customer.models import Customer
from domain.user.models import User
from tests.api.conftest import GraphQLClient
from tests.api.simulation.requests import (
    simulate_input,
    simulate_mutation,
    simulated,
    simulation_query,
)
from tests.bpmn.simulation import cadence

FIELDS = """id status cells { old new count amount } totals { cases changed changedAmount }
  movements { segment rating entered left enteredAmount leftAmount }
  changedCases { caseId customerId amount inputs new { outcome } }"""
SIMULATE = simulate_mutation(FIELDS)
AGAIN = simulation_query(FIELDS)
MOVEMENTS = [
    {"segment": "AT_RISK", "rating": "HIGH", "entered": 1, "left": 1,
     "enteredAmount": "3100.31", "leftAmount": "3000.33"},
    {"segment": "CHAMPIONS", "rating": "HIGH", "entered": 2, "left": 0,
     "enteredAmount": "2500.27", "leftAmount": "0.00"},
]  # fmt: skip


async def _simulate(gql: GraphQLClient, **more: Any) -> dict[str, Any]:
    asked = simulate_input("pre_due_reminders", cadence.REMINDERS_BPMN, cadence.DRAFT_CADENCE,
                           "LOANS", cadence.START, cadence.END, **more)  # fmt: skip
    return await simulated(gql, SIMULATE, asked)


async def test_an_analyst_sees_who_would_be_reminded_and_who_no_longer(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    # given
    await cadence.seed()
    await gql.as_user("ana", ["analyst"])
    # when
    simulation = await _simulate(gql)
    # then: the figures of every reminder weighed, no case for an analyst
    assert simulation["totals"] == {"cases": 51, "changed": 4, "changedAmount": "8600.91"}
    cells = {(c["old"], c["new"]): (c["count"], c["amount"]) for c in simulation["cells"]}
    assert cells[("False", "True")] == (3, "5600.58")
    assert cells[("True", "False")] == (1, "3000.33")
    assert simulation["movements"] == MOVEMENTS
    assert simulation["changedCases"] is None


async def test_a_team_lead_sees_the_changed_reminders_of_the_team_s_loans(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    # given: the habitual late payer is managed in team T1, the others by nobody
    seeded = await cadence.seed()
    mike = await User.create(username="mike", roles=["account_manager"], team="T1")
    await Customer.filter(id=seeded.customers["c"]).update(account_manager_id=mike.id)
    await gql.as_user("lena", ["team_lead", "analyst"], team="T1")
    # when
    simulation = await _simulate(gql)
    # then: the figures are everyone's, the changed reminders those of the team's loan
    assert simulation["totals"]["changed"] == 4
    shown = sorted(
        (c["caseId"], c["inputs"]["days_before_due"], c["amount"], c["new"]["outcome"])
        for c in simulation["changedCases"]
    )
    loan = seeded.loans["c"]
    assert shown == [(loan, 2, "3000.33", "False"), (loan, 10, "3100.31", "True")]


async def test_in_the_background_the_same_figures(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    await cadence.seed()
    await gql.as_user("ana", ["analyst"])
    queued = await _simulate(gql, background=True)
    assert queued["status"] == "QUEUED"
    [outcome] = await jobs.run_queued()
    assert outcome.status == "DONE", outcome
    done = (await gql.data(AGAIN, id=queued["id"]))["simulation"]
    assert done["totals"] == {"cases": 51, "changed": 4, "changedAmount": "8600.91"}
    assert done["movements"] == MOVEMENTS
    progress = "query ($id: Int!) { simulation(id: $id) { progress { casesDone casesTotal } } }"
    assert (await gql.data(progress, id=queued["id"]))["simulation"]["progress"] == {
        "casesDone": 51,
        "casesTotal": 51,
    }
