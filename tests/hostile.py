"""Small loopback HTTP servers that misbehave on purpose, for what the emulator does not play:
redirects to other addresses, answers that echo the caller's key back, a stand-in for a remote
server. They bind to a loopback address only (127.0.0.0/8; never any other), record every request
with its headers, and answer through a function the test supplies.

    def answer(request):                 # request.method, .path, .headers, .body
        return 302, {"Location": "http://127.0.0.1:1/x"}, b""
    with LocalServer(answer) as server:  # server.url, server.requests
        ...
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Request:
    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body

    def __repr__(self):
        return f"<{self.method} {self.path}>"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, self.path, dict(self.headers.items()), body)
        self.server.owner.requests.append(request)
        status, headers, payload = self.server.owner.answer(request)
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload).encode()
            headers = {"Content-Type": "application/json", **headers}
        elif isinstance(payload, str):
            payload = payload.encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _handle


class LocalServer:
    """One loopback HTTP server answering through `answer(request) -> (status, headers, body)`;
    body may be bytes, str or a JSON-able dict/list."""

    def __init__(self, answer, host="127.0.0.1"):
        assert host.startswith("127."), "test servers listen on loopback only"
        self.answer = answer
        self.host = host
        self.requests = []
        self._server = None
        self._thread = None

    def start(self):
        self._server = ThreadingHTTPServer((self.host, 0), _Handler)
        self._server.daemon_threads = True
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="hostile-server", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"


def glb_bytes():
    """A minimal valid GLB (JSON chunk only), for servers that hand out a model."""
    import struct
    document = json.dumps({"asset": {"version": "2.0"}}).encode()
    document += b" " * (-len(document) % 4)
    length = 12 + 8 + len(document)
    return (b"glTF" + struct.pack("<II", 2, length) + struct.pack("<II", len(document), 0x4E4F534A)
            + document)
