"""An engine step on the event loop's thread: its service calls are awaited there, bounded by
their timeout, and the loop serves others while one waits."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bpmn import inline, registry, runner, service_calls
from bpmn.deployments import deploy_bundled
from domain.loan.models import Contract
from domain.process.models import ProcessInstance
from tests.bpmn.test_runner import _application


async def test_a_service_past_its_timeout_leaves_the_instance_retrying_and_is_cancelled(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, data = await _application("20000.00")
    finished: list[int] = []

    async def slow(application_id: int) -> dict[str, Any]:
        await asyncio.sleep(5)
        finished.append(application_id)  # never reached: the call is cancelled at its timeout
        return {}

    monkeypatch.setattr(service_calls, "SERVICE_TIMEOUT_SECONDS", 0.2)
    monkeypatch.setitem(registry._IMPLEMENTATIONS, "credit.score_application", slow)
    await deploy_bundled()
    view = await runner.start("credit_approval", data, business_key="slow")
    assert view.status == "RETRYING"
    assert "score_application gave no answer in 0.2 s" in (view.error or "")
    await asyncio.sleep(0.3)
    assert finished == []
    assert await Contract.all().count() == 0
    assert (await ProcessInstance.get(id=view.id)).status == "RETRYING"


async def test_the_loop_serves_others_while_a_step_waits_for_its_service(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, data = await _application("20000.00")
    real = registry.implementation("credit.score_application")
    assert real is not None
    ticks: list[int] = []
    seen_inside: list[bool] = []

    async def scoring_after_a_pause(application_id: int) -> Any:
        seen_inside.append(inline.inside())  # a service's coroutine runs on the loop, not inline
        await asyncio.sleep(0.2)
        return await real(application_id=application_id)

    async def ticker() -> None:
        for i in range(100):
            ticks.append(i)
            await asyncio.sleep(0.01)

    monkeypatch.setitem(
        registry._IMPLEMENTATIONS, "credit.score_application", scoring_after_a_pause
    )
    await deploy_bundled()
    beside = asyncio.create_task(ticker())
    view = await runner.start("credit_approval", data, business_key="paused")
    beside.cancel()
    assert view.status == "RUNNING" and len(view.open_tasks) == 1
    assert seen_inside == [False]
    assert len(ticks) >= 10  # the ticker ran through the service's 0.2 s


def test_wait_outside_an_engine_run_is_refused() -> None:
    async def nothing() -> None:
        return None

    with pytest.raises(RuntimeError, match="outside an inline engine run"):
        inline.wait(nothing(), 1)


async def test_an_exception_in_the_service_reaches_the_engine_and_the_caller() -> None:
    async def failing() -> None:
        raise LookupError("no such row")

    def engine_run() -> str:
        try:
            inline.wait(failing(), 1)
        except LookupError as exc:
            return f"handled {exc}"
        return "not raised"

    assert await inline.run(engine_run) == "handled no such row"
