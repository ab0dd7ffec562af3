"""The credit bureau over HTTP: timeout, retry with back-off, and a deterministic simulator.

``LENDGRAPH_BUREAU_URL`` names the bureau; each pull is ``POST {url}/reports`` with the
customer's ID number and name and answers ``{"reference", "score", "total_debt",
"open_accounts", "delinquencies", "inquiries", "worst_dpd_12m"}``, or 404 when the bureau has
no file on the person. Connection errors, timeouts, 429 and 5xx are retried with exponential
back-off, all under one ``Idempotency-Key`` when the caller gives one (a process's call gives
its stable key, see :mod:`domain.credit.calls`: the bureau bills one inquiry per key); when
the attempts run out the pull raises :class:`UnavailableError` and the caller
(the approval process) waits and tries again later. Any other answer is a
:class:`BureauAnswerError` with what was wrong.

Without a URL, demo and test mode use :func:`simulated_report` in-process (``lendgraph demo``
also serves it over HTTP at ``/simulated-bureau``); production refuses to invent reports.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from domain.errors import DomainError, UnavailableError
from domain.settings import settings

SIMULATED = "SIMULATED"
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class BureauAnswerError(DomainError):
    """The bureau answered something that is not a report: refused, malformed, unknown."""


@dataclass(frozen=True, slots=True)
class BureauReport:
    """What the bureau knows about one person."""

    bureau: str
    reference: str
    score: int
    total_debt: Decimal
    open_accounts: int
    delinquencies: int
    inquiries: int
    worst_dpd_12m: int


@dataclass(frozen=True, slots=True)
class BureauConfig:
    """Where the bureau is and how patiently to ask it."""

    url: str
    name: str = "BUREAU"
    api_key: str | None = None
    timeout_seconds: float = 5.0
    attempts: int = 3
    backoff_seconds: float = 0.5

    @classmethod
    def from_env(cls) -> BureauConfig | None:
        """The configured bureau, or None when LENDGRAPH_BUREAU_URL is not set."""
        url = os.environ.get("LENDGRAPH_BUREAU_URL")
        if not url:
            return None
        return cls(
            url=url.rstrip("/"),
            name=os.environ.get("LENDGRAPH_BUREAU_NAME", "BUREAU"),
            api_key=os.environ.get("LENDGRAPH_BUREAU_KEY") or None,
            timeout_seconds=float(os.environ.get("LENDGRAPH_BUREAU_TIMEOUT", "5")),
            attempts=max(1, int(os.environ.get("LENDGRAPH_BUREAU_ATTEMPTS", "3"))),
            backoff_seconds=float(os.environ.get("LENDGRAPH_BUREAU_BACKOFF", "0.5")),
        )


def simulated_report(id_number: str) -> BureauReport:
    """A deterministic report from the ID number: same person, same report, any process."""
    digest = hashlib.sha256(id_number.encode()).digest()
    score = 520 + int.from_bytes(digest[:2], "big") % 330  # 520..849
    accounts = digest[2] % 5
    debt = Decimal(accounts * (digest[3] % 40) * 1000)
    late = 0 if score >= 650 else digest[4] % 45
    return BureauReport(
        bureau=SIMULATED,
        reference=f"SIM-{digest[:6].hex()}",
        score=score,
        total_debt=debt.quantize(Decimal("0.01")),
        open_accounts=accounts,
        delinquencies=1 if late else 0,
        inquiries=digest[5] % 4,
        worst_dpd_12m=late,
    )


def report_json(report: BureauReport) -> dict[str, Any]:
    """The wire form of a report (what the simulator serves)."""
    return {
        "reference": report.reference,
        "score": report.score,
        "total_debt": str(report.total_debt),
        "open_accounts": report.open_accounts,
        "delinquencies": report.delinquencies,
        "inquiries": report.inquiries,
        "worst_dpd_12m": report.worst_dpd_12m,
    }


def answer_json(report: BureauReport) -> dict[str, Any]:
    """A report as it is stored with its call: the wire form and the bureau's name."""
    return {"bureau": report.bureau, **report_json(report)}


def answer_from_json(stored: dict[str, Any]) -> BureauReport:
    """The report :func:`answer_json` stored (checked again, as when it arrived)."""
    return _parse(str(stored.get("bureau") or SIMULATED), stored)


def _int(body: dict[str, Any], key: str, low: int, high: int) -> int:
    value = body.get(key, 0 if key != "score" else None)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BureauAnswerError(f"bureau answer: {key} must be a whole number {low}..{high}")
    return value


def _parse(bureau: str, body: Any) -> BureauReport:
    if not isinstance(body, dict):
        raise BureauAnswerError("bureau answer is not a JSON object")
    try:
        debt = Decimal(str(body.get("total_debt", "0")))
    except InvalidOperation:
        raise BureauAnswerError("bureau answer: total_debt is not a number") from None
    if not debt.is_finite() or debt < 0:
        raise BureauAnswerError("bureau answer: total_debt must be 0 or more")
    reference = body.get("reference")
    if not isinstance(reference, str) or not 0 < len(reference) <= 128:
        raise BureauAnswerError("bureau answer: reference is missing")
    return BureauReport(
        bureau=bureau,
        reference=reference,
        score=_int(body, "score", 300, 900),
        total_debt=debt.quantize(Decimal("0.01")),
        open_accounts=_int(body, "open_accounts", 0, 1000),
        delinquencies=_int(body, "delinquencies", 0, 1000),
        inquiries=_int(body, "inquiries", 0, 1000),
        worst_dpd_12m=_int(body, "worst_dpd_12m", 0, 10_000),
    )


async def fetch(
    config: BureauConfig,
    *,
    id_number: str,
    name: str,
    transport: httpx.AsyncBaseTransport | None = None,
    key: str | None = None,
) -> BureauReport | None:
    """Pull a report; None when the bureau has no file on the person (404)."""
    headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
    if key is not None:
        headers["Idempotency-Key"] = key
    last = "no attempt made"
    async with httpx.AsyncClient(
        timeout=config.timeout_seconds, transport=transport, headers=headers
    ) as client:
        for attempt in range(1, config.attempts + 1):
            if attempt > 1:
                await asyncio.sleep(config.backoff_seconds * 2 ** (attempt - 2))
            try:
                answer = await client.post(
                    f"{config.url}/reports", json={"id_number": id_number, "name": name}
                )
            except httpx.TimeoutException:
                last = f"no answer within {config.timeout_seconds:g} s"
                continue
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                continue
            if answer.status_code in RETRIED_STATUSES:
                last = f"HTTP {answer.status_code}"
                continue
            if answer.status_code == 404:
                return None
            if answer.status_code != 200:
                raise BureauAnswerError(f"bureau refused the request: HTTP {answer.status_code}")
            try:
                body = answer.json()
            except ValueError:
                raise BureauAnswerError("bureau answer is not JSON") from None
            return _parse(config.name, body)
    raise UnavailableError("credit bureau", f"{last} after {config.attempts} attempts")


async def pull(*, id_number: str, name: str, key: str | None = None) -> BureauReport | None:
    """A report from the configured bureau, or the simulator in demo and test mode."""
    config = BureauConfig.from_env()
    if config is not None:
        return await fetch(config, id_number=id_number, name=name, key=key)
    if settings().mode in ("demo", "test"):
        return simulated_report(id_number)
    raise BureauAnswerError("no credit bureau is configured (set LENDGRAPH_BUREAU_URL)")
