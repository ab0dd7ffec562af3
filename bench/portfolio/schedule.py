"""Schedules, repayments and their allocations for every planned loan, in one statement.

A recursive query walks each loan's schedule month by month exactly as
`domain.loan.schedule.schedule_for` does (interest on the outstanding rounded half-up to
cents, the level payment or level principal, the last installment taking what is left, so
the principal parts sum to the principal). Each installment is then paid or not as of the
business date by the customer's behaviour: on time, a few days early or late, now and then
missed and paid with the next one, never again from a delinquent customer's stop date (at
most a token partial payment on the first unpaid one). Payments are allocated as
`post_payment` would (interest, then principal, oldest first; what a round sum leaves on
the last installment is kept as credit). The walk is materialised once and read by four
inserts: installments, allocations, payments and the per-loan totals the loans are made of.
"""

from __future__ import annotations

from datetime import date, timedelta

from domain.seed.plans import LATE_SHARE, MISS_SHARE

from .sqltext import Draws, lit, local_time

LOAN_TOTALS = """
CREATE TEMP TABLE la (
  loan_id integer PRIMARY KEY, principal_paid numeric, unpaid integer, oldest_unpaid date,
  last_paid date, credit numeric, on_time integer, last_on_time date, margin numeric,
  worst_late integer
)
"""


def _by_behaviour(shares: dict[str, float]) -> str:
    arms = " ".join(f"WHEN {lit(k)} THEN {v}" for k, v in shares.items())
    return f"CASE behaviour {arms} END"


def _interest(o: str, rate: str = "rate") -> str:
    """Interest on `o` as `schedule_for` computes it: o·i to 40 digits, then half-up to cents."""
    product = f"({o} * {rate})"
    return (
        f"CASE WHEN {product} = 0 THEN 0 ELSE round(round({product}, "
        f"39 - floor(log({product}::float8))::int), 2) END"
    )


def _part(o: str, seq: str, rate: str = "rate") -> str:
    return (
        f"CASE WHEN {seq} = term THEN {o} "
        f"WHEN ei THEN least(greatest(a - {_interest(o, rate)}, 0), {o}) "
        f"ELSE least(lvl, {o}) END"
    )


def _offset(d: Draws, key: str) -> str:
    """Days between due date and payment: early payers 3-10 before, others mostly on time."""
    late, when = d.u(key, 32), d.u(key, 33)
    share = _by_behaviour(LATE_SHARE)
    return (
        f"CASE WHEN behaviour = 'EARLY' THEN -(3 + floor({when} * 8)::int) "
        f"WHEN {late} < {share} THEN 1 + floor({when} * 5)::int "
        f"WHEN {late} < {share} + (1 - {share}) * 0.6 THEN 0 "
        f"ELSE -(1 + floor({when} * 5)::int) END"
    )


