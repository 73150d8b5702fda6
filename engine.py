# SPDX-License-Identifier: GPL-3.0-or-later
"""The job engine's core: worker threads that talk to Meshy, and the bookkeeping around them.

THE THREADING RULE. Worker threads never touch bpy or any Blender data. They call api/, write the
journal and put plain Python events (tuples of str/int/float/dict) on a queue. Everything that
changes a Job happens in `Engine.pump()`, which only the main thread calls (jobs.tick()). This
module does not import bpy, and tests/blender/test_jobs.py fails if a worker thread calls into it.

A job is a task kind + payload, plus what to do with the result (`options`, plain data read by
the importer) and optionally a follower created by task id when it succeeds (preview -> refine,
rig -> animate). Jobs over the in-flight cap, or answered with NoMoreConcurrentTasks, wait here
in submission order and go when a slot frees.
"""

import os
import queue
import threading
import time
import uuid

from . import journal as journal_mod

# Job statuses. Meshy's own (PENDING, IN_PROGRESS) are used as they are.
QUEUED = "QUEUED"            # waiting here for a slot
SUBMITTING = "SUBMITTING"    # create call under way
PENDING = "PENDING"          # queued on Meshy
IN_PROGRESS = "IN_PROGRESS"
DOWNLOADING = "DOWNLOADING"
READY = "READY"              # files on disk, waiting for the main thread to import
DONE = "DONE"
FAILED = "FAILED"
STOPPED = "STOPPED"          # we stopped following; the task goes on and can be resumed
DELETED = "DELETED"
EXPIRED = "EXPIRED"

ACTIVE = frozenset({QUEUED, SUBMITTING, PENDING, IN_PROGRESS, DOWNLOADING, READY})
FINISHED = frozenset({DONE, FAILED, STOPPED, DELETED, EXPIRED})

# How long to hold back new submissions after Meshy said its queue is full, when no slot frees.
QUEUE_FULL_BACKOFF = 5.0



class Deferred:
    """An input prepared on the worker thread (e.g. an image encoded into a data URI).

    Operators put these in a payload so slow, bpy-free work (Pillow, base64) happens off the main
    thread, just before the create call. `fn` must not touch bpy.
    """

    def __init__(self, description, fn, *args, stand_in=None):
        self.description = description
        self.fn = fn
        self.args = args
        # A small value of the same kind, for validating a payload before the real one exists.
        self.stand_in = stand_in

    def resolve(self):
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


def stand_in_payload(payload):
    """A copy with every Deferred replaced by its small stand-in: cheap to validate before the
    real inputs exist (main thread)."""
    return _replace_deferred(payload, lambda deferred: deferred.stand_in)


class Job:
    """Main-thread view of one generation. Workers never see or change this object."""

    def __init__(self, kind, payload, label, options=None, follow_up=None, task_id=None,
                 job_id=None, client=None, runner=None):
        self.id = job_id or uuid.uuid4().hex[:12]
        # Work that is not a Meshy task (e.g. concept images from another service): a callable
        # (folder, cancel) -> {role: path}, run on the worker instead of create/follow/download.
        self.runner = runner
        self.kind = kind
        self.payload = payload
        self.label = label
        self.options = dict(options or {})
        self.follow_up = follow_up
        self.task_id = task_id or ""
        self.client = client
        self.status = QUEUED
        self.progress = 0.0
        self.queue_position = 0
        self.message = ""
        self.doc_url = ""
        self.retryable = False
        self.error_code = ""
        self.credits = 0
        self.files = {}
        self.task = {}
        self.expires_at = 0
        self.started = time.time()
        self.finished = 0.0
        self.imported = []
        self.cancel = threading.Event()
        self.thread = None
        self.holds_slot = False
        self.dispatch_order = 0  # 1 for the first job sent to Meshy in this session, and so on
        self.revision = 0        # bumped on every change; the UI mirrors only changed jobs

    @property
    def active(self):
        return self.status in ACTIVE

    def __repr__(self):
        return f"<Job {self.id} {self.kind} {self.status} {self.progress:.0%}>"


