"""A misbehaving partner issuer on a loopback port, for fetch and availability tests.

Paths (anything else: 404):

- any path with ``/sleep/<seconds>`` in it: says nothing for that long, then answers 503
  (an issuer id ``<base>/sleep/6`` is a partner whose every document is that slow);
- ``/trickle-body``: headers at once, then one byte every 0.2 s, for a minute;
- ``/trickle-headers``: the status line, then one header byte every 0.2 s, for a minute;
- ``/bomb``: a small ``Content-Encoding: gzip`` body that inflates to 64 MiB of zeros;
- ``/gzip-json``: a small gzip-encoded JSON document;

``requests`` lists every path asked, in order.
"""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final

BOMB_INFLATED_BYTES: Final = 64 * 1024 * 1024
GZIP_JSON: Final = b'{"issuer": "partner", "keys": []}'


def _bomb() -> bytes:
    return gzip.compress(bytes(BOMB_INFLATED_BYTES), compresslevel=9)


@dataclass
class PartnerServer:
    base: str
    requests: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


def _handler(state: PartnerServer, bomb: bytes) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _trickle(self, chunks: int) -> None:
            for _ in range(chunks):
                if state.stop.wait(0.2):
                    return
                self.wfile.write(b"x")
                self.wfile.flush()

        def do_GET(self) -> None:
            state.requests.append(self.path)
            with contextlib.suppress(TimeoutError, BrokenPipeError, ConnectionResetError):
                self._answer()  # a client that gives up, as it should, breaks the pipe

        def _answer(self) -> None:
            path = self.path
            if "/sleep/" in path:
                seconds = float(path.split("/sleep/", 1)[1].split("/")[0])
                state.stop.wait(seconds)
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path == "/trickle-body":
                self.send_response(200)
                self.send_header("Content-Length", "300")
                self.end_headers()
                self._trickle(300)
            elif path == "/trickle-headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                self._trickle(300)
            elif path in ("/bomb", "/gzip-json"):
                body = bomb if path == "/bomb" else gzip.compress(GZIP_JSON)
                self.send_response(200)
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

    return Handler


@contextmanager
def partner_server() -> Iterator[PartnerServer]:
    """Serve on 127.0.0.1 from a thread; stop (and release every sleeper) afterwards."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = PartnerServer(base=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(state, _bomb())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def elapsed_since(start: float) -> float:
    return time.monotonic() - start
