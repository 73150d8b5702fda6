"""Server-Sent Events for task streams (`GET <family>/:id/stream`).

While a task runs, each change of progress or status is one `event: message` carrying only id,
progress and status; the terminal state is sent once as the full task object and the stream ends.
An unknown id is a single `event: error` with `status_code` and `message` (the pages' example).
The body is chunked, so a connection dropped mid-stream (the `drop_sse` fault) is visible to the
client as an incomplete response rather than a clean end.
"""

import json
import time

from .families import task_object
from .store import TERMINAL


def event(name, payload):
    return f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode()


class EventWriter:
    def __init__(self, handler):
        self.handler = handler
        self.sent = 0

    def start(self):
        handler = self.handler
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True

    def write(self, data):
        self.handler.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.sent += 1

    def end(self):
        self.handler.wfile.write(b"0\r\n\r\n")


def stream_task(handler, emulator, family, task_id, account, base_url, drop):
    """Follow one task until it is terminal. `drop`: the drop_sse fault's parameters or None."""
    writer = EventWriter(handler)
    writer.start()
    store = emulator.store
    last = None
    while not emulator.stopping:
        with store.lock:
            task = store.tasks.get(task_id)
            if task is None or task.account is not account or task.family is not family:
                payload, name, done = {"status_code": 404, "message": "Task not found"}, "error", True
            else:
                now = store.now()
                store.settle(task, now)
                status = task.status(now)
                done = status in TERMINAL
                payload = task_object(task, now, base_url, full=done)
                name = "message"
        key = (payload.get("status"), payload.get("progress"), name)
        if key != last or done:
            if drop is not None and writer.sent >= drop["after_events"]:
                handler.drop_connection()
                return
            writer.write(event(name, payload))
            last = key
        if done:
            break
        time.sleep(emulator.sse_interval)
    writer.end()
