"""An approval's facts read once when it starts and scores at once, anew after a call that may
have written them (a report pulled before scoring)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bpmn import approval, operations, registry
from bpmn.deployments import deploy_bundled
from domain.application import service as applications
from domain.application.models import ApplicationChannel
from domain.credit.models import CreditReport
from domain.process.models import ProcessInstance
from domain.statements import count_statements
from tests import factories
from tests.conftest import TODAY

AMOUNT = Decimal("20000.00")
INCOME = Decimal("30000")


async def _submitted(report_days_old: int, score: int) -> tuple[int, int]:
    await factories.product("CONSUMER")
    owner = await factories.customer(monthly_income=INCOME)
    pulled = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC) - timedelta(
        days=report_days_old
    )
    await CreditReport.create(customer_id=owner.id, bureau="TEST", score=score, pulled_at=pulled)
    app = await applications.submit(
        customer_id=owner.id, product_code="CONSUMER", amount=AMOUNT, term_months=24,
        channel=ApplicationChannel.APP,
    )  # fmt: skip
    return app.id, owner.id


def _scored(instance: ProcessInstance) -> dict[str, Any]:
    assert instance.state is not None
    [answer] = [v for k, v in instance.state["services"].items() if k.startswith("score_")]
    return dict(answer)


def _facts_reads(statements: list[str]) -> int:
    return sum("FROM application a\nJOIN product p" in s for s in statements)


async def test_a_fresh_report_is_read_once_for_the_start_and_the_score(db: str) -> None:
    application, _ = await _submitted(report_days_old=3, score=780)
    await deploy_bundled()
    with count_statements() as log:
        view, _ = await approval.start_for(application)
    assert _facts_reads(log.statements) == 1, log.statements
    instance = await ProcessInstance.get(id=view.id)
    assert _scored(instance)["score"] == operations.score(AMOUNT, 780, INCOME)


async def test_a_report_pulled_before_scoring_is_the_one_scored(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a report too old to use, so the process pulls one before it scores
    application, customer = await _submitted(report_days_old=90, score=560)

    async def pulled_anew(customer_id: int, bureau: str = "TEST") -> dict[str, Any]:
        await CreditReport.create(customer_id=customer_id, bureau="TEST", score=800,
                                  pulled_at=datetime.now(UTC))  # fmt: skip
        return {"report_id": None, "bureau_score": 800, "debt_to_income": "0.10",
                "worst_dpd_12m": 0}  # fmt: skip

    monkeypatch.setitem(registry._IMPLEMENTATIONS, "credit.pull_report", pulled_anew)
    await deploy_bundled()
    with count_statements() as log:
        view, _ = await approval.start_for(application)
    # then the score is the new report's, read after the pull, not the start's old one
    instance = await ProcessInstance.get(id=view.id)
    assert _scored(instance)["score"] == operations.score(AMOUNT, 800, INCOME)
    assert operations.score(AMOUNT, 800, INCOME) != operations.score(AMOUNT, 560, INCOME)
    assert _facts_reads(log.statements) == 2, log.statements
    assert await CreditReport.filter(customer_id=customer).count() == 2
