"""Risk ratings from the deployed ``customer_risk_rating`` process and its ``risk_rating`` table.

Business users change how customers are rated by editing ``risk_rating.dmn`` in the designer;
the daily profiling runs the version in force for every customer, in memory (nothing is stored
as a process instance), and keeps the inputs, the rule's reason and the version as the
explanation.

Nearly every customer's inputs are distinct (DTI and score are continuous), so the table runs
once per class of inputs it cannot tell apart (:mod:`bpmn.decision_classes`, read from the
version in force), not once per customer: the rule is shared, the inputs shown are each
customer's own.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tortoise.functions import Max

from bpmn import decision_classes, definitions, deployments, engine
from domain.credit.models import CreditReport
from domain.customer.models import Customer
from domain.enums import RiskRating
from domain.loan.models import Installment, Loan, LoanStatus
from domain.profile.ranges import within

PROCESS_ID = "customer_risk_rating"


async def inputs(
    day: date, *, lo: int | None = None, hi: int | None = None
) -> dict[int, dict[str, Any]]:
    """Each borrower's (``lo <= id < hi``) rating inputs: DPD now and worst, DTI, bureau score."""
    mine = within("customer_id", lo, hi)
    current = dict(
        await Loan.filter(status=LoanStatus.ACTIVE, **mine).annotate(d=Max("days_past_due"))
        .group_by("customer_id").values_list("customer_id", "d")
    )  # fmt: skip
    worst: dict[int, int] = {}
    rows = await Installment.filter(
        due_date__gt=day - timedelta(days=365), due_date__lte=day,
        **within("loan__customer_id", lo, hi),
    ).values("loan__customer_id", "due_date", "paid_on")  # fmt: skip
    for row in rows:
        late = ((row["paid_on"] or day) - row["due_date"]).days
        cid = int(row["loan__customer_id"])
        worst[cid] = max(worst.get(cid, 0), late, 0)
    reports: dict[int, tuple[Decimal, int | None]] = {}
    pulled = CreditReport.filter(**mine).order_by("customer_id", "-pulled_at", "-id")
    for cid, debt, score in await pulled.values_list("customer_id", "total_debt", "score"):
        reports.setdefault(int(cid), (Decimal(debt), score))
    found = Loan.filter(**mine).distinct().values_list("customer_id", flat=True)
    borrowers = sorted({int(c) for c in await found})  # type: ignore[call-overload]
    incomes = dict(await Customer.filter(monthly_income__isnull=False, **within("id", lo, hi))
                   .values_list("id", "monthly_income"))  # fmt: skip
    out = {}
    for cid in borrowers:
        latest = reports.get(cid)
        income = incomes.get(cid)
        dti = None
        if latest is not None and income:
            dti = float((latest[0] / (Decimal(income) * 12)).quantize(Decimal("0.0001")))
        out[cid] = {
            "current_dpd": int(current.get(cid, 0) or 0),
            "worst_dpd_12m": worst.get(cid, 0),
            "debt_to_income": dti,
            "bureau_score": latest[1] if latest else None,
        }
    return out


async def compute(
    day: date, *, lo: int | None = None, hi: int | None = None
) -> dict[int, tuple[RiskRating, dict[str, Any]]]:
    """Rating and explanation per borrower (``lo <= id < hi``); the table once per class.

    ProcessNotDeployedError when the rating process is not in force.
    """
    definition = await deployments.require_in_force(PROCESS_ID)
    bundle = definitions.bundle(definition)
    classes = decision_classes.of(bundle, PROCESS_ID)
    out = {}
    decided: dict[Hashable, dict[str, Any]] = {}  # the same class, the same rule and rating
    for cid, values in (await inputs(day, lo=lo, hi=hi)).items():
        key = classes.key(values)
        data = decided.get(key)
        if data is None:
            data = decided[key] = engine.evaluate(bundle, PROCESS_ID, values)
        # only the table's outputs are read from the class's answer: no input is named so
        rating = RiskRating(str(data["risk_rating"]))
        out[cid] = (rating, {
            "rule": f"{rating.value}: {data.get('reason', '')}", "inputs": values,
            "table": f"risk_rating ({PROCESS_ID} v{definition.version})",
        })  # fmt: skip
    return out
