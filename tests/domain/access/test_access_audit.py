"""The audit log: entries for changes and unmasked reads, filtered pages, append-only in the DB."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError

from domain.access import audit
from domain.access.audit import Actor, AuditFilter
from domain.access.models import AuditEntry
from domain.enums import RiskRating

T0 = datetime(2026, 6, 15, 1, 0, tzinfo=UTC)
ANA = Actor(user_id=7, username="ana", via="jwt", ip="10.1.2.3", user_agent="app/1.0")
BEN = Actor(user_id=8, username="ben", via="api_key")


async def test_record_keeps_who_what_when_where_and_before_after(access_db: str) -> None:
    entry = await audit.record(
        ANA,
        action="customer.update",
        object_type="customer",
        object_id=42,
        before={"monthly_income": Decimal("8000.00"), "risk": RiskRating.LOW},
        after={"monthly_income": Decimal("9000.50"), "birth": date(1990, 3, 7)},
        at=T0,
    )
    stored = await AuditEntry.get(id=entry.id)
    assert (stored.user_id, stored.username, stored.via, stored.ip, stored.user_agent) == (
        7,
        "ana",
        "jwt",
        "10.1.2.3",
        "app/1.0",
    )
    assert (stored.action, stored.object_type, stored.object_id, stored.at) == (
        "customer.update",
        "customer",
        "42",
        T0,
    )
    assert stored.before == {"monthly_income": "8000.00", "risk": "LOW"}
    assert stored.after == {"monthly_income": "9000.50", "birth": "1990-03-07"}
    default_time = await audit.record(
        audit.SYSTEM, action="business_date.update", object_type="business_date"
    )
    assert abs(default_time.at - datetime.now(UTC)) < timedelta(minutes=1)


async def test_unmasked_reads_are_one_entry_per_object(access_db: str) -> None:
    count = await audit.record_sensitive_reads(
        ANA, "customer", {1: ["phone", "id_number"], 2: ["phone"], 3: []}, at=T0
    )
    assert count == 2
    rows = await AuditEntry.filter(action=audit.READ_SENSITIVE).order_by("object_id")
    assert [(r.object_id, r.fields_read) for r in rows] == [
        ("1", ["id_number", "phone"]),
        ("2", ["phone"]),
    ]


async def test_list_filters_and_pages_newest_first(access_db: str) -> None:
    for i in range(5):
        await audit.record(
            ANA, action="loan.update", object_type="loan", object_id=i, at=T0 + timedelta(hours=i)
        )
    await audit.record(BEN, action="payment.create", object_type="payment", object_id=9, at=T0)
    first = await audit.list_(AuditFilter(username="ana"), first=2)
    assert [e.object_id for e in first.rows] == ["4", "3"] and first.has_next
    second = await audit.list_(AuditFilter(username="ana"), first=2, before_id=first.rows[-1].id)
    assert [e.object_id for e in second.rows] == ["2", "1"] and second.has_next
    window = AuditFilter(user_id=7, since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3))
    assert [e.object_id for e in (await audit.list_(window)).rows] == ["2", "1"]
    assert await audit.count(AuditFilter(object_type="payment", object_id="9")) == 1
    assert await audit.count() == 6


async def test_the_database_refuses_update_and_delete(access_db: str) -> None:
    entry = await audit.record(
        ANA, action="customer.update", object_type="customer", object_id=1, at=T0
    )
    with pytest.raises((IntegrityError, OperationalError), match="append-only"):
        await AuditEntry.filter(id=entry.id).update(username="mallory")
    with pytest.raises((IntegrityError, OperationalError), match="append-only"):
        await AuditEntry.filter(id=entry.id).delete()
    conn = connections.get("default")
    with pytest.raises((IntegrityError, OperationalError), match="append-only"):
        await conn.execute_query("DELETE FROM audit_entry")
    assert (await AuditEntry.get(id=entry.id)).username == "ana"
