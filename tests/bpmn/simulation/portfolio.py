"""Hand-built collections cases and borrowers, and drafts of their tables.

The comments give each case its strategy or rating under the shipped table and the draft;
the tests write the expected confusion tables out from them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from domain.credit.models import CreditReport
from domain.customer.models import Customer
from domain.process.models import InstanceStatus, ProcessDefinition, ProcessInstance
from domain.reports.models import CollectionCase
from tests import factories
from tests.bpmn.simulation.history import PROCESSES

COLLECTIONS = (PROCESSES / "collections.bpmn").read_text()
STRATEGY = (PROCESSES / "collection_strategy.dmn").read_text()
# the draft: GENTLE in M2 for high-value customers of LOW or MEDIUM risk (was LOW only)
DRAFT_STRATEGY = STRATEGY.replace(
    '<inputEntry id="rule_gentle_m2_risk_rating">\n          <text>"LOW"</text>',
    '<inputEntry id="rule_gentle_m2_risk_rating">\n          <text>? in ("LOW", "MEDIUM")</text>',
)
RATING_BPMN = (PROCESSES / "customer_risk_rating.bpmn").read_text()
RATING = (PROCESSES / "risk_rating.dmn").read_text()
# the draft: HIGH below a score of 650 (was 600)
DRAFT_RATING = RATING.replace("? &lt; 600", "? &lt; 650").replace(
    "bureau score below 600", "bureau score below 650"
)
OPENED = datetime(2026, 6, 5, 2, 0, tzinfo=UTC)


@dataclass
class Cases:
    """The loan of each collections case and each borrower, by the key the comments use."""

    loans: dict[str, int]
    borrowers: dict[str, int]


async def _customer(name: str, risk: str, segment: str | None = None) -> Customer:
    found = await factories.customer(name)
    await Customer.filter(id=found.id).update(risk_rating=risk, rfm_segment=segment)
    return found


async def _case(owner: Customer, bucket: str, principal: str, instance: int) -> int:
    loan = await factories.loan(owner, principal=principal)
    await CollectionCase.create(
        loan_id=loan.id, customer_id=owner.id, instance_id=instance, bucket=bucket,
        opened_at=OPENED,
    )  # fmt: skip
    return loan.id


async def seed_cases() -> dict[str, int]:
    """Four collections cases opened on 5 June."""
    loans: dict[str, int] = {}
    # l1: M1, LOW risk, a CHAMPIONS customer (HIGH value) -> GENTLE under both (rebuilt)
    c1 = await _customer("催收一", "LOW", "CHAMPIONS")
    loans["l1"] = await _case(c1, "M1", "10000.00", 9001)
    # l2: M2, MEDIUM risk, HIGH value kept by its instance -> INTENSIVE, GENTLE under the draft
    c2 = await _customer("催收二", "HIGH", "LOST")
    definition = await ProcessDefinition.get(process_id="collections", retired_at=None)
    instance = await ProcessInstance.create(
        definition_id=definition.id, business_key="loan:l2", status=InstanceStatus.RUNNING,
        state={"data": {"bucket": "M2", "days_past_due": 40, "risk_rating": "MEDIUM",
                        "value_segment": "HIGH"}},
    )  # fmt: skip
    loans["l2"] = await _case(c2, "M2", "20000.00", instance.id)
    # l3: M4 -> LEGAL under both (rebuilt)
    c3 = await _customer("催收三", "MEDIUM")
    loans["l3"] = await _case(c3, "M4", "30000.00", 9003)
    # l4: M2, MEDIUM risk, no segment (MEDIUM value) -> INTENSIVE under both (rebuilt)
    c4 = await _customer("催收四", "MEDIUM")
    loans["l4"] = await _case(c4, "M2", "40000.00", 9004)
    return loans


async def seed_borrowers() -> dict[str, int]:
    """Three borrowers with a loan each (12,000 outstanding) and a credit report."""
    found: dict[str, int] = {}
    pulled = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    # b1: score 620, income 10,000, debt 12,000 (DTI 0.1) -> MEDIUM (below 700), HIGH (below 650)
    # b2: score 720, DTI 0.1 -> LOW under both
    # b3: score 580 -> HIGH under both
    for key, score in (("b1", 620), ("b2", 720), ("b3", 580)):
        owner = await factories.customer(f"借款人{key}", monthly_income=Decimal("10000"))
        await factories.loan(owner, disbursed_on=date(2026, 6, 1) - timedelta(days=10))
        await CreditReport.create(
            customer_id=owner.id, bureau="TEST", score=score, total_debt=Decimal("12000"),
            pulled_at=pulled,
        )  # fmt: skip
        found[key] = owner.id
    return found
