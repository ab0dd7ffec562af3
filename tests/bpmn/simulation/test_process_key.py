"""The key a whole-process simulation runs a diagram once per: on random start data, the run
read back by key is the run made for that very case."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from bpmn import deployments
from bpmn.simulation import process_run
from bpmn.simulation.process_cases import ProcessSide
from bpmn.simulation.process_key import read_names
from domain.simulation.models import PopulationKind
from tests.bpmn.simulation import history

SHIPPED = history.APPROVAL
# a draft whose scoring lowers the bureau score it copies: bureau_score is then read exactly
LOWERED = history.APPROVAL.replace(
    'bureau_score = credit_report["bureau_score"]',
    'bureau_score = credit_report["bureau_score"] - 40',
)
# a draft that pulls a report for long terms and asks a second approval on the score itself
READ_WHOLE = history.APPROVAL.replace(
    "report_age_days is None or report_age_days &gt; max_report_age_days",
    "report_age_days is None or report_age_days &gt; max_report_age_days or term_months &gt; 36",
).replace(
    'decision == "APPROVED" and amount &gt; second_approval_above',
    'decision == "APPROVED" and (amount &gt; second_approval_above '
    'or score_result["score"] &lt; 650)',
)
# a draft whose senior review lowers the threshold its next gateway compares the amount with
WRITES = history.APPROVAL.replace(
    "<spiffworkflow:postScript>first_review_decision = decision",
    "<spiffworkflow:postScript>first_review_decision = decision\nsecond_approval_above = 40000",
)
DIAGRAMS = {"shipped": SHIPPED, "lowered": LOWERED, "read_whole": READ_WHOLE, "writes": WRITES}
LANES = {"shipped": history.RISK_LANE, "draft": history.DRAFT_LANE}


def _case(rng: random.Random) -> dict[str, Any]:
    """Start data as applications.py gives it, with few enough values that keys repeat."""
    score = rng.choice([None, 480, 549, 550, 551, 590, 619, 620, 650, 700, 720, 790])
    values: dict[str, Any] = {
        "max_report_age_days": rng.choice([30, 5]),
        "second_approval_above": Decimal(rng.choice(["500000", "45000"])),
        "amount": Decimal(rng.choice([5000, 20000, 45000, 50000, 50001, 60000, 80000, 600000])),
        "term_months": rng.choice([12, 24, 48]), "product_code": "PL",
        "report_age_days": rng.choice([None, 0, 5, 30, 31, 90]),
        "bureau_score": score,
        "debt_to_income": Decimal(rng.choice(["0.1000", "0.3999", "0.4000", "0.5000", "0.6500"])),
        "worst_dpd_12m": rng.choice([0, 15, 30, 31, 60, 61, 95]),
        "application_score": rng.choice([None, 300, 610, 704, 760]) if score else 500,
        "score_band": rng.choice(["A", "B", "C", "D"]),
        "annual_rate": Decimal(rng.choice(["0.0990", "0.1290", "0.1790"])),
    }  # fmt: skip
    if rng.random() < 0.1:  # some kept instances lack names
        values.pop(rng.choice(["report_age_days", "application_score", "worst_dpd_12m"]))
    return values


def _side(bpmn_xml: str, dmn: str) -> ProcessSide:
    definition = process_run.draft_definition(
        "credit_approval",
        bpmn_xml.encode(),
        [dmn.encode()],
        deployments.content_hash(bpmn_xml.encode(), [dmn.encode()]),
    )
    return process_run.sides(PopulationKind.APPLICATIONS, definition, definition).new


@pytest.mark.parametrize("diagram", sorted(DIAGRAMS))
@pytest.mark.parametrize("lane", sorted(LANES))
async def test_keyed_runs_equal_the_runs_of_each_case(db: str, diagram: str, lane: str) -> None:
    side = _side(DIAGRAMS[diagram], LANES[lane])
    rng = random.Random(f"{diagram}-{lane}")
    outcomes = set()
    for _ in range(600):
        values = _case(rng)
        decision = rng.choice([None, "APPROVED", "DECLINED"])
        keyed = side.path(values, decision)
        alone = side.run(values, decision)
        assert keyed == alone, (values, decision)
        outcomes.add(alone.outcome)
    assert {"APPROVED", "DECLINED", "PENDING"} <= outcomes
    if diagram == "shipped":
        assert side.runs < 600  # the key does merge cases


def test_copies_of_answers_are_not_reads_but_changed_copies_are() -> None:
    assert (
        SHIPPED not in (LOWERED, READ_WHOLE)
        and READ_WHOLE.count("score_result") == SHIPPED.count("score_result") + 1
    )
    shipped = read_names(SHIPPED.encode())[0]
    assert "bureau_score" not in shipped
    lowered = read_names(LOWERED.encode())[0]
    assert "bureau_score" in lowered
    whole, _, compared = read_names(READ_WHOLE.encode())
    assert {"application_score", "score_band", "annual_rate"} <= set(whole)
    assert "term_months" not in whole and any(a.left.name == "term_months" for a in compared)
    # the amount is only compared in the shipped diagram; once the threshold is written, the
    # threshold is read exactly
    assert "amount" not in shipped and "second_approval_above" not in shipped
    assert "second_approval_above" in read_names(WRITES.encode())[0]


async def test_cases_a_diagram_cannot_tell_apart_run_once(db: str) -> None:
    side = _side(SHIPPED, history.RISK_LANE)
    rng = random.Random(7)
    base = _case(rng) | {"bureau_score": 721, "report_age_days": 3, "amount": Decimal("20000")}
    # a score and a rate the table reads in the same class, a term only the contract gets
    side.path(base, "APPROVED")
    side.path(base | {"bureau_score": 735, "term_months": 36}, "APPROVED")
    assert side.runs == 1
    # an amount the table and the second-approval gateway put with it
    side.path(base | {"amount": Decimal("20001")}, "APPROVED")
    assert side.runs == 1
    side.path(base | {"amount": Decimal("600000")}, "APPROVED")  # above the threshold
    side.path(base, "DECLINED")
    assert side.runs == 3
