"""On-time streaks: per customer, how many installments in a row were paid on time.

Counting back from the latest installment due (by due date, then id, across all the
customer's loans), the streak is the number of installments paid on or before their due
date until the first one that was not (paid late, or not paid at all). One grouped statement
over a range of customers: each row knows, by a running count in that order, whether an
installment not paid on time came before it; the streak is the rows before the first one.
"""

from __future__ import annotations

from datetime import date

from domain import sqltext
from domain.daily.chunks import Span

_STREAKS = """
SELECT cid, COUNT(*) AS streak FROM (
    SELECT l.customer_id AS cid,
           SUM(CASE WHEN i.paid_on IS NOT NULL AND i.paid_on <= i.due_date THEN 0 ELSE 1 END)
               OVER (PARTITION BY l.customer_id ORDER BY i.due_date DESC, i.id DESC
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS broken
      FROM installment i JOIN loan l ON l.id = i.loan_id
     WHERE i.due_date <= :day AND {span}
) counted
 WHERE broken = 0
 GROUP BY cid
"""


async def on_time(day: date, customers: Span) -> dict[int, int]:
    """Per customer of the span with a streak: installments due on or before ``day`` paid
    on time in a row, counting back from the latest due; customers without one are left out.
    """
    pg = sqltext.postgres()
    values = {"day": day if pg else day.isoformat(), "lo": customers.lo, "hi": customers.hi}
    _, rows = await sqltext.execute(
        _STREAKS.replace("{span}", customers.where("l.customer_id")), values
    )
    return {int(row["cid"]): int(row["streak"]) for row in rows}
