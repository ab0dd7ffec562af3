"""The README's "Going live", followed as an operator would on a fresh PostgreSQL database.

The shell blocks and GraphQL operations marked `<!-- golive:… -->` in the README are read from
it and run in order: migrate, the first administrator, the API and the worker in production
mode, products and an account manager, whose first application reaches the customer's
signature with no demo command involved.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from domain.customer.validation import resident_id_check_digit
from domain.db import is_postgres
from tests import httpfake
from tests.pgdatabase import fresh_database
from tests.serving import _port, wait_for_health

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
ADMIN_PASSWORD = "Quarterly-ledger-2026!"
NEW_PASSWORD = "Li-Na-chose-this-one-42"
MARK = re.compile(r"<!-- golive:(\w+)(?: (\w+))? -->\n```(\w+)\n(.*?)```", re.S)

pytestmark = pytest.mark.skipif(
    not is_postgres(os.environ.get("DATABASE_URL") or "sqlite://x"),
    reason="going live is described for PostgreSQL (runs when DATABASE_URL is PostgreSQL)",
)


@dataclass
class Block:
    kind: str  # sh | services | graphql
    name: str | None
    text: str


def blocks() -> list[Block]:
    """The README's marked blocks, in the order an operator meets them."""
    section = README.read_text(encoding="utf-8").split("## Going live", 1)[1].split("\n## ", 1)[0]
    return [Block(kind, name, text) for kind, name, _, text in MARK.findall(section)]


def _bureau(request: httpfake.Recorded) -> httpfake.Answer:
    """A bureau with a clean, strong file on everyone."""
    return httpfake.Answer(body={
        "reference": f"R-{request.body['id_number'][-6:]}", "score": 765, "total_debt": "12000.00",
        "open_accounts": 1, "delinquencies": 0, "inquiries": 1, "worst_dpd_12m": 0,
    })  # fmt: skip


