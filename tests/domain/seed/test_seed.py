"""The demo portfolio seed, on a real database of its own (SQLite unless the session uses PG)."""

import hashlib
import os
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from argon2 import PasswordHasher
from tortoise import Tortoise, fields
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext

from domain.campaign.models import CampaignResponse
from domain.clock.models import BusinessDay
from domain.customer.models import Customer, CustomerExternalRef, CustomerTag, Tag
from domain.customer.validation import is_valid_resident_id
from domain.customfield.models import CustomFieldDefinition, CustomFieldValue
from domain.db import APP, is_postgres, tortoise_config
from domain.enums import CustomerKind
from domain.interaction.models import Interaction, InteractionChannel, Outcome
from domain.loan.delinquency import bucket_for, days_past_due
from domain.loan.models import Installment, Loan, LoanStatus, Payment, PaymentAllocation
from domain.seed import generator
from domain.seed.generator import DEMO_USERNAMES, DatabaseNotEmptyError, SeedSummary, seed
from domain.seed.people import uscc_check_char
from domain.user.models import User

BUSINESS_DATE = date(2026, 11, 28)
PASSWORD = "demo-Passw0rd"
CUSTOMERS = 300
CHUNK = 120  # three chunks, so that chunking is exercised too
USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
ZERO = Decimal("0.00")


@dataclass
class Seeded:
    """A seeded database: its Tortoise context, the summary and the progress calls."""

    ctx: TortoiseContext
    summary: SeedSummary
    progress: list[tuple[str, int, int]]


@asynccontextmanager
async def fresh_url(path: Path) -> AsyncIterator[str]:
    """A new SQLite file; a new PostgreSQL database when the session runs on PostgreSQL.

    Tortoise keeps per-model query builders at class level, so one process cannot switch its
    models between SQLite and PostgreSQL: these tests follow the session's choice.
    """
    configured = os.environ.get("DATABASE_URL", "")
    if not is_postgres(configured or "sqlite://x"):
        yield f"sqlite://{path}"
        return
    server = configured.split("?")[0].rpartition("/")[0]
    admin_url = server.replace("postgres://", "postgresql://") + "/postgres"
    name = f"lendgraph_seed_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{server}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@asynccontextmanager
async def fresh_database(path: Path) -> AsyncIterator[TortoiseContext]:
    """An isolated Tortoise context over a new, empty database with the schema generated.

    Tortoise also caches each table's INSERT by connection name: the shared database's cached
    statements are set aside meanwhile, so that neither side sees the other's.
    """
    saved = dict(EXECUTOR_CACHE)
    EXECUTOR_CACHE.clear()
    ctx = TortoiseContext()
    try:
        async with fresh_url(path) as url:
            with ctx:
                await ctx.init(config=tortoise_config(url))
                await ctx.generate_schemas()
            try:
                yield ctx
            finally:
                with ctx:
                    await ctx.close_connections()
    finally:
        EXECUTOR_CACHE.clear()
        EXECUTOR_CACHE.update(saved)


async def seed_demo(progress: list[tuple[str, int, int]] | None = None) -> SeedSummary:
    """The seed the tests look at, three chunks of at most 120 customers."""
    calls = progress if progress is not None else []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generator, "CHUNK_SIZE", CHUNK)
        return await seed(
            customers=CUSTOMERS,
            demo_password=PASSWORD,
            business_date=BUSINESS_DATE,
            progress=lambda stage, done, total: calls.append((stage, done, total)),
        )


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def seeded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Seeded]:
    """One seeded database shared by the tests of this module (they only read it)."""
    async with fresh_database(tmp_path_factory.mktemp("seed") / "demo.db") as ctx:
        calls: list[tuple[str, int, int]] = []
        with ctx:
            summary = await seed_demo(calls)
        yield Seeded(ctx, summary, calls)


@contextmanager
def using(seeded: Seeded) -> Iterator[None]:
    """Run the queries of a test against the seeded database."""
    with seeded.ctx:
        yield


