"""One side of a collections replay: a strategy table run day by day over past-due loans, with
the contacts collections.bpmn would have made, judged by the live contact policy.

Each loan runs the diagram's cycle as the live instance does, in time order across loans (one
queue of events): it starts on the first day it is past due (the daily run's start); each cycle
chooses the strategy for that day's bucket and days past due, keeps or gives the loan a
collector (none for GENTLE), queues a reminder on the customer's channel, then makes a field
visit (LEGAL, a collector's task, and a legal review) or asks whether the customer may be
called and, if so, calls (GENTLE: the account manager; else a collector); it then waits the
strategy's ``wait``. At the end of the wait, or on a day a late installment is paid, the loan
is checked: cured (nothing past due) or charged off ends the instance, else a new cycle starts.

Every contact goes through :meth:`domain.outreach.service.Contacts.judge`, the policy the
live bulk path judges by, over the contacts this replay made (earlier ones, made under the
strategy being replaced, are not counted); a reminder the policy defers is judged again when
it says, as the dispatcher does. Calls and visits happen on the day their task is made, at
:data:`CONTACT_TIME`; a promise to pay is not known, so every cycle waits its cadence.
"""

from __future__ import annotations

import asyncio
import heapq
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bpmn.collectors import least_loaded
from bpmn.simulation.collection_history import Collector, Covered, History
from bpmn.simulation.report import Side
from domain.clock import service as clock
from domain.enums import Channel
from domain.interaction.models import InteractionType
from domain.loan.delinquency import bucket_for
from domain.outreach.models import MessagePurpose
from domain.outreach.policy import Decision, Rules, Verdict
from domain.outreach.service import Contacts, choose_channel
from domain.settings import settings

CONTACT_TIME = time(10, 0)  # the institution's time of day the replayed contacts are made
GENTLE, LEGAL = "GENTLE", "LEGAL"
VISIT = "VISIT"  # a field visit, beside the policy's channels
_PHONE, _CALL = Channel.PHONE, InteractionType.CALL.value
_CYCLE, _CHECK, _DISPATCH = 0, 1, 2  # events: a cycle starts, a loan is checked, a send
_COLLECTION = MessagePurpose.COLLECTION
PAUSE_EVERY = 2_000  # events between two yields to the event loop


@dataclass(frozen=True, slots=True)
class Window:
    """The days reported (ordinals ``first``..``last``) and the day the replay starts."""

    first: int
    last: int
    start: int  # loans already past due then start their instance on this day
    judged: int  # contacts are judged and kept from this day (the caps' look-back before first)

    @property
    def days(self) -> int:
        """Days reported."""
        return self.last - self.first + 1

    def dates(self) -> list[date]:
        """The reported days."""
        return [date.fromordinal(d) for d in range(self.first, self.last + 1)]


@dataclass
class Work:
    """One collector's tasks in the window (``None``: no collector to give them to)."""

    loans: set[int] = field(default_factory=set)
    calls: int = 0
    visits: int = 0
    per_day: list[int] = field(default_factory=list)


@dataclass
class Tallies:
    """What one side did in the window."""

    days: int
    contacts: dict[str, list[int]] = field(default_factory=dict)  # channel -> per day
    suppressed: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    reasons: dict[tuple[str, str, str], str] = field(default_factory=dict)
    work: dict[int | None, Work] = field(default_factory=dict)
    roles: Counter[str] = field(default_factory=Counter)
    cycles: Counter[str] = field(default_factory=Counter)

    def contact(self, channel: str, day: int) -> None:
        """A contact made on the window's ``day`` (index)."""
        found = self.contacts.get(channel)
        if found is None:
            found = self.contacts[channel] = [0] * self.days
        found[day] += 1

    def blocked(self, verdict: Decision, channel: str, effect: str) -> None:
        """A contact the policy stopped (SKIPPED, DROPPED) or put off (POSTPONED)."""
        key = (verdict.rule or "OTHER", effect, channel)
        self.suppressed[key] += 1
        self.reasons.setdefault(key, verdict.reason or "")

    def task(self, collector: int | None, loan_id: int, day: int, *, visit: bool) -> None:
        """A collector's call or visit on the window's ``day``."""
        work = self.work.get(collector)
        if work is None:
            work = self.work[collector] = Work(per_day=[0] * self.days)
        work.loans.add(loan_id)
        work.per_day[day] += 1
        if visit:
            work.visits += 1
        else:
            work.calls += 1


