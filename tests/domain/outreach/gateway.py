"""A local SMS gateway that dedupes by idempotency key and answers what became of a key."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest


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


@contextmanager
def gateway() -> Iterator[Gateway]:
    """Serve a gateway on 127.0.0.1 until the block ends."""
    state: dict[str, Gateway] = {}

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: Any) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers["Idempotency-Key"]
            gw = state["gw"]
            with gw.lock:
                gw.posts[key] += 1
                reference = gw.accepted.setdefault(key, f"gw-{len(gw.accepted) + 1}")
            self._answer(200, {"id": reference})

        def do_GET(self) -> None:
            gw = state["gw"]
            key = parse_qs(urlparse(self.path).query).get("idempotency_key", [""])[0]
            gw.lookups.append(key)
            if gw.status_code != 200:
                self._answer(gw.status_code, {"error": "down"})
            elif key in gw.accepted:
                self._answer(200, {"status": "delivered", "id": gw.accepted[key]})
            else:
                self._answer(404, {"status": "unknown"})

        def log_message(self, *args: Any) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state["gw"] = Gateway(url=f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["gw"]
    finally:
        httpd.shutdown()
        httpd.server_close()
