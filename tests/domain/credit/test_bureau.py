"""The bureau adapter against a real local HTTP server: answers, retries, outages."""

from __future__ import annotations

import socket
from decimal import Decimal

import pytest

from domain.credit import bureau
from domain.credit.bureau import BureauAnswerError, BureauConfig
from domain.errors import UnavailableError
from tests.httpfake import Answer, serve

GOOD = {
    "reference": "R-1", "score": 712, "total_debt": "48000.5", "open_accounts": 2,
    "delinquencies": 0, "inquiries": 1, "worst_dpd_12m": 0,
}  # fmt: skip


def _config(url: str, **kw: float | int | str) -> BureauConfig:
    base: dict = {"url": url, "name": "TESTBUREAU", "timeout_seconds": 1.0, "attempts": 3,
                  "backoff_seconds": 0.01}  # fmt: skip
    base.update(kw)
    return BureauConfig(**base)


async def test_a_report_is_read_with_the_key_and_the_person_sent() -> None:
    with serve() as server:
        server.script = [Answer(body=GOOD)]
        report = await bureau.fetch(
            _config(server.url, api_key="k-123"), id_number="110101199001011234", name="Li Lei"
        )
    assert report is not None
    assert (report.bureau, report.score, report.total_debt) == (
        "TESTBUREAU",
        712,
        Decimal("48000.50"),
    )
    [request] = server.requests
    assert request.path == "/reports"
    assert request.body == {"id_number": "110101199001011234", "name": "Li Lei"}
    assert request.headers["authorization"] == "Bearer k-123"


async def test_transient_failures_are_retried_until_an_answer() -> None:
    with serve() as server:
        server.script = [Answer(status=503), Answer(status=429), Answer(body=GOOD)]
        report = await bureau.fetch(_config(server.url), id_number="1", name="x")
    assert report is not None and report.score == 712
    assert len(server.requests) == 3


async def test_an_outage_raises_unavailable_after_the_attempts() -> None:
    with serve() as server:
        server.script = [Answer(status=503)]
        with pytest.raises(UnavailableError, match=r"HTTP 503 after 3 attempts"):
            await bureau.fetch(_config(server.url), id_number="1", name="x")
    assert len(server.requests) == 3


async def test_a_slow_bureau_times_out_and_counts_as_unavailable() -> None:
    with serve() as server:
        server.script = [Answer(body=GOOD, delay=0.5)]
        with pytest.raises(UnavailableError, match=r"no answer within 0.1 s after 2 attempts"):
            await bureau.fetch(
                _config(server.url, timeout_seconds=0.1, attempts=2), id_number="1", name="x"
            )


async def test_a_closed_port_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UnavailableError, match="ConnectError"):
        await bureau.fetch(_config(f"http://127.0.0.1:{port}", attempts=2), id_number="1", name="x")


async def test_no_file_is_none_and_bad_answers_are_refused_with_the_reason() -> None:
    with serve() as server:
        server.script = [Answer(status=404, body={"error": "no file"})]
        assert await bureau.fetch(_config(server.url), id_number="1", name="x") is None
        for answer, reason in [
            (Answer(status=400, body={}), "HTTP 400"),
            (Answer(raw=b"<html>"), "not JSON"),
            (Answer(body={**GOOD, "score": 1200}), "score must be a whole number 300..900"),
            (Answer(body={**GOOD, "score": "712"}), "score must be"),
            (Answer(body={**GOOD, "total_debt": "-5"}), "total_debt must be 0 or more"),
            (Answer(body={k: v for k, v in GOOD.items() if k != "reference"}), "reference"),
            (Answer(body=[1, 2]), "not a JSON object"),
        ]:
            server.script = [answer]
            with pytest.raises(BureauAnswerError, match=reason):
                await bureau.fetch(_config(server.url), id_number="1", name="x")


def test_the_simulator_is_deterministic_and_in_range() -> None:
    first = bureau.simulated_report("110101199001011234")
    assert first == bureau.simulated_report("110101199001011234")
    scores = {bureau.simulated_report(str(n)).score for n in range(500)}
    assert min(scores) >= 520 and max(scores) <= 849 and len(scores) > 100


async def test_production_without_a_bureau_refuses_to_invent_reports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from domain.settings import Settings

    monkeypatch.delenv("LENDGRAPH_BUREAU_URL", raising=False)
    monkeypatch.setattr(bureau, "settings", lambda: Settings(mode="production"))
    with pytest.raises(BureauAnswerError, match="LENDGRAPH_BUREAU_URL"):
        await bureau.pull(id_number="1", name="x")
