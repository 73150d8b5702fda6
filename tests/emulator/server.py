"""The HTTP side: one request handler that applies faults, authenticates, rate-limits and routes to
task families, assets, the catalogue, the OpenAI-compatible image endpoint and the control routes.

Order of checks for an API request (each may answer on its own):
  injected delay -> injected 500 -> injected 429 -> injected key echo 401 -> CORS 403 -> auth 401
  -> requests/second 429 -> route 404 -> validation 400/404/422 -> 402 credits -> 429 NoMoreConcurrentTasks -> 202.
"""

import json
import os
import shutil
import socket
import struct
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from . import assets, catalogue, control, images, openai_images, sse
from .families import BY_PATH, task_object
from .families.base import Context
from .faults import task_error
from .store import TERMINAL
from .validation import ApiError, Params

API_PREFIXES = ("/openapi/", "/v1/")
FILE_BLOCK = 1 << 20


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256     # 50+ concurrent SSE clients connect in one burst
    allow_reuse_address = True

    def __init__(self, address, emulator):
        super().__init__(address, Handler)
        self.emulator = emulator


class RateLimiter:
    """Requests per second per account: a sliding one-second window."""

    def __init__(self):
        self.lock = threading.Lock()
        self.windows = {}

    def allow(self, key, limit):
        now = time.monotonic()
        with self.lock:
            window = self.windows.setdefault(key, deque())
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= limit:
                return False
            window.append(now)
            return True

    def clear(self):
        with self.lock:
            self.windows.clear()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm and delayed ACKs each
    # response would stall ~40 ms on loopback.
    disable_nagle_algorithm = True
    server_version = "MeshyEmulator/1.0"

    def log_message(self, *args):
        pass   # the emulator keeps its own request log (method, path), never headers

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    # --- responses ---------------------------------------------------------------------------

    def send_body(self, status, body, content_type="application/json", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, str(value))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, payload, headers=None):
        self.send_body(status, json.dumps(payload).encode(), headers=headers)

    def send_error_message(self, status, message, headers=None):
        self.send_json(status, {"message": message}, headers)

    def drop_connection(self):
        """Close the socket abruptly (RST), with whatever was written so far."""
        try:
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    # --- request handling --------------------------------------------------------------------

    @property
    def emulator(self):
        return self.server.emulator

    def base_url(self):
        """Where this answer says files are: the emulator's asset URL, else this server as the
        client addressed it."""
        if self.emulator.asset_url:
            return self.emulator.asset_url.rstrip("/")
        host = self.headers.get("Host")
        return f"http://{host}" if host else self.emulator.url

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def dispatch(self, method):
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query, keep_blank_values=True)
        raw_body = self.read_body()
        emulator = self.emulator
        try:
            if path.startswith("/_emulator/"):
                return control.handle(self, method, path, query, raw_body)
            emulator.log_request(method, path)
            self.apply_request_faults(path)
            if emulator.fault_rules.take("echo_key", path) is not None:
                return self.refuse_echoing_the_key(path, raw_body)
            if path.startswith("/assets/"):
                return self.serve_asset(method, path)
            if path == "/web/public/animations/resources" and method == "GET":
                return self.send_json(200, catalogue.resources(self.base_url()))
            if path.startswith("/web/public/animations/previews/") and method == "GET":
                return self.send_body(200, images.pattern_png(64, 64, path, "preview"), "image/png")
            if not path.startswith(API_PREFIXES):
                raise ApiError(404, "Not Found")
            account = self.authenticate()
            if path == "/v1/images/generations" and method == "POST":
                return self.images_generations(raw_body)
            if path == "/openapi/v1/balance" and method == "GET":
                with emulator.store.lock:
                    emulator.store.settle_account(account, emulator.store.now())
                    return self.send_json(200, {"balance": account.balance})
            return self.route_family(method, path, query, raw_body, account)
        except ApiError as error:
            self.send_error_message(error.status, error.message, error.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def apply_request_faults(self, path):
        faults = self.emulator.fault_rules
        delay = faults.take("delay", path)
        if delay:
            time.sleep(delay["seconds"])
        if faults.take("http_500", path) is not None:
            raise ApiError(500, "Internal Server Error")
        limited = faults.take("rate_limit", path)
        if limited is not None:
            raise ApiError(429, "RateLimitExceeded", {"Retry-After": limited["retry_after"]})

    def refuse_echoing_the_key(self, path, raw_body):
        """The `echo_key` fault: an error that quotes the caller's key back, as careless proxies
        and gateways do. A streamed image request has its 200 status line sent already, so its
        error comes as a stream chunk; everything else is a 401 in the route's own error shape."""
        header = self.headers.get("Authorization") or ""
        key = header[7:].strip() if header.startswith("Bearer ") else header
        if path == "/v1/images/generations":
            try:
                streamed = json.loads(raw_body or b"null").get("stream") is True
            except (ValueError, AttributeError):
                streamed = False
            if streamed:
                return openai_images.stream_error(self, f"Incorrect API key provided: {key}")
            return self.send_json(401, {"error": {"message": f"Incorrect API key provided: {key}",
                                                  "type": "invalid_request_error"}})
        return self.send_error_message(401, f"Unauthorized: invalid API key {key}")

    def authenticate(self):
        if self.headers.get("Origin"):
            # Browsers send Origin; the errors page: CORS requests are forbidden (403).
            raise ApiError(403, "Forbidden: CORS requests are not permitted; call the Meshy API "
                                "from a server")
        header = self.headers.get("Authorization") or ""
        if not header.startswith("Bearer ") or not header[7:].strip():
            raise ApiError(401, "Unauthorized: no valid API key provided")
        account = self.emulator.store.accounts.get(header[7:].strip())
        if account is None:
            raise ApiError(401, "Unauthorized: invalid API key")
        if not self.emulator.limiter.allow(account.key, self.emulator.rps):
            raise ApiError(429, "RateLimitExceeded", {"Retry-After": 1})
        return account

    def route_family(self, method, path, query, raw_body, account):
        family, rest = self.match_family(path)
        if family is None:
            raise ApiError(404, "Not Found")
        if not rest:
            if method == "POST":
                return self.create(family, raw_body, account, path)
            if method == "GET":
                return self.list_tasks(family, query, account)
        elif len(rest) == 1 and method in ("GET", "DELETE"):
            return self.get_or_delete(method, family, rest[0], account)
        elif len(rest) == 2 and rest[1] == "stream" and method == "GET":
            drop = self.emulator.fault_rules.take("drop_sse", path)
            return sse.stream_task(self, self.emulator, family, rest[0], account,
                                   self.base_url(), drop)
        raise ApiError(404, "Not Found")

    @staticmethod
    def match_family(path):
        trimmed = path.rstrip("/")
        for family_path, family in BY_PATH.items():
            if trimmed == family_path:
                return family, []
            if trimmed.startswith(family_path + "/"):
                # An id is one segment, percent-encoded by clients ("/" in an id is "%2F").
                return family, [unquote(s) for s in trimmed[len(family_path) + 1:].split("/")]
        return None, None

    def create(self, family, raw_body, account, path):
        emulator = self.emulator
        store = emulator.store
        try:
            body = json.loads(raw_body or b"null")
        except (ValueError, UnicodeDecodeError) as error:
            raise ApiError(400, "Invalid JSON body") from error
        with store.lock:
            now = store.now()
            context = Context(store, account, now, self.resolve_local, emulator.fault_rules, path)
            plan = family.create(Params(body), context)
            store.settle_account(account, now)
            if account.balance < plan.price:
                raise ApiError(402, "Payment Required: insufficient credits for this task "
                                    f"({plan.price} needed, {account.balance} available)")
            if len(store.active(account, now)) >= emulator.queue_limit:
                raise ApiError(429, "NoMoreConcurrentTasks")
            injected = emulator.fault_rules.take("fail_tasks", path)
            if injected is not None:
                plan.failure = task_error(injected["type"], injected["code"], injected["message"])
            task_id = emulator.new_task_id(now)
            hostile = emulator.fault_rules.take("hostile_ids", path)
            if hostile is not None:
                task_id = hostile["prefix"] + task_id
            task = store.create(account, family, plan, task_id)
        if emulator.fault_rules.take("drop_after_create", path) is not None:
            return self.drop_connection()
        self.send_json(202, {"result": task.id})

    def list_tasks(self, family, query, account):
        def integer(name, default, low, high):
            values = query.get(name)
            if not values:
                return default
            try:
                value = int(values[0])
            except ValueError:
                raise ApiError(400, f"Invalid parameter: {name} must be an integer") from None
            if not low <= value <= high:
                raise ApiError(400, f"Invalid parameter: {name} must be between {low} and {high}")
            return value
        page_num = integer("page_num", 1, 1, 1_000_000)
        page_size = integer("page_size", 10, 1, 50)
        # An unencoded "+" arrives as a space; read it as the "+" the caller meant.
        sort_by = (query.get("sort_by") or ["-created_at"])[0].replace(" ", "+")
        if sort_by not in ("+created_at", "-created_at"):
            raise ApiError(400, "Invalid parameter: sort_by must be +created_at or -created_at")
        store = self.emulator.store
        with store.lock:
            now = store.now()
            tasks = [t for t in account.tasks.values() if t.family is family]
            tasks.sort(key=lambda t: t.created, reverse=sort_by == "-created_at")
            page = tasks[(page_num - 1) * page_size:page_num * page_size]
            for task in page:
                store.settle(task, now)
            objects = [task_object(t, now, self.base_url()) for t in page]
        self.send_json(200, objects)

    def get_or_delete(self, method, family, task_id, account):
        store = self.emulator.store
        with store.lock:
            now = store.now()
            task = store.tasks.get(task_id)
            if task is None or task.account is not account or task.family is not family:
                raise ApiError(404, "Task not found")
            store.settle(task, now)
            if method == "GET":
                return self.send_json(200, task_object(task, now, self.base_url()))
            if family.cancel_on_delete:
                if task.status(now) in TERMINAL:
                    raise ApiError(400, f"Task is already {task.status(now)} and cannot be "
                                        "canceled")
                store.cancel(task, now)
                return self.send_body(204, b"")
            store.delete(task)
        self.send_body(200, b"")

    # --- files -------------------------------------------------------------------------------

    def find_asset(self, path):
        """(bytes, name) of `/assets/<task>/<name>`, or raises 404/403 as a CDN would."""
        store = self.emulator.store
        _, _, task_id, name = (path.split("/", 3) + ["", ""])[:4]
        task_id = unquote(task_id)
        with store.lock:
            now = store.now()
            task = store.tasks.get(task_id)
            blob = store.blobs.get(task_id)
            if blob is not None:
                expires, files = blob
                if name not in files:
                    raise ApiError(404, "Not Found")
                if now > expires:
                    raise ApiError(403, "Forbidden: the link has expired")
                return files[name]
            if task is None or name not in task.plan.files or task.status(now) != "SUCCEEDED":
                raise ApiError(404, "Not Found")
            if now > task.expires_at(now):
                raise ApiError(403, "Forbidden: the link has expired")
        return task.file(name)

    def resolve_local(self, parts):
        """Bytes behind a URL that points at this emulator's assets; False if gone; None if the
        URL is elsewhere (and so cannot be fetched)."""
        host, port = self.emulator.server.server_address[:2]
        local_hosts = {"127.0.0.1", "localhost", host}
        if parts.hostname not in local_hosts or parts.port != port:
            return None
        if not parts.path.startswith("/assets/"):
            return False
        try:
            return self.find_asset(parts.path)
        except ApiError:
            return False

    def serve_asset(self, method, path):
        if method != "GET":
            raise ApiError(404, "Not Found")
        data = self.find_asset(path)
        name = path.rsplit("/", 1)[-1]
        if name == "model.glb" and self.emulator.model_file:
            return self.serve_file(self.emulator.model_file, assets.content_type(name))
        faults = self.emulator.fault_rules
        truncate = faults.take("truncate_downloads", path)
        if truncate is not None:
            cut = data[:len(data) // 2]
            if truncate["mode"] == "short":      # honest length, short file: only validation sees it
                return self.send_body(200, cut, assets.content_type(name))
            self.send_response(200)
            self.send_header("Content-Type", assets.content_type(name))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(cut)
            return self.drop_connection()
        if faults.take("corrupt_downloads", path) is not None:
            # Same length, damaged header and a damaged middle: magic/length checks must catch it.
            damaged = bytearray(data)
            middle = len(data) // 2
            for index in [*range(min(16, len(data))), *range(middle, min(len(data), middle + 64))]:
                damaged[index] ^= 0xFF
            data = bytes(damaged)
        self.send_body(200, data, assets.content_type(name))

    def serve_file(self, file_path, content_type):
        """A file from disk, streamed with its length (the model_file option)."""
        with open(file_path, "rb") as source:
            size = os.fstat(source.fileno()).st_size
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            shutil.copyfileobj(source, self.wfile, FILE_BLOCK)

    # --- OpenAI-compatible images ------------------------------------------------------------

    def images_generations(self, raw_body):
        try:
            body = json.loads(raw_body or b"null")
            if not isinstance(body, dict):
                raise openai_images.ImageRequestError("The request body must be a JSON object")
            request = openai_images.parse(body)
        except ValueError as error:
            payload = getattr(error, "body", None) or {"error": {"message": "Invalid JSON body",
                                                                 "type": "invalid_request_error"}}
            return self.send_json(400, payload)
        if request["stream"]:
            return openai_images.stream(self, self.emulator, request, self.base_url())
        time.sleep(min(self.emulator.task_seconds, 5.0))
        _, response = openai_images.generate(request, self.emulator.store, self.base_url())
        self.send_json(200, response)
