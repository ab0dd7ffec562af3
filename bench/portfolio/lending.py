"""Loans, their contracts and applications, and the per-customer facts the profile starts from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain.seed import catalog

from .sqltext import Draws, bucket_for_sql, lit, local_time

CHANNELS = (("APP", 0.45), ("WEB", 0.15), ("BRANCH", 0.25), ("PHONE", 0.05), ("PARTNER", 0.10))
REASONS = {
    "AUTO": "Auto-approved: bureau score within the automatic band",
    "STANDARD": "Approved by a risk officer: bureau score checked, income verified",
    "SENIOR": "Approved by a senior risk officer: turnover and debts reviewed",
}


def padded(number: str, width: int = 6) -> str:
    """A zero-padded number that is never cut short."""
    return f"lpad(({number})::text, greatest({width}, length(({number})::text)), '0')"


def loans(
    d: Draws, *, business_date: date, zone: str, contract0: int, collectors: tuple[int, int],
    buckets: Sequence[tuple[str, int, int | None]],
) -> str:  # fmt: skip
    """INSERT the loans with their state as of the business date, from the plan and totals."""
    bd = lit(business_date)
    collector = d.one_of("l.r", 41, list(collectors))
    return f"""
    INSERT INTO loan (id, customer_id, product_id, contract_id, collector_id, principal,
      annual_rate, term_months, method, disbursed_on, status, outstanding_principal,
      credit_balance, days_past_due, bucket, dpd_as_of, closed_on, created_at)
    SELECT l.id, l.customer_id, l.product_id, {contract0} + l.r,
      CASE WHEN st.status = 'ACTIVE' AND (st.dpd > 30 OR (st.dpd > 5 AND {d.u("l.r", 40)} < 0.4))
           THEN {collector} END,
      l.principal, l.annual_rate, l.term, l.method, l.disbursed, st.status,
      l.principal - t.principal_paid, t.credit, st.dpd, {bucket_for_sql("st.dpd", buckets)}, {bd},
      CASE st.status WHEN 'CLOSED' THEN t.last_paid WHEN 'CHARGED_OFF' THEN t.oldest_unpaid + 360
      END,
      {local_time("l.disbursed", f"9 * 3600 + floor({d.u('l.r', 42)} * 8 * 3600)", zone)}
    FROM lp2 l JOIN la t ON t.loan_id = l.id
    CROSS JOIN LATERAL (SELECT
      CASE WHEN t.unpaid = 0 THEN 'CLOSED' WHEN {bd} - t.oldest_unpaid > 360 THEN 'CHARGED_OFF'
           ELSE 'ACTIVE' END AS status,
      CASE WHEN t.unpaid > 0 AND {bd} - t.oldest_unpaid <= 360
           THEN coalesce({bd} - t.oldest_unpaid, 0)
           ELSE 0 END AS dpd) st
    """


def customer_facts(business_date: date) -> str:
    """CREATE TEMP TABLE cl: per borrower, what profiling and the history are drawn from."""
    bd = lit(business_date)
    return f"""
    CREATE TEMP TABLE cl AS
    SELECT l.customer_id, min(l.disbursed) AS first_drawn, max(l.disbursed) AS last_drawn,
      count(*) AS loans, count(*) FILTER (WHERE n.status = 'ACTIVE') AS active,
      coalesce(max(n.days_past_due) FILTER (WHERE n.status = 'ACTIVE'), 0) AS max_dpd,
      bool_or(n.status = 'CHARGED_OFF') AS charged_off, max(n.closed_on) AS last_closed,
      coalesce(sum(n.outstanding_principal) FILTER (WHERE n.status = 'ACTIVE'), 0) AS owed,
      sum(t.on_time) + count(*) FILTER (WHERE l.disbursed >= {bd} - 730) AS frequency,
      greatest(max(t.last_on_time), max(l.disbursed) FILTER (WHERE l.disbursed >= {bd} - 730))
        AS last_event,
      sum(t.margin) AS margin, max(t.worst_late) AS worst_late, max(l.id) AS last_loan,
      min(l.stop_from) AS stop_from
    FROM lp2 l JOIN la t ON t.loan_id = l.id JOIN loan n ON n.id = l.id
    GROUP BY l.customer_id;
    ALTER TABLE cl ADD PRIMARY KEY (customer_id);
    ANALYZE cl;
    """


def contracts_and_applications(
    d: Draws, *, business_date: date, zone: str, contract0: int, application0: int,
    loans_total: int, product_ids: dict[str, int],
) -> str:  # fmt: skip
    """INSERT one application and one contract per loan, and the open applications."""
    bd = lit(business_date)
    purposes = "CASE l.product " + " ".join(
        f"WHEN {lit(p.code)} THEN {d.one_of('l.r', 50, p.purposes)}" for p in catalog.PRODUCTS
    ) + " END"  # fmt: skip
    score = f"(680 + 60 * {d.z('l.r', 51)})"
    lane = (
        f"CASE WHEN l.principal >= 500000 OR {score} < 600 THEN 'SENIOR' "
        f"WHEN l.principal >= 100000 OR {score} < 660 THEN 'STANDARD' ELSE 'AUTO' END"
    )
    reason = "CASE lane " + " ".join(
        f"WHEN {lit(k)} THEN {lit(v)}" for k, v in REASONS.items()
    ) + " END"  # fmt: skip
    submitted = f"(l.disbursed - {d.between('l.r', 52, 2, 10)})"
    decided = (
        f"({submitted} + CASE WHEN lane = 'AUTO' THEN 0 ELSE {d.between('l.r', 53, 0, 1)} END)"
    )
    decided_at = local_time(decided, f"13 * 3600 + floor({d.u('l.r', 54)} * 5 * 3600)", zone)
    submitted_at = local_time(submitted, f"8 * 3600 + floor({d.u('l.r', 55)} * 4 * 3600)", zone)
    personal = ("CONSUMER", "AUTO", "CREDIT_LINE_MICRO")
    troubled = "c.behaviour IN ('DELINQUENT', 'CHARGED_OFF')"
    status = (
        f"CASE WHEN NOT {troubled} AND {d.u('c.g', 61)} < 0.65 THEN "
        f"{d.pick('c.g', 62, (('SUBMITTED', 0.4), ('IN_REVIEW', 0.35), ('APPROVED', 0.25)))} "
        "ELSE 'DECLINED' END"
    )
    open_product = (
        f"CASE WHEN c.business THEN {product_ids['SME']} ELSE "
        f"{d.one_of('c.g', 63, [product_ids[c] for c in personal])}"
        " END"
    )
    number = padded(f"{contract0} + r")
    open_day = f"({bd} - {d.between('c.g', 64, 1, 20)})"
    return f"""
    INSERT INTO application (id, customer_id, product_id, channel, amount, term_months, purpose,
      status, decision, decision_reason, risk_lane, submitted_at, decided_at, updated_at)
    SELECT {application0} + r, customer_id, product_id, channel, principal, term, purpose,
      'DISBURSED', 'APPROVED', {reason}, lane, submitted_at, decided_at, decided_at
    FROM (
      SELECT l.r, l.customer_id, l.product_id, l.principal, l.term, {purposes} AS purpose,
        {d.pick("l.r", 56, CHANNELS)} AS channel, {lane} AS lane, l.disbursed
      FROM lp l
    ) l CROSS JOIN LATERAL (SELECT {submitted_at} AS submitted_at, {decided_at} AS decided_at) t;
    INSERT INTO contract (id, number, customer_id, application_id, signed_on, principal,
                          annual_rate, term_months)
    SELECT {contract0} + r, 'LG-' || extract(year FROM disbursed) || '-' || {number},
      customer_id, {application0} + r, disbursed, principal, annual_rate, term
    FROM lp;
    INSERT INTO application (id, customer_id, product_id, channel, amount, term_months, purpose,
      status, decision, decision_reason, risk_lane, submitted_at, decided_at, updated_at)
    SELECT {application0} + {loans_total} + g, id, product_id, {d.pick("g", 65, CHANNELS)},
      CASE WHEN business THEN 200000 ELSE 20000 END, 12, 'Working capital or household needs',
      status, CASE status WHEN 'DECLINED' THEN 'DECLINED' WHEN 'APPROVED' THEN 'APPROVED' END,
      CASE status WHEN 'DECLINED' THEN 'Declined: bureau score or debt burden outside policy'
                  WHEN 'APPROVED' THEN 'Approved by a risk officer' END,
      CASE WHEN status = 'SUBMITTED' THEN NULL ELSE 'STANDARD' END,
      {local_time("day", "9 * 3600", zone)},
      CASE WHEN status IN ('DECLINED', 'APPROVED') THEN {local_time("day", "15 * 3600", zone)} END,
      {local_time("day", "15 * 3600", zone)}
    FROM (
      SELECT c.g, c.id, c.business, {status} AS status, {open_product} AS product_id,
        {open_day} AS day
      FROM cp c WHERE c.n_loans = 0 OR {d.u("c.g", 60)} < 0.06
    ) o
    """
