"""A deterministic demo portfolio: staff, products, customers and their whole lending history.

The same arguments give the same rows: one `random.Random(rng_seed)` drives everything and no
value depends on the wall clock (timestamps derive from the business date); only the salted
password hash differs between runs. Customers are built and written in chunks of 2,000, each
in its own transaction, so memory stays bounded however many are asked for.
"""

import gc
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from argon2 import PasswordHasher
from tortoise.models import Model
from tortoise.transactions import in_transaction

from domain.application.models import Application
from domain.campaign.models import Campaign, CampaignResponse
from domain.clock.models import BusinessDay
from domain.credit.models import CreditReport
from domain.customer.models import Customer, CustomerExternalRef, CustomerTag, Tag
from domain.customfield.models import CustomFieldDefinition, CustomFieldValue
from domain.interaction.models import Interaction
from domain.loan.models import Contract, Installment, Loan, Payment, PaymentAllocation
from domain.product.models import Product
from domain.seed.catalog import DEMO_STAFF
from domain.seed.people import Keys
from domain.seed.portfolio import Context, build_chunk
from domain.seed.reference import create_reference
from domain.seed.rows import Ids, sync_sequences
from domain.settings import settings
from domain.user.models import User

__all__ = ["DEMO_USERNAMES", "DatabaseNotEmptyError", "SeedSummary", "seed"]

DEMO_USERNAMES = tuple(staff.username for staff in DEMO_STAFF)  # admin, risk1, ... analyst1
CHUNK_SIZE = 2000

# Parents before children, so that foreign keys hold at every insert.
_CHUNK_MODELS: tuple[type[Model], ...] = (
    Customer, CustomerExternalRef, CustomerTag, CustomFieldValue, Application, Contract, Loan,
    Installment, Payment, PaymentAllocation, Interaction, CreditReport, CampaignResponse,
)  # fmt: skip
_ALL_MODELS: tuple[type[Model], ...] = (
    User, Product, Tag, CustomFieldDefinition, Campaign, BusinessDay, *_CHUNK_MODELS,
)  # fmt: skip


@dataclass(frozen=True)
class SeedSummary:
    """How many rows of each kind the seed created, and how long it took."""

    users: int
    products: int
    customers: int
    loans: int
    installments: int
    payments: int
    interactions: int
    credit_reports: int
    campaign_responses: int
    seconds: float


@contextmanager
def _collector_paused() -> Iterator[None]:
    # A chunk holds a few hundred thousand live rows; the cyclic garbage collector would rescan
    # them over and over (a third of the run time). The rows hold no cycles, so collect once
    # per chunk instead, and restore the collector afterwards.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class DatabaseNotEmptyError(Exception):
    """The database already has customers; the seed only fills an empty portfolio."""


async def seed(
    *,
    customers: int = 2000,
    demo_password: str,
    business_date: date,
    rng_seed: int = 20261128,
    progress: Callable[[str, int, int], None] | None = None,
) -> SeedSummary:
    """Seed demo users, products and `customers` customers with loans, payments and contacts."""
    started = time.perf_counter()
    if customers < 0:
        raise ValueError(f"customers must be >= 0, got {customers}")
    if not demo_password:
        raise ValueError("demo_password must not be empty")
    existing = await Customer.all().count()
    if existing:
        raise DatabaseNotEmptyError(
            f"the database already has {existing} customer(s); seed only fills an empty "
            "database, so use a new database (or drop and recreate this one)"
        )
    rng = random.Random(rng_seed)
    ids = await Ids.load(_ALL_MODELS)
    password_hash = PasswordHasher().hash(demo_password)  # once: argon2 is slow by design
    ref = await create_reference(
        rng,
        customers=customers,
        password_hash=password_hash,
        business_date=business_date,
        ids=ids,
    )
    if progress is not None:
        progress("reference", 1, 1)
    ctx = Context(rng, business_date, Keys.draw(rng, business_date), ids, ref, settings().buckets)
    written: Counter[type[Model]] = Counter()
    with _collector_paused():
        for start in range(0, customers, CHUNK_SIZE):
            end = min(start + CHUNK_SIZE, customers)
            batch = build_chunk(ctx, range(start, end))
            async with in_transaction() as conn:
                written.update(await batch.write(_CHUNK_MODELS, conn))
            del batch
            gc.collect()
            if progress is not None:
                progress("customers", end, customers)
    await sync_sequences(_ALL_MODELS)
    return SeedSummary(
        users=ref.users_created,
        products=ref.products_created,
        customers=written[Customer],
        loans=written[Loan],
        installments=written[Installment],
        payments=written[Payment],
        interactions=written[Interaction],
        credit_reports=written[CreditReport],
        campaign_responses=written[CampaignResponse],
        seconds=round(time.perf_counter() - started, 3),
    )