def _environment(url: str, bureau: str, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LENDGRAPH_")}
    bin_dir = str(Path(sys.executable).parent)
    env.update(
        PATH=f"{bin_dir}:{env.get('PATH', '')}",
        DATABASE_URL=url,
        LENDGRAPH_MODE="production",
        LENDGRAPH_SECRET=uuid.uuid4().hex + uuid.uuid4().hex,
        LENDGRAPH_BUREAU_URL=bureau,
        LENDGRAPH_OUTBOX_LOG=str(work / "outbox.log"),
        LENDGRAPH_DESIGNER_DIR=str(ROOT / "designer" / "dist"),
        ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    return env


def _run_shell(text: str, env: dict[str, str], work: Path) -> str:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", text], cwd=work, env=env, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{text}\n---\n{output}"
    return output


@contextmanager
def _services(text: str, env: dict[str, str], work: Path) -> Iterator[str]:
    """Each line a long-running service; the API's port and interface are made local."""
    port = _port()
    with ExitStack() as stack:
        children = []
        for line in filter(None, (raw.strip() for raw in text.splitlines())):
            line = line.replace("--host 0.0.0.0", "--host 127.0.0.1")
            line = line.replace("--port 8000", f"--port {port}")
            log = stack.enter_context((work / f"{line.split()[1]}.log").open("wb"))
            child = subprocess.Popen(["bash", "-c", f"exec {line}"], cwd=work, env=env,
                                     stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
            stack.callback(_stop, child)
            children.append(child)
        base = f"http://127.0.0.1:{port}"

        def failure() -> str:
            logs = {p.name: p.read_text(errors="replace")[-3000:] for p in work.glob("*.log")}
            return f"services did not start: {logs}"

        wait_for_health(base, children, failure)
        yield base
        assert all(c.poll() is None for c in children), "a service died while in use"


def _stop(child: subprocess.Popen[bytes]) -> None:
    child.terminate()
    try:
        child.wait(timeout=20)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


class Client:
    """Posts the README's GraphQL operations (and the test's own) as one signed-in user."""

    def __init__(self, base: str, operations: dict[str, str]) -> None:
        self.base, self.operations, self.token = base, operations, ""

    def __call__(self, document: str, **variables: Any) -> dict[str, Any]:
        document = self.operations.get(document, document)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        answer = httpx.post(f"{self.base}/graphql", json={"query": document,
                            "variables": variables}, headers=headers, timeout=60)  # fmt: skip
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def sign_in(self, username: str, password: str) -> dict[str, Any]:
        """Log in with the README's operation and keep the token."""
        self.token = ""
        result: dict[str, Any] = self("login", username=username, password=password)["login"]
        assert result["__typename"] == "LoginSuccess", result
        self.token = result["token"]
        return result


CREATE_CUSTOMER = """
mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) {
  __typename ... on CreateCustomerSuccess { customer { id } } ... on UserError { code message } } }
"""
SUBMIT = """
mutation ($input: SubmitApplicationInput!) { submitApplication(input: $input) {
  __typename ... on UserError { code message }
  ... on SubmitApplicationSuccess { application { id status riskLane decisionReason } } } }
"""
TASKS = '{ tasks(filter: {status: "OPEN"}) { totalCount edges { node { name candidateRole } } } }'


def _daily_steps(url: str) -> dict[str, str]:
    async def read() -> dict[str, str]:
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
        try:
            rows = await conn.fetch("SELECT step, status FROM daily_run")
        finally:
            await conn.close()
        return {row["step"]: row["status"] for row in rows}

    return asyncio.run(read())


def _wait_for_daily_run(url: str) -> dict[str, str]:
    """The worker's first daily run over the empty portfolio, once every step has ended."""
    deadline = time.monotonic() + 120
    while True:
        steps = _daily_steps(url)
        if steps and all(status in ("DONE", "FAILED") for status in steps.values()):
            return steps
        assert time.monotonic() < deadline, f"the worker's daily run did not end: {steps}"
        time.sleep(0.5)


def _id_number() -> str:
    first17 = "31010119900307123"
    return first17 + resident_id_check_digit(first17)


def test_the_readme_takes_a_fresh_database_to_an_application_at_signature(
    tmp_path: Path,
) -> None:
    marked = blocks()
    kinds = [b.kind for b in marked]
    assert kinds.count("sh") >= 2 and "services" in kinds, kinds
    operations = {b.name: b.text for b in marked if b.kind == "graphql" and b.name}
    assert {"login", "saveProduct", "createUser", "changePassword"} <= set(operations)
    with (
        fresh_database(os.environ["DATABASE_URL"], "lendgraph_golive") as url,
        httpfake.serve() as bureau,
    ):
        bureau.responder = _bureau
        env = _environment(url, bureau.url, tmp_path)
        printed = ""
        for block in marked:
            if block.kind == "sh":
                printed += _run_shell(block.text, env, tmp_path)
        # migrate deployed what the system needs; nothing secret was printed
        shipped = ("credit_approval", "collections", "customer_risk_rating", "limit_increase",
                   "pre_due_reminders")  # fmt: skip
        for process in shipped:
            assert process in printed
        assert ADMIN_PASSWORD not in printed
        services = next(b.text for b in marked if b.kind == "services")
        with _services(services, env, tmp_path) as base:
            admin = Client(base, operations)
            assert admin.sign_in("ops-admin", ADMIN_PASSWORD)["mustChangePassword"] is False
            assert admin("saveProduct")["saveProduct"]["__typename"] == "SaveProductSuccess"
            created = admin("createUser")["createUser"]
            assert created["__typename"] == "CreateUserSuccess", created
            temporary = created["temporaryPassword"]
            # the account manager's first sign-in only lets them choose a password
            manager = Client(base, operations)
            assert manager.sign_in("li.na", temporary)["mustChangePassword"] is True
            changed = manager("changePassword", old=temporary, new=NEW_PASSWORD)["changePassword"]
            assert changed["__typename"] == "ChangePasswordSuccess", changed
            manager.sign_in("li.na", NEW_PASSWORD)
            customer = manager(CREATE_CUSTOMER, input={
                "name": "王芳", "idNumber": _id_number(), "phone": "13812345678",
                "monthlyIncome": "18000.00", "consent": ["SMS", "PHONE"],
            })["createCustomer"]  # fmt: skip
            assert customer["__typename"] == "CreateCustomerSuccess", customer
            submitted = manager(SUBMIT, input={
                "customerId": customer["customer"]["id"], "productCode": "CONSUMER",
                "amount": "30000.00", "termMonths": 12, "channel": "BRANCH", "purpose": "car",
            })["submitApplication"]  # fmt: skip
            assert submitted["__typename"] == "SubmitApplicationSuccess", submitted
            application = submitted["application"]
            assert (application["riskLane"], application["status"]) == ("FAST", "CONTRACTED")
            inbox = manager(TASKS)["tasks"]
            assert [e["node"]["name"] for e in inbox["edges"]] == ["Customer signs contract"]
            assert bureau.requests and bureau.requests[0].path.endswith("/reports")
            # the worker ran the business date's daily work with the shipped processes
            steps = _wait_for_daily_run(url)
            assert set(steps.values()) == {"DONE"}, steps