@dataclass(slots=True)
class _Loan:
    """A loan's state in the replay, and where its reminders go."""

    covered: Covered
    customer: Any
    channel: Channel
    point: str  # the contact point of ``channel``
    collector: int | None = None
    running: bool = False

    @classmethod
    def of(cls, covered: Covered, customer: Any) -> _Loan:
        """A loan of a customer (a policy row of :func:`domain.outreach.batch.people`)."""
        channel = choose_channel(customer, None, customer.person)  # the reminder's channel
        return cls(covered, customer, channel, customer.person.contact_points.get(channel, ""))


class Replay:
    """One side's table over the loans of a window, in memory."""

    def __init__(self, side: Side, history: History, window: Window, rules: Rules) -> None:
        self.side, self.window, self.rules = side, window, rules
        self.collectors: list[Collector] = history.collectors
        self.loads: dict[int, int] = defaultdict(int)
        self.contacts = Contacts(defaultdict(list), defaultdict(list))
        self.keep = timedelta(days=max(rules.debt_cap_days, 2))  # what the caps look back on
        self.tallies = Tallies(window.days)
        self.decided: dict[tuple[int, Any, Any], tuple[str, int | None]] = {}
        self.buckets = settings().buckets
        self.zone = settings().time_zone
        self.moments: dict[int, datetime] = {}
        self.queue: list[tuple[datetime, int, int, int, Any]] = []
        self.order = 0
        self.loans = [_Loan.of(c, history.customers[c.customer_id]) for c in history.loans
                      if c.customer_id in history.customers]  # fmt: skip

    async def run(self, tick: Callable[[], Awaitable[None]] | None = None) -> Tallies:
        """Replay every loan from the window's start to its last day; ``tick`` is awaited
        between stretches of events (a background job's progress point)."""
        for at, loan in enumerate(self.loans):
            begins = loan.covered.timeline.next_past_due(self.window.start)
            if begins is not None and begins <= self.window.last:
                self._push(self._moment(begins), _CYCLE, at, begins)
        done = 0
        while self.queue:
            moment, _, kind, at, payload = heapq.heappop(self.queue)
            if kind == _DISPATCH:
                self._dispatch(moment, at, payload)
            else:
                self._cycle(payload, at, check=kind == _CHECK)
            done += 1
            if done % PAUSE_EVERY == 0:
                await asyncio.sleep(0)  # the replay runs in the API's loop
                if tick is not None:
                    await tick()
        return self.tallies

    def _push(self, moment: datetime, kind: int, at: int, payload: Any) -> None:
        self.order += 1
        heapq.heappush(self.queue, (moment, self.order, kind, at, payload))

    def _moment(self, day: int) -> datetime:
        found = self.moments.get(day)
        if found is None:
            local = datetime.combine(date.fromordinal(day), CONTACT_TIME, self.zone)
            found = self.moments[day] = local.astimezone(UTC)
        return found

    def _strategy(self, loan: _Loan, dpd: int) -> tuple[str, int | None]:
        """The strategy for the day's inputs and its wait in days (None: the cycle fails)."""
        covered = loan.covered
        key = (dpd, covered.risk_rating, covered.value_segment)
        found = self.decided.get(key)
        if found is None:
            values = {"bucket": bucket_for(dpd, self.buckets), "days_past_due": dpd,
                      "risk_rating": key[1], "value_segment": key[2]}  # fmt: skip
            decided = self.side.decide(values)
            wait = None if not decided.rules else wait_days(decided.outputs.get("wait"))
            found = self.decided[key] = (decided.outcome, wait)
        return found

    def _cycle(self, day: int, at: int, *, check: bool) -> None:
        loan = self.loans[at]
        line = loan.covered.timeline
        dpd = line.dpd(day)
        if check and dpd == 0:  # cured or charged off: the instance ends
            self._end(loan)
            if line.charged_off is None or line.charged_off > day:
                again = line.next_past_due(day + 1)
                if again is not None and again <= self.window.last:
                    self._push(self._moment(again), _CYCLE, at, again)
            return
        if not loan.running:
            loan.running = True
            if loan.collector is not None:
                self.loads[loan.collector] += 1
        strategy, wait = self._strategy(loan, dpd)
        index = day - self.window.first
        shown = index >= 0
        if shown:
            self.tallies.cycles[strategy] += 1
        if wait is None:  # no rule or no usable wait: the live instance fails and stays so
            self._end(loan)
            return
        if strategy != GENTLE:
            self._assign(loan)
        if day >= self.window.judged:
            self._contacts(loan, at, strategy, self._moment(day), index if shown else None)
        follows = day + wait
        paid = line.payment_between(day, follows)
        then = paid if paid is not None else follows
        if then <= self.window.last:
            self._push(self._moment(then), _CHECK, at, then)
        else:
            self._end(loan)

    def _end(self, loan: _Loan) -> None:
        if loan.running and loan.collector is not None:
            self.loads[loan.collector] -= 1
        loan.running = False

    def _assign(self, loan: _Loan) -> None:
        """Keep the loan's collector, else the least loaded, of the customer's branch first
        (``collection.assign_collector``'s choice)."""
        if loan.collector is not None:
            return
        chosen = least_loaded(self.collectors, getattr(loan.customer, "branch", None), self.loads)
        if chosen is None:
            return
        loan.collector = chosen.id
        self.loads[chosen.id] += 1

    def _contacts(
        self, loan: _Loan, at: int, strategy: str, moment: datetime, index: int | None
    ) -> None:
        """The cycle's reminder, then its visit or call."""
        customer, loan_id, channel = loan.customer, loan.covered.loan_id, loan.channel
        reminder = self._judge(customer, channel, loan_id, moment)
        if reminder.verdict == Verdict.DEFER:
            self._push(reminder.at or moment, _DISPATCH, at, channel)
        if reminder.verdict != Verdict.SEND and index is not None:
            effect = "POSTPONED" if reminder.verdict == Verdict.DEFER else "DROPPED"
            self.tallies.blocked(reminder, channel.value, effect)
        if strategy == LEGAL:
            self._made(loan, VISIT, moment, index)
            if index is not None:
                self.tallies.roles.update(("collector", "senior_risk_officer"))
                self.tallies.task(loan.collector, loan_id, index, visit=True)
        else:  # the call is judged while the reminder is only queued, as in the live step
            call = self._judge(customer, _PHONE, loan_id, moment)
            if call.verdict == Verdict.SEND:
                self._made(loan, _CALL, moment, index)
                if index is not None and strategy == GENTLE:
                    self.tallies.roles["account_manager"] += 1
                elif index is not None:
                    self.tallies.roles["collector"] += 1
                    self.tallies.task(loan.collector, loan_id, index, visit=False)
            elif index is not None:
                self.tallies.blocked(call, _PHONE.value, "SKIPPED")
        if reminder.verdict == Verdict.SEND:
            self._made(loan, None, moment, index)

    def _judge(self, customer: Any, channel: Channel, loan_id: int, moment: datetime) -> Decision:
        return self.contacts.judge(customer, _COLLECTION, channel, loan_id, moment, self.rules)

    def _dispatch(self, moment: datetime, at: int, channel: Channel) -> None:
        """A deferred reminder asked again when the policy said (the dispatcher's pass)."""
        loan = self.loans[at]
        day = clock.local_date(moment).toordinal()
        if day > self.window.last:
            return
        index = day - self.window.first if day >= self.window.first else None
        verdict = self._judge(loan.customer, channel, loan.covered.loan_id, moment)
        if verdict.verdict == Verdict.SEND:
            self._made(loan, None, moment, index)
        elif verdict.verdict == Verdict.DEFER:
            self._push(verdict.at or moment, _DISPATCH, at, channel)
        elif index is not None:
            self.tallies.blocked(verdict, channel.value, "DROPPED")

    def _made(self, loan: _Loan, made: str | None, moment: datetime, index: int | None) -> None:
        """A contact made (``made``: CALL or VISIT, None for the reminder sent): counted in
        the window, and kept where the caps will look."""
        customer_id, loan_id = loan.covered.customer_id, loan.covered.loan_id
        if made is None:
            kept = self.contacts.sent[customer_id]
            kept.append((loan_id, loan.point, moment))
            shown = loan.channel.value
        else:  # interactions: a call counts at the phone number, a visit only for the debt
            kept = self.contacts.outbound[customer_id]
            kept.append((loan_id, made, moment))
            shown = _PHONE.value if made == _CALL else VISIT
        if index is not None:
            self.tallies.contact(shown, index)
        since = moment - self.keep
        if kept[0][2] <= since:
            kept[:] = [entry for entry in kept if entry[2] > since]


def wait_days(wait: Any) -> int | None:
    """Whole days of a cadence the table gives (``"P5D"``, ``"P1W"``), at least one; None when
    it is not a duration of days."""
    if isinstance(wait, timedelta):
        seconds = wait.total_seconds()
    else:
        text = str(wait or "").strip().upper()
        if not text.startswith("P") or "T" in text or not text[1:-1].isdigit():
            return None
        unit = {"D": 1, "W": 7}.get(text[-1])
        if unit is None:
            return None
        seconds = int(text[1:-1]) * unit * 86_400
    days = -(-int(seconds) // 86_400)
    return days if days >= 1 else None
