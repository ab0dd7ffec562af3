"""The client side of bench/load.py: the request mix, the checks on each answer, the users.

Run as a child process (``python bench/loadgen.py`` with a JSON plan on stdin), it drives
`concurrency` closed-loop users against the servers' base URLs for `seconds` and prints one
JSON line of results: outcomes by kind, latencies of successful requests, its own CPU time.
A user sends its next request as soon as the previous one is answered (no think time), except
after a 429 or 503, when it waits as long as Retry-After says.
"""

import asyncio
import itertools
import random
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

# The mix, by weight (out of 100): what a branch's staff do on a working day, reads first.
MIX: dict[str, int] = {
    "customer_page": 40,  # cs1 (each of its accounts): the 360° page of a random customer
    "task_inbox": 15,  # risk1, am1, collector1 in turn: their open user tasks
    "measure": 15,  # analyst1, lead1 in turn: a dashboard measure or the bucket summary
    "post_payment": 10,  # admin: 50.00 on a random active loan, a fresh idempotency key
    "record_interaction": 10,  # cs1: an inbound inquiry call on a random customer
    "submit_application": 10,  # am1: a CONSUMER application for one of am1's customers
}
# Outcomes that are not a success. 429 and 503 are the server's backpressure (expected);
# every other one is an unexpected error and fails the benchmark.
BACKPRESSURE = ("http_429", "http_503")
UNEXPECTED = ("http_other", "timeout", "connection", "graphql", "union", "no_retry_after")

PAGE = """query Page($id: ID!) { customer(id: $id) {
  id name kind phone email birthDate riskRating lifecycleStage
  rfm { recency frequency monetary segment } tags { name explanation }
  applications { id status amount termMonths riskLane decisionReason }
  loans {
    id status principal annualRate termMonths outstandingPrincipal daysPastDue bucket
    schedule { seq dueDate principalDue interestDue paidAmount status }
    payments { amount paidAt idempotencyKey }
  }
  interactions(first: 20) { edges { node { channel direction type text occurredAt } } }
} }"""
INBOX = """query Inbox { tasks(filter: {status: "OPEN"}, first: 20) {
  totalCount edges { node { id name candidateRole status createdAt processInstance { id } } }
} }"""
MEASURE = """query Measure($name: String!, $dimension: String) {
  measure(name: $name, dimension: $dimension) { measure unit points { key series value count } }
}"""
BUCKETS = "query Buckets { portfolioByBucket { bucket loans outstanding } }"
PAYMENT = """mutation Pay($input: PostPaymentInput!) { postPayment(input: $input) {
  __typename ... on PostPaymentSuccess { duplicate payment { id } loan { outstandingPrincipal } }
  ... on UserError { code message } } }"""
INTERACTION = """mutation Contact($input: RecordInteractionInput!) {
  recordInteraction(input: $input) {
  __typename ... on RecordInteractionSuccess { interaction { id } }
  ... on UserError { code message } } }"""
SUBMIT = """mutation Apply($input: SubmitApplicationInput!) { submitApplication(input: $input) {
  __typename ... on SubmitApplicationSuccess { application { id status riskLane } }
  ... on UserError { code message } } }"""
MEASURES = (
    ("portfolio.outstanding", "bucket"),
    ("approvals.funnel", "stage"),
    ("collections.contacts", "channel"),
    ("customers.count", "risk_rating"),
)
PERSONAS = ("cs1", "risk1", "am1", "collector1", "analyst1", "lead1", "admin")
# Roles whose reach does not hang on the account's own rows get `--staff` accounts each
# (cs1-1, cs1-2, ...: the same role, branch and team), so that the load comes from many
# staff, as a branch's does, not from one account; am1's customers and collector1's loans
# belong to those accounts, so they stay single.
CLONED = ("cs1", "risk1", "analyst1", "lead1", "admin")


@dataclass(frozen=True)
class Plan:
    """What one run of the client does: where, how many users, how long, on which rows."""

    bases: list[str]
    concurrency: int
    seconds: float
    warmup: float
    timeout: float
    tokens: dict[str, list[str]]  # persona -> bearer tokens of its accounts
    customers: list[str]  # global ids, for pages and interactions
    loans: list[str]  # active loans, for payments
    applicants: list[str]  # am1's customers, for applications
    paid_at: str  # ISO moment on the business date
    seed: int = 1


