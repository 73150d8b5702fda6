# SPDX-License-Identifier: GPL-3.0-or-later
"""One job's life on its worker thread: create -> follow -> download, and the inputs it prepares.

NO bpy here, ever: a worker sees a WorkerSpec (copies of plain data), talks HTTP through api/,
writes the journal and reports to the main thread by `emit(job_id, kind, data)`.

While Blender's online access is off, a worker that needs another computer waits at the gate
(api/gate.py) and says so with a "waiting" event; it goes on when access is allowed again.
"""

import functools
import os
import time

from . import journal as journal_mod

# How long to hold back new submissions after Meshy said its queue is full, when no slot frees.
QUEUE_FULL_BACKOFF = 5.0


class Deferred:
    """An input finished on the worker thread (e.g. an image encoded into a data URI).

    Operators put these in a payload so slow, bpy-free work (Pillow, base64) happens off the main
    thread, just before the create call. `fn` must not touch bpy. What must be read from Blender
    (an unsaved image's pixels, a render) is read by `gather`, a callable returning fn's argument,
    which runs on the main thread once, when the job is submitted, not when a panel merely prices
    the request. Until then (and for validation) `stand_in` is a small value of the same kind.
    """

    def __init__(self, description, fn, *args, stand_in=None, gather=None):
        self.description = description
        self.fn = fn
        self.args = args
        self.stand_in = stand_in
        self._gather = gather

    def gather(self):
        """Main thread: read what Blender holds (once)."""
        if self._gather is not None:
            self.args = (self._gather(),)
            self._gather = None

    def resolve(self):
        if self._gather is not None:
            raise RuntimeError(f"{self.description} was not gathered on the main thread")
        return self.fn(*self.args)

    def __repr__(self):
        return f"<{self.description}>"


def _replace_deferred(value, replace):
    if isinstance(value, Deferred):
        return replace(value)
    if isinstance(value, dict):
        return {k: _replace_deferred(v, replace) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_deferred(v, replace) for v in value]
    return value


def resolve_payload(payload):
    """A copy of the payload with every Deferred replaced by its value (worker thread)."""
    return _replace_deferred(payload, Deferred.resolve)


def gather_payload(payload):
    """Main thread, at submission: let every Deferred read what it needs from Blender."""
    def gather(deferred):
        deferred.gather()
        return deferred
    _replace_deferred(payload, gather)
    return payload


def stand_in_payload(payload):
    """A copy with every Deferred replaced by its small stand-in: cheap to validate before the
    real inputs exist (main thread)."""
    return _replace_deferred(payload, lambda deferred: deferred.stand_in)


class WorkerSpec:
    """What a worker may know about its job: copies of plain data, never the Job itself."""

    def __init__(self, job, cache_dir):
        self.job_id = job.id
        self.kind = job.kind
        self.payload = job.payload
        self.label = job.label
        self.options = dict(job.options)
        self.follow_up = job.follow_up
        self.task_id = job.task_id
        self.credits = job.credits
        self.client = job.client
        self.runner = job.runner
        self.cancel = job.cancel
        self.cache_dir = cache_dir


def _waits_for_online_access(run):
    """Run a job inside its gate's `waiting` block: requests made while online access is off
    wait (the job row says so) instead of failing, and the job's Stop ends the wait."""
    @functools.wraps(run)
    def wrapper(spec, journal, choose_files, emit):
        gate = getattr(spec.client, "gate", None) or getattr(spec.runner, "gate", None)
        if gate is None:
            return run(spec, journal, choose_files, emit)
        with gate.waiting(spec.cancel, lambda message: emit(spec.job_id, "waiting",
                                                            {"message": message})):
            return run(spec, journal, choose_files, emit)
    return wrapper


