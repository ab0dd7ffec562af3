"""GraphQL over HTTP: status codes and media types, and graphql-http's audit of a real server.

With `Accept: application/graphql-response+json`, a request that fails before execution
(syntax, validation, variable values) answers 400 without `data`, in that media type; with
`application/json` every GraphQL result stays 200, as before.
"""

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.user.models import User
from tests.api.conftest import PASSWORD, GraphQLClient, password_hash
from tests.serving import ROOT, api_process

DESIGNER = ROOT / "designer"
AUDIT = DESIGNER / "scripts" / "graphql-http-audit.mjs"
NODE = shutil.which("node")
GRAPHQL_RESPONSE = "application/graphql-response+json"
# SHOULDs the server cannot meet, with the reason (none today: keep it that way)
SHOULD_EXCEPTIONS: dict[str, str] = {}
DEEP: object = 1
for _ in range(40):
    DEEP = [DEEP]


async def _post(gql: GraphQLClient, accept: str, body: dict[str, Any]) -> httpx.Response:
    return await gql.http.post("/graphql", json=body, headers={**gql.headers, "accept": accept})


@pytest.mark.parametrize(
    "body",
    [
        {"query": "{ businessDate "},  # syntax
        {"query": "{ noSuchField }"},  # validation
        {"query": "query ($d: Date!) { businessDate }", "variables": {"d": "not a date"}},
        {"query": "query ($n: Int!) { businessDate }", "variables": {}},  # missing variable
        {"query": "query ($d: JSON!) { businessDate }", "variables": {"d": DEEP}},  # too deep
    ],
)
async def test_request_errors_are_400_without_data_for_graphql_response_clients(
    gql: GraphQLClient, body: dict[str, Any]
) -> None:
    # when a client of the new media type sends a request that cannot execute
    response = await _post(gql, GRAPHQL_RESPONSE, body)
    # then it is a 400 in that media type, with errors and no data entry
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    answer = response.json()
    assert "data" not in answer and answer["errors"], answer
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"VALIDATION"}
    # and a client of application/json gets today's 200 with `data: null`
    legacy = await _post(gql, "application/json", body)
    assert legacy.status_code == 200
    assert legacy.headers["content-type"] == "application/json"
    assert legacy.json()["data"] is None


async def test_executed_requests_stay_200_in_either_media_type(gql: GraphQLClient) -> None:
    for accept in (GRAPHQL_RESPONSE, f"{GRAPHQL_RESPONSE}, application/json;q=0.9"):
        ok = await _post(gql, accept, {"query": "{ businessDate }"})
        assert (ok.status_code, ok.headers["content-type"]) == (
            200,
            f"{GRAPHQL_RESPONSE}; charset=utf-8",
        )
        # an error inside execution (a refused id) still has data: 200
        refused = await _post(gql, accept, {"query": '{ customer(id: "x") { id } }'})
        assert refused.status_code == 200
        assert refused.json()["data"] == {"customer": None}
    preferred_json = await _post(
        gql, f"{GRAPHQL_RESPONSE};q=0.5, application/json", {"query": "{ x }"}
    )
    assert (preferred_json.status_code, preferred_json.headers["content-type"]) == (
        200,
        "application/json",
    )


async def test_no_credentials_is_401_for_graphql_response_clients(
    anonymous: GraphQLClient,
) -> None:
    response = await _post(anonymous, GRAPHQL_RESPONSE, {"query": "{ businessDate }"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await _post(anonymous, "*/*", {"query": "{ businessDate }"})).status_code == 200


def _audit_tools() -> tuple[str, Path]:
    missing = None
    if NODE is None:
        missing = "node is not installed"
    elif not (DESIGNER / "node_modules" / "graphql-http" / "package.json").exists():
        missing = "graphql-http is not installed (make designer: npm ci in designer/)"
    if missing:
        if os.environ.get("LENDGRAPH_REQUIRE_BROWSER") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    assert NODE is not None
    return NODE, AUDIT


async def test_graphql_over_http_audit_passes_every_must_and_should(db: str) -> None:
    # given graphql-http's audit and a real server with a signed-in user
    node, script = _audit_tools()
    await User.create(username="audit", roles=["auditor"], password_hash=password_hash())
    # introspection on (the default): the audit's variables checks query `__type`. The audit
    # fires its checks at once: on a machine busy with other work the admission gate and the
    # loop-lag shedding would answer some with 503 SERVER_BUSY, which is backpressure
    # (tests/api/test_backpressure.py), not the protocol this test audits: here they queue
    audited = {"LENDGRAPH_GRAPHIQL": "1", "LENDGRAPH_MAX_LOOP_LAG_MS": "0",
               "LENDGRAPH_ADMISSION_WAIT_MS": "60000"}  # fmt: skip
    with api_process(db, env=audited) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            login = await http.post("/graphql", json={
                "query": "mutation ($p: String!) { login(input: {username: \"audit\", password: $p})"
                         " { ... on LoginSuccess { token } } }", "variables": {"p": PASSWORD}})  # fmt: skip
        token = login.json()["data"]["login"]["token"]
        # when the audit runs against it
        run = await asyncio.to_thread(
            subprocess.run, [node, str(script)], cwd=DESIGNER, capture_output=True, text=True,
            timeout=120, check=False,
            env={**os.environ, "LENDGRAPH_GRAPHQL_URL": f"{base}/graphql", "LENDGRAPH_TOKEN": token},
        )  # fmt: skip
    assert run.returncode == 0, run.stderr
    results = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    # then every MUST and every SHOULD passes (MAYs are optional by definition)
    assert len(results) > 40, run.stdout
    failed = {r["id"]: f"{r['name']}: {r['reason']}" for r in results
              if r["status"] != "ok" and not r["name"].startswith("MAY")}  # fmt: skip
    assert {k: v for k, v in failed.items() if k not in SHOULD_EXCEPTIONS} == {}
    counts = {s: sum(r["status"] == s for r in results) for s in ("ok", "notice", "warn", "error")}
    print(f"graphql-http audit: {counts}")
