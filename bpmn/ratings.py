"""Risk ratings from the deployed ``customer_risk_rating`` process and its ``risk_rating`` table.

Business users change how customers are rated by editing ``risk_rating.dmn`` in the designer;
the daily profiling runs the version in force for every customer, in memory (nothing is stored
as a process instance), and keeps the inputs, the rule's reason and the version as the
explanation.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tortoise.functions import Max

from bpmn import definitions, deployments, engine
from domain.credit.models import CreditReport
from domain.customer.models import Customer
from domain.enums import RiskRating
from domain.loan.models import Installment, Loan, LoanStatus

PROCESS_ID = "customer_risk_rating"


async def inputs(day: date) -> dict[int, dict[str, Any]]:
    """Each borrower's rating inputs: current and worst DPD, debt-to-income, bureau score."""
    current = dict(
        await Loan.filter(status=LoanStatus.ACTIVE).annotate(d=Max("days_past_due"))
        .group_by("customer_id").values_list("customer_id", "d")
    )  # fmt: skip
    worst: dict[int, int] = {}
    rows = await Installment.filter(
        due_date__gt=day - timedelta(days=365), due_date__lte=day
    ).values("loan__customer_id", "due_date", "paid_on")
    for row in rows:
        late = ((row["paid_on"] or day) - row["due_date"]).days
        cid = int(row["loan__customer_id"])
        worst[cid] = max(worst.get(cid, 0), late, 0)
    reports: dict[int, CreditReport] = {}
    for report in await CreditReport.all().order_by("customer_id", "-pulled_at", "-id"):
        reports.setdefault(report.customer_id, report)  # type: ignore[attr-defined]
    found = Loan.all().distinct().values_list("customer_id", flat=True)
    borrowers = sorted({int(c) for c in await found})  # type: ignore[call-overload]
    incomes = dict(await Customer.filter(monthly_income__isnull=False)
                   .values_list("id", "monthly_income"))  # fmt: skip
    out = {}
    for cid in borrowers:
        latest = reports.get(cid)
        income = incomes.get(cid)
        dti = None
        if latest is not None and income:
            dti = float((latest.total_debt / (Decimal(income) * 12)).quantize(Decimal("0.0001")))
        out[cid] = {
            "current_dpd": int(current.get(cid, 0) or 0),
            "worst_dpd_12m": worst.get(cid, 0),
            "debt_to_income": dti,
            "bureau_score": latest.score if latest else None,
        }
    return out


async def compute(day: date) -> dict[int, tuple[RiskRating, dict[str, Any]]]:
    """Rating and explanation per borrower (ProcessNotDeployedError when not in force)."""
    definition = await deployments.require_in_force(PROCESS_ID)
    bundle = definitions.bundle(definition)
    out = {}
    decided: dict[tuple[Any, ...], dict[str, Any]] = {}  # the same inputs, the same rating
    for cid, values in (await inputs(day)).items():
        key = tuple(values.items())
        data = decided.get(key) or decided.setdefault(
            key, engine.evaluate(bundle, PROCESS_ID, values)
        )
        rating = RiskRating(str(data["risk_rating"]))
        out[cid] = (rating, {
            "rule": f"{rating.value}: {data.get('reason', '')}", "inputs": values,
            "table": f"risk_rating ({PROCESS_ID} v{definition.version})",
        })  # fmt: skip
    return out
