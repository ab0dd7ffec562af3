"""A dispatcher that dies between the channel's accept and the outcome's commit sends nothing
twice: the next round asks the gateway, or leaves the message UNCERTAIN for a person."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain import faults
from domain.access.models import AuditEntry
from domain.clock import service as clock
from domain.enums import Channel
from domain.outreach import claims
from domain.outreach import service as outbox
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from tests import factories
from tests.api.conftest import GraphQLClient, anonymous, gql  # noqa: F401  (fixtures)
from tests.domain.outreach.gateway import Gateway, gateway

ROOT = Path(__file__).resolve().parents[2]
UNCERTAIN = """{ messages(filter: {status: UNCERTAIN}) { edges { node { id status reason } } } }"""
RESOLVE = """mutation ($id: ID!, $outcome: MessageResolution!, $note: String) {
  resolveMessage(input: {id: $id, outcome: $outcome, note: $note}) { __typename
    ... on ResolveMessageSuccess { outboxMessage { status reason } }
    ... on UserError { code message } } }"""


@pytest.fixture
def gw() -> Iterator[Gateway]:
    with gateway() as served:
        yield served


async def _message(key: str, phone: str) -> OutboxMessage:
    customer = await factories.customer(preferred_channel=Channel.SMS, phone=phone)
    return await outbox.enqueue(customer_id=customer.id, purpose=MessagePurpose.COLLECTION,
                                body="您的借款已逾期", dedupe_key=key, now=await clock.now())  # fmt: skip


def _worker(url: str, tmp_path: Path, gw: Gateway, *, status: bool, fault: bool) -> int:
    env = {"PATH": "/usr/bin:/bin", "LENDGRAPH_MODE": "test", "COLUMNS": "200",
           "LENDGRAPH_OUTBOX_LOG": str(tmp_path / "outbox.log"),
           "LENDGRAPH_SEND_LEASE_SECONDS": "0",  # a dead worker's claim is over at once
           "LENDGRAPH_SMS_WEBHOOK_URL": f"{gw.url}/send"}  # fmt: skip
    if status:
        env["LENDGRAPH_SMS_STATUS_URL"] = f"{gw.url}/status"
    if fault:
        env[faults.FAULT_ENV] = "outbox.after_send"
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "worker", "--once", "--database-url", url],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode in (0, -9), done.stdout + done.stderr
    return done.returncode


@pytest.mark.parametrize("status", [True, False], ids=["status-endpoint", "no-status-endpoint"])
async def test_kill_9_between_accept_and_commit_sends_once(
    db: str, gw: Gateway, tmp_path: Path, status: bool
) -> None:
    message = await _message("collection:k9:D3", "13800002001")
    assert _worker(db, tmp_path, gw, status=status, fault=True) == -9  # killed at the point
    await message.refresh_from_db()
    assert message.status == MessageStatus.SENDING and gw.posts == {"collection:k9:D3": 1}
    assert _worker(db, tmp_path, gw, status=status, fault=False) == 0
    await message.refresh_from_db()
    if status:
        assert (message.status, message.provider_ref) == (MessageStatus.SENT, "gw-1")
    else:
        assert (message.status, message.reason) == (MessageStatus.UNCERTAIN, claims.STOPPED)
    assert gw.posts == {"collection:k9:D3": 1}


async def test_uncertain_messages_are_listed_and_resolved_by_people_who_may_send(
    gql: GraphQLClient,  # noqa: F811
    gw: Gateway,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gw.use(monkeypatch, status=False)
    monkeypatch.setenv("LENDGRAPH_SEND_LEASE_SECONDS", "0")
    first = await _message("collection:u1:D3", "13800002002")
    second = await _message("collection:u2:D3", "13800002003")
    monkeypatch.setenv(faults.FAULT_ENV, "outbox.after_send")
    monkeypatch.setenv(faults.FAULT_ACTION_ENV, "raise")
    for _ in range(2):
        with pytest.raises(faults.FaultInjected):
            await outbox.dispatch_due()
    monkeypatch.delenv(faults.FAULT_ENV)
    assert await outbox.dispatch_due() == 0
    listed = (await gql.data(UNCERTAIN))["messages"]["edges"]
    assert [e["node"]["status"] for e in listed] == ["UNCERTAIN", "UNCERTAIN"]
    assert listed[0]["node"]["reason"] == claims.STOPPED
    ids = [e["node"]["id"] for e in listed]

    await gql.as_user("auditor1", ["auditor"])  # reads every message, sends none
    refused = (await gql.data(RESOLVE, id=ids[0], outcome="SENT"))["resolveMessage"]
    assert refused["__typename"] == "ForbiddenError"

    await gql.login("root")
    done = (await gql.data(RESOLVE, id=ids[0], outcome="SENT",
                           note="gateway log: delivered 10:01"))["resolveMessage"]  # fmt: skip
    assert done == {
        "__typename": "ResolveMessageSuccess",
        "outboxMessage": {
            "status": "SENT",
            "reason": "confirmed sent by hand (gateway log: delivered 10:01)",
        },
    }
    again = (await gql.data(RESOLVE, id=ids[0], outcome="RESEND"))["resolveMessage"]
    assert again["__typename"] == "ConflictError"
    resend = (await gql.data(RESOLVE, id=ids[1], outcome="RESEND"))["resolveMessage"]
    assert resend["outboxMessage"]["status"] == "QUEUED"
    assert await outbox.dispatch_due() == 1
    await first.refresh_from_db()
    await second.refresh_from_db()
    assert (first.status, second.status) == (MessageStatus.SENT, MessageStatus.SENT)
    assert gw.posts == {"collection:u1:D3": 1, "collection:u2:D3": 2}  # RESEND is a person's call
    entries = await AuditEntry.filter(action="message.resolve").order_by("id")
    assert [(e.username, e.object_id, e.before["status"], e.after["outcome"]) for e in entries] == [
        ("root", str(first.id), "UNCERTAIN", "SENT"), ("root", str(second.id), "UNCERTAIN", "RESEND"),
    ]  # fmt: skip
    bad = (await gql.data(RESOLVE, id="not-an-id", outcome="DROP"))["resolveMessage"]
    assert bad["__typename"] == "ValidationError"
