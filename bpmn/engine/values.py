"""Task data values as JSON, tagged so decimals and dates come back with their types."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def _json_default(value: Any) -> Any:
    # tagged, so task data comes back with its types: '1200000' > '500000' is False as text
    if isinstance(value, Decimal):
        return {"__decimal__": str(value)}
    if isinstance(value, dt.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def plain(data: Mapping[str, Any]) -> dict[str, Any]:
    """Task data as plain JSON values (decimals and dates as strings), for storing and showing."""
    return dict(json.loads(json.dumps(data, default=str)))


def _json_untag(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "__decimal__" in obj:
            return Decimal(obj["__decimal__"])
        if "__datetime__" in obj:
            return dt.datetime.fromisoformat(obj["__datetime__"])
        if "__date__" in obj:
            return dt.date.fromisoformat(obj["__date__"])
    return obj
