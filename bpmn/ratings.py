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
from datetime import date
from decimal import Decimal
from typing import Any

from bpmn import decision_classes, definitions, deployments, engine
from domain.enums import RiskRating
from domain.profile.reading import Reading, read

PROCESS_ID = "customer_risk_rating"


async def inputs(
    day: date, *, lo: int | None = None, hi: int | None = None, reading: Reading | None = None
) -> dict[int, dict[str, Any]]:
    """Each borrower's (``lo <= id < hi``) rating inputs: DPD now and worst, DTI, bureau score.

    From ``reading`` when given (of the same range and date), else from three statements.
    """
    if reading is None:
        reading = await read(day, lo, hi, ratings_only=True)
    nothing: dict[str, Any] = {}
    out = {}
    for cid in sorted(reading.loans):  # borrowers
        customer = reading.customers.get(cid, nothing)
        income = customer.get("income")
        reported = customer.get("reported") is not None
        dti = None
        if reported and income is not None and Decimal(str(income)):
            debt = Decimal(str(customer["debt"]))
            dti = float((debt / (Decimal(str(income)) * 12)).quantize(Decimal("0.0001")))
        out[cid] = {
            "current_dpd": int(reading.loans[cid]["active_dpd"] or 0),
            "worst_dpd_12m": int(reading.installments.get(cid, nothing).get("worst") or 0),
            "debt_to_income": dti,
            "bureau_score": customer["score"] if reported else None,
        }
    return out


async def compute(
    day: date, *, lo: int | None = None, hi: int | None = None, reading: Reading | None = None
) -> dict[int, tuple[RiskRating, dict[str, Any]]]:
    """Rating and explanation per borrower (``lo <= id < hi``); the table once per class
    (the inputs from ``reading`` when given).

    ProcessNotDeployedError when the rating process is not in force.
    """
    definition = await deployments.require_in_force(PROCESS_ID)
    bundle = definitions.bundle(definition)
    classes = decision_classes.of(bundle, PROCESS_ID)
    out = {}
    decided: dict[Hashable, dict[str, Any]] = {}  # the same class, the same rule and rating
    for cid, values in (await inputs(day, lo=lo, hi=hi, reading=reading)).items():
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
