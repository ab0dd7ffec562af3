"""The reminder cadence the institution draws: the ``reminder_cadence`` table, run by the
daily reminders once per combination of what it weighs.

``pre_due_reminders`` (a diagram that only calls ``reminder_cadence.dmn``) answers, for a
number of days before a due date and a customer's habit (HABITUAL_LATE), risk rating and RFM
segment, whether a reminder goes out (``remind``) and why (``reminder_reason``). Business users
change the cadence in the designer, simulate the change on past installments and deploy it; the
next daily run follows the version in force. The answer depends on the version and those four
inputs only (a few thousand combinations at most), so each is decided once per version and kept
for every chunk after; the days it may remind on are found once per version the same way.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bpmn import definitions, deployments, engine
from bpmn.errors import BpmnError
from domain.daily.chunks import EVERYONE, Span
from domain.enums import RiskRating
from domain.errors import ValidationError
from domain.outreach import reminders
from domain.profile.rfm import SEGMENTS

PROCESS_ID = "pre_due_reminders"
KEPT = 20_000  # answers kept per version at most (31 days × 2 × 5 ratings × 12 segments = 3,720)
# every customer's kind: habit, rating and segment as the profiles store them (None: not yet)
RATINGS = (None, *(rating.value for rating in RiskRating))
SEGMENT_NAMES = (None, *(name for name, _, _ in SEGMENTS))

Inputs = tuple[int, bool, str | None, str | None]


@dataclass
class Cadence:
    """The cadence of one deployed version, its answers kept as they are asked."""

    bundle: engine.ParsedBundle
    label: str  # "pre_due_reminders v3", for errors
    decided: dict[Inputs, bool] = field(default_factory=dict)
    _days: frozenset[int] | None = None

    async def days(self) -> frozenset[int]:
        """The days before a due date on which the table reminds some kind of customer: every
        kind is asked once per day (at most 3,720 answers, about a second, once per version),
        so the daily run reads only the installments falling due on those days. The loop is
        given back between days: an API process running the daily work keeps answering."""
        if self._days is None:
            found = set()
            for days in range(1, reminders.HORIZON + 1):
                if any(self.reminds(days, late, rating, segment)
                       for late in (False, True) for rating in RATINGS
                       for segment in SEGMENT_NAMES):  # fmt: skip
                    found.add(days)
                await asyncio.sleep(0)
            self._days = frozenset(found)
        return self._days

    def reminds(
        self, days_before_due: int, habitual_late: bool, risk_rating: str | None,
        rfm_segment: str | None,
    ) -> bool:  # fmt: skip
        """Whether the table reminds a customer of this kind so many days before a due date."""
        inputs = (days_before_due, habitual_late, risk_rating, rfm_segment)
        found = self.decided.get(inputs)
        if found is None:
            if len(self.decided) >= KEPT:
                self.decided.clear()
            found = self.decided[inputs] = self._evaluate(inputs)
        return found

    def _evaluate(self, inputs: Inputs) -> bool:
        days, late, rating, segment = inputs
        data = {"days_before_due": days, "habitual_late": late, "risk_rating": rating,
                "rfm_segment": segment}  # fmt: skip
        try:
            out = engine.evaluate(self.bundle, PROCESS_ID, data, lambda name, args: {})
        except BpmnError as exc:
            raise ValidationError.single(
                "reminder_cadence", f"{self.label} failed for {_described(data)}: {exc}"
            ) from None
        remind = out.get("remind")
        if not isinstance(remind, bool):
            raise ValidationError.single(
                "reminder_cadence.remind",
                f"{self.label} gave remind={remind!r} for {_described(data)}: "
                "it must be true or false (does a rule cover every case?)",
            )
        return remind


def _described(data: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in data.items())


_BY_VERSION: dict[str, Cadence] = {}


def of_bundle(bundle: engine.ParsedBundle, label: str, content_hash: str | None = None) -> Cadence:
    """The cadence of a parsed ``pre_due_reminders`` diagram (kept per content when given)."""
    if content_hash is None:
        return Cadence(bundle, label)
    found = _BY_VERSION.get(content_hash)
    if found is None:
        if len(_BY_VERSION) > 8:
            _BY_VERSION.clear()
        found = _BY_VERSION[content_hash] = Cadence(bundle, label)
    return found


async def in_force() -> Cadence:
    """The cadence of the version in force; ProcessNotDeployedError when there is none."""
    definition = await deployments.require_in_force(PROCESS_ID)
    label = f"{PROCESS_ID} v{definition.version}"
    return of_bundle(definitions.bundle(definition), label, definition.content_hash)


async def run(day: date, *, customers: Span = EVERYONE) -> dict[str, int]:
    """Queue the reminders the cadence in force asks for on ``day`` (to these customers)."""
    return await reminders.produce(day, await in_force(), customers=customers)
