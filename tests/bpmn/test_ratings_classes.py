"""Ratings by class of inputs against the table run for each customer, over a varied portfolio."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bpmn import decision_classes, definitions, deployments, engine, ratings
from domain.credit.models import CreditReport
from domain.customer.models import Customer
from domain.enums import RiskRating
from domain.loan.models import Installment, Loan, LoanStatus
from domain.loan.schedule import AmortizationMethod
from domain.profile import service as profiles
from domain.profile.models import CustomerProfile, ProfileChange
from tests import factories
from tests.bpmn.ratings_tables import BPMN, DMN, READABLE, SCRIPTED, UNREADABLE
from tests.conftest import TODAY

CUSTOMERS = 300
Rated = dict[int, tuple[RiskRating, dict[str, Any]]]


async def _portfolio(count: int = CUSTOMERS) -> None:
    """Borrowers whose inputs fall on, around and between the table's thresholds."""
    rng = random.Random(2026)
    product = await factories.product()
    await Customer.bulk_create([
        Customer(name=f"rated {i:04d}",
                 monthly_income=rng.choice([None, Decimal(10000), Decimal(rng.randrange(2000, 50000))]))
        for i in range(count)
    ])  # fmt: skip
    people = await Customer.filter(name__startswith="rated ").order_by("id")
    await Loan.bulk_create([
        Loan(customer_id=p.id, product_id=product.id, principal=Decimal(12000),
             outstanding_principal=Decimal(8000), annual_rate=Decimal("0.12"), term_months=12,
             method=AmortizationMethod.EQUAL_INSTALLMENT, disbursed_on=TODAY - timedelta(days=400),
             status=LoanStatus.CLOSED if rng.random() < 0.1 else LoanStatus.ACTIVE,
             days_past_due=rng.choice([0, 0, 0, 1, 29, 30, 31, 60, rng.randrange(200)]),
             source="rated", external_id=str(p.id))
        for p in people
    ])  # fmt: skip
    installments, reports = [], []
    for loan in await Loan.filter(source="rated").order_by("id"):
        for seq in range(1, rng.randrange(1, 5)):
            due = TODAY - timedelta(days=rng.randrange(0, 420))
            late = rng.choice([None, -3, 0, 1, 30, 31, 60, 61, rng.randrange(100)])
            paid = None if late is None else min(due + timedelta(days=late), TODAY)
            installments.append(Installment(loan_id=loan.id, seq=seq, due_date=due, paid_on=paid,
                                            principal_due=Decimal(1000), interest_due=Decimal(100)))  # fmt: skip
        if rng.random() < 0.15:
            continue  # no bureau report: no score, no debt-to-income
        # 120,000 a year on 10,000 a month: 42,000 and 60,000 are exactly 0.35 and 0.5
        debt = rng.choice([42000, 60000, 41999, 60001, rng.randrange(0, 500000)])
        score = rng.choice([599, 600, 601, 699, 700, 701, rng.randrange(350, 900)])
        reports.append(CreditReport(customer_id=loan.customer_id, bureau="TEST", score=score,  # type: ignore[attr-defined]
                                    total_debt=Decimal(debt), pulled_at=datetime.now(UTC)))  # fmt: skip
    await Installment.bulk_create(installments)
    await CreditReport.bulk_create(reports)


async def _one_by_one() -> Rated:
    """The table run for every customer, as the rating did before classes."""
    definition = await deployments.require_in_force(ratings.PROCESS_ID)
    bundle = definitions.bundle(definition)
    out: Rated = {}
    for cid, values in (await ratings.inputs(TODAY)).items():
        data = engine.evaluate(bundle, ratings.PROCESS_ID, values)
        rating = RiskRating(str(data["risk_rating"]))
        out[cid] = (rating, {
            "rule": f"{rating.value}: {data.get('reason', '')}", "inputs": values,
            "table": f"risk_rating ({ratings.PROCESS_ID} v{definition.version})",
        })  # fmt: skip
    return out


