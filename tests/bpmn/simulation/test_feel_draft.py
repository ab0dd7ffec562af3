"""A risk-lane draft written in FEEL simulates through the same path as one in lendgraph's own
expressions, and gives the same table on the same history."""

from __future__ import annotations

from typing import Any

from bpmn.simulation import run
from tests.bpmn.simulation import history
from tests.bpmn.simulation.test_applications import WINDOW

FEEL = "https://www.omg.org/spec/DMN/20191111/FEEL/"


def _in_feel(dmn: str) -> str:
    """The table in FEEL: declared on the definitions, null for None, FIRST for UNIQUE (in
    FEEL, UNIQUE refuses two matching rules, and the STANDARD rule matches with all)."""
    text = dmn.replace('namespace="', f'expressionLanguage="{FEEL}" namespace="', 1)
    return text.replace('hitPolicy="UNIQUE"', 'hitPolicy="FIRST"').replace("? is None", "null")


def _cells(report: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(c["old"], c["new"]): c["count"] for c in report["cells"]}


async def test_a_feel_draft_gives_the_same_table_as_the_same_rules_in_python(
    shipped_processes: str,
) -> None:
    await history.seed()
    draft = history.APPROVAL.encode()
    python = (await run.simulate(run.Draft(draft, [history.DRAFT_LANE.encode()]), WINDOW)).report
    feel_dmn = _in_feel(history.DRAFT_LANE).encode()
    feel = (await run.simulate(run.Draft(draft, [feel_dmn]), WINDOW)).report
    assert _cells(feel) == _cells(python)
    assert _cells(feel)[("ENHANCED", "DECLINE")] == 2
    changed = {case["caseId"]: case["new"]["rules"] for case in feel["sample"]}
    assert changed == {case["caseId"]: case["new"]["rules"] for case in python["sample"]}