@_waits_for_online_access
def work(spec, journal, choose_files, emit):
    """One job's life on its worker thread: create, follow, download. No bpy here, ever."""
    from ..api import download, errors, tasks, textures

    job_id, client, cancel = spec.job_id, spec.client, spec.cancel
    if spec.runner is not None:
        _run(spec, emit)
        return
    try:
        task_id = spec.task_id or _find_cut_off_create(spec, journal)
        if task_id and not spec.task_id:
            credits = _cost(tasks, spec)
            journal.update(job_id, state="created", task_id=task_id, credits=credits,
                           kind=spec.kind, label=spec.label,
                           payload=journal_mod.summarise_payload(spec.payload),
                           options=spec.options,
                           follow_up=spec.follow_up if journal_mod.is_plain(spec.follow_up) else None,
                           owner_pid=os.getpid(), created_at=time.time())
            emit(job_id, "created", {"task_id": task_id, "credits": credits})
        if not task_id:
            journal.update(job_id, state="submitting", kind=spec.kind, label=spec.label,
                           payload=journal_mod.summarise_payload(spec.payload),
                           options=spec.options,
                           # A follower with inline inputs cannot be rebuilt from the journal.
                           follow_up=spec.follow_up if journal_mod.is_plain(spec.follow_up) else None,
                           owner_pid=os.getpid(), created_at=time.time())
            try:
                task_id = client.create(spec.kind, resolve_payload(spec.payload))
            except errors.RateLimited as exc:
                if getattr(exc, "limit", "") == "queue":
                    journal.forget([job_id])
                    emit(job_id, "requeue", {"delay": exc.retry_after or QUEUE_FULL_BACKOFF,
                                             "message": "Meshy's queue is full: waiting for a slot"})
                    return
                raise
            except BaseException:
                journal.forget([job_id])
                raise
            credits = _cost(tasks, spec)
            # Written before anything else: from here on the task is paid for and must survive.
            journal.update(job_id, state="created", task_id=task_id, credits=credits)
            emit(job_id, "created", {"task_id": task_id, "credits": credits})
        else:
            journal.update(job_id, state="created", owner_pid=os.getpid(), task_id=task_id,
                           kind=spec.kind, label=spec.label)

        def on_event(event):
            emit(job_id, "progress", {
                "status": event.get("status"),
                "progress": event.get("progress") or 0,
                "queue_position": _as_int(event.get("preceding_tasks")),
            })

        try:
            task = client.follow(spec.kind, task_id, on_event=on_event, cancel=cancel)
        except errors.TaskFailed as exc:
            journal.update(job_id, state="failed", message=str(exc))
            emit(job_id, "settled", {"ok": False, "task": {}})
            emit(job_id, "failed", _failure(exc))
            return
        if cancel.is_set() or task is None:
            journal.update(job_id, state="stopped", unless_state="deleted")
            emit(job_id, "stopped", {"message": "Stopped following: the task goes on at Meshy "
                                                "and can be resumed from the Jobs panel"})
            return
        journal.update(job_id, state="succeeded", expires_at=task.get("expires_at"),
                       task=_task_summary(task))
        emit(job_id, "settled", {"ok": True, "task": task})

        wanted = choose_files(spec.kind, task, spec.options)
        files = {}
        # The id is the server's choice: it names a folder only through the one safe rule.
        folder = download.task_folder(spec.cache_dir, task_id)
        for index, item in enumerate(wanted, start=1):
            if cancel.is_set():
                journal.update(job_id, state="stopped", unless_state="deleted")
                emit(job_id, "stopped", {"message": "Stopped before the download finished; "
                                                    "resume to fetch the files"})
                return
            emit(job_id, "downloading", {"message": f"Downloading {index}/{len(wanted)}: {item.role}"})
            files[item.role] = client.download(item.url, folder, task_id, spec.kind, item.role,
                                               item.fmt, cancel=cancel)
        files = textures.resize_results(files, spec.options.get("texture_resolution"))
        journal.update(job_id, state="downloaded", files=files)
        emit(job_id, "ready", {"files": files})
    except BaseException as exc:  # the job ends with a message, never a dead silent thread
        if cancel.is_set():
            if journal.get(job_id):
                journal.update(job_id, state="stopped", unless_state="deleted")
            emit(job_id, "stopped", {"message": "Stopped following"})
            return
        emit(job_id, "settled", {"ok": False, "task": {}})
        emit(job_id, "failed", _failure(exc))
        entry = journal.get(job_id)
        if entry and entry.get("task_id") and entry.get("state") in ("created", "succeeded"):
            # The task exists and may yet succeed: keep it resumable rather than lost.
            journal.update(job_id, state="interrupted", message=_failure(exc)["message"])


def _find_cut_off_create(spec, journal):
    """A job made again for a create an earlier process was killed in (options
    "maybe_created": {"at": when that POST went out, "fields": what its task object must
    repeat}): the task that POST made, when Meshy's list shows exactly one it could be and the
    journal knows it under no other job; else ""."""
    hint = spec.options.get("maybe_created") or {}
    since = hint.get("at")
    if not since or spec.client is None:
        return ""
    from ..api import errors
    known = {e.get("task_id") for e in journal.entries().values() if e.get("task_id")}
    try:
        return spec.client.find_created(spec.kind, stand_in_payload(spec.payload), since,
                                        exclude=known, fields=hint.get("fields"),
                                        cancel=spec.cancel) or ""
    except errors.MeshyError:
        return ""  # nothing found for certain: a new task is made


def _run(spec, emit):
    """A job that is not a Meshy task: nothing to journal (no task id, no Meshy credits)."""
    try:
        files = spec.runner(os.path.join(spec.cache_dir, spec.job_id), spec.cancel)
    except BaseException as exc:
        emit(spec.job_id, "settled", {"ok": False})
        if spec.cancel.is_set():
            emit(spec.job_id, "stopped", {"message": "Stopped"})
        else:
            emit(spec.job_id, "failed", _failure(exc))
        return
    emit(spec.job_id, "settled", {"ok": True, "task": {}})
    emit(spec.job_id, "ready", {"files": files})


def _as_int(value):
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0  # an unexpected shape from the server is not worth failing a job over


def _cost(tasks, spec):
    try:
        return int(tasks.cost(spec.kind, spec.payload))
    except Exception:
        return 0


def _failure(exc):
    """The failed event's data; its message is redacted (it goes to the panel, journal, stdout)."""
    from ..api import errors
    from ..api.secret import redact
    if isinstance(exc, errors.TaskFailed):
        return {"message": redact(str(exc)), "doc_url": exc.doc_url or "",
                "retryable": bool(exc.retryable), "code": exc.code or exc.type or ""}
    if isinstance(exc, errors.MeshyError):
        return {"message": redact(str(exc)), "retryable": isinstance(
            exc, (errors.ConnectionFailed, errors.ServerError, errors.RateLimited))}
    return {"message": redact(f"Unexpected error: {type(exc).__name__}: {exc}"),
            "retryable": False}


def _task_summary(task):
    """The parts of a finished task worth keeping in the journal (URLs expire with the task)."""
    keep = ("id", "status", "expires_at", "finished_at", "thumbnail_url", "model_urls",
            "texture_urls", "image_urls", "result", "prompt", "consumed_credits")
    return {k: task[k] for k in keep if k in task}
