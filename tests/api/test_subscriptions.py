"""The live inbox: task events over graphql-transport-ws, across API processes, scoped."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import websockets

from bpmn.deployments import deploy_bundled
from domain.credit.models import CreditReport
from domain.db import is_postgres
from domain.user.models import User
from tests import factories
from tests.api.conftest import password_hash
from tests.serving import api_processes, ask, sign_in_token

SUBSCRIBE = "subscription { taskEvents { kind task { name candidateRole status } } }"
SUBMIT = """mutation ($id: ID!) { submitApplication(input: {customerId: $id, productCode: "PL",
  amount: "120000.00", termMonths: 24, channel: APP}) { __typename } }"""
TASKS = "{ tasks { edges { node { id name } } } }"
CLAIM = "mutation ($id: ID!) { claimTask(input: {taskId: $id}) { __typename } }"


class Inbox:
    """A graphql-transport-ws connection subscribed to taskEvents."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket

    @classmethod
    async def open(cls, base: str, token: str) -> Inbox:
        socket = await websockets.connect(
            base.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"]
        )
        await socket.send(json.dumps({"type": "connection_init",
                                      "payload": {"Authorization": f"Bearer {token}"}}))  # fmt: skip
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "1", "type": "subscribe",
                                      "payload": {"query": SUBSCRIBE}}))  # fmt: skip
        await asyncio.sleep(0.3)  # the subscription has taken its starting point
        return cls(socket)

    async def next(self, within: float = 10) -> dict[str, Any]:
        message = json.loads(await asyncio.wait_for(self.socket.recv(), within))
        assert message["type"] == "next", message
        return dict(message["payload"]["data"]["taskEvents"])


async def _staff() -> None:
    for name, roles in [("root", ["admin"]), ("ro", ["risk_officer"]), ("col", ["collector"])]:
        await User.create(username=name, roles=roles, password_hash=password_hash())


async def _applicant() -> int:
    await factories.product("PL")
    owner = await factories.customer(monthly_income=Decimal("30000"), id_type="OTHER",
                                     id_number="SUB-1")  # fmt: skip
    await CreditReport.create(customer_id=owner.id, bureau="TEST", score=680,
                              total_debt=Decimal("144000"), pulled_at=datetime.now(UTC))  # fmt: skip
    return owner.id


async def test_a_risk_officer_sees_a_review_created_and_claimed_in_another_process(db: str) -> None:
    from api.relay import to_global_id

    await _staff()
    customer = to_global_id("Customer", await _applicant())
    await deploy_bundled()
    # on PostgreSQL the event must come by LISTEN/NOTIFY: the safety-net poll is made too
    # slow to deliver it within the test's timeout
    slow_poll = {"LENDGRAPH_EVENTS_POLL_SECONDS": "120"} if is_postgres(db) else {}
    with api_processes(db, 2, slow_poll) as (first, second):
        officer = await Inbox.open(first, await sign_in_token(first, "ro"))
        collector = await Inbox.open(first, await sign_in_token(first, "col"))
        admin = await sign_in_token(second, "root")
        submitted = await ask(second, admin, SUBMIT, id=customer)
        assert submitted["submitApplication"]["__typename"] == "SubmitApplicationSuccess"
        created = await officer.next()
        assert created == {"kind": "CREATED", "task": {"name": "Review application",
                           "candidateRole": "risk_officer", "status": "OPEN"}}  # fmt: skip

        ro = await sign_in_token(second, "ro")
        [edge] = (await ask(second, ro, TASKS))["tasks"]["edges"]
        await ask(second, ro, CLAIM, id=edge["node"]["id"])
        claimed = await officer.next()
        assert (claimed["kind"], claimed["task"]["status"]) == ("CLAIMED", "CLAIMED")
        # the collector may not see risk tasks: nothing arrives
        with pytest.raises(TimeoutError):
            await collector.next(within=2.5)
        await officer.socket.close()
        await collector.socket.close()


async def test_a_websocket_without_a_valid_token_is_refused(db: str) -> None:
    await _staff()
    with api_processes(db, 1) as (base,):
        for payload in ({}, {"Authorization": "Bearer forged.token.here"}):
            socket = await websockets.connect(
                base.replace("http://", "ws://") + "/graphql",
                subprotocols=["graphql-transport-ws"],
            )
            await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


DISABLE = """mutation ($id: ID!) { disableUser(input: {userId: $id}) { __typename
  ... on UserError { code message } } }"""


async def test_a_disabled_officers_open_subscription_ends_before_the_next_event(db: str) -> None:
    from api.relay import to_global_id

    await _staff()
    customer = to_global_id("Customer", await _applicant())
    await deploy_bundled()
    with api_processes(db, 1) as (base,):
        officer = await Inbox.open(base, await sign_in_token(base, "ro"))
        admin = await sign_in_token(base, "root")
        # when the officer is disabled while subscribed, then a review is created
        ro = await User.get(username="ro")
        disabled = await ask(base, admin, DISABLE, id=to_global_id("User", ro.id))
        assert disabled["disableUser"]["__typename"] == "DisableUserSuccess", disabled
        await ask(base, admin, SUBMIT, id=customer)
        # then the stream ends with an error instead of the review
        message = json.loads(await asyncio.wait_for(officer.socket.recv(), 10))
        assert message["payload"]["data"] is None, message
        [error] = message["payload"]["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert "the subscription ended" in error["message"]
        ended = json.loads(await asyncio.wait_for(officer.socket.recv(), 10))
        assert ended["type"] == "complete", ended
        await officer.socket.close()
