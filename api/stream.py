# SPDX-License-Identifier: GPL-3.0-or-later
"""Following a task to its end: Server-Sent Events first, polling when streaming fails.

The stream (`<path>/<id>/stream`) sends the task's status and progress as they change. When it
drops it is reopened (the server starts with the current state); when it keeps failing without
delivering anything, or the server has no stream for this family, the task is polled with a
growing interval instead. Either way the final task object is fetched with a plain GET, because
stream events for running tasks carry only a few fields.

Progress goes to `on_event` as dict(id, kind, status, progress, preceding_tasks), only when one
of those changes. A set cancel event stops the follow within about a second (the open stream is
interrupted, see `cancel`), and nothing is left running afterwards. When online access goes off
the stream is interrupted too, and reopening it waits at the client's gate.
"""

import http.client
import json
import time

import requests
import urllib3

from . import retry, tasks
from .cancel import interrupt_on_cancel
from .errors import (Cancelled, FollowTimeout, RequestError, TaskCanceled, TaskFailed,
                     request_error)
from .secret import get_logger, redact
from .transport import TransportError, stream_chunks
from .urls import join, join_path

log = get_logger(__name__)

# Streams that ended without delivering a single event, in a row, before we switch to polling.
_EMPTY_STREAMS_BEFORE_POLLING = 3
# Pause before reopening a stream that dropped after delivering events; it doubles with every
# drop (capped at the longest poll interval), and a stream that keeps dropping is given up for
# polling, which is no worse and does not hammer the server.
_REOPEN_PAUSE = 0.2
_DROPS_BEFORE_POLLING = 8
# What a broken connection looks like from inside a streamed read, across urllib3 versions.
_READ_ERRORS = (requests.exceptions.RequestException, urllib3.exceptions.HTTPError,
                http.client.HTTPException, OSError, ValueError)


class _StreamBroken(Exception):
    def __init__(self, reason, retry_after=None):
        super().__init__(reason)
        self.retry_after = retry_after


class _NoStreaming(Exception):
    pass


class _Progress:
    """Turns task snapshots into on_event calls when something a person sees changes."""

    def __init__(self, task_id, kind, on_event):
        self.task_id = task_id
        self.kind = kind
        self.on_event = on_event
        self.last = None
        self.events = 0

    def seen(self, data):
        self.events += 1
        event = {"id": self.task_id, "kind": self.kind, "status": data.get("status"),
                 "progress": data.get("progress"),
                 "preceding_tasks": data.get("preceding_tasks")}
        snapshot = (event["status"], event["progress"], event["preceding_tasks"])
        if snapshot != self.last:
            self.last = snapshot
            if self.on_event is not None:
                self.on_event(event)
        return event["status"]


def follow(client, kind, task_id, on_event=None, cancel=None, timeout=None):
    """See MeshyClient.follow."""
    fam = tasks.family(kind)
    deadline = None if timeout is None else time.monotonic() + timeout
    progress = _Progress(task_id, kind, on_event)
    empty_streams = drops = 0
    streaming = True
    interval = client.poll_interval[0]
    while True:
        _check(cancel, deadline, task_id, timeout)
        if streaming:
            events_before = progress.events
            try:
                status = _stream_once(client, fam, task_id, progress, cancel, deadline)
            except _NoStreaming as exc:
                log.info("task %s: %s; polling instead", task_id, exc)
                streaming = False
                continue
            except _StreamBroken as exc:
                status = None
                if cancel is not None and cancel.is_set():
                    raise Cancelled("Following the task") from None
                if progress.events > events_before:
                    empty_streams = 0
                    drops += 1
                    if drops >= _DROPS_BEFORE_POLLING:
                        log.info("task %s: the stream keeps dropping; polling instead", task_id)
                        streaming = False
                        continue
                    log.debug("task %s: stream dropped (%s); reopening", task_id, exc)
                    _pause(min(client.poll_interval[1], _REOPEN_PAUSE * 2 ** (drops - 1)),
                           cancel, deadline)
                else:
                    empty_streams += 1
                    if empty_streams >= _EMPTY_STREAMS_BEFORE_POLLING:
                        log.info("task %s: the stream keeps failing (%s); polling instead",
                                 task_id, exc)
                        streaming = False
                        continue
                    delay = client.retry.delay(empty_streams - 1, exc.retry_after)
                    log.info("task %s: stream failed (%s); reopening in %.1f s", task_id, exc,
                             delay)
                    _pause(delay, cancel, deadline)
            if status in tasks.TERMINAL_STATUSES:
                return _finish(client.get(kind, task_id, cancel=cancel), task_id)
            continue
        task = client.get(kind, task_id, cancel=cancel)
        before = progress.last
        status = progress.seen(task)
        if status in tasks.TERMINAL_STATUSES:
            return _finish(task, task_id)
        # Poll quickly while things change, then back off towards the longest interval.
        interval = (client.poll_interval[0] if progress.last != before
                    else min(client.poll_interval[1], interval * 1.5))
        _pause(interval, cancel, deadline)


