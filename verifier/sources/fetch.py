"""Bounded HTTP GET for published documents (issuer metadata, JWKS, status lists, credentials).

Only ``http``/``https`` URLs; no redirects (a redirect could leave the trusted origin). Each
request has one **deadline for the whole request** (the client's timeout): connecting,
sending, waiting for the headers and reading the body together, however slowly the other
side trickles its bytes. The clients ``build_http_client`` makes hand every socket operation
only the time left until that deadline; the body loop checks it too. The body is read in
chunks and refused past ``max_bytes`` **after decoding**: a ``gzip`` or ``deflate`` body is
inflated here, a bounded piece at a time, so a small compressed answer cannot turn into a
large one in memory (a lying or absent ``Content-Length`` cannot either); other encodings are
refused. Every failure is one ``KeySourceError`` whose message names no URL content beyond
the host.
"""

from __future__ import annotations

import contextvars
import logging
import ssl
import time
import zlib
from collections.abc import Iterable, Iterator
from typing import Any, Final
from urllib.parse import urlsplit

import httpcore
import httpx

from verifier.errors import KeySourceError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS: Final = 5.0
USER_AGENT: Final = "tessera-verifier/0.1"
_DECODED_ENCODINGS: Final = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS}
_ZLIB_ENCODINGS: Final = {"deflate": zlib.MAX_WBITS}

# The monotonic time by which the fetch running in this thread must be done, if any.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "fetch_deadline", default=None
)


class DocumentNotFoundError(KeySourceError):
    """The publisher answered 404: it does not publish this document (not an outage)."""


def _time_left(timeout: float | None, *, connecting: bool = False) -> float | None:
    """``timeout`` shortened to what is left of the current fetch's deadline."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        if connecting:
            raise httpcore.ConnectTimeout("the request's deadline has passed")
        raise httpcore.ReadTimeout("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write gets only the time left until the deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _time_left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _time_left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        tls = self._inner.start_tls(ssl_context, server_hostname, _time_left(timeout))
        return _DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, with the deadline applied to connecting and every I/O."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host,
            port,
            _time_left(timeout, connecting=True),
            local_address=local_address,
            socket_options=socket_options,
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,  # noqa: ARG002 - the interface's signature
        timeout: float | None = None,  # noqa: ARG002
        socket_options: Iterable[Any] | None = None,  # noqa: ARG002
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport over ``_DeadlineBackend``."""

    def __init__(self) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=20,
            max_keepalive_connections=10,
            keepalive_expiry=5.0,
            network_backend=_DeadlineBackend(),
        )


def build_http_client(
    *, timeout: float = DEFAULT_TIMEOUT_SECONDS, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """An ``httpx.Client`` for the HTTP sources; ``timeout`` bounds each whole request.

    Tests pass an ``httpx.MockTransport``; the body loop still keeps the deadline then.
    """
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        transport=transport if transport is not None else _DeadlineTransport(),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        trust_env=False,
    )


def _request_seconds(client: httpx.Client) -> float:
    timeout = client.timeout
    configured = [t for t in (timeout.connect, timeout.read) if t is not None]
    return max(configured) if configured else DEFAULT_TIMEOUT_SECONDS


def _decoder(content_encoding: str, host: str) -> Any:
    """A zlib decompressor for the body's ``Content-Encoding``, ``None`` for identity."""
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in _DECODED_ENCODINGS:
        return zlib.decompressobj(_DECODED_ENCODINGS[codings[0]])
    if len(codings) == 1 and codings[0] in _ZLIB_ENCODINGS:
        return zlib.decompressobj(_ZLIB_ENCODINGS[codings[0]])
    raise KeySourceError(f"{host} answered in an unsupported content encoding")


def _bounded_body(
    raw: Iterator[bytes], decoder: Any, *, max_bytes: int, deadline: float, host: str
) -> bytes:
    """The body, decoded as it arrives; never more than ``max_bytes + 1`` decoded bytes are
    held, nor more than ``max_bytes`` raw ones, and the deadline is checked after each chunk."""
    too_large = KeySourceError(f"document from {host} exceeds {max_bytes} bytes")
    body = bytearray()
    raw_total = 0
    for chunk in raw:
        if time.monotonic() > deadline:
            raise KeySourceError(f"{host} did not answer in time")
        raw_total += len(chunk)
        if raw_total > max_bytes:
            raise too_large
        if decoder is None:
            body.extend(chunk)
        else:
            data = chunk
            while data:
                try:
                    body.extend(decoder.decompress(data, max_bytes + 1 - len(body)))
                except zlib.error:
                    raise KeySourceError(f"{host} sent a body that does not decode") from None
                if len(body) > max_bytes:
                    raise too_large
                data = decoder.unconsumed_tail
        if len(body) > max_bytes:
            raise too_large
    if decoder is not None and not decoder.eof:
        raise KeySourceError(f"{host} sent a truncated compressed body")
    return bytes(body)


def fetch_bounded(client: httpx.Client, url: str, *, accept: str, max_bytes: int) -> bytes:
    """GET ``url`` and return the (decoded) body; raise ``KeySourceError`` on any failure.

    The whole request must be done within the client's timeout.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise KeySourceError("only http and https URLs are fetched")
    host = parts.hostname or "?"
    deadline = time.monotonic() + _request_seconds(client)
    token = _deadline.set(deadline)
    try:
        with client.stream(
            "GET",
            url,
            headers={"Accept": accept, "Accept-Encoding": "gzip"},
            follow_redirects=False,
        ) as response:
            if response.status_code != 200:
                log.info("fetch from %s answered %s", host, response.status_code)
                error = DocumentNotFoundError if response.status_code == 404 else KeySourceError
                raise error(f"{host} answered HTTP {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise KeySourceError(f"document from {host} exceeds {max_bytes} bytes")
            if response.is_stream_consumed:
                # Only a test transport hands over a response it already read (and decoded).
                raw, decoder = iter([response.content]), None
            else:
                raw = response.iter_raw()
                decoder = _decoder(response.headers.get("Content-Encoding", ""), host)
            return _bounded_body(raw, decoder, max_bytes=max_bytes, deadline=deadline, host=host)
    except httpx.TimeoutException:
        raise KeySourceError(f"{host} did not answer in time") from None
    except httpx.HTTPError:
        raise KeySourceError(f"{host} could not be reached") from None
    finally:
        _deadline.reset(token)
