"""On-time streaks: per customer, how many installments in a row were paid on time.

Counting back from the latest installment due (by due date, then id, across all the
customer's loans), the streak is the number of installments paid on or before their due
date until the first one that was not (paid late, or not paid at all). One grouped statement
over a range of customers: each row knows, by a running count in that order, whether an
installment not paid on time came before it; the streak is the rows before the first one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tortoise import connections

from domain.daily.chunks import OPEN, Span
from domain.process.rows import placeholders

_STREAKS = """
SELECT cid, COUNT(*) AS streak FROM (
    SELECT l.customer_id AS cid,
           SUM(CASE WHEN i.paid_on IS NOT NULL AND i.paid_on <= i.due_date THEN 0 ELSE 1 END)
               OVER (PARTITION BY l.customer_id ORDER BY i.due_date DESC, i.id DESC
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS broken
      FROM installment i JOIN loan l ON l.id = i.loan_id
     WHERE i.due_date <= {day} AND l.customer_id >= {lo}{below}
) counted
 WHERE broken = 0
 GROUP BY cid
"""


async def on_time(day: date, customers: Span) -> dict[int, int]:
    """Per customer of the span with a streak: installments due on or before ``day`` paid
    on time in a row, counting back from the latest due; customers without one are left out.
    """
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    params: list[Any] = [day if postgres else day.isoformat(), customers.lo]
    if customers.hi < OPEN:
        params.append(customers.hi)
    marks = placeholders(conn, len(params))
    below = f" AND l.customer_id < {marks[2]}" if customers.hi < OPEN else ""
    sql = _STREAKS.format(day=marks[0], lo=marks[1], below=below)
    _, rows = await conn.execute_query(sql, params)
    return {int(row["cid"]): int(row["streak"]) for row in rows}