def _check(cancel, deadline, task_id, timeout):
    if cancel is not None and cancel.is_set():
        raise Cancelled("Following the task")
    if deadline is not None and time.monotonic() >= deadline:
        raise FollowTimeout(task_id, timeout)


def _pause(seconds, cancel, deadline):
    if deadline is not None:
        seconds = min(seconds, max(0.0, deadline - time.monotonic()))
    retry.wait(seconds, cancel, "Following the task")


def _finish(task, task_id):
    status = task.get("status")
    if status == "SUCCEEDED":
        return task
    if status == "CANCELED":
        raise TaskCanceled(task.get("id") or task_id)
    task = dict(task)
    task.setdefault("id", task_id)
    raise TaskFailed.from_task(task)


def _stream_once(client, fam, task_id, progress, cancel, deadline):
    """Read one stream connection; returns the terminal status, raises _StreamBroken when the
    stream ends early or fails, _NoStreaming when this server has no stream for the task."""
    import sseclient

    url = join(join_path(client.base_url, fam.path), task_id, "stream")
    read_timeout = client.stream_read_timeout
    if deadline is not None:
        read_timeout = max(1.0, min(read_timeout, deadline - time.monotonic()))
    try:
        response = client._send("GET", url, stream=True, cancel=cancel,
                                timeout=(client.timeout[0], read_timeout),
                                accept="text/event-stream")
    except TransportError as exc:
        raise _StreamBroken(exc.reason) from None
    # Online access going off ends the stream; reopening it then waits at the gate.
    with response, interrupt_on_cancel(cancel, response, client.gate.cut_off(url)):
        _check_stream_response(client, fam, task_id, response, progress)
        events = sseclient.SSEClient(stream_chunks(response)).events()
        while True:
            # Only reading is guarded: an error raised by on_event must reach the caller, not
            # look like a broken stream.
            try:
                event = next(events, None)
            except _READ_ERRORS as exc:
                if cancel is not None and cancel.is_set():
                    raise Cancelled("Following the task") from None
                raise _StreamBroken(f"the stream broke ({type(exc).__name__})") from None
            if event is None:
                break
            if cancel is not None and cancel.is_set():
                raise Cancelled("Following the task")
            if event.event == "error":
                _raise_stream_error(client, event.data)
            if event.event != "message":
                continue
            try:
                data = json.loads(event.data)
            except ValueError:
                log.debug("task %s: unreadable stream event skipped", task_id)
                continue
            if isinstance(data, dict):
                status = progress.seen(data)
                if status in tasks.TERMINAL_STATUSES:
                    return status
    raise _StreamBroken("the stream ended before the task finished")


def _check_stream_response(client, fam, task_id, response, progress):
    status = response.status_code
    if status in (404, 405, 501):
        # 404 may mean "no such task" or "no stream here": a GET tells them apart (and raises
        # NotFound for the former).
        client.get(fam.kind, task_id)
        raise _NoStreaming(f"the server has no stream for {fam.label} (HTTP {status})")
    if status == 429 or status >= 500:
        error = client._error(response, streamed=True)
        raise _StreamBroken(f"HTTP {status}", getattr(error, "retry_after", None))
    if not response.ok:
        raise client._error(response, streamed=True)
    content_type = response.headers.get("Content-Type", "")
    if "text/event-stream" not in content_type:
        raise _NoStreaming(f"the stream answered {content_type or 'no content type'}")


def _raise_stream_error(client, data):
    """An `event: error` in the stream: {"status_code": 404, "message": "Task not found"}."""
    try:
        detail = json.loads(data)
    except ValueError:
        detail = {"message": data}
    if not isinstance(detail, dict):
        detail = {"message": str(detail)}
    try:
        status = int(detail.get("status_code") or 500)
    except (TypeError, ValueError):
        status = 500
    message = redact(str(detail.get("message") or ""), client._key)
    if status == 429 or status >= 500:
        raise _StreamBroken(f"stream error {status}: {message}")
    error = request_error(status, message)
    assert isinstance(error, RequestError)
    raise error
