"""Past collections cases with the inputs their strategy table had.

A case's collections instance keeps the start data the table was given (bucket, days past
due, the customer's risk rating and value segment): RECORDED. Without it, the bucket is the
one the case opened in (kept on the case), the days past due are rebuilt from the loan's
installments on the day it opened, and the risk rating and value segment are the
customer's as they stand now, computed as the live start computes them: REBUILT.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bpmn import collections as live
from bpmn.simulation import recorded
from bpmn.simulation.arrears import LATE, Late, days_past_due, late_of
from bpmn.simulation.population import Case, InputSource, Population, in_list, moment, money
from domain import sqltext
from domain.clock import service as clock

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
_COUNT = """
SELECT COUNT(*) AS n FROM collection_case k
JOIN loan l ON l.id = k.loan_id
JOIN product p ON p.id = l.product_id
WHERE k.opened_at >= :first AND k.opened_at < :past {narrowing}
"""
INPUTS = ("bucket", "days_past_due", "risk_rating", "value_segment")


async def count(population: Population) -> int:
    """How many collections cases the population holds (for a background job's progress)."""
    first, past = population.window()
    narrowing, values = population.narrowing("l.status")
    statement = _COUNT.format(narrowing=narrowing)
    _, rows = await sqltext.execute(statement, {"first": first, "past": past, **values})
    return int(rows[0]["n"])


async def chunks(population: Population) -> AsyncIterator[list[Case]]:
    """The collections cases opened in the window, a chunk of ids at a time, with inputs."""
    pg = sqltext.postgres()
    first, past = population.window()
    narrowing, values = population.narrowing("l.status")
    statement = _CHUNK.format(data=recorded.data_column(pg=pg), narrowing=narrowing)
    after = 0
    while True:
        params = {"after": after, "first": first, "past": past, "size": population.chunk}
        _, rows = await sqltext.execute(statement, {**params, **values})
        if not rows:
            return
        after = int(rows[-1]["id"])
        yield await _cases(rows)


async def _cases(rows: list[Any]) -> list[Case]:
    started: dict[int, dict[str, Any]] = {}  # the start data instances kept, by case id
    missing = []
    for row in rows:
        kept = recorded.kept_data(row["data"])
        if kept is not None and all(name in kept for name in INPUTS):
            started[int(row["id"])] = {name: kept[name] for name in INPUTS}
        else:
            missing.append(row)
    rebuilt = await _rebuilt(missing)
    out = []
    for row in rows:
        pk = int(row["id"])
        amount = money(row["principal"]) or Decimal("0")
        if pk in started:
            values, source = started[pk], InputSource.RECORDED
        else:
            values, source = rebuilt[pk], InputSource.REBUILT
        out.append(Case(int(row["loan_id"]), int(row["customer_id"]), amount, values, source))
    return out


async def _rebuilt(rows: list[Any]) -> dict[int, dict[str, Any]]:
    """Start data of cases whose instance kept none, keyed by case id."""
    if not rows:
        return {}
    listed, values = in_list("loan", tuple(sorted({int(row["loan_id"]) for row in rows})))
    _, late_rows = await sqltext.execute(LATE.format(where=f"l.id IN {listed}"), values)
    late: dict[int, list[Late]] = {}
    for found in late_rows:
        late.setdefault(int(found["loan_id"]), []).append(late_of(found))
    loans = []
    for row in rows:
        opened = clock.local_date(moment(row["opened_at"]) or datetime.now(UTC))
        loans.append({
            "id": int(row["loan_id"]), "customer_id": int(row["customer_id"]),
            "bucket": str(row["bucket"]),
            "days_past_due": days_past_due(late.get(int(row["loan_id"]), []), opened),
        })  # fmt: skip
    started = await live.start_data_many(loans)  # the live start's own computation
    return {
        int(row["id"]): {name: data[name] for name in INPUTS}
        for row, data in zip(rows, started, strict=True)
    }
