"""A local SMS gateway that dedupes by idempotency key and answers what became of a key."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

import pytest

from tests import httpfake


@dataclass
class Gateway:
    """POST /send takes a message (once per key); GET /status?idempotency_key=… reports it."""

    url: str
    posts: Counter[str] = field(default_factory=Counter)  # POSTs per idempotency key
    accepted: dict[str, str] = field(default_factory=dict)  # key -> the gateway's id
    lookups: list[str] = field(default_factory=list)
    status_code: int = 200  # what /status answers when it knows nothing special
    lock: threading.Lock = field(default_factory=threading.Lock)

    def use(self, monkeypatch: pytest.MonkeyPatch, *, status: bool) -> None:
        """Point the SMS channel here, with or without the status endpoint."""
        monkeypatch.setenv("LENDGRAPH_SMS_WEBHOOK_URL", f"{self.url}/send")
        if status:
            monkeypatch.setenv("LENDGRAPH_SMS_STATUS_URL", f"{self.url}/status")
        else:
            monkeypatch.delenv("LENDGRAPH_SMS_STATUS_URL", raising=False)

    def answer(self, request: httpfake.Recorded) -> httpfake.Answer:
        """A send (POST) or a status look-up (GET, `?idempotency_key=`)."""
        query = parse_qs(urlparse(request.path).query)
        if "idempotency_key" not in query:
            key = request.headers["idempotency-key"]
            with self.lock:
                self.posts[key] += 1
                reference = self.accepted.setdefault(key, f"gw-{len(self.accepted) + 1}")
            return httpfake.Answer(body={"id": reference})
        key = query["idempotency_key"][0]
        self.lookups.append(key)
        if self.status_code != 200:
            return httpfake.Answer(self.status_code, {"error": "down"})
        if key in self.accepted:
            return httpfake.Answer(body={"status": "delivered", "id": self.accepted[key]})
        return httpfake.Answer(404, {"status": "unknown"})


@contextmanager
def gateway() -> Iterator[Gateway]:
    """Serve a gateway on 127.0.0.1 until the block ends."""
    with httpfake.serve() as server:
        found = Gateway(url=server.url)
        server.responder = found.answer
        yield found
