"""A credit-bureau inquiry is made once per process step, whatever dies around it: the answer is
kept on its own as soon as it arrives, a replay reuses it, and an outage only makes the process
wait. The bureau is a real HTTP server that counts inquiries by their Idempotency-Key."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tortoise.transactions import in_transaction

from api.relay import to_global_id
from bpmn import operations, runner
from bpmn.deployments import deploy_bundled
from domain import faults
from domain.application.models import Application
from domain.credit.models import CallStatus, CreditReport, OutsideCall
from domain.customer.models import Customer
from domain.db import is_postgres
from domain.process.models import ProcessInstance, WorkTask
from tests import factories
from tests.api.conftest import GraphQLClient, password_hash
from tests.bpmn.test_runner import _application
from tests.httpfake import Answer, FakeServer, serve
from tests.serving import api_process

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"reference": "B-77", "score": 705, "total_debt": "36000.00", "open_accounts": 2,
        "delinquencies": 0, "inquiries": 1, "worst_dpd_12m": 0}  # fmt: skip
BUREAU_ENV = {"LENDGRAPH_BUREAU_ATTEMPTS": "1", "LENDGRAPH_BUREAU_BACKOFF": "0",
              "LENDGRAPH_BUREAU_TIMEOUT": "0.5", "LENDGRAPH_RETRY_FIRST_SECONDS": "0"}  # fmt: skip


@pytest.fixture
def bureau(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    """The bureau this test process and its children ask."""
    with serve() as server:
        monkeypatch.setenv("LENDGRAPH_BUREAU_URL", server.url)
        for name, value in BUREAU_ENV.items():
            monkeypatch.setenv(name, value)
        yield server


def _keys(server: FakeServer) -> list[str | None]:
    return [r.headers.get("idempotency-key") for r in server.requests]


def _worker(url: str, bureau: FakeServer, fault: str | None, lease: str = "120") -> int:
    env = {"PATH": "/usr/bin:/bin", "LENDGRAPH_MODE": "test", "COLUMNS": "200",
           "LENDGRAPH_BUREAU_URL": bureau.url, "LENDGRAPH_OUTSIDE_LEASE_SECONDS": lease,
           **BUREAU_ENV}  # fmt: skip
    if fault:
        env[faults.FAULT_ENV] = fault
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "worker", "--once", "--database-url", url],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode in (0, -9), done.stdout + done.stderr
    return done.returncode


async def _retrying(bureau: FakeServer) -> ProcessInstance:
    """An approval whose first inquiry met a bureau answering 503: it waits to try again."""
    bureau.script = [Answer(status=503, body={"error": "busy"})]
    _, data = await _application("20000.00")
    data["report_age_days"] = None  # no usable report: the process asks the bureau
    await deploy_bundled()
    view = await runner.start("credit_approval", data, business_key="application:k9")
    assert view.status == "RETRYING" and "HTTP 503" in (view.error or "")
    return await ProcessInstance.get(id=view.id)


@pytest.mark.parametrize("point", ["outside.after_store", "outside.before_store"])
async def test_kill_9_between_the_answer_and_the_instance_commit_asks_the_bureau_once(
    db: str, bureau: FakeServer, point: str
) -> None:
    # given an approval retrying after a busy bureau, and the bureau answering again
    instance = await _retrying(bureau)
    bureau.script = [Answer(body=GOOD)]
    # when the worker that retries it dies after the bureau answered, before the instance
    # commits: with the answer stored (after_store) or not yet (before_store, and its claim
    # has lapsed by the time the next worker comes)
    lease = "0" if point == "outside.before_store" else "120"
    assert _worker(db, bureau, point, lease) == -9
    await instance.refresh_from_db()
    assert instance.status == "RETRYING"  # the run is gone with the process
    # and the next worker runs it again
    assert _worker(db, bureau, None) == 0
    # then the process went on from one report, asked for under one key
    await instance.refresh_from_db()
    assert (instance.status, instance.error) == ("RUNNING", None)
    assert await WorkTask.filter(instance_id=instance.id).count() == 1
    [key] = set(_keys(bureau))
    assert key is not None and key.startswith(f"lendgraph:{instance.id}:pull_report:")
    stored = await OutsideCall.get(key=key)
    answered_once = point == "outside.after_store" and is_postgres(db)
    # 503, then the answer; asked again (same key: the bureau dedupes) only when the first
    # answer was not stored: before it was, or on SQLite, where it commits with the instance
    assert len(bureau.requests) == (2 if answered_once else 3)
    # the claims: each one's on PostgreSQL; on SQLite only the one that committed
    attempts = 1 if not is_postgres(db) else 2 if answered_once else 3
    assert (stored.status, stored.attempts) == (CallStatus.DONE, attempts)
    [report] = await CreditReport.filter(source="bpmn")
    assert (report.score, report.details and report.details["reference"]) == (705, "B-77")
    assert stored.answer and stored.answer["result"]["report_id"] == report.id
    assert instance.state and instance.state["data"]["bureau_score"] == 705


SUBMIT = """mutation ($id: ID!) { submitApplication(input: {customerId: $id,
    productCode: "CONSUMER", amount: "20000.00", termMonths: 24, channel: APP}) {
    __typename ... on SubmitApplicationSuccess { application { status
      processInstance { status } } } ... on UserError { code message } } }"""


async def test_a_submission_killed_after_the_inquiry_keeps_the_report_for_the_next_one(
    db: str, bureau: FakeServer
) -> None:
    if not is_postgres(db):
        pytest.skip("on SQLite the answer commits with the submission (one writer per file)")
    # given a customer without a credit report, and a bureau that answers
    bureau.script = [Answer(body=GOOD)]
    manager = await factories.user("am", ["account_manager"], password_hash=password_hash())
    owner = await factories.customer(account_manager_id=manager.id, monthly_income="20000.00",
                                     id_type="OTHER", id_number="K9-SUBMIT-1")  # fmt: skip
    await factories.product("CONSUMER")
    await deploy_bundled()
    customer = to_global_id("Customer", owner.id)
    # when the API dies after the bureau's answer is stored, before the submission commits
    with api_process(db, {faults.FAULT_ENV: "outside.after_store"}) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            gql = GraphQLClient(http)
            await gql.login("am")
            with pytest.raises(httpx.TransportError):
                await gql(SUBMIT, id=customer)
    # then nothing was submitted, but the inquiry's report is on the customer's file
    assert await Application.all().count() == 0
    assert await CreditReport.filter(customer_id=owner.id).count() == 1
    # and submitting again decides on that report without asking the bureau again
    with api_process(db) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            gql = GraphQLClient(http)
            await gql.login("am")
            done = (await gql.data(SUBMIT, id=customer))["submitApplication"]
    assert done["__typename"] == "SubmitApplicationSuccess", done
    assert done["application"]["processInstance"]["status"] == "RUNNING"
    assert len(bureau.requests) == 1
    assert await CreditReport.filter(customer_id=owner.id).count() == 1
    assert await Application.all().count() == 1


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


async def test_a_refusing_hanging_or_failing_bureau_makes_the_process_wait_and_lose_nothing(
    db: str, bureau: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a bureau that refuses connections
    monkeypatch.setenv("LENDGRAPH_BUREAU_URL", _closed_port())
    _, data = await _application("20000.00")
    data["report_age_days"] = None
    await deploy_bundled()
    view = await runner.start("credit_approval", data, business_key="application:down")
    assert view.status == "RETRYING" and "ConnectError" in (view.error or "")
    # when it then hangs past the timeout, then answers 500, then answers
    monkeypatch.setenv("LENDGRAPH_BUREAU_URL", bureau.url)
    bureau.script = [Answer(body=GOOD, delay=1.0), Answer(status=500), Answer(body=GOOD)]
    errors = []
    for _ in range(2):
        assert await runner.run_due() == 1
        stored = await ProcessInstance.get(id=view.id)
        errors.append((stored.status, stored.error or ""))
    assert await runner.run_due() == 1
    # then it waited each time, and went on once the bureau answered, from one report
    assert [status for status, _ in errors] == ["RETRYING", "RETRYING"]
    assert "no answer within 0.5 s" in errors[0][1] and "HTTP 500" in errors[1][1]
    stored = await ProcessInstance.get(id=view.id)
    assert (stored.status, stored.error) == ("RUNNING", None)
    assert await WorkTask.filter(instance_id=view.id).count() == 1
    assert len(bureau.requests) == 3 and len(set(_keys(bureau))) == 1
    assert await CreditReport.filter(source="bpmn").count() == 1
    [call] = await OutsideCall.all()
    attempts = 4 if is_postgres(db) else 1  # on SQLite a failed attempt's claim goes with it
    assert (call.status, call.attempts, call.error) == (CallStatus.DONE, attempts, None)


async def test_a_key_asked_again_gets_the_stored_report(db: str, bureau: FakeServer) -> None:
    # given an inquiry made for one step of one instance
    bureau.script = [Answer(body=GOOD)]
    owner = await factories.customer(monthly_income="30000", id_type="OTHER", id_number="K-1")
    step = operations.CallContext(41, "pull_report", task_id="6a1f-step")
    token = operations.current_call.set(step)
    try:
        first = await operations.pull_report(owner.id)
        # when the same step asks again (a replay), and another step asks
        again = await operations.pull_report(owner.id)
        operations.current_call.set(operations.CallContext(41, "pull_report", task_id="77b2-next"))
        other = await operations.pull_report(owner.id)
    finally:
        operations.current_call.reset(token)
    # then the replay got the stored report without an inquiry; the other step asked
    assert again == first and first["bureau_score"] == 705 and first["debt_to_income"] == "0.05"
    assert _keys(bureau) == [
        "lendgraph:41:pull_report:6a1f-step",
        "lendgraph:41:pull_report:77b2-next",
    ]
    assert other["report_id"] != first["report_id"]
    assert await CreditReport.filter(customer_id=owner.id).count() == 2


async def test_an_answer_whose_report_would_wait_for_the_callers_lock_is_kept_by_the_caller(
    db: str, bureau: FakeServer
) -> None:
    if not is_postgres(db):
        pytest.skip("on SQLite the answer commits with the caller's transaction anyway")
    # given a step whose own transaction holds the customer's row (locked FOR UPDATE)
    bureau.script = [Answer(body=GOOD)]
    owner = await factories.customer(monthly_income="30000", id_type="OTHER", id_number="K-L")
    token = operations.current_call.set(operations.CallContext(43, "pull_report", task_id="t1"))
    try:
        started = time.monotonic()
        with pytest.raises(RuntimeError, match="the step failed later"):
            async with in_transaction():
                await Customer.filter(id=owner.id).select_for_update().first()
                first = await operations.pull_report(owner.id)
                # the report is the step's, not yet anyone else's
                assert await CreditReport.filter(customer_id=owner.id).count() == 1
                raise RuntimeError("the step failed later")
        waited = time.monotonic() - started
        # then the answer was stored without waiting for the lock, its report went with the
        # step; the step's replay keeps the report again from the stored answer
        [call] = await OutsideCall.all()
        assert call.status == CallStatus.DONE and set(call.answer or {}) == {"unkept"}
        assert await CreditReport.filter(customer_id=owner.id).count() == 0
        async with in_transaction():
            again = await operations.pull_report(owner.id)
    finally:
        operations.current_call.reset(token)
    assert waited < 3  # not the claim's 5 s lock timeout
    assert first["bureau_score"] == again["bureau_score"] == 705
    assert len(bureau.requests) == 1
    assert await CreditReport.filter(customer_id=owner.id).count() == 1
