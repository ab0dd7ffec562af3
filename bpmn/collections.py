"""Starting collections.bpmn for loans that fall past due.

A loan past due (bucket M1 or worse) gets one collections instance, keyed ``loan:{id}``;
``payment_received`` messages reach it through :func:`bpmn.runner.correlate_message`, and it
ends when the loan is cured or written off.
"""

from __future__ import annotations

from typing import Any

from bpmn import bulk, collection_strategy, deployments, runner
from bpmn.collection_strategy import Strategies
from domain.batching import gather_in
from domain.clock import service as clock
from domain.customer.models import Customer, CustomerTag
from domain.daily.chunks import EVERYONE, Span
from domain.loan.models import Loan, LoanStatus
from domain.process import rows
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


async def start_data_many(loans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``start_data`` for many loans: the customers' risk, segment and STRATEGIC tag read once."""
    owners = {int(loan["customer_id"]) for loan in loans}
    customers = {
        row["id"]: row
        for row in await gather_in(owners, lambda ids: Customer.filter(id__in=ids).values(
            "id", "risk_rating", "rfm_segment"))
    }  # fmt: skip
    strategic = set(
        await gather_in(
            owners,
            lambda ids: CustomerTag.filter(
                customer_id__in=ids, tag__name=assignment.STRATEGIC
            ).values_list("customer_id", flat=True),
        )
    )
    out = []
    for loan in loans:
        customer = customers[loan["customer_id"]]
        segment = customer["rfm_segment"] or ""
        value = "HIGH" if segment in VALUABLE or customer["id"] in strategic else (
            "LOW" if segment in LOW_VALUE else "MEDIUM")  # fmt: skip
        risk = customer["risk_rating"]
        out.append({
            "loan_id": loan["id"], "customer_id": customer["id"], "bucket": loan["bucket"],
            "days_past_due": loan["days_past_due"],
            "risk_rating": str(risk) if risk else None, "value_segment": value,
        })  # fmt: skip
    return out


async def _open_cases(
    views: list[runner.InstanceView], starts: dict[str, bulk.Start], table: Strategies
) -> None:
    """The case and its strategy, for the dashboard's contacts, recoveries and cures.

    The strategy is the one the instance shows; an instance resting at a timer of its cycle
    shows none (its data is the process's, not the cycle's), so the table its diagram calls
    says it for the case's start data, once per class of inputs.
    """
    opened = await clock.now()
    cases = []
    for view in views:
        data = starts[view.business_key].data
        strategy = view.data.get("strategy") or table.of(data)
        cases.append({
            "loan_id": data["loan_id"], "customer_id": data["customer_id"],
            "instance_id": view.id, "strategy": str(strategy) if strategy else None,
            "bucket": data["bucket"], "opened_at": opened,
        })  # fmt: skip
    await rows.insert(CollectionCase, cases)


async def start_for_past_due(
    limit: int = 1000, *, customers: Span = EVERYONE
) -> list[runner.InstanceView]:
    """Start collections for active past-due loans (of these customers) that have no running
    instance yet.

    In bulk (:mod:`bpmn.bulk`): batches of instances with their cases, each batch one
    transaction. Raises ProcessNotDeployedError when ``collections`` has no version in
    force, past-due loans or not: the daily run says so rather than collect nothing.
    """
    table = collection_strategy.of_version(await deployments.require_in_force(PROCESS_ID))
    candidates = (
        await Loan.filter(customers.q(), status=LoanStatus.ACTIVE, days_past_due__gt=0)
        .order_by("id").values("id", "customer_id", "bucket", "days_past_due")
    )  # fmt: skip
    keys = [f"loan:{loan['id']}" for loan in candidates]
    busy = {str(k) for k in await gather_in(keys, lambda batch: ProcessInstance.filter(
        definition__process_id=PROCESS_ID, business_key__in=batch,
        status__in=(InstanceStatus.RUNNING, InstanceStatus.RETRYING, InstanceStatus.FAILED),
    ).values_list("business_key", flat=True))}  # fmt: skip
    fresh = [loan for loan in candidates if f"loan:{loan['id']}" not in busy][:limit]
    starts = {
        f"loan:{data['loan_id']}": bulk.Start(f"loan:{data['loan_id']}", data)
        for data in await start_data_many(fresh)
    }

    async def open_cases(views: list[runner.InstanceView]) -> None:
        await _open_cases(views, starts, table)

    return await bulk.start_many(
        PROCESS_ID, starts.values(), opaque=("loan_id", "customer_id", "days_past_due"),
        after_batch=open_cases, fault_point="daily.collections.started",
    )  # fmt: skip
