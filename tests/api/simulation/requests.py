"""The simulate request the simulation tests ask: its mutation and query texts, its input."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.api.conftest import GraphQLClient
from tests.bpmn.simulation import history


def simulate_mutation(fields: str) -> str:
    """simulate(input:) asking ``fields`` of the simulation made, or the user error's code."""
    return f"""mutation ($input: SimulateInput!) {{ simulate(input: $input) {{ __typename
  ... on SimulateSuccess {{ simulation {{ {fields} }} }} ... on UserError {{ code message }} }} }}"""


def simulation_query(fields: str) -> str:
    """simulation(id:) asking ``fields`` of a kept simulation."""
    return f"query ($id: Int!) {{ simulation(id: $id) {{ {fields} }} }}"


def simulate_input(
    process_id: str,
    bpmn: str,
    dmn: str,
    kind: str,
    start: date,
    end: date,
    *,
    population: dict[str, Any] | None = None,
    **more: Any,
) -> dict[str, Any]:
    """A SimulateInput: one draft table with its diagram over a population's window, with more
    population fields and more input fields."""
    return {
        "processId": process_id,
        "draft": {"bpmnXml": bpmn, "dmnXmls": [dmn]},
        "population": {"kind": kind, "from": start.isoformat(), "to": end.isoformat(),
                       **(population or {})},
        **more,
    }  # fmt: skip


def approval_input(
    dmn: str = history.DRAFT_LANE, start: date = history.START, **more: Any
) -> dict[str, Any]:
    """The approval's lane table drafted (tests.bpmn.simulation.history's eight applications)."""
    return simulate_input(
        "credit_approval", history.APPROVAL, dmn, "APPLICATIONS", start, history.END, **more
    )


async def simulate(gql: GraphQLClient, mutation: str, asked: dict[str, Any]) -> dict[str, Any]:
    """The simulate result: SimulateSuccess or a user error."""
    result: dict[str, Any] = (await gql.data(mutation, input=asked))["simulate"]
    return result


async def simulated(gql: GraphQLClient, mutation: str, asked: dict[str, Any]) -> dict[str, Any]:
    """The simulation made (the request must succeed)."""
    result = await simulate(gql, mutation, asked)
    assert result["__typename"] == "SimulateSuccess", result
    return dict(result["simulation"])