def statement(
    d: Draws, *, business_date: date, zone: str, installment0: int, payment0: int,
    allocation0: int,
) -> str:  # fmt: skip
    """Write installment, payment_allocation and payment rows, and the totals into `la`."""
    bd = lit(business_date)
    miss = _by_behaviour(MISS_SHARE)
    window = lit(business_date - timedelta(days=730))
    year = lit(business_date - timedelta(days=365))

    def raw(key: str) -> str:  # a missed installment, unless the one before was missed
        return f"({d.u(key, 31)} < {miss})"

    partial_day = f"(due + 3 + floor({d.u('ik', 35)} * 23)::int)"
    pay_seconds = f"8 * 3600 + floor({d.u('ik', 38)} * 14 * 3600)"
    paid_at = local_time(f"coalesce(CASE WHEN paid THEN pay_day END, {partial_day})",
                         pay_seconds, zone)  # fmt: skip
    return f"""
    WITH RECURSIVE s AS (
      SELECT l.id AS loan_id, l.ik0 + 1 AS ik, 1 AS seq, l.term, l.ei, l.i40 AS rate,
        l.a, l.lvl, l.behaviour, l.disbursed, l.first_due, l.stop_from,
        l.principal::numeric AS o, 0::numeric AS prev_owed,
        {_interest("l.principal", "l.i40")} AS interest,
        {_part("l.principal", "1", "l.i40")} AS part
      FROM lp2 l
      UNION ALL
      SELECT loan_id, ik + 1, seq + 1, term, ei, rate, a, lvl, behaviour, disbursed, first_due,
        stop_from, o - part, interest + part,
        {_interest("(o - part)")}, {_part("(o - part)", "(seq + 1)")}
      FROM s WHERE seq < term
    ), x AS MATERIALIZED (
      SELECT g.*, CASE WHEN paid AND seq = term AND {d.u("ik", 37)} < 0.1 THEN
          CASE WHEN ceil(owed_pay / 10) * 10 > owed_pay THEN ceil(owed_pay / 10) * 10 - owed_pay
               ELSE 10 END ELSE 0 END AS credit
      FROM (
      SELECT f.*, CASE WHEN paid THEN interest + part ELSE 0 END
                  + CASE WHEN paid AND prev_missed THEN prev_owed ELSE 0 END AS owed_pay,
        CASE WHEN partial THEN greatest(round((interest + part)
             * (20 + floor({d.u("ik", 36)} * 41)::int) / 100.0, 2), 0.01) END AS partial_amount
      FROM (
        SELECT e.*, NOT stopped AND pay_day < {bd} AS paid,
          stopped AND (seq = 1 OR prev_due < stop_from) AND {d.u("ik", 34)} < 0.3
            AND {partial_day} < {bd} AS partial
        FROM (
          SELECT c.*, greatest(CASE WHEN missed THEN next_due + ({_offset(d, "ik + 1")})
                                    ELSE due + ({_offset(d, "ik")}) END, disbursed + 1) AS pay_day
          FROM (
            SELECT b.*,
              seq < term AND {raw("ik")} AND NOT (seq > 1 AND {raw("ik - 1")})
                AND NOT stopped AND NOT coalesce(next_due >= stop_from, false) AS missed,
              seq > 1 AND {raw("ik - 1")} AND NOT (seq > 2 AND {raw("ik - 2")})
                AND NOT stopped AS prev_missed
            FROM (
              SELECT s.*, dd.*, coalesce(dd.due >= s.stop_from, false) AS stopped
              FROM s CROSS JOIN LATERAL (SELECT
                (s.first_due + make_interval(months => s.seq - 1))::date AS due,
                (s.first_due + make_interval(months => s.seq))::date AS next_due,
                (s.first_due + make_interval(months => s.seq - 2))::date AS prev_due) dd
            OFFSET 0) b
          OFFSET 0) c
        OFFSET 0) e
      OFFSET 0) f
      OFFSET 0) g
    ), installments AS (
      INSERT INTO installment (id, loan_id, seq, due_date, principal_due, interest_due, fee_due,
                               principal_paid, interest_paid, fee_paid, paid_on)
      SELECT {installment0} + ik, loan_id, seq, due, part, interest, 0,
        CASE WHEN paid THEN part WHEN partial THEN partial_amount - least(partial_amount,
             interest) ELSE 0 END,
        CASE WHEN paid THEN interest WHEN partial THEN least(partial_amount, interest)
             ELSE 0 END, 0,
        CASE WHEN paid THEN pay_day END
      FROM x
    ), allocations AS (
      INSERT INTO payment_allocation (id, payment_id, installment_id, fee, interest, principal)
      SELECT {allocation0} + ik, {payment0} + CASE WHEN missed THEN ik + 1 ELSE ik END,
        {installment0} + ik, 0,
        CASE WHEN paid THEN interest ELSE least(partial_amount, interest) END,
        CASE WHEN paid THEN part ELSE partial_amount - least(partial_amount, interest) END
      FROM x WHERE paid OR partial
    ), payments AS (
      INSERT INTO payment (id, loan_id, amount, paid_at, idempotency_key, principal_prepaid,
                           credit, created_at)
      SELECT {payment0} + ik, loan_id, coalesce(partial_amount, owed_pay) + credit,
{paid_at}, 'seed-' || ({payment0} + ik), 0, credit, {paid_at}
      FROM x WHERE (paid AND NOT missed) OR partial
    )
    INSERT INTO la
    SELECT loan_id,
      sum(CASE WHEN paid THEN part WHEN partial THEN partial_amount - least(partial_amount,
          interest) ELSE 0 END),
      count(*) FILTER (WHERE NOT paid),
      min(due) FILTER (WHERE NOT paid AND due < {bd}),
      max(pay_day) FILTER (WHERE paid),
      sum(credit),
      count(*) FILTER (WHERE paid AND pay_day <= due AND pay_day >= {window}),
      max(pay_day) FILTER (WHERE paid AND pay_day <= due AND pay_day >= {window}),
      coalesce(sum(interest) FILTER (WHERE paid AND pay_day >= {window}), 0),
      coalesce(max(CASE WHEN paid THEN pay_day ELSE {bd} END - due)
               FILTER (WHERE due > {year} AND due <= {bd}), 0)
    FROM x GROUP BY loan_id
    """
