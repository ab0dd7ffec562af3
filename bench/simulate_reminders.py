"""Reminder cadence benchmark: a draft of ``reminder_cadence.dmn`` over a month of reminders.

Builds a fresh database on SQLite and on PostgreSQL with the same loans, written by set-based
``INSERT … SELECT`` over a series: customers (three loans for every two, risk ratings and RFM
segments spread, one in five tagged HABITUAL_LATE) and loans of twelve monthly installments,
disbursed between 1 December 2025 and 29 May 2026, the installments due before 20 June mostly
paid (some a few days early, some late, one in ten not at all), one loan in fifty charged off
and one in twenty-three closed 100 days after disbursement. Then it simulates the draft of the
tests (T-10 added for HIGH risk, T-2 dropped for habitual late payers) against the version in
force over the reminders the daily run weighed from 1 to 30 June 2026, as the ``simulate``
mutation does, and prints the cases, the seconds, the cells, the movements and the peak
memory the simulation allocated (a second run, traced).

    python bench/simulate_reminders.py [--loans 30000]
        [--sqlite-path /tmp/lendgraph_bench_reminders.db]
        [--database-url postgres://postgres@127.0.0.1:5432/lendgraph_bench_reminders]
        [--only sqlite|postgres]
"""

from __future__ import annotations

import time
from datetime import date

from simulation_runs import (
    PROCESSES,
    after_inserts,
    loans_main,
    timed_and_traced,
)
from tortoise import Tortoise, connections

from bpmn import bundled
from bpmn.simulation import reminder_cases, run
from bpmn.simulation.population import Population
from domain import migrate
from domain.db import tortoise_config
from domain.simulation.models import PopulationKind

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lendgraph_bench_reminders"
DEFAULT_SQLITE = "/tmp/lendgraph_bench_reminders.db"
FIRST, LAST = date(2026, 6, 1), date(2026, 6, 30)
RISKS = ("LOW", "MEDIUM", "HIGH", "VERY_HIGH")
SEGMENTS = ("CHAMPIONS", "LOYAL", "POTENTIAL", "AT_RISK", "LOST", "NEW")

# {customers}/{loans}/{loan_installments} series of i (and k); days as the dialect spells them
TABLES = [
    """INSERT INTO product (id, code, name, method, min_rate, max_rate, min_term, max_term,
                            min_amount, max_amount, active)
       VALUES (1, 'PL', 'Personal loan', 'EQUAL_INSTALLMENT', {m_001}, {m_036}, 3, 60,
               {m_1000}, {m_3000000}, {yes})""",
    """INSERT INTO customer (id, kind, name, id_type, phone, time_zone, monthly_income,
                             risk_rating, rfm_segment, consent_sms, consent_app_push,
                             consent_email, consent_phone, created_at, updated_at)
       SELECT i, 'PERSON', 'bench ' || i, 'RESIDENT_ID', '1380000' || i, 'Asia/Shanghai',
              {m_8000}, {risk}, {segment}, {yes}, {no}, {no}, {yes}, {ts_0}, {ts_0}
       FROM {customers}""",
    """INSERT INTO tag (id, name, description) VALUES (1, 'HABITUAL_LATE', 'bench')""",
    """INSERT INTO customer_tag (customer_id, tag_id, explanation, created_at)
       SELECT i, 1, 'bench', {ts_0} FROM {customers} WHERE i % 5 = 0""",
    """INSERT INTO loan (id, customer_id, product_id, principal, annual_rate, term_months,
                         method, disbursed_on, status, outstanding_principal, credit_balance,
                         days_past_due, bucket, closed_on, created_at)
       SELECT i, 1 + (i - 1) % {customer_count}, 1, {m_12000}, {m_012}, 12,
              'EQUAL_INSTALLMENT', {disbursed},
              CASE WHEN i % 50 = 0 THEN 'CHARGED_OFF' WHEN i % 23 = 0 THEN 'CLOSED'
                   ELSE 'ACTIVE' END, {m_12000}, {m_0}, 0, 'M0',
              CASE WHEN i % 50 = 0 OR i % 23 = 0 THEN {closed} ELSE NULL END, {ts_0}
       FROM {loans}""",
    """INSERT INTO installment (loan_id, seq, due_date, principal_due, interest_due, fee_due,
                                principal_paid, interest_paid, fee_paid, paid_on)
       SELECT i, k, {due}, {principal}, {m_120}, {m_0}, {m_0}, {m_0}, {m_0},
              CASE WHEN {due_offset} + (i * k) % 9 - 4 < 201 AND (i * k) % 10 <> 0
                   THEN {paid} ELSE NULL END
       FROM {loan_installments}""",
]


