"""GraphQL over HTTP: which media type a client accepts, and the status of a request error.

A client that accepts `application/graphql-response+json` (preferring it to, or not
accepting, `application/json`) gets that media type; then a request that fails before
execution starts (syntax, validation, variable values, no credentials) answers 4xx without a
`data` entry, as the GraphQL-over-HTTP specification says it should. Everyone else keeps
`application/json` and status 200 for every GraphQL result.
"""

import re
from collections.abc import Mapping
from typing import Any

from strawberry.types.execution import ExecutionResult, PreExecutionError

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def _quality(accept: str) -> dict[str, float]:
    """Each media range of an Accept header with its q value."""
    out: dict[str, float] = {}
    for item in accept.split(","):
        media, *params = (p.strip() for p in item.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media:
            out[media.lower()] = max(q, out.get(media.lower(), 0.0))
    return out


def prefers_graphql_response(accept: str | None) -> bool:
    """Whether to answer `application/graphql-response+json` (only when asked by name)."""
    ranges = _quality(accept or "")
    wanted = ranges.get(GRAPHQL_RESPONSE, 0.0)
    if wanted <= 0:
        return False
    plain = max(ranges.get(JSON, 0.0), ranges.get("application/*", 0.0), ranges.get("*/*", 0.0))
    return wanted >= plain


def request_error_status(result: ExecutionResult) -> int | None:
    """The 4xx status of a result that failed before execution began, else None."""
    if result.data is not None or not result.errors:
        return None
    if not isinstance(result, PreExecutionError) and any(e.path for e in result.errors):
        return None  # execution ran (a non-null root field failed): data is null, not absent
    codes = {(e.extensions or {}).get("code") for e in result.errors}
    return 401 if "UNAUTHENTICATED" in codes else 400


def coded(body: Mapping[str, Any]) -> dict[str, Any]:
    """A request error's body whose every error has an `extensions.code` (VALIDATION unless set).

    Most request errors have theirs from the schema's error extension; a syntax error found
    by the parser cache does not pass through it.
    """
    errors = [
        e if "code" in (e.get("extensions") or {})
        else {**e, "extensions": {**(e.get("extensions") or {}), "code": "VALIDATION"}}
        for e in body.get("errors") or []
    ]  # fmt: skip
    return {**body, "errors": errors}


def without_data(body: Mapping[str, Any]) -> dict[str, Any]:
    """A response body of a request error: its errors, no `data` entry."""
    return {k: v for k, v in body.items() if k != "data"}


# how JSON spells U+D800..U+DFFF, in a body as text and as bytes
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")


def is_text(raw: str | bytes, value: Any) -> bool:
    """Whether every string of a decoded JSON body (keys too) can be written as UTF-8.

    Only a `\\uD8xx`..`\\uDFxx` escape in the raw body can make one that cannot (bytes are
    decoded strictly), so the walk over the decoded value runs only for bodies that have one.
    """
    found = (
        _SURROGATE_ESCAPE_BYTES.search(raw)
        if isinstance(raw, bytes)
        else _SURROGATE_ESCAPE.search(raw)
    )
    if found is None:
        return True
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True
