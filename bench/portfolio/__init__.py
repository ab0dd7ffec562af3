"""A lending portfolio of any size built inside PostgreSQL with set-based statements.

The small reference tables (staff, products, tags, field definitions, campaigns, the business
date) come from `domain.seed.reference`, as `lendgraph seed` makes them; everything that
grows with the number of customers is written by `INSERT … SELECT` over `generate_series`:
customers, applications, contracts, loans with their full schedules, repayments and their
allocations, bureau reports, contacts and custom fields. Randomness is a hash of each row's
index and the seed, so the same size and seed give the same rows. The bulk tables are loaded
without indexes and foreign keys, which are rebuilt (and so checked) before the one
transaction commits; then the sequences move past the ids written and the tables are analysed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from argon2 import PasswordHasher
from tortoise import connections
from tortoise.transactions import in_transaction

from domain.customer.models import Customer
from domain.seed import catalog
from domain.seed.generator import _ALL_MODELS, DatabaseNotEmptyError
from domain.seed.people import Keys
from domain.seed.plans import target_ranges
from domain.seed.reference import create_reference
from domain.seed.rows import Ids, sync_sequences
from domain.settings import settings

from . import constraints, history, lending, people, plan, schedule
from .sqltext import RANDOM_FUNCTIONS, Draws

__all__ = ["BULK_TABLES", "Built", "build", "row_counts"]

BULK_TABLES = (
    "customer", "customer_external_ref", "custom_field_value", "application", "contract", "loan",
    "installment", "payment", "payment_allocation", "credit_report", "interaction",
)  # fmt: skip
SESSION = (
    "SET LOCAL work_mem = '256MB'; SET LOCAL maintenance_work_mem = '1GB'; SET LOCAL jit = off"
)


@dataclass
class Built:
    """What the build wrote and how long each phase took (seconds)."""

    customers: int
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)


async def row_counts(tables: tuple[str, ...] = BULK_TABLES) -> dict[str, int]:
    """Exact row counts of the tables."""
    conn = connections.get("default")
    counts = {}
    for table in tables:
        _, rows = await conn.execute_query(f'SELECT count(*) AS n FROM "{table}"')
        counts[table] = int(rows[0]["n"])
    return counts


async def build(
    *,
    customers: int,
    demo_password: str,
    business_date: date,
    rng_seed: int = 20261128,
    progress: Callable[[str, float], None] | None = None,
) -> Built:
    """Build `customers` customers with their lending history on an empty PostgreSQL database."""
    started = time.perf_counter()
    if customers < 1:
        raise ValueError(f"customers must be >= 1, got {customers}")
    existing = await Customer.all().count()
    if existing:
        raise DatabaseNotEmptyError(f"the database already has {existing} customer(s)")
    built = Built(customers)

    def done(phase: str, since: float) -> float:
        now = time.perf_counter()
        built.phases[phase] = now - since
        if progress is not None:
            progress(phase, now - since)
        return now

    rng = random.Random(rng_seed)
    ref = await create_reference(
        rng, customers=customers, password_hash=PasswordHasher().hash(demo_password),
        business_date=business_date, ids=await Ids.load(_ALL_MODELS),
    )  # fmt: skip
    keys = Keys.draw(rng, business_date)
    d = Draws(rng_seed % 1_000_000)
    zone = f"'{settings().time_zone.key}'"
    buckets = [(b.name, b.min_dpd, b.max_dpd) for b in settings().buckets]
    staff = ref.staff
    featured = [staff.ids[n] for n in ("am1", "am2") if staff.ids[n] in staff.managers.get(
        catalog.SHANGHAI, ())]  # fmt: skip
    t = done("reference", started)
    async with in_transaction() as conn:
        await conn.execute_script(SESSION + ";" + RANDOM_FUNCTIONS + schedule.LOAN_TOTALS)
        saved = await constraints.take_off(conn, BULK_TABLES)
        t = done("constraints off", t)
        await conn.execute_script(
            plan.customers(
                d, count=customers, first_id=0, keys=keys, targets=target_ranges(settings().buckets)
            )
        )
        await conn.execute_script(plan.loans(
            d, first_id=0, business_date=business_date, product_ids=ref.product_ids))  # fmt: skip
        _, rows = await conn.execute_query("SELECT count(*) AS n FROM lp2")
        loans_total = int(rows[0]["n"])
        t = done("plan", t)
        await conn.execute_script(schedule.statement(
            d, business_date=business_date, zone=zone, installment0=0, payment0=0,
            allocation0=0))  # fmt: skip
        t = done("schedules, payments, allocations", t)
        await conn.execute_script(lending.loans(
            d, business_date=business_date, zone=zone, contract0=0,
            collectors=staff.collectors, buckets=buckets))  # fmt: skip
        await conn.execute_script(lending.customer_facts(business_date))
        await conn.execute_script(lending.contracts_and_applications(
            d, business_date=business_date, zone=zone, contract0=0, application0=0,
            loans_total=loans_total, product_ids=ref.product_ids))  # fmt: skip
        t = done("loans, contracts, applications", t)
        await conn.execute_script(history.credit_reports(d, business_date=business_date, zone=zone))
        await conn.execute_script(history.rfm(business_date))
        await conn.execute_script(people.customers(
            d, business_date=business_date, keys=keys, managers=dict(staff.managers),
            featured=featured, zone=zone))  # fmt: skip
        await conn.execute_script(history.custom_values(d, fields=ref.field_ids))
        t = done("customers, bureau reports", t)
        await conn.execute_script(history.interactions(
            d, business_date=business_date, customers=customers, cs_agent=staff.ids["cs1"],
            collectors_=staff.collectors))  # fmt: skip
        t = done("interactions", t)
        await constraints.put_back(conn, saved)
        t = done("indexes and keys", t)
    await sync_sequences(_ALL_MODELS)
    await connections.get("default").execute_script("ANALYZE")
    done("analyze", t)
    built.seconds = time.perf_counter() - started
    return built
