# SPDX-License-Identifier: GPL-3.0-or-later
"""Making a blocked network read give up when the caller cancels.

A worker thread sitting in `recv()` on an SSE stream or a stalled download cannot check a flag.
`interrupt_on_cancel` runs a small watcher thread for the duration of one response: when the
cancel event is set it shuts the socket down for reading, which wakes the blocked read with an
error the caller then reports as `Cancelled`. The same watcher ends a response whose host online
access no longer allows (the gate's `cut_off`); the caller sees a broken connection and retries,
and the retry waits at the gate. The watcher is joined on exit, so no thread outlives the call.
"""

import contextlib
import socket
import threading

from .secret import get_logger

log = get_logger(__name__)

# How often the watcher looks at the cancel event: the bound on how late a cancel takes effect.
_WATCH_INTERVAL = 0.1


def interrupt(response):
    """Wake any thread blocked reading `response` (a requests.Response); never raises."""
    raw = getattr(response, "raw", None)
    try:
        # urllib3 >= 2.3 offers exactly this; it refuses when the connection is already released.
        raw.shutdown()
        return
    except Exception:  # noqa: BLE001 - older urllib3 or released connection: try the socket
        pass
    try:
        sock = _socket_of(raw)
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _socket_of(raw):
    """The socket under a urllib3 1.x response. The connection's own `sock` is None once
    http.client has handed the socket to the response (an answer that ends by closing, like an
    SSE stream), so look inside the response's buffered reader as well."""
    connection = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:
        reader = getattr(getattr(raw, "_fp", None), "fp", None)   # http.client's BufferedReader
        sock = getattr(getattr(reader, "raw", None), "_sock", None)  # its SocketIO's socket
    return sock


@contextlib.contextmanager
def interrupt_on_cancel(cancel, response, cut_off=None):
    """Within this block, setting `cancel`, or `cut_off()` turning true, interrupts reads on
    `response`."""
    if cancel is None and cut_off is None:
        yield
        return
    finished = threading.Event()

    def watch():
        while not finished.wait(_WATCH_INTERVAL):
            if cancel is not None and cancel.is_set():
                log.debug("cancel requested: interrupting the open response")
                interrupt(response)
                return
            if cut_off is not None and cut_off():
                log.info("online access went off: interrupting the open response")
                interrupt(response)
                return

    watcher = threading.Thread(target=watch, name="meshy-cancel-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        finished.set()
        watcher.join()
