"""Backpressure on one websocket: every operation is charged and gated, not only the handshake.

A websocket is rate-limited when it connects (as its handshake's caller), and then:
- its `connection_init` names the caller of its operations (the token or API key it signs in
  with, recognised as `api.ratelimit` recognises a request's);
- every operation it starts (`subscribe`, or `start` in the older protocol) takes a token
  from that caller's bucket; an operation over the limit gets an error message with
  RATE_LIMITED and Retry-After, and the socket stays open;
- a query or mutation sent over the socket holds a slot of the admission gate until its
  `complete` or `error` is sent (or the client cancels it, or the socket closes), as a
  request does; with no slot free it gets SERVER_BUSY. A subscription holds none: it lasts
  as long as the socket and uses a connection only per event;
- a message over the body limit closes the socket with 1009.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import MutableMapping
from typing import Any, Protocol

import orjson
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

from api.answers import Message, Receive, Send, busy_answer, errors_of
from api.ratelimit import Caller, caller_from, known_key, verified

Scope = MutableMapping[str, Any]
STARTS = frozenset({"subscribe", "start"})  # graphql-transport-ws, graphql-ws
ENDS = frozenset({"complete", "stop"})
PARSED_KEPT = 256


class Guarded(Protocol):
    """What a socket's guard needs of the middleware."""

    limits: Any
    gate: Any

    def rate_limited(self, caller: Caller) -> Message | None: ...


_kinds: OrderedDict[str, bool] = OrderedDict()  # document -> whether it is a subscription


def _is_subscription(document: str, name: object) -> bool:
    """Whether the operation a document runs is a subscription (False when it cannot say:
    the schema refuses such a document at once)."""
    cached = _kinds.get(f"{name}\0{document}")
    if cached is not None:
        return cached
    try:
        parsed = parse(document, no_location=True, max_tokens=20_000)
    except GraphQLError:
        return False
    kinds = [
        d.operation
        for d in parsed.definitions
        if isinstance(d, OperationDefinitionNode)
        and (name is None or (d.name is not None and d.name.value == name))
    ]
    found = len(kinds) == 1 and kinds[0] == OperationType.SUBSCRIPTION
    if len(_kinds) >= PARSED_KEPT:
        _kinds.popitem(last=False)
    _kinds[f"{name}\0{document}"] = found
    return found


def _decoded(message: Message) -> dict[str, Any] | None:
    data = message.get("text") or message.get("bytes")
    if not data:
        return None
    try:
        decoded = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None  # the protocol handler closes the socket for it
    return decoded if isinstance(decoded, dict) else None


def _is_next(data: str | bytes) -> bool:
    """A result message (`next`/`data`): the bulk of what is sent, never the end of one."""
    head = data[:200]
    if isinstance(head, bytes):
        return b'"type":"next"' in head or b'"type":"data"' in head
    return '"type":"next"' in head or '"type":"data"' in head


class SocketGuard:
    """The limits of one websocket: wraps the ASGI receive and send of its connection."""

    def __init__(self, owner: Guarded, caller: Caller, scope: Scope, receive: Receive,
                 send: Send) -> None:  # fmt: skip
        self.owner, self.caller = owner, caller
        client = scope.get("client")
        self.address = str(client[0]) if client else "unknown"
        self._receive, self._send = receive, send
        self.held: set[str] = set()  # operations holding a gate slot

    async def receive(self) -> Message:
        """The next message the application may see; refused operations are answered here."""
        while True:
            message = await self._receive()
            if message["type"] != "websocket.receive":
                return message
            data = message.get("text") or message.get("bytes") or b""
            size = len(data.encode()) if isinstance(data, str) else len(data)
            limit = self.owner.limits.max_body
            if size > limit:  # 1009: message too big
                await self._send({"type": "websocket.close", "code": 1009,
                                  "reason": f"message over {limit} bytes"})  # fmt: skip
                return {"type": "websocket.disconnect", "code": 1009}
            decoded = _decoded(message)
            kind = decoded.get("type") if decoded else None
            if decoded is None or not isinstance(kind, str):
                return message
            if kind == "connection_init":
                self._sign_in(decoded.get("payload"))
            elif kind in STARTS and not await self._admitted(kind, decoded):
                continue
            elif kind in ENDS:
                self._release(decoded.get("id"))
            return message

    async def send(self, message: Message) -> None:
        """Pass a message on; an operation's end gives its gate slot back."""
        if self.held and message["type"] == "websocket.send":
            data = message.get("text") or message.get("bytes") or b""
            decoded = None if _is_next(data) else _decoded(message)
            if decoded is not None and decoded.get("type") in ("complete", "error"):
                self._release(decoded.get("id"))
        await self._send(message)

    def release_all(self) -> None:
        """The socket is closed: every slot its operations held is free."""
        for _ in range(len(self.held)):
            self.owner.gate.leave()
        self.held.clear()

    def _sign_in(self, payload: object) -> None:
        params = payload if isinstance(payload, dict) else {}
        authorization = params.get("Authorization") or params.get("authorization") or ""
        key = params.get("X-API-Key") or params.get("x-api-key") or ""
        found = caller_from(str(authorization), str(key), self.address)
        if not found.anonymous or self.caller.anonymous:
            self.caller = found

    async def _admitted(self, kind: str, message: dict[str, Any]) -> bool:
        """Charge and gate an operation; False when it was refused (and told so)."""
        operation = str(message.get("id"))
        if self.caller.key is not None and known_key(self.caller.key):
            self.caller = verified(self.caller)  # the socket signed in with it meanwhile
        refused = self.owner.rate_limited(self.caller)
        if refused is None and operation not in self.held:
            payload = message.get("payload")
            payload = payload if isinstance(payload, dict) else {}
            document = payload.get("query")
            name = payload.get("operationName")
            subscription = isinstance(document, str) and _is_subscription(document, name)
            if not subscription:
                if await self.owner.gate.enter(self.owner.limits.admission_wait):
                    self.held.add(operation)
                else:
                    refused = busy_answer()
        if refused is None:
            return True
        errors = errors_of(refused)
        answer = {"id": operation, "type": "error",
                  "payload": errors if kind == "subscribe" else errors[0]}  # fmt: skip
        await self._send({"type": "websocket.send", "bytes": orjson.dumps(answer)})
        return False

    def _release(self, operation: object) -> None:
        if str(operation) in self.held:
            self.held.discard(str(operation))
            self.owner.gate.leave()