def _spellings(pg: bool, loans: int) -> dict[str, str]:
    customers = loans * 2 // 3

    def series(n: int) -> str:
        if pg:
            return f"generate_series(1::bigint, {n}) AS s(i)"
        return f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s) s"  # noqa: E501

    def twelve() -> str:
        if pg:
            return "generate_series(1, 12) AS m(k)"
        return "(WITH RECURSIVE m(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM m WHERE k < 12) SELECT k FROM m) m"  # noqa: E501

    def day(days: str) -> str:  # days after 1 December 2025 (1 June 2026 is day 182)
        if pg:
            return f"(DATE '2025-12-01' + ({days})::int)"
        return f"date('2025-12-01', printf('%+d days', {days}))"

    def pick(names: tuple[str, ...], step: int) -> str:
        whens = " ".join(f"WHEN {n} THEN '{v}'" for n, v in enumerate(names))
        return f"CASE (i * {step}) % {len(names)} {whens} END"

    def money(expr: str) -> str:
        return f"({expr})::numeric(16, 2)" if pg else f"printf('%.2f', {expr})"

    disbursed = "((i * 37) % 180)"
    due = f"({disbursed} + 30 * k)"
    return {
        "customers": series(customers), "loans": series(loans), "customer_count": str(customers),
        "loan_installments": f"{series(loans)} CROSS JOIN {twelve()}",
        "no": "false" if pg else "0", "yes": "true" if pg else "1",
        "ts_0": "TIMESTAMPTZ '2026-01-01 02:00+00'" if pg else "'2026-01-01 02:00:00+00:00'",
        "risk": pick(RISKS, 7), "segment": pick(SEGMENTS, 11),
        "disbursed": day(disbursed), "closed": day(f"{disbursed} + 100"), "due": day(due),
        "due_offset": due, "paid": day(f"{due} + (i * k) % 9 - 4"),
        "principal": money("1000 + (i % 97) + k / 100.0"),
        **{f"m_{v.replace('.', '')}": money(v) for v in (
            "0", "0.01", "0.36", "0.12", "120", "1000", "8000", "12000", "3000000")},
    }  # fmt: skip


async def _build(url: str, pg: bool, loans: int) -> float:
    started = time.perf_counter()
    await migrate.apply(url)
    await bundled.install()
    db = connections.get("default")
    spelled = _spellings(pg, loans)
    for table in TABLES:
        await db.execute_script(table.format(**spelled))
    if pg:
        await after_inserts(("product", "customer", "tag", "customer_tag", "loan", "installment"))
    return time.perf_counter() - started


def _rule(key: str, rating: str, remind: str) -> str:
    """A rule for 10 days before the due date, for a rating test."""
    entries = "".join(
        f'<inputEntry id="bench_{key}_{n}"><text>{text}</text></inputEntry>'
        for n, text in enumerate(("10", "", rating, ""))
    )
    return (
        f'<rule id="bench_{key}">{entries}<outputEntry id="bench_{key}_remind"><text>{remind}'
        f'</text></outputEntry><outputEntry id="bench_{key}_reason"><text>"10 days: HIGH only"'
        "</text></outputEntry></rule>\n      "
    )


def draft() -> run.Draft:
    """The tests' draft: T-10 for HIGH risk, no T-2 for habitual late payers."""
    table = (
        (PROCESSES / "reminder_cadence.dmn").read_text()
        .replace("<text>? in (5, 2)</text>", "<text>5</text>")
        .replace("<text>? not in (7, 5, 3, 2, 1)</text>", "<text>? not in (10, 7, 5, 3, 1)</text>")
        .replace('<rule id="rule_other_days">', _rule("high", '"HIGH"', "True")
                 + _rule("not_high", '? != "HIGH"', "False") + '<rule id="rule_other_days">')
    )  # fmt: skip
    bpmn = (PROCESSES / "pre_due_reminders.bpmn").read_bytes()
    return run.Draft(bpmn, [table.encode()])


async def bench(name: str, url: str, loans: int) -> None:
    """Build the loans on one database, simulate June's reminders, print the figures."""
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    try:
        built = await _build(url, name == "PostgreSQL", loans)
        june = Population(PopulationKind.LOANS, FIRST, LAST)
        started = time.perf_counter()
        counted = await reminder_cases.count(june)
        counting = time.perf_counter() - started
        done, seconds, peak = await timed_and_traced(draft(), june)
    finally:
        await Tortoise.close_connections()
    report, totals = done.report, done.report["totals"]
    print(f"{name}: {totals['cases']:,} reminders weighed ({loans:,} loans, "
          f"{FIRST} to {LAST}) in {seconds:.2f} s, {totals['cases'] / seconds:,.0f} a second, "
          f"peak memory {peak / 2**20:.1f} MiB; counted {counted:,} in {counting:.2f} s "
          f"(loans built in {built:.1f} s)")  # fmt: skip
    print(f"  changed {totals['changed']:,} (amount {totals['changedAmount']} of "
          f"{totals['amount']}); table runs in force {totals['evaluations']['old']}, "
          f"draft {totals['evaluations']['new']}")  # fmt: skip
    for cell in report["cells"]:
        print(f"  {cell['old']:>5} -> {cell['new']:<5} {cell['count']:>9,} {cell['amount']:>18}")
    for m in report["movements"]:
        print(f"  {m['segment'] or '-':>10} {m['rating'] or '-':<9} entered {m['entered']:>6,} "
              f"({m['enteredAmount']}), left {m['left']:>6,} ({m['leftAmount']})")  # fmt: skip


def main() -> None:
    """Parse the options, start from an empty SQLite file, run."""
    loans_main(__file__, __doc__, bench, loans=30_000, url=DEFAULT_URL, sqlite=DEFAULT_SQLITE)


if __name__ == "__main__":
    main()
