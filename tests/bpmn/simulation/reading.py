"""A simulation's report read back the way the tests compare it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def cells(report: dict[str, Any]) -> dict[tuple[str, str], tuple[int, Decimal]]:
    """Old × new outcome → (cases, amount)."""
    return {(c["old"], c["new"]): (c["count"], Decimal(c["amount"])) for c in report["cells"]}


def roles(side: dict[str, Any]) -> dict[str, int]:
    """A whole-process side's human tasks per role."""
    return {r["role"]: r["tasks"] for r in side["tasksPerRole"]}