async def digest(ctx: TortoiseContext) -> str:
    """SHA-256 over every column of every table (but the salted password hash), by id."""
    sha = hashlib.sha256()
    for model in sorted(Tortoise.apps[APP].values(), key=lambda m: m._meta.db_table):
        columns = ", ".join(
            f'"{column}"'
            for name, column in model._meta.fields_db_projection.items()
            if name != "password_hash"
        )
        sql = f'SELECT {columns} FROM "{model._meta.db_table}" ORDER BY "id"'
        _, rows = await ctx.db().execute_query(sql)
        for values in rows:
            sha.update(repr(tuple(values)).encode())
    return sha.hexdigest()


@pytest.mark.asyncio(loop_scope="session")
async def test_summary_counts_the_rows_and_progress_is_reported_per_chunk(seeded: Seeded) -> None:
    with using(seeded):
        assert seeded.summary.customers == CUSTOMERS == await Customer.all().count()
        assert seeded.summary.loans == await Loan.all().count() > CUSTOMERS
        assert seeded.summary.installments == await Installment.all().count()
        assert seeded.summary.payments == await Payment.all().count()
        assert seeded.summary.interactions == await Interaction.all().count()
        assert seeded.summary.campaign_responses == await CampaignResponse.all().count()
        assert (await BusinessDay.get(id=1)).current == BUSINESS_DATE
    assert seeded.progress == [
        ("reference", 1, 1),
        ("customers", 120, CUSTOMERS),
        ("customers", 240, CUSTOMERS),
        ("customers", 300, CUSTOMERS),
    ]


@pytest.mark.asyncio(loop_scope="session")
async def test_demo_users_exist_with_their_roles_and_one_password_hash(seeded: Seeded) -> None:
    assert DEMO_USERNAMES == (
        "admin", "risk1", "senior1", "am1", "am2", "lead1", "collector1", "collector2", "cs1",
        "auditor1", "analyst1",
    )  # fmt: skip
    with using(seeded):
        users = {u.username: u for u in await User.all()}
        managers = await Customer.all().values_list("account_manager__username")
    managed = Counter(name for (name,) in managers)
    assert set(DEMO_USERNAMES) <= set(users)
    assert users["admin"].roles == ["admin"]
    assert users["senior1"].roles == ["senior_risk_officer"]
    assert users["collector2"].roles == ["collector"]
    assert {users[n].team for n in ("am1", "am2", "lead1")} == {"team-east"}
    extra = [name for name in users if re.fullmatch(r"am([3-9]|\d\d+)", name)]
    assert len(extra) >= 2
    assert len({u.password_hash for u in users.values()}) == 1
    assert PasswordHasher().verify(users["am1"].password_hash or "", PASSWORD)
    assert managed["am1"] >= CUSTOMERS // 10 and managed["am2"] >= CUSTOMERS // 10
    assert sum(managed.values()) == CUSTOMERS


@pytest.mark.asyncio(loop_scope="session")
async def test_active_loans_cover_every_bucket_mostly_current(seeded: Seeded) -> None:
    with using(seeded):
        buckets = await Loan.filter(status=LoanStatus.ACTIVE).values_list("bucket")
        closed = await Loan.filter(status=LoanStatus.CLOSED).values_list(
            "closed_on", "outstanding_principal"
        )
        charged_off = await Loan.filter(status=LoanStatus.CHARGED_OFF).count()
        collected = await Loan.filter(collector_id__isnull=False).values_list("days_past_due")
    active = Counter(bucket for (bucket,) in buckets)
    assert set(active) == {f"M{k}" for k in range(8)}
    assert 0.7 <= active["M0"] / sum(active.values()) <= 0.9
    assert closed and all(on is not None and left == 0 for on, left in closed)
    assert charged_off >= 1
    assert collected and all(dpd > 0 for (dpd,) in collected)


