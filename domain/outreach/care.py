"""Care messages: birthdays and public holidays, only with consent for the channel.

One message per customer and occasion (dedupe ``care:birthday:{customer}:{year}`` or
``care:{holiday}:{customer}:{date}``), on the preferred channel, through the contact policy
(CARE is marketing: without consent for the channel it is dropped with the reason).
The holiday calendar is mainland China's public holidays of any year by default;
``LENDGRAPH_HOLIDAYS`` names a file of ``YYYY-MM-DD name`` lines to replace it. Texts come
from the template library, in the tone that suits the customer.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import holidays as public_holidays

from domain import faults
from domain.clock import service as clock
from domain.customer.models import Customer
from domain.daily.chunks import EVERYONE, Span
from domain.outreach import templates
from domain.outreach.batch import Message, enqueue_many, used
from domain.outreach.models import MessagePurpose


def china(year: int) -> dict[date, str]:
    """The first day of each of mainland China's public holidays in ``year``.

    From the ``holidays`` package (lunar dates computed, official arrangements where
    published); bridge days, make-up days and the eve are not occasions of their own.
    """
    first: dict[str, date] = {}
    calendar = public_holidays.country_holidays("CN", years=year, language="zh_CN")
    for day, names in sorted(calendar.items()):
        for name in str(names).split("; "):
            if "（" in name or "(" in name or name == "农历除夕":
                continue
            first.setdefault(name, day)
    return {day: "、".join(n for n, d in first.items() if d == day) for day in first.values()}


def holidays(year: int) -> dict[date, str]:
    """The holiday calendar: LENDGRAPH_HOLIDAYS's file, else mainland China's for ``year``."""
    path = os.environ.get("LENDGRAPH_HOLIDAYS")
    if not path:
        return china(year)
    calendar = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        day, _, name = text.partition(" ")
        try:
            calendar[date.fromisoformat(day)] = name.strip() or "holiday"
        except ValueError:
            raise ValueError(f"{path} line {number}: expected 'YYYY-MM-DD name'") from None
    return calendar


async def produce(day: date, *, customers: Span = EVERYONE) -> dict[str, int]:
    """Queue today's birthday and holiday greetings (to these customers); returns how many
    were new."""
    moment = await clock.now()
    wanted: dict[str, tuple[dict[str, Any], str, dict[str, Any]]] = {}  # row, text, its values
    library = await templates.load()
    columns = ("id", "name", "birth_date", "rfm_segment", "risk_rating")

    def text(key: str, row: dict[str, Any], values: dict[str, Any]) -> str:
        segment = row["rfm_segment"]
        tone = templates.tone_for(segment, row["risk_rating"])
        return library.render(key, {"name": row["name"], **values}, segment, tone)

    born = Customer.filter(customers.q("id"), birth_date__isnull=False).order_by("id")
    for row in await born.values(*columns):
        if (row["birth_date"].month, row["birth_date"].day) == (day.month, day.day):
            wanted[f"care:birthday:{row['id']}:{day.year}"] = (row, "care.birthday", {})
    holiday = holidays(day.year).get(day)
    if holiday:
        for row in await Customer.filter(customers.q("id")).order_by("id").values(*columns):
            occasion = (row, "care.holiday", {"holiday": holiday})
            wanted[f"care:holiday:{row['id']}:{day.isoformat()}"] = occasion
    existing = await used(wanted)  # texts only for the greetings not queued yet
    messages = [
        Message(customer_id=int(row["id"]), purpose=MessagePurpose.CARE,
                body=text(name, row, values), dedupe_key=key)
        for key, (row, name, values) in wanted.items() if key not in existing
    ]  # fmt: skip
    for _ in await enqueue_many(messages, now=moment, unused=True):
        faults.reach("daily.care.queued")  # a fault point: some queued, not committed
    return {"queued": len(messages)}
