"""A loan's timeline answers the days past due arrears.days_past_due gives, on every day."""

from __future__ import annotations

import random
from datetime import date, timedelta

from bpmn.simulation import timeline
from bpmn.simulation.arrears import Late, days_past_due
from bpmn.simulation.replay import wait_days

START = date(2026, 1, 1)


def _late(rng: random.Random) -> list[Late]:
    charged = START + timedelta(days=rng.randrange(60, 400)) if rng.random() < 0.2 else None
    found = []
    for _ in range(rng.randrange(1, 6)):
        due = START + timedelta(days=rng.randrange(0, 300))
        paid = due + timedelta(days=rng.randrange(1, 120)) if rng.random() < 0.6 else None
        found.append(Late(due, paid, charged))
    return found


def test_every_day_of_many_histories_matches_the_day_by_day_count() -> None:
    rng = random.Random(16)
    for _ in range(300):
        late = _late(rng)
        line = timeline.of(late)
        for offset in range(0, 420):
            day = START + timedelta(days=offset)
            assert line.dpd(day.toordinal()) == days_past_due(late, day), (late, day)


def test_spans_payments_and_the_next_past_due_day() -> None:
    # due 1 March paid 10 March; due 1 April unpaid: past due 2-9 March and from 2 April
    late = [Late(date(2026, 3, 1), date(2026, 3, 10), None), Late(date(2026, 4, 1), None, None)]
    line = timeline.of(late)
    first, last = date(2026, 3, 1).toordinal(), date(2026, 4, 10).toordinal()
    spans = [(date.fromordinal(a), date.fromordinal(b), date.fromordinal(c))
             for a, b, c in line.spans(first, last)]  # fmt: skip
    assert spans == [
        (date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 1)),
        (date(2026, 4, 2), date(2026, 4, 10), date(2026, 4, 1)),
    ]
    assert line.worst(first, last) == 9  # 10 April, 9 days after 1 April; 8 on 9 March
    assert date.fromordinal(line.next_past_due(date(2026, 3, 10).toordinal()) or 0) == date(
        2026, 4, 2
    )
    paid = line.payment_between(date(2026, 3, 5).toordinal(), date(2026, 3, 12).toordinal())
    assert paid == date(2026, 3, 10).toordinal()
    assert (
        line.payment_between(date(2026, 3, 10).toordinal(), date(2026, 3, 20).toordinal()) is None
    )


def test_cadences_in_whole_days() -> None:
    assert [wait_days(w) for w in ("P5D", "P1W", "p3d", timedelta(hours=30))] == [5, 7, 3, 2]
    assert [wait_days(w) for w in ("PT12H", "P0D", "5 days", None, "P1M")] == [None] * 5