@pytest.mark.asyncio(loop_scope="session")
async def test_schedules_payments_and_allocations_add_up(seeded: Seeded) -> None:
    with using(seeded):
        loans = {
            row[0]: row[1:]
            for row in await Loan.all().values_list(
                "id", "principal", "outstanding_principal", "credit_balance", "status",
                "days_past_due", "bucket",
            )
        }  # fmt: skip
        installments = await Installment.all().values_list(
            "id", "loan_id", "due_date", "principal_due", "interest_due", "fee_due",
            "principal_paid", "interest_paid", "fee_paid", "paid_on",
        )  # fmt: skip
        payments = await Payment.all().values_list(
            "id", "loan_id", "amount", "principal_prepaid", "credit", "paid_at"
        )
        allocations = await PaymentAllocation.all().values_list(
            "payment_id", "installment_id", "fee", "interest", "principal"
        )
    scheduled: defaultdict[int, Decimal] = defaultdict(lambda: ZERO)
    dues: defaultdict[int, list[tuple[date, bool]]] = defaultdict(list)
    for _, loan_id, due, principal_due, *_, paid_on in installments:
        scheduled[loan_id] += principal_due
        dues[loan_id].append((due, paid_on is not None))
    allocated: defaultdict[int, Decimal] = defaultdict(lambda: ZERO)
    by_installment: defaultdict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    for payment_id, installment_id, fee, interest, principal in allocations:
        allocated[payment_id] += fee + interest + principal
        sums = by_installment[installment_id]
        sums[0], sums[1], sums[2] = sums[0] + fee, sums[1] + interest, sums[2] + principal
    prepaid: defaultdict[int, Decimal] = defaultdict(lambda: ZERO)
    credit: defaultdict[int, Decimal] = defaultdict(lambda: ZERO)
    for payment_id, loan_id, amount, principal_prepaid, payment_credit, paid_at in payments:
        assert allocated[payment_id] + principal_prepaid + payment_credit == amount
        assert paid_at < datetime(2026, 11, 28, tzinfo=UTC)
        prepaid[loan_id] += principal_prepaid
        credit[loan_id] += payment_credit
    repaid: defaultdict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in installments:
        installment_id, loan_id, _, p_due, i_due, f_due, p_paid, i_paid, f_paid, paid_on = row
        assert by_installment[installment_id] == [f_paid, i_paid, p_paid]
        assert (paid_on is not None) == (p_paid + i_paid + f_paid == p_due + i_due + f_due)
        repaid[loan_id] += p_paid
    assert any(prepaid.values()) and any(credit.values())
    for loan_id, (principal, outstanding, balance, status, dpd, bucket) in loans.items():
        # prepayments re-amortize the rest of the schedule, so they count with its principal
        assert scheduled[loan_id] + prepaid[loan_id] == principal
        assert outstanding == principal - repaid[loan_id] - prepaid[loan_id]
        assert balance == credit[loan_id]
        expected = days_past_due(dues[loan_id], BUSINESS_DATE) if status == "ACTIVE" else 0
        assert (dpd, bucket) == (expected, bucket_for(expected))


@pytest.mark.asyncio(loop_scope="session")
async def test_identities_are_valid_and_unique(seeded: Seeded) -> None:
    with using(seeded):
        customers = await Customer.all().values_list(
            "id", "kind", "id_type", "id_number", "birth_date", "phone", "time_zone"
        )
        refs = dict(
            await CustomerExternalRef.filter(source="core_banking").values_list(
                "customer_id", "external_id"
            )
        )
    people = [c for c in customers if c[1] == CustomerKind.PERSON]
    businesses = [c for c in customers if c[1] == CustomerKind.BUSINESS]
    assert 0.05 <= len(businesses) / len(customers) <= 0.15
    for _, _, id_type, number, born, *_ in people:
        assert id_type == "RESIDENT_ID" and is_valid_resident_id(number)
        assert number[6:14] == f"{born:%Y%m%d}"
        assert 21 <= (BUSINESS_DATE - born).days // 365.25 <= 65
    for _, _, id_type, number, born, *_ in businesses:
        assert id_type == "BUSINESS_LICENSE" and USCC.fullmatch(number) and born is None
        assert uscc_check_char(number[:17]) == number[17]
    numbers = [c[3] for c in customers]
    phones = [c[5] for c in customers]
    assert len(set(numbers)) == len(numbers) and len(set(phones)) == len(phones)
    assert all(re.fullmatch(r"1[3-9]\d{9}", phone) for phone in phones)
    assert {c[6] for c in customers} <= {"Asia/Shanghai", "Asia/Urumqi"}
    assert refs == {c[0]: f"CB-{c[0]:06d}" for c in customers}


