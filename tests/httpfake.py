"""A real HTTP server on a local port whose answers a test scripts (bureau, gateways)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    delay: float = 0.0
    raw: bytes | None = None


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeServer:
    url: str
    script: list[Answer] = field(default_factory=list)  # answers in order, the last repeats
    requests: list[Recorded] = field(default_factory=list)
    responder: Callable[[Recorded], Answer] | None = None

    def next_answer(self, request: Recorded) -> Answer:
        if self.responder is not None:
            return self.responder(request)
        if len(self.script) > 1:
            return self.script.pop(0)
        return self.script[0] if self.script else Answer()


@contextmanager
def serve() -> Iterator[FakeServer]:
    """Serve on 127.0.0.1 on a free port until the block ends."""
    state: dict[str, FakeServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.do_POST()  # no body: the request is its path (query included) and headers

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            request = Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            server = state["server"]
            server.requests.append(request)
            answer = server.next_answer(request)
            if answer.delay:
                time.sleep(answer.delay)
            payload = answer.raw if answer.raw is not None else json.dumps(answer.body).encode()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, *args: Any) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state["server"] = FakeServer(url=f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["server"]
    finally:
        httpd.shutdown()
        httpd.server_close()