class Engine:
    def __init__(self, cache_dir, journal, max_in_flight=10, choose_files=None):
        self.cache_dir = cache_dir
        self.journal = journal
        self.max_in_flight = max_in_flight
        self.choose_files = choose_files or (lambda kind, task, options: [])
        self.jobs = {}               # id -> Job, in submission order
        self._waiting = []           # ids of QUEUED jobs, in order
        self._events = queue.Queue()
        self._wake = threading.Event()
        self._hold_until = 0.0
        self._dispatched = 0

    # --- main thread -------------------------------------------------------------------------

    def submit(self, job):
        self.jobs[job.id] = job
        job.status = QUEUED
        job.revision += 1
        self._waiting.append(job.id)
        self._start_waiting()
        return job

    def resume(self, entry, client):
        """Follow (or just import) a task recorded in the journal by an earlier session."""
        job = Job(entry["kind"], entry.get("payload", {}), entry.get("label") or entry["kind"],
                  options=entry.get("options"), follow_up=entry.get("follow_up"),
                  task_id=entry.get("task_id"), job_id=entry["job_id"], client=client)
        job.credits = entry.get("credits", 0)
        job.started = entry.get("recorded_at", job.started)
        job.expires_at = entry.get("expires_at") or 0
        files = entry.get("files") or {}
        if entry.get("state") == "downloaded" and files and all(
                os.path.isfile(p) for p in files.values()):
            # Already on disk: nothing to ask Meshy.
            self.jobs[job.id] = job
            job.files = files
            job.task = entry.get("task") or {}
            job.status = READY
            job.progress = 1.0
            job.revision += 1
            self.journal.update(job.id, owner_pid=os.getpid())
            return job
        return self.submit(job)

    def stop(self, job_id):
        """Stop following: the task keeps running on Meshy and stays in the journal."""
        job = self.jobs[job_id]
        if job.status == QUEUED:
            self._waiting.remove(job_id)
            self._finish(job, STOPPED, "Stopped before it was sent: nothing was charged")
            self.journal.forget([job_id])
            return
        if job.active and job.status != READY:
            job.cancel.set()
            job.message = "Stopping..."
            job.revision += 1

    def forget_finished(self):
        for job_id in [j.id for j in self.jobs.values() if not j.active]:
            del self.jobs[job_id]

    def in_flight(self):
        return sum(1 for j in self.jobs.values() if j.holds_slot)

    def active_jobs(self):
        return [j for j in self.jobs.values() if j.active]

    def busy(self):
        return any(j.active for j in self.jobs.values())

    def threads(self):
        return [j.thread for j in self.jobs.values() if j.thread and j.thread.is_alive()]

    def wait_for_event(self, timeout):
        """Block until a worker reports something (background mode pump only)."""
        if self._events.empty():
            self._wake.wait(timeout)
        self._wake.clear()

    def pump(self):
        """Apply worker events; start waiting jobs. Returns the jobs that changed."""
        changed = {}
        while True:
            try:
                job_id, kind, data = self._events.get_nowait()
            except queue.Empty:
                break
            job = self.jobs.get(job_id)
            if job is None or job.status in FINISHED:
                continue  # e.g. the last words of a thread whose job was deleted meanwhile
            self._apply(job, kind, data)
            job.revision += 1
            changed[job.id] = job
        if self._waiting and self.in_flight() < self.max_in_flight:
            for job in self._start_waiting():
                changed[job.id] = job
        return list(changed.values())

    def mark_imported(self, job, objects):
        job.imported = list(objects)
        self._finish(job, DONE, job.message or "Imported")
        self.journal.update(job.id, state="imported", objects=list(objects))

    def mark_deleted(self, job):
        job.cancel.set()
        self._finish(job, DELETED, "Deleted on Meshy")
        self.journal.update(job.id, state="deleted")

    def mark_failed(self, job, message, state="failed"):
        job.message = message
        self._finish(job, FAILED, message)
        self.journal.update(job.id, state=state, message=message)

    def shutdown(self, timeout=2.0):
        """Stop following everything (tasks stay in the journal) and let the threads end."""
        for job in self.jobs.values():
            job.cancel.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads():
            thread.join(max(0.0, deadline - time.monotonic()))

    def _finish(self, job, status, message=""):
        job.status = status
        if message:
            job.message = message
        job.finished = time.time()
        job.holds_slot = False
        job.revision += 1

    def _start_waiting(self):
        started = []
        if time.monotonic() < self._hold_until:
            return started
        while self._waiting and self.in_flight() < self.max_in_flight:
            job = self.jobs[self._waiting.pop(0)]
            job.status = PENDING if job.task_id else SUBMITTING
            job.holds_slot = True
            self._dispatched += 1
            job.dispatch_order = self._dispatched
            job.cancel.clear()
            job.message = ""
            job.revision += 1
            spec = _WorkerSpec(job, self.cache_dir)
            job.thread = threading.Thread(
                target=_work, args=(spec, self.journal, self.choose_files, self._emit),
                name=f"meshy-job-{job.id}", daemon=True)
            job.thread.start()
            started.append(job)
        for position, job_id in enumerate(self._waiting, start=1):
            self.jobs[job_id].queue_position = position
        return started

    def _emit(self, job_id, kind, data=None):
        self._events.put((job_id, kind, data or {}))
        self._wake.set()

    def _apply(self, job, kind, data):
        if kind == "created":
            job.task_id = data["task_id"]
            job.credits = data.get("credits", 0)
            job.status = PENDING
        elif kind == "progress":
            # Meshy's terminal statuses are not ours: a job is done when its files are in.
            if data.get("status") in (PENDING, IN_PROGRESS):
                job.status = data["status"]
            job.progress = max(job.progress, data.get("progress", 0) / 100.0)
            job.queue_position = data.get("queue_position", 0)
        elif kind == "settled":
            # The task is finished on Meshy: its queue slot is free again.
            job.holds_slot = False
            job.task = data.get("task", {})
            job.expires_at = job.task.get("expires_at") or 0
            if data.get("ok") and job.follow_up:
                self._spawn_follower(job)
        elif kind == "downloading":
            job.status = DOWNLOADING
            job.progress = 1.0
            job.message = data.get("message", "")
        elif kind == "ready":
            job.status = READY
            job.files = data["files"]
            job.message = ""
        elif kind == "failed":
            job.message = data["message"]
            job.doc_url = data.get("doc_url", "")
            job.retryable = data.get("retryable", False)
            job.error_code = data.get("code", "")
            self._finish(job, FAILED)
        elif kind == "stopped":
            self._finish(job, STOPPED, data.get("message", "Stopped following"))
        elif kind == "deleted":
            self._finish(job, DELETED, "Deleted on Meshy")
        elif kind == "expired":
            self._finish(job, EXPIRED, data.get("message", "Expired on Meshy"))
        elif kind == "requeue":
            # Meshy's queue is full: wait here, first in line, until a slot frees or time passes.
            job.holds_slot = False
            job.status = QUEUED
            job.message = data.get("message", "Waiting for a free slot on Meshy")
            self._hold_until = time.monotonic() + data.get("delay", QUEUE_FULL_BACKOFF)
            self._waiting.insert(0, job.id)
        elif kind == "message":
            job.message = data["message"]

    def _spawn_follower(self, job):
        spec = job.follow_up
        payload = dict(spec["payload"])
        payload[spec["id_field"]] = job.task_id
        # Where the result goes and in which format carry over from the first step.
        inherited = {k: job.options[k] for k in ("model_format", "blend_file") if k in job.options}
        follower = Job(spec["kind"], payload, spec.get("label") or job.label,
                       options={**inherited, **(spec.get("options") or {})},
                       follow_up=spec.get("follow_up"), client=job.client)
        self.submit(follower)