@pytest.mark.asyncio(loop_scope="session")
async def test_tags_explain_themselves_and_match_the_payments(seeded: Seeded) -> None:
    with using(seeded):
        tags = await CustomerTag.all().values_list("customer_id", "tag__name", "explanation")
        prepaid = await Payment.filter(principal_prepaid__gt=0).values_list("loan__customer_id")
        profiled = (
            await Customer.filter(loans__id__isnull=False)
            .distinct()
            .values_list(
                "rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_segment", "risk_rating"
            )
        )
        assert await Tag.all().count() == 3
    prepaying = Counter(customer_id for (customer_id,) in prepaid)
    names = Counter(name for _, name, _ in tags)
    assert set(names) == {"EARLY_REPAYER", "HABITUAL_LATE", "PREFERS_ONLINE"}
    for customer_id, name, why in tags:
        assert why.startswith("Rule:") and "Inputs:" in why
        if name == "EARLY_REPAYER":
            assert prepaying[customer_id] >= 2
    assert {row[4] for row in profiled} >= {"LOW", "MEDIUM", "HIGH", "VERY_HIGH"}
    assert all(1 <= score <= 5 for row in profiled for score in row[:3])
    assert len({row[3] for row in profiled}) >= 6


@pytest.mark.asyncio(loop_scope="session")
async def test_contacts_campaigns_and_custom_fields_are_plausible(seeded: Seeded) -> None:
    with using(seeded):
        contacts = await Interaction.all().values_list(
            "channel", "outcome", "promise_amount", "promise_date", "loan_id", "occurred_at"
        )
        responses = await CampaignResponse.all().values_list(
            "sent_at", "opened_at", "clicked_at", "converted_at"
        )
        occupation = await CustomFieldDefinition.get(name="occupation")
        values = await CustomFieldValue.all().values_list(
            "field__name", "value_text", "value_number"
        )
    assert {c[0] for c in contacts} == set(InteractionChannel)
    promises = [c for c in contacts if c[1] == Outcome.PROMISE_TO_PAY]
    assert promises and all(c[2] and c[2] > 0 and c[3] and c[4] for c in promises)
    assert all(c[5] < datetime(2026, 11, 28, tzinfo=UTC) for c in contacts)
    assert responses
    for stamps in responses:
        reached = [s for s in stamps if s is not None]
        assert list(stamps[: len(reached)]) == reached == sorted(reached)  # sent, opened, ...
    assert sum(r[1] is not None for r in responses) > sum(r[2] is not None for r in responses)
    for name, text, number in values:
        if name == "occupation":
            assert text in occupation.allowed_values and number is None
        if name == "employee_count":
            assert number == Decimal(text)


@pytest.mark.asyncio(loop_scope="session")
async def test_text_fits_every_column(seeded: Seeded) -> None:
    # The seed writes rows without the ORM's per-value checks; SQLite would not complain either.
    with using(seeded):
        conn = seeded.ctx.db()
        for model in Tortoise.apps[APP].values():
            for name, field in model._meta.fields_map.items():
                if isinstance(field, fields.CharField) and name in model._meta.fields_db_projection:
                    column = model._meta.fields_db_projection[name]
                    table = model._meta.db_table
                    _, rows = await conn.execute_query(
                        f'SELECT MAX(LENGTH("{column}")) AS n FROM "{table}"'
                    )
                    assert (rows[0]["n"] or 0) <= field.max_length, (table, column)


@pytest.mark.asyncio(loop_scope="session")
async def test_seeding_again_is_refused(seeded: Seeded) -> None:
    with using(seeded), pytest.raises(DatabaseNotEmptyError, match="already has 300 customer"):
        await seed(customers=5, demo_password=PASSWORD, business_date=BUSINESS_DATE)


@pytest.mark.asyncio(loop_scope="session")
async def test_same_arguments_give_identical_data(
    seeded: Seeded, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with using(seeded):
        first = await digest(seeded.ctx)
    async with fresh_database(tmp_path_factory.mktemp("seed") / "again.db") as ctx:
        with ctx:
            await seed_demo()
            second = await digest(ctx)
    assert first == second
