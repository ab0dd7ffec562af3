"""A worker killed -9 anywhere in the first daily run of a portfolio loses and doubles nothing.

Each daily step is killed in its middle (where it works item by item) and just before its
commit; a worker without the fault then finishes the date. The database must then equal, row
for row, a reference run that was never killed, and every message must have reached the
channel exactly once. The outbox is killed the same way while it sends.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bpmn.daily import STEPS
from tests.domain.outreach.gateway import Gateway, gateway
from tests.faults.dump import PROCESS_KEY, Rows, differences, dump
from tests.faults.portfolio import (
    FIRST_DAY,
    Portfolio,
    killed,
    logged,
    rows_of,
    sent,
    value,
    worker_once,
)

# a step's points: in its middle (after a few items) where it works item by item, then the
# last moment before its commit
MIDDLE = {  # the point, and how often it passes first
    "profiles": ("daily.profiles.rated", 0),
    "collections": ("daily.collections.started", 2),
    "reminders": ("daily.reminders.queued", 2),
    "offers": ("daily.offers.started", 2),
    "care": ("daily.care.queued", 2),
}
NAMES = [name for name, _ in STEPS]


class Reference:
    """A run never killed: its rows and what its channel received."""

    def __init__(self, rows: Rows, received: Counter[str]) -> None:
        self.rows, self.received = rows, received


@pytest.fixture(scope="module")
def reference(seeded: Portfolio, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    tmp = tmp_path_factory.mktemp("reference")
    with seeded.copy() as url:
        done = worker_once(url, tmp)
        assert done.returncode == 0, done.stdout + done.stderr
        yield Reference(asyncio.run(dump(url)), logged(tmp))


def _rows(rows: Rows, table: str) -> list[dict[str, Any]]:
    return [dict(row) for row in rows[table]]


def _statuses(url: str) -> dict[str, str | None]:
    sql = f"SELECT step, status FROM daily_run WHERE business_date = '{FIRST_DAY}'"
    found = dict(asyncio.run(rows_of(url, sql)))
    return {name: found.get(name) for name in NAMES}


def test_the_reference_run_does_every_steps_work(reference: Reference) -> None:
    """The portfolio gives every step something to do, so a kill has something to lose."""
    rows = reference.rows
    runs = {r["step"]: r for r in _rows(rows, "daily_run")}
    assert {name: r["status"] for name, r in runs.items()} == dict.fromkeys(NAMES, "DONE")
    past_due = [
        r for r in _rows(rows, "loan") if r["days_past_due"] > 0 and r["status"] == "ACTIVE"
    ]
    cases = _rows(rows, "collection_case")
    assert len(past_due) == len(cases) == 10  # one collection per past-due loan
    assert sorted(c["instance_id"] for c in cases) == sorted(
        (f"loan:{c['loan_id']}",) for c in cases
    )
    messages = Counter(r["purpose"] for r in _rows(rows, "outbox_message"))
    assert messages == {"CARE": 40, "COLLECTION": 10, "OFFER": 4, "REMINDER": 4}
    sent = {r["dedupe_key"] for r in _rows(rows, "outbox_message") if r["status"] == "SENT"}
    assert len(sent) == 55 and set(reference.received.values()) == {1}
    assert len(_rows(rows, "customer_profile")) == 40
    assert (
        sum(1 for r in _rows(rows, "customer_tag") if r["tag_id"] == ("LIMIT_INCREASE_ELIGIBLE",))
        == 4
    )


@pytest.mark.parametrize("step", NAMES)
def test_a_worker_killed_in_a_daily_step_leaves_it_to_the_next(
    step: str, seeded: Portfolio, reference: Reference, tmp_path: Path
) -> None:
    points = [MIDDLE[step]] if step in MIDDLE else []
    points.append((f"daily.{step}.before_commit", 0))
    with seeded.copy() as url:
        for point, after in points:
            died = worker_once(url, tmp_path, fault=point, after=after)
            assert killed(died), f"{point} not reached:\n{died.stdout}{died.stderr}"
            position = NAMES.index(step)
            statuses = _statuses(url)
            assert [statuses[n] for n in NAMES[:position]] == ["DONE"] * position  # committed
            assert statuses[step] is None  # the killed step's work is not there, not even half
        assert logged(tmp_path) == Counter()  # the dead worker sent nothing
        finished = worker_once(url, tmp_path)
        assert finished.returncode == 0, finished.stdout + finished.stderr
        rows, recorded = asyncio.run(dump(url)), sent(url)
    assert not (diff := differences(rows, reference.rows)), "\n".join(diff)
    received = logged(tmp_path)
    assert set(received) == recorded and set(received.values()) == {1}  # each once, none lost


@pytest.fixture
def gw() -> Iterator[Gateway]:
    with gateway() as served:
        yield served


def _gateway_env(gw: Gateway) -> dict[str, str]:
    return {"LENDGRAPH_SMS_WEBHOOK_URL": f"{gw.url}/send", "LENDGRAPH_SMS_STATUS_URL": f"{gw.url}/status",
            "LENDGRAPH_PUSH_WEBHOOK_URL": f"{gw.url}/send", "LENDGRAPH_PUSH_STATUS_URL": f"{gw.url}/status",
            "LENDGRAPH_SEND_LEASE_SECONDS": "0"}  # fmt: skip


def _natural(url: str, key: str) -> object:
    """A dedupe key as the dump shows it (a process's key names its instance's business key)."""
    found = PROCESS_KEY.fullmatch(key)
    if found is None:
        return key
    sql = f"SELECT business_key FROM process_instance WHERE id = {int(found[1])}"
    return ("process", (asyncio.run(value(url, sql)),), found[2])


def _without(rows: Rows, key: object) -> Rows:
    return {
        table: [r for r in found if ("dedupe_key", key) not in r] for table, found in rows.items()
    }


@pytest.mark.parametrize("point", ["outbox.claiming", "outbox.after_claim", "outbox.after_send",
                                   "outbox.after_outcome"])  # fmt: skip
def test_a_worker_killed_while_sending_sends_each_message_once(
    point: str, seeded: Portfolio, reference: Reference, tmp_path: Path, gw: Gateway
) -> None:
    """Killed at the 5th message (an SMS): in its claim, after it, after the call, after the
    outcome. The next worker asks the gateway about the dead claim and sends the rest."""
    env = _gateway_env(gw)
    with seeded.copy() as url:
        died = worker_once(url, tmp_path, fault=point, after=4, **env)
        assert killed(died), f"{point} not reached:\n{died.stdout}{died.stderr}"
        assert _statuses(url) == dict.fromkeys(NAMES, "DONE")  # the daily run was committed
        victim = str(asyncio.run(value(url, "SELECT dedupe_key FROM outbox_message WHERE status = "
                                            "'SENDING' AND channel = 'SMS'")) or "")  # fmt: skip
        if point in ("outbox.claiming", "outbox.after_outcome"):
            assert victim == ""  # the claim died uncommitted, or the outcome was committed
        else:
            assert victim.startswith("process:"), victim  # the 5th: a collection SMS
        before = sum(gw.posts.values()) + sum(logged(tmp_path).values())
        assert before == 4 + (point in ("outbox.after_send", "outbox.after_outcome"))
        finished = worker_once(url, tmp_path, **env)
        assert finished.returncode == 0, finished.stdout + finished.stderr
        rows, recorded = asyncio.run(dump(url)), sent(url)
        natural = _natural(url, victim)
        outcome = asyncio.run(value(url, f"SELECT status || ' ' || attempts FROM outbox_message "
                                         f"WHERE dedupe_key = '{victim}'"))  # fmt: skip
    received = gw.posts + logged(tmp_path)
    # each once, none lost: the dead claim was asked about, not resent blindly
    assert set(received) == recorded and set(received.values()) == {1}
    assert len(recorded) == len(reference.received)
    if victim:
        # the gateway told: it had it (sent once, one attempt) or never saw it (sent again)
        assert outcome == ("SENT 1" if point == "outbox.after_send" else "SENT 2")
        assert gw.lookups == [victim]
        rows, want = _without(rows, natural), _without(reference.rows, natural)
        assert len(rows["outbox_message"]) == len(want["outbox_message"]) == 57
    else:
        want = reference.rows
    assert not (diff := differences(rows, want)), "\n".join(diff)
