"""Helpers for importer tests: run an import from inline text, snapshot the database, fixtures."""

import io
from decimal import Decimal
from typing import Any

import pytest
from tortoise import Tortoise, connections

from domain.importer import ImportFormat, ImportKind, ImportReport, import_stream
from domain.loan.schedule import AmortizationMethod
from domain.product.models import Product
from domain.user.models import User

CSV, JSONL = ImportFormat.CSV, ImportFormat.JSONL

CUSTOMERS_CSV = (
    "source,external_id,name,phone,monthly_income\n"
    "core,C1,张三,13800000001,8000\n"
    "core,C2,李四,13800000002,\n"
)


async def run(kind: ImportKind, text: str, fmt: ImportFormat = CSV, **options: Any) -> ImportReport:
    """Import inline CSV or JSON Lines text."""
    return await import_stream(kind, io.StringIO(text), fmt, **options)


def problems(report: ImportReport) -> list[tuple[int, str, str]]:
    """The report's problems as (line, column, reason) tuples."""
    return [(p.line, p.column, p.reason) for p in report.problems]


def counts(report: ImportReport) -> tuple[int, int, int, int, int]:
    """(rows, created, updated, unchanged, failed)."""
    return report.rows, report.created, report.updated, report.unchanged, report.failed


async def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, to compare the database before and after."""
    conn = connections.get("default")
    models = sorted(Tortoise.apps["lendgraph"].values(), key=lambda m: m._meta.db_table)
    return {
        m._meta.db_table: await conn.execute_query_dict(
            f'SELECT * FROM "{m._meta.db_table}" ORDER BY "{m._meta.db_pk_column}"'
        )
        for m in models
    }


@pytest.fixture
async def product(db: str) -> Product:
    """An equal-installment personal loan product."""
    return await Product.create(
        code="PL", name="Personal loan", method=AmortizationMethod.EQUAL_INSTALLMENT,
        min_rate=Decimal("0.05"), max_rate=Decimal("0.36"), min_term=1, max_term=60,
        min_amount=Decimal("1000"), max_amount=Decimal("500000"),
    )  # fmt: skip


@pytest.fixture
async def staff(db: str) -> list[User]:
    """An active and an inactive user."""
    return [
        await User.create(username="wang", full_name="Wang"),
        await User.create(username="gone", full_name="Gone", is_active=False),
    ]


@pytest.fixture
async def customers(db: str) -> ImportReport:
    """Two customers from source 'core': C1 and C2."""
    report = await run(ImportKind.CUSTOMERS, CUSTOMERS_CSV)
    assert report.failed == 0, report.problems
    return report


LOANS_CSV = (
    "source,external_id,customer_external_id,product_code,principal,annual_rate,term_months,disbursed_on\n"
    "core,L1,C1,PL,1200.00,0.12,3,2026-01-15\n"
    "core,L2,C2,PL,5000,18%,12,2026-05-20\n"
)


@pytest.fixture
async def loans(customers: ImportReport, product: Product) -> ImportReport:
    """L1 (C1: 1,200.00 at 12% over 3 months from 2026-01-15) and L2 (C2)."""
    report = await run(ImportKind.LOANS, LOANS_CSV)
    assert report.failed == 0, report.problems
    return report