class _WorkerSpec:
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


def _work(spec, journal, choose_files, emit):
    """One job's life on its worker thread: create, follow, download. No bpy here, ever."""
    from .api import errors, tasks

    job_id, client, cancel = spec.job_id, spec.client, spec.cancel
    if spec.runner is not None:
        _run(spec, emit)
        return
    try:
        task_id = spec.task_id
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
        folder = os.path.join(spec.cache_dir, task_id)
        for index, item in enumerate(wanted, start=1):
            if cancel.is_set():
                journal.update(job_id, state="stopped", unless_state="deleted")
                emit(job_id, "stopped", {"message": "Stopped before the download finished; "
                                                    "resume to fetch the files"})
                return
            emit(job_id, "downloading", {"message": f"Downloading {index}/{len(wanted)}: {item.role}"})
            files[item.role] = client.download(item.url, folder, task_id, spec.kind, item.role,
                                               item.fmt, cancel=cancel)
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
    from .api import errors
    if isinstance(exc, errors.TaskFailed):
        return {"message": str(exc), "doc_url": exc.doc_url or "", "retryable": bool(exc.retryable),
                "code": exc.code or exc.type or ""}
    if isinstance(exc, errors.MeshyError):
        return {"message": str(exc), "retryable": isinstance(
            exc, (errors.ConnectionFailed, errors.ServerError, errors.RateLimited))}
    return {"message": f"Unexpected error: {type(exc).__name__}: {exc}", "retryable": False}


def _task_summary(task):
    """The parts of a finished task worth keeping in the journal (URLs expire with the task)."""
    keep = ("id", "status", "expires_at", "finished_at", "thumbnail_url", "model_urls",
            "texture_urls", "image_urls", "result", "prompt", "consumed_credits")
    return {k: task[k] for k in keep if k in task}