def request_for(kind: str, plan: Plan, rng: random.Random, turn: int) -> tuple[str, dict[str, Any]]:
    """The persona and GraphQL body of one request of a kind."""
    if kind == "customer_page":
        return "cs1", {"query": PAGE, "variables": {"id": rng.choice(plan.customers)}}
    if kind == "task_inbox":
        return ("risk1", "am1", "collector1")[turn % 3], {"query": INBOX}
    if kind == "measure":
        persona = ("analyst1", "lead1")[turn // 5 % 2]
        if turn % 5 == 4:
            return persona, {"query": BUCKETS}
        name, dimension = MEASURES[turn % len(MEASURES)]
        return persona, {"query": MEASURE, "variables": {"name": name, "dimension": dimension}}
    if kind == "post_payment":
        payment = {"loanId": rng.choice(plan.loans), "amount": "50.00", "paidAt": plan.paid_at,
                   "idempotencyKey": f"load-{uuid.uuid4().hex}"}  # fmt: skip
        return "admin", {"query": PAYMENT, "variables": {"input": payment}}
    if kind == "record_interaction":
        contact = {"customerId": rng.choice(plan.customers), "channel": "PHONE",
                   "direction": "INBOUND", "type": "INQUIRY", "text": "balance?"}  # fmt: skip
        return "cs1", {"query": INTERACTION, "variables": {"input": contact}}
    application = {"customerId": rng.choice(plan.applicants), "productCode": "CONSUMER",
                   "amount": "20000.00", "termMonths": 24, "channel": "APP"}  # fmt: skip
    return "am1", {"query": SUBMIT, "variables": {"input": application}}


_SUCCESS = {
    "post_payment": ("postPayment", "PostPaymentSuccess"),
    "record_interaction": ("recordInteraction", "RecordInteractionSuccess"),
    "submit_application": ("submitApplication", "SubmitApplicationSuccess"),
}


def classify(kind: str, response: httpx.Response) -> str:
    """`ok`, or the kind of error this answer is."""
    status = response.status_code
    if status in (429, 503):
        return f"http_{status}" if response.headers.get("retry-after") else "no_retry_after"
    if status != 200:
        return "http_other"
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return "http_other"
    if body.get("errors"):
        return "graphql"
    data = body.get("data") or {}
    if kind == "customer_page":
        return "ok" if data.get("customer") else "union"
    if kind == "task_inbox":
        return "ok" if data.get("tasks") is not None else "union"
    if kind == "measure":
        return "ok" if data.get("measure") or data.get("portfolioByBucket") is not None else "union"
    field, success = _SUCCESS[kind]
    result = data.get(field) or {}
    if result.get("__typename") != success or result.get("duplicate"):
        return "union"
    return "ok"


def _seconds(retry_after: str) -> float:
    try:
        return max(0.0, float(retry_after))
    except ValueError:  # an HTTP date: not what lendgraph sends; wait a second
        return 1.0


@dataclass
class Tally:
    """Outcomes and latencies of the requests that finished inside the measured window."""

    outcomes: dict[str, int]
    latencies: dict[str, list[float]]  # kind -> seconds, successful requests only
    samples: dict[str, str]  # outcome -> one example, to show what went wrong


async def _user(n: int, plan: Plan, client: httpx.AsyncClient, start: float, tally: Tally) -> None:
    rng = random.Random(plan.seed * 100_003 + n)
    kinds, weights = list(MIX), list(MIX.values())
    # user n acts as the n-th account of each role (where the role has several)
    headers = {p: {"Authorization": f"Bearer {t[n % len(t)]}"} for p, t in plan.tokens.items()}
    measured_from, deadline = start + plan.warmup, start + plan.warmup + plan.seconds
    for turn in itertools.count(n):
        if time.perf_counter() >= deadline:
            return
        kind = rng.choices(kinds, weights)[0]
        persona, body = request_for(kind, plan, rng, turn)
        began, pause = time.perf_counter(), 0.0
        try:
            async with asyncio.timeout(plan.timeout):  # the whole request, as a user waits
                response = await client.post("/graphql", json=body, headers=headers[persona])
            outcome = classify(kind, response)
            example = response.text[:300]
            if outcome in BACKPRESSURE:  # a polite client waits as long as it is told
                pause = _seconds(response.headers["retry-after"])
        except (TimeoutError, httpx.TimeoutException) as exc:
            outcome, example = "timeout", repr(exc)
        except httpx.TransportError as exc:
            outcome, example = "connection", repr(exc)
            pause = 0.05  # a refused connection answers at once: do not spin
        ended = time.perf_counter()
        if measured_from <= ended <= deadline:
            tally.outcomes[outcome] = tally.outcomes.get(outcome, 0) + 1
            if outcome == "ok":
                tally.latencies.setdefault(kind, []).append(ended - began)
            else:
                tally.samples.setdefault(outcome, f"{kind}: {example}")
        if pause:
            await asyncio.sleep(min(pause, max(0.0, deadline - ended)))


async def run(plan: Plan) -> dict[str, Any]:
    """Drive the users; the figures of the measured window."""
    tally = Tally({}, {}, {})
    # users go round-robin over the servers, each with a connection of its own: one client
    # per user, because httpx's pool scans its connections on every request and one pool of
    # 256 costs the client more CPU than the requests themselves
    clients = [
        httpx.AsyncClient(base_url=plan.bases[n % len(plan.bases)], timeout=plan.timeout,
                          limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))
        for n in range(plan.concurrency)
    ]  # fmt: skip
    cpu, start = time.process_time(), time.perf_counter()
    try:
        users = [_user(n, plan, clients[n], start, tally) for n in range(plan.concurrency)]
        await asyncio.gather(*users)
    finally:
        for client in clients:
            await client.aclose()
    wall = time.perf_counter() - start
    return {
        "outcomes": tally.outcomes,
        "latencies": tally.latencies,
        "samples": tally.samples,
        "client_cpu": (time.process_time() - cpu) / wall,  # cores busy in the client
    }


def main() -> None:
    """Read a plan as JSON on stdin, print the results as one JSON line."""
    plan = Plan(**orjson.loads(sys.stdin.buffer.read()))
    try:
        import uvloop  # the client's own overhead matters on a small machine

        result = uvloop.run(run(plan))
    except ImportError:
        result = asyncio.run(run(plan))
    sys.stdout.buffer.write(orjson.dumps(result) + b"\n")


if __name__ == "__main__":
    main()
