"""Care messages: birthdays and public holidays, only with consent for the channel.

One message per customer and occasion (dedupe ``care:birthday:{customer}:{year}`` or
``care:{holiday}:{customer}:{date}``), on the preferred channel, through the contact policy
(CARE is marketing: without consent for the channel it is dropped with the reason).
The holiday calendar is mainland China's public holidays by default;
``LENDGRAPH_HOLIDAYS`` names a file of ``YYYY-MM-DD name`` lines to replace it.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from domain.clock import service as clock
from domain.customer.models import Customer
from domain.outreach import service as outbox
from domain.outreach import templates
from domain.outreach.models import MessagePurpose, OutboxMessage

CHINA_2026 = {
    date(2026, 1, 1): "元旦",
    date(2026, 2, 17): "春节",
    date(2026, 4, 5): "清明节",
    date(2026, 5, 1): "劳动节",
    date(2026, 6, 19): "端午节",
    date(2026, 9, 25): "中秋节",
    date(2026, 10, 1): "国庆节",
}


def holidays() -> dict[date, str]:
    """The holiday calendar: LENDGRAPH_HOLIDAYS's file, else the built-in one."""
    path = os.environ.get("LENDGRAPH_HOLIDAYS")
    if not path:
        return dict(CHINA_2026)
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


async def produce(day: date) -> dict[str, int]:
    """Queue today's birthday and holiday greetings; returns how many were new."""
    moment = await clock.now()
    wanted: dict[str, tuple[int, str]] = {}
    born = await Customer.filter(birth_date__isnull=False).values("id", "name", "birth_date")
    for row in born:
        if (row["birth_date"].month, row["birth_date"].day) == (day.month, day.day):
            body = templates.render("care.birthday", {"name": row["name"]})
            wanted[f"care:birthday:{row['id']}:{day.year}"] = (int(row["id"]), body)
    holiday = holidays().get(day)
    if holiday:
        everyone = await Customer.all().values_list("id", "name")
        for cid, name in everyone:
            body = templates.render("care.holiday", {"name": name, "holiday": holiday})
            wanted[f"care:holiday:{cid}:{day.isoformat()}"] = (int(cid), body)
    found = OutboxMessage.filter(dedupe_key__in=list(wanted)).values_list("dedupe_key", flat=True)
    existing = {str(k) for k in await found}
    for key, (cid, body) in wanted.items():
        if key not in existing:
            await outbox.enqueue(customer_id=cid, purpose=MessagePurpose.CARE, body=body,
                                 dedupe_key=key, now=moment)  # fmt: skip
    return {"queued": len(set(wanted) - existing)}
