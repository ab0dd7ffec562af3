"""Past collections cases with the inputs their strategy table had.

A case's collections instance keeps the start data the table was given (bucket, days past
due, the customer's risk rating and value segment): RECORDED. Without it, the bucket is the
one the case opened in (kept on the case), the days past due are rebuilt from the loan's
installments on the day it opened, and the risk rating and value segment are the
customer's as they stand now, computed as the live start computes them: REBUILT.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from bpmn import collections as live
from bpmn.simulation.applications import days_past_due
from bpmn.simulation.population import Case, InputSource, Population, in_list
from domain import sqltext
from domain.clock import service as clock
from domain.credit import facts
from domain.loan.models import Loan
from domain.reports.models import CollectionCase

_CHUNK = """
SELECT k.id, k.loan_id, k.customer_id, k.instance_id, k.bucket, k.opened_at, l.principal,
       {data} AS data
FROM collection_case k
JOIN loan l ON l.id = k.loan_id
JOIN product p ON p.id = l.product_id
LEFT JOIN process_instance pi ON pi.id = k.instance_id
WHERE k.id > :after AND k.opened_at >= :first AND k.opened_at < :past {narrowing}
ORDER BY k.id
LIMIT :size
"""
_LATE = """
SELECT l.id AS loan_id, l.customer_id, l.status, l.closed_on, i.due_date, i.paid_on
FROM installment i JOIN loan l ON l.id = i.loan_id
WHERE l.id IN {loans} AND (i.paid_on IS NULL OR i.paid_on > i.due_date)
"""
INPUTS = ("bucket", "days_past_due", "risk_rating", "value_segment")


async def chunks(population: Population) -> AsyncIterator[list[Case]]:
    """The collections cases opened in the window, a chunk of ids at a time, with inputs."""
    pg = sqltext.postgres()
    first, past = population.window()
    narrowing, values = "", dict[str, Any]()
    if population.product_codes:
        listed, values = in_list("product", population.product_codes)
        narrowing += f" AND p.code IN {listed}"
    if population.statuses:
        listed, more = in_list("status", population.statuses)
        narrowing, values = narrowing + f" AND l.status IN {listed}", {**values, **more}
    data = "(pi.state -> 'data')::text" if pg else "json_extract(pi.state, '$.data')"
    statement = _CHUNK.format(data=data, narrowing=narrowing)
    after = 0
    while True:
        params = {"after": after, "first": first, "past": past, "size": population.chunk}
        _, rows = await sqltext.execute(statement, {**params, **values})
        if not rows:
            return
        after = int(rows[-1]["id"])
        yield await _cases(rows)


async def _cases(rows: list[Any]) -> list[Case]:
    recorded: dict[int, dict[str, Any]] = {}
    missing = []
    for row in rows:
        kept = json.loads(row["data"]) if isinstance(row["data"], str) else row["data"]
        if isinstance(kept, dict) and all(name in kept for name in INPUTS):
            recorded[int(row["id"])] = {name: kept[name] for name in INPUTS}
        else:
            missing.append(row)
    rebuilt = await _rebuilt(missing)
    out = []
    for row in rows:
        pk = int(row["id"])
        amount = facts.as_field(Loan, "principal", row["principal"])
        if pk in recorded:
            values, source = recorded[pk], InputSource.RECORDED
        else:
            values, source = rebuilt[pk], InputSource.REBUILT
        out.append(Case(int(row["loan_id"]), int(row["customer_id"]), amount, values, source))
    return out


async def _rebuilt(rows: list[Any]) -> dict[int, dict[str, Any]]:
    """Start data of cases whose instance kept none, keyed by case id."""
    if not rows:
        return {}
    listed, values = in_list("loan", tuple(sorted({int(row["loan_id"]) for row in rows})))
    _, late_rows = await sqltext.execute(_LATE.format(loans=listed), values)
    late: dict[int, list[Any]] = {}
    for found in late_rows:
        late.setdefault(int(found["loan_id"]), []).append(found)
    loans = []
    for row in rows:
        opened = clock.local_date(facts.as_field(CollectionCase, "opened_at", row["opened_at"]))
        loans.append({
            "id": int(row["loan_id"]), "customer_id": int(row["customer_id"]),
            "bucket": str(row["bucket"]),
            "days_past_due": days_past_due(late.get(int(row["loan_id"]), []), opened),
        })  # fmt: skip
    started = await live._start_data_many(loans)  # the live start's own computation
    return {
        int(row["id"]): {name: data[name] for name in INPUTS}
        for row, data in zip(rows, started, strict=True)
    }
