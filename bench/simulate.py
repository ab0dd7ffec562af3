"""Decision-table simulation benchmark: a risk_lane draft over 100,000 past applications.

Builds a fresh database on SQLite and on PostgreSQL with the same history, written by
set-based ``INSERT … SELECT`` over a series (``generate_series`` on PostgreSQL, a recursive
series on SQLite): customers, applications spread over a quarter, a bureau report pulled
before each (fresh for half of them; stale for the others, which take the pull's path), a
loan with one installment (some paid late) on every fifth. Then it simulates a draft of
``risk_lane.dmn`` (decline below 600, FAST up to 80,000) against the version in force over
the quarter, as the ``simulate`` mutation does, and prints the seconds, the cases per
second and the peak memory the simulation allocated (a second run, traced).

    python bench/simulate.py [--applications 100000] [--customers 20000]
        [--sqlite-path /tmp/lendgraph_bench_simulate.db]
        [--database-url postgres://postgres@127.0.0.1:5432/lendgraph_bench_simulate]
        [--only sqlite|postgres] [--scope table|process]

``--scope process`` runs the whole credit approval diagram, both versions, on every
application (its report pull and scoring answered from history, a review with the decision
the application got), once per key of the start data the diagram can tell apart, and prints
the runs each side made and both sides' approval rate, no-human share and tasks per role.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from typing import Any

from simulation_runs import (
    PROCESSES,
    after_inserts,
    each_database,
    fresh_postgres,
    timed_and_traced,
)
from tortoise import Tortoise, connections

from bpmn import bundled
from bpmn.simulation import run
from bpmn.simulation.population import Population, Scope
from domain import migrate
from domain.db import tortoise_config
from domain.simulation.models import PopulationKind

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lendgraph_bench_simulate"
DEFAULT_SQLITE = "/tmp/lendgraph_bench_simulate.db"
QUARTER = (date(2026, 3, 1), date(2026, 5, 31))

# One template per table; {rows} is the series of i, {ts}/{money}/{no} the dialect's
# spellings of a moment N days after 1 March 02:00 UTC, an amount, and false.
TABLES = [
    """INSERT INTO product (id, code, name, method, min_rate, max_rate, min_term, max_term,
                            min_amount, max_amount, active)
       VALUES (1, 'PL', 'Personal loan', 'EQUAL_INSTALLMENT', {m_001}, {m_036}, 3, 60,
               {m_1000}, {m_3000000}, {yes})""",
    """INSERT INTO customer (id, kind, name, id_type, time_zone, monthly_income, consent_sms,
                             consent_app_push, consent_email, consent_phone, created_at,
                             updated_at)
       SELECT i, 'PERSON', 'bench ' || i, 'RESIDENT_ID', 'Asia/Shanghai',
              {money_income}, {no}, {no}, {no}, {no}, {ts_0}, {ts_0}
       FROM {customers}""",
    """INSERT INTO credit_report (id, customer_id, bureau, score, pulled_at, total_debt,
                                  open_accounts, delinquencies, inquiries)
       SELECT i, 1 + (i - 1) % {customer_count}, 'BENCH', 450 + (i * 7919) % 400,
              {ts_pulled}, {money_debt}, 0, 0, 0
       FROM {applications}""",
    """INSERT INTO application (id, customer_id, product_id, channel, amount, term_months,
                                purpose, status, submitted_at, decided_at, updated_at)
       SELECT i, 1 + (i - 1) % {customer_count}, 1, 'APP', {money_amount}, 24, '',
              CASE WHEN i % 5 = 0 THEN 'DISBURSED' ELSE 'DECLINED' END,
              {ts_submitted}, {ts_decided}, {ts_decided}
       FROM {applications}""",
    """INSERT INTO contract (id, number, customer_id, application_id, signed_on)
       SELECT i / 5, 'B-' || i, 1 + (i - 1) % {customer_count}, i, {day_signed}
       FROM {applications} WHERE i % 5 = 0""",
    """INSERT INTO loan (id, customer_id, product_id, contract_id, principal, annual_rate,
                         term_months, method, disbursed_on, status, outstanding_principal,
                         credit_balance, days_past_due, bucket, created_at)
       SELECT i / 5, 1 + (i - 1) % {customer_count}, 1, i / 5, {money_amount}, {m_012}, 24,
              'EQUAL_INSTALLMENT', {day_signed},
              CASE WHEN i % 35 = 0 THEN 'CHARGED_OFF' ELSE 'ACTIVE' END, {money_amount},
              {m_0}, CASE WHEN i % 7 = 0 THEN (i * 31) % 120 ELSE 0 END, 'M0', {ts_0}
       FROM {applications} WHERE i % 5 = 0""",
    """INSERT INTO installment (id, loan_id, seq, due_date, principal_due, interest_due,
                                fee_due, principal_paid, interest_paid, fee_paid, paid_on)
       SELECT i / 5, i / 5, 1, {day_due}, {m_100}, {m_10}, {m_0}, {m_100}, {m_10}, {m_0},
              CASE WHEN i % 3 = 0 THEN NULL ELSE {day_paid} END
       FROM {applications} WHERE i % 5 = 0""",
]


def _spellings(pg: bool, customers: int, applications: int) -> dict[str, str]:
    def series(n: int) -> str:
        if pg:
            return f"generate_series(1::bigint, {n}) AS s(i)"
        return f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s) s"  # noqa: E501

    def ts(days: str, hours: int = 2) -> str:
        if pg:
            return f"(TIMESTAMPTZ '2026-03-01 {hours:02d}:00+00' + ({days}) * INTERVAL '1 day')"
        return f"strftime('%Y-%m-%d %H:%M:%S+00:00', '2026-03-01 {hours:02d}:00:00', printf('%+d days', {days}))"  # noqa: E501

    def day(days: str) -> str:
        if pg:
            return f"(DATE '2026-01-01' + ({days})::int)"
        return f"date('2026-01-01', printf('%+d days', {days}))"

    def money(expr: str) -> str:
        return f"({expr})::numeric(16, 2)" if pg else f"printf('%.2f', {expr})"

    return {
        "customers": series(customers), "applications": series(applications),
        "customer_count": str(customers),
        "no": "false" if pg else "0", "yes": "true" if pg else "1",
        "ts_0": ts("-60"), "ts_pulled": ts("i % 92 - 1 - i % 2 * 40"),
        "ts_submitted": ts("i % 92"), "ts_decided": ts("i % 92", 3),
        "day_signed": day("(i % 60)"), "day_due": day("(i % 60) + 30"),
        "day_paid": day("(i % 60) + 30 + (i % 4) * 25"),
        "money_income": money("5000 + ((i * 37) % 40) * 500"),
        "money_debt": money("((i * 104729) % 200) * 1000"),
        "money_amount": money("5000 + ((i * 7919) % 396) * 1000"),
        **{f"m_{v.replace('.', '')}": money(v) for v in (
            "0", "0.01", "0.36", "0.12", "10", "100", "1000", "3000000")},
    }  # fmt: skip


async def _build(url: str, pg: bool, customers: int, applications: int) -> float:
    started = time.perf_counter()
    await migrate.apply(url)
    await bundled.install()
    db = connections.get("default")
    spelled = _spellings(pg, customers, applications)
    for table in TABLES:
        await db.execute_script(table.format(**spelled))
    if pg:
        await after_inserts(["product", "customer", "credit_report", "application",
                             "contract", "loan", "installment"])  # fmt: skip
    return time.perf_counter() - started


async def _simulate(scope: Scope) -> tuple[run.Simulated, float, int]:
    draft_dmn = (
        (PROCESSES / "risk_lane.dmn").read_text()
        .replace("&lt; 550", "&lt; 600").replace("&lt;= 50000", "&lt;= 80000")
    )  # fmt: skip
    draft = run.Draft((PROCESSES / "credit_approval.bpmn").read_bytes(), [draft_dmn.encode()])
    population = Population(PopulationKind.APPLICATIONS, *QUARTER, scope=scope)
    return await timed_and_traced(draft, population)


async def bench(
    name: str, url: str, customers: int, applications: int, scope: Scope = Scope.TABLE
) -> None:
    """Build the history on one database, simulate, print the figures."""
    pg = name == "PostgreSQL"
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    try:
        built = await _build(url, pg, customers, applications)
        done, seconds, peak = await _simulate(scope)
    finally:
        await Tortoise.close_connections()
    totals = done.report["totals"]
    print(f"{name}: {totals['cases']:,} applications simulated in {seconds:.2f} s "
          f"({totals['cases'] / seconds:,.0f} cases/s), peak memory {peak / 2**20:.1f} MiB "
          f"(history of {customers:,} customers built in {built:.1f} s)")  # fmt: skip
    print(f"  changed {totals['changed']:,} cases ({totals['changedAmount']}); table runs: "
          f"{totals['evaluations']['old']} in force, {totals['evaluations']['new']} draft; "
          f"observed: {done.report['observed']['loans']:,} granted loans, "
          f"{done.report['observed']['defaulted']:,} defaulted")  # fmt: skip
    for cell in done.report["cells"]:
        print(f"    {cell['old']:>9} -> {cell['new']:<9} {cell['count']:>7,}  {cell['amount']:>18}")
    process: dict[str, Any] = done.report.get("process") or {}
    for side in ("old", "new") if process else ():
        found = process[side]
        roles = ", ".join(f"{r['role']} {r['tasks']:,}" for r in found["tasksPerRole"])
        print(f"  {side}: {found['runs']:,} diagram runs; approved {found['approved']:,} "
              f"({found['approvalRate']}, {found['approvedAmount']}); no human "
              f"{found['noHumanShare']}, no human decision {found['noHumanDecisionShare']}; "
              f"tasks: {roles}")  # fmt: skip


async def one(args: argparse.Namespace) -> None:
    """Bench the database asked for."""
    scope = Scope(args.scope.upper())
    if args.only == "sqlite":
        url = f"sqlite://{args.sqlite_path}"
        await bench("SQLite", url, args.customers, args.applications, scope)
    else:
        await fresh_postgres(args.database_url)
        await bench("PostgreSQL", args.database_url, args.customers, args.applications, scope)


def main() -> None:
    """Parse the options, start from an empty SQLite file, run."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--sqlite-path", default=DEFAULT_SQLITE, help="removed and made again")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="dropped and made again")
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--scope", choices=("table", "process"), default="table")
    each_database(__file__, parser.parse_args(), one)


if __name__ == "__main__":
    main()
