"""A background simulation in the designer follows the server's simulationUpdated stream, and
asks every second instead only where no stream can be opened."""

from __future__ import annotations

from datetime import date
from typing import Any

from playwright.async_api import Page, WebSocket, WebSocketRoute, expect

from bpmn.simulation import run
from bpmn.simulation.population import Population
from domain.simulation.models import PopulationKind
from tests.bpmn.simulation import history
from tests.designer.conftest import analyst
from tests.designer.test_simulate_background import FROM, TO, _ask
from tests.serving import api_process

POLLED = "simulation(id: $id)"  # the query the designer asks every second without a stream
SERVER = {"LENDGRAPH_SIMULATIONS_IN_API": "1", "LENDGRAPH_EVENTS_POLL_SECONDS": "0.2"}


async def _expected() -> dict[str, Any]:
    """The totals the long window's draft gives when simulated in one request."""
    await analyst()
    await history.seed()
    lane = history.RISK_LANE.replace("&lt;= 50000", "&lt;= 80000")
    draft = run.Draft(history.APPROVAL.encode(), [lane.encode()])
    window = Population(PopulationKind.APPLICATIONS, date.fromisoformat(FROM),
                        date.fromisoformat(TO))  # fmt: skip
    totals: dict[str, Any] = (await run.simulate(draft, window)).report["totals"]
    return totals


def _asked(page: Page) -> list[str]:
    """The GraphQL documents the page posts, as it posts them."""
    bodies: list[str] = []
    page.on("request", lambda r: bodies.append(r.post_data or "") if r.method == "POST" else None)
    return bodies


async def test_a_background_simulation_is_followed_by_its_stream(db: str, page: Page) -> None:
    expected = await _expected()
    bodies = _asked(page)
    received: list[str] = []

    def watch(socket: WebSocket) -> None:
        def keep(payload: str | bytes) -> None:
            received.append(payload if isinstance(payload, str) else payload.decode())

        socket.on("framereceived", keep)

    page.on("websocket", watch)
    with api_process(db, env=SERVER) as base:
        await _ask(page, base)
        await expect(page.locator("#simulation-summary")).to_contain_text(
            f"{expected['cases']} case(s), {expected['changed']} change outcome"
        )
    # then: the figures came by the stream, to its end, and the page never asked for them
    updates = [f for f in received if '"simulationUpdated"' in f]
    assert updates and '"DONE"' in updates[-1], received
    assert any('"complete"' in f for f in received)
    assert not [b for b in bodies if POLLED in b]


async def test_without_a_stream_the_designer_asks_every_second(db: str, page: Page) -> None:
    expected = await _expected()
    bodies = _asked(page)

    async def refuse(socket: WebSocketRoute) -> None:
        await socket.close(code=1011, reason="no websockets here")

    await page.route_web_socket("**/graphql", refuse)
    with api_process(db, env=SERVER) as base:
        await _ask(page, base)
        await expect(page.locator("#simulation-summary")).to_contain_text(
            f"{expected['cases']} case(s), {expected['changed']} change outcome"
        )
    assert [b for b in bodies if POLLED in b]
