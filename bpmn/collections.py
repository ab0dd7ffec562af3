"""Starting collections.bpmn for loans that fall past due.

A loan past due (bucket M1 or worse) gets one collections instance, keyed ``loan:{id}``;
``payment_received`` messages reach it through :func:`bpmn.runner.correlate_message`, and it
ends when the loan is cured or written off.
"""

from __future__ import annotations

from typing import Any

from bpmn import deployments, runner
from domain import faults
from domain.clock import service as clock
from domain.customer.models import Customer, CustomerTag
from domain.loan.models import Loan, LoanStatus
from domain.process.models import InstanceStatus, ProcessInstance
from domain.profile import assignment
from domain.profile.rfm import VALUABLE
from domain.reports.models import CollectionCase

PROCESS_ID = "collections"


LOW_VALUE = frozenset({"LOST", "HIBERNATING", "AT_RISK"})


async def _value_segment(customer: Customer) -> str:
    """HIGH for the valuable RFM segments and STRATEGIC customers, LOW for lapsed ones."""
    segment = customer.rfm_segment or ""
    strategic = CustomerTag.filter(customer_id=customer.id, tag__name=assignment.STRATEGIC)
    if segment in VALUABLE or await strategic.exists():
        return "HIGH"
    return "LOW" if segment in LOW_VALUE else "MEDIUM"


async def start_data(loan: Loan) -> dict[str, Any]:
    """What collections starts from: the loan's state and the customer's risk and value."""
    customer = await Customer.get(id=loan.customer_id)  # type: ignore[attr-defined]
    return {
        "loan_id": loan.id,
        "customer_id": customer.id,
        "bucket": loan.bucket,
        "days_past_due": loan.days_past_due,
        "risk_rating": customer.risk_rating.value if customer.risk_rating else None,
        "value_segment": await _value_segment(customer),
    }


async def start_for_past_due(limit: int = 1000) -> list[runner.InstanceView]:
    """Start collections for active past-due loans that have no running instance yet.

    Raises ProcessNotDeployedError when ``collections`` has no version in force, past-due
    loans or not: the daily run says so rather than collect nothing.
    """
    await deployments.require_in_force(PROCESS_ID)
    running = ProcessInstance.filter(
        definition__process_id=PROCESS_ID,
        status__in=(InstanceStatus.RUNNING, InstanceStatus.RETRYING, InstanceStatus.FAILED),
    ).values_list("business_key", flat=True)
    busy = {str(k) for k in await running}
    started: list[runner.InstanceView] = []
    candidates = Loan.filter(status=LoanStatus.ACTIVE, days_past_due__gt=0).order_by("id")
    for loan in await candidates:
        if len(started) >= limit:
            break
        key = f"loan:{loan.id}"
        if key in busy:
            continue
        view = await runner.start(PROCESS_ID, await start_data(loan), business_key=key)
        # the case and its strategy, for the dashboard's contacts, recoveries and cures
        strategy = view.data.get("strategy")
        owner: int = loan.customer_id  # type: ignore[attr-defined]
        await CollectionCase.create(
            loan_id=loan.id, customer_id=owner, instance_id=view.id,
            strategy=str(strategy) if strategy else None, bucket=loan.bucket,
            opened_at=await clock.now(),
        )  # fmt: skip
        started.append(view)
        faults.reach("daily.collections.started")  # a fault point: some started, not committed
    return started
