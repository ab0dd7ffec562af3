"""Behaviour tags: rules over repayments and interactions, each with its explanation.

HABITUAL_LATE: paid 1-5 days late on at least 3 of the last 6 installments due.
EARLY_REPAYER: paid at least EARLY_DAYS before the due date at least twice.
PREFERS_ONLINE: most (and at least 3) of the customer's own contacts were in the app or web.
RATE_SENSITIVE: declined an offer over its rate at least once.
"""

from __future__ import annotations

from datetime import date

from domain.profile.reading import EARLY_DAYS as EARLY_DAYS
from domain.profile.reading import LAST_DUE, Reading, read

RULES = {
    "HABITUAL_LATE": "paid 1-5 days late on at least 3 of the last 6 installments due",
    "EARLY_REPAYER": f"paid at least {EARLY_DAYS} days before the due date at least twice",
    "PREFERS_ONLINE": "most (and at least 3) of the customer's own contacts in the app or web",
    "RATE_SENSITIVE": "declined an offer over its rate at least once",
}
SYSTEM_TAGS = tuple(RULES)


async def compute(
    day: date, *, lo: int | None = None, hi: int | None = None, reading: Reading | None = None
) -> dict[str, dict[int, str]]:
    """For each system tag, the customers (``lo <= id < hi``) who carry it, explained (their
    installments and contacts from ``reading`` when given)."""
    return tagged(reading if reading is not None else await read(day, lo, hi))


def tagged(reading: Reading) -> dict[str, dict[int, str]]:
    """For each system tag, the customers of ``reading`` who carry it, explained."""
    out: dict[str, dict[int, str]] = {name: {} for name in SYSTEM_TAGS}
    for cid, row in reading.installments.items():
        late = [(row[f"late_due_{k}"], row[f"late_days_{k}"]) for k in range(1, LAST_DUE + 1)
                if row[f"late_due_{k}"] is not None]  # fmt: skip
        if len(late) >= 3:  # of the last six due, latest first (the id settles ties)
            detail = ", ".join(f"due {d}: {n} day(s) late" for d, n in late)
            out["HABITUAL_LATE"][cid] = (
                f"late 1-5 days on {len(late)} of the last {row['last_n']} installments ({detail})"
            )
        if int(row["early_n"] or 0) >= 2:
            out["EARLY_REPAYER"][cid] = (
                f"paid {EARLY_DAYS}+ days early {row['early_n']} times "
                f"(latest due {row['early_last']})"
            )
    for cid, row in reading.contacts.items():
        total, online = int(row["inbound"] or 0), int(row["online"] or 0)
        if online >= 3 and online * 2 > total:
            out["PREFERS_ONLINE"][cid] = f"{online} of {total} own contacts in the app or web"
        if row["declined"]:
            out["RATE_SENSITIVE"][cid] = f"declined {row['declined']} offer(s) over the rate"
    return out
