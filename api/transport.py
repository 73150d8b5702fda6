# SPDX-License-Identifier: GPL-3.0-or-later
"""What went wrong with one HTTP exchange, in terms the retry logic and a person can use.

`TransportError` means no HTTP answer arrived; its `sent` flag says whether the request may have
reached the server, which decides whether a create can safely be sent again.
"""

import json

import urllib3

from .secret import redact


class TransportError(Exception):
    """No HTTP answer. `sent` says whether the request may have reached the server."""

    def __init__(self, reason, sent):
        super().__init__(reason)
        self.reason = reason
        self.sent = sent


def _causes(exc, depth=0):
    """exc and everything it wraps (args, .reason, __cause__, __context__)."""
    if exc is None or depth > 8:
        return
    yield exc
    for inner in (getattr(exc, "reason", None), exc.__cause__, exc.__context__,
                  *[a for a in getattr(exc, "args", ()) if isinstance(a, BaseException)]):
        if isinstance(inner, BaseException) and inner is not exc:
            yield from _causes(inner, depth + 1)


def describe_connection_error(exc):
    """(reason for a person, whether the request may have been sent)."""
    chain = list(_causes(exc))
    never_connected = any(isinstance(e, (urllib3.exceptions.NewConnectionError,
                                         urllib3.exceptions.ConnectTimeoutError))
                          for e in chain)
    text = " ".join(str(e) for e in chain).lower()
    if any(type(e).__name__ == "NameResolutionError" for e in chain) or \
            "name or service not known" in text or "getaddrinfo" in text or \
            "nodename nor servname" in text:
        return "the server name could not be resolved (DNS)", False
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
        return "the connection was refused", False
    if never_connected:
        return "no connection could be made", False
    return "the connection dropped before an answer arrived", True


def server_message(response, streamed=False):
    """The server's error text: the JSON `message` when there is one, else the start of the body.

    Redacted before it is shortened: a key cut in half by the limit would no longer match."""
    try:
        body = response.raw.read(65536) if streamed else response.content[:65536]
    except Exception:  # noqa: BLE001 - an unreadable error body still has a status to report
        return ""
    try:
        data = json.loads(body)
        if isinstance(data, dict):
            for key in ("message", "error", "detail"):
                value = data.get(key)
                if isinstance(value, dict):
                    value = value.get("message")
                if value:
                    return redact(str(value))[:500]
    except ValueError:
        pass
    return redact(body.decode("utf-8", "replace").strip())[:300]


def stream_chunks(response):
    """The body as it arrives. read1 returns whatever one socket read brings instead of waiting
    for a full buffer, so an event is seen the moment it is sent, chunked or not."""
    raw = response.raw
    read1 = getattr(raw, "read1", None)
    if read1 is None:  # urllib3 1.x: the http.client response underneath has read1
        read1 = raw._fp.read1
    while True:
        data = read1(65536)
        if not data:
            return
        yield data
