"""What profiling a range of customers reads, taken once, in five grouped statements.

Risk ratings, RFM, lifecycle stages, behaviour tags and the facts of administrators' tag rules
all look at the same customers, loans, installments, payments and contacts. ``read`` takes
them once for the customers with ``lo <= id < hi``: each table in one statement grouped by
customer that keeps only the counts, dates and sums those rules use. The installments of the
range are read once, through its loans (their index), for every rule at the same time.

Money sums are exact on both databases (SQLite adds cents as integers, not floats).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from tortoise import connections

from domain import sqltext
from domain.interaction.models import Direction, InteractionChannel, Outcome
from domain.loan.models import LoanStatus, Payment
from domain.profile.ranges import where
from domain.profile.windows import WINDOW_MONTHS, Windows

EARLY_DAYS = 5  # EARLY_REPAYER: paid at least this many days before the due date
LAST_DUE = 6  # HABITUAL_LATE looks at the last six installments due ...
LATE_DAYS = (1, 5)  # ... paid this many days late
CENT = Decimal("0.01")
Row = dict[str, Any]

_CUSTOMERS = """
SELECT c.id AS cid, c.monthly_income AS income, c.rfm_recency, c.rfm_frequency,
       c.rfm_monetary, c.rfm_segment, c.risk_rating, c.lifecycle_stage,
       r.customer_id AS reported, r.total_debt AS debt, r.score AS score
  FROM customer c
  LEFT JOIN (SELECT customer_id, total_debt, score, ROW_NUMBER() OVER (
                    PARTITION BY customer_id ORDER BY pulled_at DESC, id DESC) AS rn
               FROM credit_report WHERE {span:customer_id}) r
    ON r.customer_id = c.id AND r.rn = 1
 WHERE {span:c.id}"""

_LOANS = """
SELECT customer_id AS cid,
       SUM(CASE WHEN status = :active THEN 1 ELSE 0 END) AS active_n,
       MAX(CASE WHEN status = :active THEN days_past_due END) AS active_dpd,
       {owed} AS active_owed,
       MIN(CASE WHEN disbursed_on <= :day THEN disbursed_on END) AS first_drawn,
       MAX(CASE WHEN disbursed_on <= :day THEN disbursed_on END) AS last_drawn,
       SUM(CASE WHEN disbursed_on > :year_ago AND disbursed_on <= :day THEN 1 ELSE 0 END)
           AS recent_n,
       SUM(CASE WHEN disbursed_on >= :rfm_start AND disbursed_on <= :day THEN 1 ELSE 0 END)
           AS rfm_n,
       MAX(CASE WHEN disbursed_on >= :rfm_start AND disbursed_on <= :day THEN disbursed_on END)
           AS rfm_last,
       SUM(CASE WHEN disbursed_on > :drop_start AND disbursed_on <= :drop_middle THEN 1 ELSE 0
           END) AS act_before,
       SUM(CASE WHEN disbursed_on > :drop_middle AND disbursed_on <= :day THEN 1 ELSE 0 END)
           AS act_lately
  FROM loan WHERE {span:customer_id} GROUP BY customer_id"""

# every installment of the range's loans, once; rn numbers those due by the date, latest first
_INSTALLMENTS = """
SELECT x.cid,
       MAX(CASE WHEN x.due_date > :year_ago AND x.due_date <= :day
                THEN CASE WHEN x.late > 0 THEN x.late ELSE 0 END END) AS worst,
       SUM(CASE WHEN {in_rfm} THEN 1 ELSE 0 END) AS rfm_paid,
       SUM(CASE WHEN {in_rfm} AND x.paid_on <= x.due_date THEN 1 ELSE 0 END) AS rfm_n,
       MAX(CASE WHEN {in_rfm} AND x.paid_on <= x.due_date THEN x.paid_on END) AS rfm_last,
       {interest} AS rfm_interest, {fee} AS rfm_fee,
       SUM(CASE WHEN x.paid_on > :drop_start AND x.paid_on <= :drop_middle THEN 1 ELSE 0 END)
           AS act_before,
       SUM(CASE WHEN x.paid_on > :drop_middle AND x.paid_on <= :day THEN 1 ELSE 0 END)
           AS act_lately,
       SUM(x.early) AS early_n, MAX(CASE WHEN x.early = 1 THEN x.due_date END) AS early_last,
       SUM(CASE WHEN x.rn <= {last} THEN 1 ELSE 0 END) AS last_n, {late_columns},
       SUM(CASE WHEN x.paid_on <= x.due_date THEN 1 ELSE 0 END) AS paid_on_time,
       SUM(CASE WHEN x.paid_on > x.due_date THEN 1 ELSE 0 END) AS paid_late,
       SUM(CASE WHEN x.paid_on IS NULL AND x.due_date <= :day THEN 1 ELSE 0 END) AS overdue
  FROM (SELECT l.customer_id AS cid, i.due_date, i.paid_on, i.interest_paid, i.fee_paid,
               {late} AS late, {paid_late} AS days_late,
               CASE WHEN i.due_date <= :day AND i.paid_on IS NOT NULL
                     AND {early_by} >= :early_days THEN 1 ELSE 0 END AS early,
               CASE WHEN i.due_date <= :day THEN ROW_NUMBER() OVER (
                    PARTITION BY l.customer_id
                    ORDER BY CASE WHEN i.due_date <= :day THEN 0 ELSE 1 END,
                             i.due_date DESC, i.id DESC) END AS rn
          FROM loan l JOIN installment i ON i.loan_id = l.id
         WHERE {span:l.customer_id}) x
 GROUP BY x.cid"""

# only what a risk rating reads: the worst days late of the installments due in 12 months
_WORST = """
SELECT l.customer_id AS cid,
       MAX(CASE WHEN i.due_date > :year_ago AND i.due_date <= :day
                THEN CASE WHEN {late} > 0 THEN {late} ELSE 0 END END) AS worst
  FROM loan l JOIN installment i ON i.loan_id = l.id
 WHERE {span:l.customer_id}
 GROUP BY l.customer_id"""

_PAYMENTS = """
SELECT l.customer_id AS cid, MAX(p.paid_at) AS last
  FROM loan l JOIN payment p ON p.loan_id = l.id
 WHERE {span:l.customer_id} GROUP BY l.customer_id"""

# a contact counts on its UTC date, as the rows' dates compare with the window's
_CONTACTS = """
SELECT customer_id AS cid,
       SUM(CASE WHEN direction = :inbound THEN 1 ELSE 0 END) AS inbound,
       SUM(CASE WHEN direction = :inbound AND channel IN (:app, :web) THEN 1 ELSE 0 END)
           AS online,
       SUM(CASE WHEN direction = :inbound AND occurred_at > :since AND occurred_at <= :split
                THEN 1 ELSE 0 END) AS act_before,
       SUM(CASE WHEN direction = :inbound AND occurred_at > :split AND occurred_at <= :until
                THEN 1 ELSE 0 END) AS act_lately,
       SUM(CASE WHEN outcome = :declined THEN 1 ELSE 0 END) AS declined
  FROM interaction WHERE {span:customer_id} GROUP BY customer_id"""


_INSTALLMENT_DATES = ("rfm_last", "early_last", *(f"late_due_{k}" for k in range(1, LAST_DUE + 1)))


@dataclass(slots=True)
class Reading:
    """Per customer of a range, what its rules read (rows keyed by customer id)."""

    windows: Windows
    customers: dict[int, Row]  # every customer: labels, income, latest credit report
    loans: dict[int, Row]  # every borrower
    installments: dict[int, Row]  # borrowers with installments
    payments: dict[int, date]  # the UTC date of each payer's latest payment
    contacts: dict[int, Row]  # customers with contacts

    @property
    def day(self) -> date:
        """The business date read."""
        return self.windows.day


async def read(
    day: date, lo: int | None = None, hi: int | None = None, *, months: int = WINDOW_MONTHS,
    ratings_only: bool = False,
) -> Reading:  # fmt: skip
    """Everything profiling reads of the customers with ``lo <= id < hi`` on ``day``.

    ``ratings_only`` reads only what a risk rating needs (customers, loans, the worst days
    late): the rest is left empty.
    """
    windows = Windows.of(day, months)
    pg = sqltext.postgres()
    span_values: dict[str, Any] = {}

    def sql(template: str, **parts: str) -> str:
        for name, part in parts.items():
            template = template.replace("{" + name + "}", part)
        while "{span:" in template:
            start = template.index("{span:")
            end = template.index("}", start)
            clause, bounds = where(template[start + 6 : end], lo, hi)
            span_values.update(bounds)
            template = template[:start] + clause + template[end + 1 :]
        return template

    def money(expression: str) -> str:
        return f"SUM({expression})" if pg else f"SUM(CAST(ROUND(({expression}) * 100) AS INTEGER))"

    values: dict[str, Any] = {
        "day": day, "year_ago": windows.year_ago, "rfm_start": windows.rfm_start,
        "drop_start": windows.drop_start, "drop_middle": windows.drop_middle,
        "active": LoanStatus.ACTIVE.value, "early_days": EARLY_DAYS,
    }  # fmt: skip
    late = sqltext.days_between("COALESCE(i.paid_on, :day)", "i.due_date", pg=pg)
    customers = await _rows(sql(_CUSTOMERS), values, span_values, pg)
    owed = money("CASE WHEN status = :active THEN outstanding_principal END")
    loan_dates = ("first_drawn", "last_drawn", "rfm_last")
    loans = await _rows(
        sql(_LOANS, owed=owed), values, span_values, pg, dates=loan_dates, money=("active_owed",)
    )
    if ratings_only:
        worst = await _rows(sql(_WORST, late=late), values, span_values, pg)
        return Reading(windows, _by_id(customers), _by_id(loans), _by_id(worst), {}, {})
    in_rfm = "x.paid_on >= :rfm_start AND x.paid_on <= :day"
    low, high = LATE_DAYS
    late_columns = ", ".join(
        f"MAX(CASE WHEN x.rn = {k} AND x.days_late BETWEEN {low} AND {high} THEN x.due_date END)"
        f" AS late_due_{k}, MAX(CASE WHEN x.rn = {k} AND x.days_late BETWEEN {low} AND {high}"
        f" THEN x.days_late END) AS late_days_{k}"
        for k in range(1, LAST_DUE + 1)
    )
    installments = await _rows(sql(
        _INSTALLMENTS, in_rfm=in_rfm, late=late, late_columns=late_columns,
        interest=money(f"CASE WHEN {in_rfm} THEN x.interest_paid END"),
        fee=money(f"CASE WHEN {in_rfm} THEN x.fee_paid END"), last=str(LAST_DUE),
        paid_late=sqltext.days_between("i.paid_on", "i.due_date", pg=pg),
        early_by=sqltext.days_between("i.due_date", "i.paid_on", pg=pg),
    ), values, span_values, pg, dates=_INSTALLMENT_DATES,
       money=("rfm_interest", "rfm_fee"))  # fmt: skip
    paid_at = Payment._meta.fields_map["paid_at"]
    payments = {
        int(row["cid"]): paid_at.to_python_value(row["last"]).date()
        for row in await _rows(sql(_PAYMENTS), values, span_values, pg)
    }
    contacts = await _rows(sql(_CONTACTS), {
        "inbound": Direction.INBOUND.value, "app": InteractionChannel.APP.value,
        "web": InteractionChannel.WEB.value, "declined": Outcome.OFFER_DECLINED_RATE.value,
        "since": datetime.combine(windows.drop_start, time.max, UTC),
        "split": datetime.combine(windows.drop_middle, time.max, UTC),
        "until": datetime.combine(day, time.max, UTC),
    }, span_values, pg)  # fmt: skip
    return Reading(windows, _by_id(customers), _by_id(loans), _by_id(installments), payments,
                   _by_id(contacts))  # fmt: skip


async def _rows(
    sql: str, values: dict[str, Any], bounds: dict[str, Any], pg: bool, *,
    dates: tuple[str, ...] = (), money: tuple[str, ...] = (),
) -> list[Row]:  # fmt: skip
    """The statement's rows as dicts: ``dates`` as dates (SQLite gives text), ``money`` sums
    as Decimals of cents."""
    text, ordered = sqltext.bind(sql, {**values, **bounds}, pg=pg)
    rows: list[Row] = await connections.get("default").execute_query_dict(text, ordered)
    for row in rows:
        if not pg:
            for name in dates:
                if row[name] is not None:
                    row[name] = date.fromisoformat(row[name])
        for name in money:
            if row[name] is not None:
                amount = Decimal(row[name]) if pg else Decimal(int(row[name])) / 100
                row[name] = amount.quantize(CENT)
    return rows


def _by_id(rows: list[Row]) -> dict[int, Row]:
    return {int(row["cid"]): row for row in rows}
