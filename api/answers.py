"""The answers the middleware gives by itself: GraphQL-shaped errors with a code and a status."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def error_answer(
    status: int, message: str, code: str, headers: dict[str, str], **extra: Any
) -> Message:
    """A response (status, body, headers) of one GraphQL error with `extensions.code`."""
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code, **extra}}]})
    return {"status": status, "body": body, "headers": headers}


def errors_of(answer: Message) -> list[dict[str, Any]]:
    """The GraphQL errors of an answer, for a websocket's error message."""
    return list(orjson.loads(answer["body"])["errors"])


async def respond(send: Send, answer: Message) -> None:
    """Send an answer as a whole HTTP response."""
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(answer["body"])).encode())]  # fmt: skip
    headers += [(k.encode(), v.encode()) for k, v in answer["headers"].items()]
    await send({"type": "http.response.start", "status": answer["status"], "headers": headers})
    await send({"type": "http.response.body", "body": answer["body"]})


def busy_answer() -> Message:
    """The 503 response of a full admission gate, or of a process whose loop is behind."""
    return error_answer(503, "The server is at capacity; retry in 1 s.", "SERVER_BUSY",
                        {"retry-after": "1"}, retryAfter=1)  # fmt: skip
