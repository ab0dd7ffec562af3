"""The collections replay of a strategy draft: both tables day by day over the loans past due
in a window (90 days ending at the population's last day by default), in memory.

Reports, for the version in force and for the draft: contacts per channel per day after the
contact policy, what the policy stopped or put off and why, the tasks per collector and per
role, and the cycles per strategy; and for the loans whose strategy changes, their observed
history (:mod:`.changed_loans`). Nothing is written, sent or counted as a contact.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from bpmn.simulation import changed_loans, collection_history
from bpmn.simulation.population import Population
from bpmn.simulation.replay import CONTACT_TIME, Replay, Tallies, Window
from bpmn.simulation.report import Side
from bpmn.simulation.tables import Table
from domain.outreach.policy import Rules
from domain.settings import settings

OUTPUT = "strategy"  # a table with this output is a collection strategy
WARMUP_DAYS = 60  # loans past due before the window start their instance this much earlier


def applies(table: Table) -> bool:
    """Whether a table chooses collection strategies (and so is replayed day by day)."""
    return OUTPUT in table.outputs


def window_of(population: Population, rules: Rules) -> Window:
    """The reported days and the days before them the replay starts and judges from."""
    last = population.end.toordinal()
    first = last - population.replay_days + 1
    look_back = 2 * max(rules.debt_cap_days, 2)
    return Window(first, last, start=first - WARMUP_DAYS, judged=first - look_back)


async def replay(
    population: Population,
    old: Table,
    new: Table,
    tick: Callable[[], Awaitable[None]] | None = None,
) -> dict[str, Any]:
    """Both tables replayed over the window's past-due loans; the report's figures. ``tick``
    is awaited now and then (a background job's progress point)."""
    rules = Rules.from_env()
    window = window_of(population, rules)
    first, last = date.fromordinal(window.first), date.fromordinal(window.last)
    history = await collection_history.read(population, first, last)
    sides = {"old": Side("old", old), "new": Side("new", new)}
    figures: dict[str, Any] = {}
    for label, side in sides.items():
        tallies = await Replay(side, history, window, rules).run(tick)
        figures[label] = _figures(tallies, history.collectors, side)
    differences = changed_loans.Differences(sides["old"], sides["new"], settings().buckets)
    changed = await changed_loans.tally(history.loans, differences, window.first, window.last)
    return {
        "from": first.isoformat(), "to": last.isoformat(), "days": window.days,
        "contactTime": CONTACT_TIME.isoformat(timespec="minutes"),
        "loans": len(history.loans), **figures, "changed": changed.shown(last.isoformat()),
    }  # fmt: skip


def _figures(
    tallies: Tallies, collectors: list[collection_history.Collector], side: Side
) -> dict[str, Any]:
    names = {c.id: c.username for c in collectors}
    channels = [{"channel": k, "total": sum(v), "perDay": v}
                for k, v in sorted(tallies.contacts.items())]  # fmt: skip
    suppressions = [
        {"rule": rule, "effect": effect, "channel": channel, "count": n,
         "reason": tallies.reasons[(rule, effect, channel)]}
        for (rule, effect, channel), n in sorted(tallies.suppressed.items())
    ]  # fmt: skip
    workload = [
        {"collectorId": pk, "collector": names.get(pk) if pk is not None else None,
         "loans": len(w.loans), "calls": w.calls, "visits": w.visits,
         "tasks": w.calls + w.visits, "busiestDay": max(w.per_day, default=0),
         "perDay": w.per_day}
        for pk, w in sorted(tallies.work.items(), key=lambda item: (item[0] is None, item[0] or 0))
    ]  # fmt: skip
    stopped = sum(n for (_, effect, _), n in tallies.suppressed.items() if effect != "POSTPONED")
    return {
        "contacts": sum(c["total"] for c in channels), "suppressed": stopped,
        "postponed": sum(tallies.suppressed.values()) - stopped,
        "channels": channels, "suppressions": suppressions, "workload": workload,
        "tasksByRole": [{"role": r, "tasks": n} for r, n in sorted(tallies.roles.items())],
        "cycles": [{"strategy": s, "count": n} for s, n in sorted(tallies.cycles.items())],
        "evaluations": side.evaluations,
    }  # fmt: skip