async def _by_class(monkeypatch: pytest.MonkeyPatch) -> tuple[Rated, int]:
    """ratings.compute, and how many times it ran the process."""
    calls = []
    real = engine.evaluate

    def counting(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(1)
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(engine, "evaluate", counting)
        rated = await ratings.compute(TODAY)
    return rated, len(calls)


def _assert_same(got: Rated, expected: Rated) -> None:
    assert got.keys() == expected.keys()
    for cid, (rating, why) in expected.items():
        assert got[cid][0] is rating, cid
        assert json.dumps(got[cid][1]) == json.dumps(why), cid  # byte for byte, types too


def _shipped_class(values: dict[str, Any]) -> tuple[Any, ...]:
    """The shipped table's class of some inputs, worked out here by hand."""
    cuts = {"current_dpd": (0, 30), "worst_dpd_12m": (0, 30, 60),
            "debt_to_income": (0.35, 0.5), "bureau_score": (600, 700)}  # fmt: skip
    return tuple(
        None if values[name] is None
        else (sum(values[name] > c for c in found), values[name] in found)
        for name, found in cuts.items()
    )  # fmt: skip


async def _distinct_inputs() -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    found = (await ratings.inputs(TODAY)).values()
    return {tuple(v.items()) for v in found}, {_shipped_class(v) for v in found}


async def test_classes_rate_every_customer_as_the_table_run_for_each(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await deployments.deploy_bundled()
    await _portfolio()
    expected = await _one_by_one()
    rated, evaluations = await _by_class(monkeypatch)
    _assert_same(rated, expected)
    combinations, classes = await _distinct_inputs()
    inputs = [why["inputs"] for _, why in rated.values()]
    assert {v["debt_to_income"] for v in inputs} >= {None, 0.35, 0.5}
    assert {v["bureau_score"] for v in inputs} >= {None, 600, 700}
    assert {v["worst_dpd_12m"] for v in inputs} >= {0, 30, 60}
    assert len(rated) == CUSTOMERS and len(combinations) > 250
    assert evaluations == len(classes) < len(combinations)
    assert len({r for r, _ in rated.values()}) == 4  # every rating is given somewhere

    await profiles.apply(TODAY, rated)
    stored = dict(await CustomerProfile.all().values_list("customer_id", "risk"))
    changes = await ProfileChange.filter(label="risk_rating").values(
        "customer_id", "new", "explanation"
    )
    assert len(changes) == CUSTOMERS
    for row in changes:
        rating, why = expected[row["customer_id"]]
        assert row["new"] == rating.value
        # PostgreSQL's jsonb keeps its own key order: compare in one order
        assert json.dumps(row["explanation"], sort_keys=True) == json.dumps(why, sort_keys=True)
        assert json.dumps(stored[row["customer_id"]], sort_keys=True) == json.dumps(
            why, sort_keys=True
        )


@pytest.mark.parametrize("edit", ["function", "another input"])
async def test_a_table_the_analysis_cannot_read_runs_per_combination(
    db: str, monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    await deployments.deploy_bundled()
    await deployments.deploy(BPMN, [UNREADABLE[edit]], deployed_by="ana")
    await _portfolio()
    expected = await _one_by_one()
    rated, evaluations = await _by_class(monkeypatch)
    _assert_same(rated, expected)
    assert {why["table"] for _, why in rated.values()} == {"risk_rating (customer_risk_rating v2)"}
    combinations, _ = await _distinct_inputs()
    assert evaluations == len(combinations)


async def test_an_edited_table_is_read_again_and_rates_the_same(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await deployments.deploy_bundled()
    await _portfolio()
    shipped = await _one_by_one()
    definition = (await deployments.deploy(BPMN, [READABLE], deployed_by="ana")).definition
    classes = decision_classes.of(definitions.bundle(definition), ratings.PROCESS_ID)
    expected = await _one_by_one()
    rated, evaluations = await _by_class(monkeypatch)
    _assert_same(rated, expected)
    moved = [c for c in expected if expected[c][0] is not shipped[c][0]]
    assert moved  # the edit changes some ratings, and the classes follow it
    keys = {classes.key(why["inputs"]) for _, why in rated.values()}
    combinations, _ = await _distinct_inputs()
    assert evaluations == len(keys) < len(combinations)


async def test_a_process_doing_more_than_the_table_keeps_each_customers_own_answer(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await deployments.deploy_bundled()
    await deployments.deploy(SCRIPTED, [DMN], deployed_by="ana")
    await _portfolio()
    expected = await _one_by_one()
    rated, evaluations = await _by_class(monkeypatch)
    _assert_same(rated, expected)
    combinations, _ = await _distinct_inputs()
    assert evaluations == len(combinations)
    low = [why for rating, why in rated.values() if "bureau score below 600" in why["rule"]]
    assert low and all(f"(score {why['inputs']['bureau_score']})" in why["rule"] for why in low)
