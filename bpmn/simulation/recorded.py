"""The data a live approval kept: the inputs its risk table had, where it got that far."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from bpmn import approval, outcomes
from bpmn.simulation.population import in_list
from domain import sqltext

_KEPT = """
SELECT pi.business_key, {data} AS data FROM process_instance pi
JOIN process_definition d ON d.id = pi.definition_id
WHERE d.process_id = :process AND pi.business_key IN {keys}
ORDER BY pi.id
"""


def _decimal(raw: Any) -> Decimal | None:
    return None if raw is None else Decimal(str(raw))


def _int(raw: Any) -> int | None:
    return None if raw is None else int(raw)


def _text(raw: Any) -> str | None:
    return None if raw is None else str(raw)


# The live start data's names and types (stored data keeps decimals as text); scoring's
# outputs come before the risk table in the approval diagram, so a table may read them.
INPUTS: Mapping[str, Callable[[Any], Any]] = {
    "amount": _decimal, "term_months": _int, "product_code": _text,
    "report_age_days": _int, "bureau_score": _int, "debt_to_income": _decimal,
    "worst_dpd_12m": _int, "max_report_age_days": _int, "second_approval_above": _decimal,
    "application_score": _int, "score_band": _text, "annual_rate": _decimal,
}  # fmt: skip


def data_column(*, pg: bool) -> str:
    """The SQL of an instance's kept data as JSON text."""
    return "(pi.state -> 'data')::text" if pg else "json_extract(pi.state, '$.data')"


def kept_data(raw: Any) -> dict[str, Any] | None:
    """An instance's kept data from :func:`data_column`; None when there is none."""
    found = json.loads(raw) if isinstance(raw, str | bytes) else raw
    return found if isinstance(found, dict) else None


async def approval_inputs(ids: list[int], *, pg: bool) -> dict[int, dict[str, Any]]:
    """The risk table's inputs kept by the approval instances of these applications that
    decided a lane (the newest instance of an application wins)."""
    keys = tuple(f"{outcomes.PREFIX}{pk}" for pk in ids)
    listed, values = in_list("key", keys)
    statement = _KEPT.format(data=data_column(pg=pg), keys=listed)
    _, rows = await sqltext.execute(statement, {"process": approval.PROCESS_ID, **values})
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        kept = kept_data(row["data"])
        if kept is None or kept.get("lane") is None:
            continue
        pk = outcomes.application_id(str(row["business_key"]))
        if pk is not None:
            found[pk] = {n: read(kept.get(n)) for n, read in INPUTS.items() if n in kept}
    return found
