"""Collections replay benchmark: a collection strategy draft over 20,000 past-due loans, 90 days.

Builds a fresh database on SQLite and on PostgreSQL with the same arrears, written by set-based
``INSERT … SELECT`` over a series: customers (three loans for every two of them in arrears,
branches, risk ratings and RFM segments spread, one in twenty without a phone, one in
twenty-five in Dubai, four hours behind Shanghai), 20 collectors in four branches, and loans with
two installments each, the first falling due between 2 March and 28 June 2026, some paid late
(cured), some never (rolling on), one in fifty charged off. Then it simulates a draft of
``collection_strategy.dmn`` (STANDARD calls every 3 days instead of 5; GENTLE in M2 for MEDIUM
risk too) against the version in force over the 90 days ending 30 June, as the ``simulate``
mutation does, and prints the seconds, the loans and days replayed, the contacts on each side
and the peak memory the simulation allocated (a second run, traced).

    python bench/simulate_collections.py [--loans 20000]
        [--sqlite-path /tmp/lendgraph_bench_collections.db]
        [--database-url postgres://postgres@127.0.0.1:5432/lendgraph_bench_collections]
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
from bpmn.simulation import run
from bpmn.simulation.population import Population
from domain import migrate
from domain.db import tortoise_config
from domain.simulation.models import PopulationKind
from domain.user.models import User

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lendgraph_bench_collections"
DEFAULT_SQLITE = "/tmp/lendgraph_bench_collections.db"
LAST = date(2026, 6, 30)
BRANCHES = ("BJ", "SH", "GZ", "SZ")
RISKS = ("LOW", "MEDIUM", "HIGH", "VERY_HIGH")
SEGMENTS = ("CHAMPIONS", "LOYAL", "POTENTIAL", "AT_RISK", "LOST", "NEW")

# {rows} series of i; {due1}/{due2}/{paid1}/{paid2}/{closed} days as the dialect spells them
TABLES = [
    """INSERT INTO product (id, code, name, method, min_rate, max_rate, min_term, max_term,
                            min_amount, max_amount, active)
       VALUES (1, 'PL', 'Personal loan', 'EQUAL_INSTALLMENT', {m_001}, {m_036}, 3, 60,
               {m_1000}, {m_3000000}, {yes})""",
    """INSERT INTO customer (id, kind, name, id_type, phone, email, time_zone, monthly_income,
                             branch, risk_rating, rfm_segment, consent_sms, consent_app_push,
                             consent_email, consent_phone, created_at, updated_at)
       SELECT i, 'PERSON', 'bench ' || i, 'RESIDENT_ID',
              CASE WHEN i % 20 = 0 THEN NULL ELSE '1380000' || i END,
              CASE WHEN i % 20 = 0 THEN 'bench' || i || '@example.com' ELSE NULL END,
              CASE WHEN i % 25 = 0 THEN 'Asia/Dubai' ELSE 'Asia/Shanghai' END, {m_8000},
              {branch}, {risk}, {segment}, {no}, {no}, {no}, {yes}, {ts_0}, {ts_0}
       FROM {customers}""",
    """INSERT INTO loan (id, customer_id, product_id, principal, annual_rate, term_months,
                         method, disbursed_on, status, outstanding_principal, credit_balance,
                         days_past_due, bucket, closed_on, created_at)
       SELECT i, 1 + (i - 1) % {customer_count}, 1, {m_12000}, {m_012}, 12,
              'EQUAL_INSTALLMENT', {disbursed},
              CASE WHEN i % 50 = 0 THEN 'CHARGED_OFF' ELSE 'ACTIVE' END, {m_12000}, {m_0}, 0,
              'M0', CASE WHEN i % 50 = 0 THEN {closed} ELSE NULL END, {ts_0}
       FROM {loans}""",
    """INSERT INTO installment (id, loan_id, seq, due_date, principal_due, interest_due,
                                fee_due, principal_paid, interest_paid, fee_paid, paid_on)
       SELECT 2 * i - 1, i, 1, {due1}, {m_1000}, {m_120}, {m_0}, {m_0}, {m_0}, {m_0},
              CASE WHEN ((i * 7919) % 101) % 4 IN (1, 2) THEN {paid1} ELSE NULL END
       FROM {loans}""",
    """INSERT INTO installment (id, loan_id, seq, due_date, principal_due, interest_due,
                                fee_due, principal_paid, interest_paid, fee_paid, paid_on)
       SELECT 2 * i, i, 2, {due2}, {m_1000}, {m_120}, {m_0}, {m_0}, {m_0}, {m_0},
              CASE WHEN ((i * 7919) % 101) % 4 = 2 THEN {paid2} ELSE NULL END
       FROM {loans}""",
]


def _spellings(pg: bool, loans: int) -> dict[str, str]:
    customers = loans * 2 // 3

    def series(n: int) -> str:
        if pg:
            return f"generate_series(1::bigint, {n}) AS s(i)"
        return f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s) s"  # noqa: E501

    def day(days: str) -> str:  # days after 2 March 2026
        if pg:
            return f"(DATE '2026-03-02' + ({days})::int)"
        return f"date('2026-03-02', printf('%+d days', {days}))"

    def pick(names: tuple[str, ...], step: int) -> str:
        whens = " ".join(f"WHEN {n} THEN '{v}'" for n, v in enumerate(names))
        return f"CASE (i * {step}) % {len(names)} {whens} END"

    def money(expr: str) -> str:
        return f"({expr})::numeric(16, 2)" if pg else f"printf('%.2f', {expr})"

    first = "((i * 37) % 119)"  # the first installment falls due 2 March to 28 June
    return {
        "customers": series(customers), "loans": series(loans), "customer_count": str(customers),
        "no": "false" if pg else "0", "yes": "true" if pg else "1",
        "ts_0": "TIMESTAMPTZ '2026-01-01 02:00+00'" if pg else "'2026-01-01 02:00:00+00:00'",
        "branch": pick(BRANCHES, 1), "risk": pick(RISKS, 7), "segment": pick(SEGMENTS, 11),
        "disbursed": day(f"{first} - 30"), "due1": day(first), "due2": day(f"{first} + 30"),
        "paid1": day(f"{first} + 2 + (i % 40)"), "paid2": day(f"{first} + 32 + (i % 10)"),
        "closed": day(f"{first} + 100"),
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
    await User.bulk_create([
        User(username=f"collector{n}", roles=["collector"], branch=BRANCHES[n % len(BRANCHES)])
        for n in range(1, 21)
    ])  # fmt: skip
    if pg:
        await after_inserts(("product", "customer", "loan", "installment"))
    return time.perf_counter() - started


def draft() -> run.Draft:
    """The draft: STANDARD every 3 days (was 5), GENTLE in M2 for MEDIUM risk too."""
    table = (
        (PROCESSES / "collection_strategy.dmn").read_text()
        .replace('<outputEntry id="rule_standard_wait">\n          <text>"P5D"</text>',
                 '<outputEntry id="rule_standard_wait">\n          <text>"P3D"</text>')
        .replace('<inputEntry id="rule_gentle_m2_risk_rating">\n          <text>"LOW"</text>',
                 '<inputEntry id="rule_gentle_m2_risk_rating">\n'
                 '          <text>? in ("LOW", "MEDIUM")</text>')
    )  # fmt: skip
    return run.Draft((PROCESSES / "collections.bpmn").read_bytes(), [table.encode()])


async def _simulate() -> tuple[run.Simulated, float, int]:
    population = Population(PopulationKind.LOANS, LAST, LAST)  # the replay: 90 days to LAST
    return await timed_and_traced(draft(), population)


async def bench(name: str, url: str, loans: int) -> None:
    """Build the arrears on one database, simulate, print the figures."""
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    try:
        built = await _build(url, name == "PostgreSQL", loans)
        done, seconds, peak = await _simulate()
    finally:
        await Tortoise.close_connections()
    replayed = done.report["collections"]
    old, new = replayed["old"], replayed["new"]
    print(f"{name}: {replayed['loans']:,} past-due loans x {replayed['days']} days replayed "
          f"in {seconds:.2f} s, peak memory {peak / 2**20:.1f} MiB "
          f"(arrears built in {built:.1f} s)")  # fmt: skip
    for label, side in (("in force", old), ("draft", new)):
        channels = ", ".join(f"{c['channel']} {c['total']:,}" for c in side["channels"])
        busiest = max((w["busiestDay"] for w in side["workload"]), default=0)
        print(f"  {label:>8}: {side['contacts']:,} contacts ({channels}); policy stopped "
              f"{side['suppressed']:,}, put off {side['postponed']:,}; "
              f"{sum(w['tasks'] for w in side['workload']):,} collector tasks, busiest "
              f"collector-day {busiest}; table runs {side['evaluations']}")  # fmt: skip
    changed = replayed["changed"]
    print(f"  strategy changes for {changed['loans']:,} loans: {changed['cured']:,} cured, "
          f"{changed['rolled']:,} rolled, {changed['chargedOff']:,} charged off, "
          f"{changed['stayed']:,} stayed (observed)")  # fmt: skip


def main() -> None:
    """Parse the options, start from an empty SQLite file, run."""
    loans_main(__file__, __doc__, bench, loans=20_000, url=DEFAULT_URL, sqlite=DEFAULT_SQLITE)


if __name__ == "__main__":
    main()
