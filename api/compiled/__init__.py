"""Compiled reads: a root field of the customer graph answered by one SQL statement.

`LENDGRAPH_COMPILED_READS=off` turns the compiler off (every field through its resolver and
loaders, as before); it applies to requests over HTTP only, since a compiled answer is JSON
text that only the HTTP response's encoder writes.
"""

import os

from api.context import Context

SETTING = "LENDGRAPH_COMPILED_READS"


def setting() -> bool:
    """`LENDGRAPH_COMPILED_READS` as a flag (read per request, checked when the app is made)."""
    value = os.environ.get(SETTING, "on").strip().lower()
    if value not in ("on", "off"):
        raise ValueError(f"{SETTING} must be 'on' or 'off' (got {value!r})")
    return value == "on"


def enabled(context: Context) -> bool:
    """Whether this request's compilable root fields are compiled."""
    return context.request is not None and setting()
