# SPDX-License-Identifier: GPL-3.0-or-later
"""The job engine (NO bpy): Engine, Job, Deferred; worker threads in worker.py, the journal in
journal.py.

THE THREADING RULE. Worker threads never touch bpy or any Blender data. They call api/, write the
journal and put plain Python events (tuples of str/int/float/dict) on a queue. Everything that
changes a Job happens in `Engine.pump()`, which only the main thread calls (jobs.tick()). This
package does not import bpy (a test imports every module here without it), and
tests/blender/test_jobs.py fails if a worker thread calls into bpy.

A job is a task kind + payload, plus what to do with the result (`options`, plain data read by
the importer) and optionally followers created by task id when it succeeds (preview -> refine,
rig -> animate; a list for several, e.g. one rig's animations). Jobs over the in-flight cap, or
answered with NoMoreConcurrentTasks, wait here in submission order and go when a slot frees.
"""

import os
import queue
import threading
import time
import uuid

from .worker import (QUEUE_FULL_BACKOFF, Deferred, WorkerSpec, gather_payload, resolve_payload,
                     stand_in_payload, work)

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

# How long a job may wait while Meshy keeps answering NoMoreConcurrentTasks before it gives up
# (a task of someone else's, or one that never ends, could otherwise hold it forever).
QUEUE_FULL_LIMIT = 30 * 60


class Eta:
    """Time left for a task in progress, from how fast Meshy's progress has risen.

    The rate is measured from the first IN_PROGRESS sample this session saw, not from 0 %: a task
    resumed half-way would otherwise look twice as fast as it is. No estimate before MIN_SAMPLES
    samples and MIN_PROGRESS percent: the first percents say little about the rest.
    """

    MIN_SAMPLES = 2
    MIN_PROGRESS = 5.0

    def __init__(self):
        self.first = None     # (time, percent) of the first sample
        self.latest = None
        self.samples = 0

    def sample(self, percent, now):
        if self.first is None:
            self.first = (now, percent)
        self.latest = (now, percent)
        self.samples += 1

    def remaining(self):
        """Seconds left after the latest sample, or None when it cannot be estimated yet."""
        if self.samples < self.MIN_SAMPLES or self.latest[1] <= self.MIN_PROGRESS:
            return None
        (t0, p0), (t1, p1) = self.first, self.latest
        if p1 <= p0 or t1 <= t0:
            return None
        return (t1 - t0) * (100.0 - min(p1, 100.0)) / (p1 - p0)

    def finish_time(self):
        """When the task should be done (time.time() scale), or None."""
        remaining = self.remaining()
        return None if remaining is None else self.latest[0] + remaining


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
        self.eta = Eta()
        self.queue_full_since = 0.0   # time.time() this job began waiting on a full Meshy queue
        self.imported = []
        self.library_file = ""   # the result's .blend in the Meshy library, once written
        self.followed = False    # its followers were made: never again (each would be paid)
        self.cancel = threading.Event()
        self.thread = None
        self.holds_slot = False
        self.waiting = False     # its worker waits for online access (see api/gate.py)
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
        self.queue_full_limit = QUEUE_FULL_LIMIT
        self.choose_files = choose_files or (lambda kind, task, options: [])
        self.jobs = {}               # id -> Job, in submission order
        self._waiting = []           # ids of QUEUED jobs, in order
        self._events = queue.Queue()
        self._wake = threading.Event()
        self._hold_until = 0.0
        self._queue_full_running = 0  # our tasks on Meshy when it last said its queue is full

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
        from ..api.download import is_inside
        job = Job(entry["kind"], entry.get("payload", {}), entry.get("label") or entry["kind"],
                  options=entry.get("options"), follow_up=entry.get("follow_up"),
                  task_id=entry.get("task_id"), job_id=entry["job_id"], client=client)
        job.credits = entry.get("credits", 0)
        job.started = entry.get("recorded_at", job.started)
        job.expires_at = entry.get("expires_at") or 0
        files = entry.get("files") or {}
        if entry.get("state") == "downloaded" and files and all(
                isinstance(p, str) and os.path.isfile(p) and is_inside(p, self.cache_dir)
                for p in files.values()):
            # Already on disk: nothing to ask Meshy.
            self.jobs[job.id] = job
            job.files = files
            job.task = entry.get("task") or {}
            job.status = READY
            job.progress = 1.0
            job.revision += 1
            self.journal.update(job.id, owner_pid=os.getpid())
            if job.follow_up:
                # Stopped between its download and its followers' making: make them now (an
                # entry keeps its follow_up only until they are made, see _spawn_follower).
                self._spawn_follower(job)
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
        for job in self._watch_queue_full():
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
            job.cancel.clear()
            if not job.queue_full_since:
                job.message = ""  # a queue-full wait keeps saying so while it tries again
            job.revision += 1
            spec = WorkerSpec(job, self.cache_dir)
            job.thread = threading.Thread(
                target=work, args=(spec, self.journal, self.choose_files, self._emit),
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
            # Meshy took a task: its queue is not full any more, for anyone waiting here.
            for other in self.jobs.values():
                if other.queue_full_since:
                    other.queue_full_since = 0.0
                    if other.status == QUEUED or other is job:
                        other.message = ""
                        other.revision += 1
        elif kind == "progress":
            # Meshy's terminal statuses are not ours: a job is done when its files are in.
            if data.get("status") in (PENDING, IN_PROGRESS):
                job.status = data["status"]
            job.progress = max(job.progress, data.get("progress", 0) / 100.0)
            job.queue_position = data.get("queue_position", 0)
            if data.get("status") == IN_PROGRESS:
                job.eta.sample(data.get("progress", 0), time.time())
        elif kind == "settled":
            # The task is finished on Meshy: its queue slot is free again.
            job.holds_slot = False
            # A failure after the task succeeded (its download) says "settled" again with no
            # task: what Meshy finished stays known, so a retry fetches it instead of paying.
            job.task = data.get("task") or job.task
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
            job.queue_full_since = job.queue_full_since or time.time()
            # The 429 does not say what fills the queue; these are the tasks we know of.
            self._queue_full_running = sum(1 for j in self.jobs.values()
                                           if j.task_id and j.holds_slot)
            self._hold_until = time.monotonic() + data.get("delay", QUEUE_FULL_BACKOFF)
            self._waiting.insert(0, job.id)
            self._queue_full_message(job)
        elif kind == "message":
            job.message = data["message"]
        elif kind == "waiting":
            # Online access is off ("" once it is back): the row says why nothing moves.
            job.waiting = bool(data["message"])
            job.message = data["message"]

    def _watch_queue_full(self):
        """Jobs waiting on a full Meshy queue: say how long, and give up after the limit."""
        if not any(self.jobs[j].queue_full_since for j in self._waiting):
            return []
        changed = []
        now = time.time()
        for job_id in list(self._waiting):
            job = self.jobs[job_id]
            # Jobs behind the first wait on the same full queue from the moment they are in line.
            job.queue_full_since = job.queue_full_since or now
            if now - job.queue_full_since >= self.queue_full_limit:
                self._waiting.remove(job_id)
                job.retryable = True
                job.error_code = ""
                self._finish(job, FAILED, (
                    f"Meshy's queue stayed full for {_duration(now - job.queue_full_since)}, so "
                    "this was never sent: nothing was charged; press Retry to queue it again"))
                changed.append(job)
            elif self._queue_full_message(job, now):
                job.revision += 1
                changed.append(job)
        return changed

    def _queue_full_message(self, job, now=None):
        """Set the waiting message; True when its text changed."""
        now = time.time() if now is None else now
        running = self._queue_full_running
        whose = (f"{running} of your tasks running" if running
                 else "your plan's slots are taken by tasks started elsewhere")
        message = (f"Meshy's queue is full ({whose}): waiting "
                   f"{_duration(now - job.queue_full_since)}")
        if message == job.message:
            return False
        job.message = message
        return True

    def _spawn_follower(self, job):
        if job.followed:
            return
        job.followed = True
        # From here the followers are jobs of their own: a resumed or retried parent must not
        # make (and pay for) them again.
        self.journal.update(job.id, follow_up=None)
        for spec in follow_ups(job.follow_up):
            payload = dict(spec["payload"])
            payload[spec["id_field"]] = job.task_id
            # Where the result goes, in which format and at which texture size carry over.
            inherited = {k: job.options[k] for k in ("model_format", "blend_file",
                                                      "texture_resolution") if k in job.options}
            follower = Job(spec["kind"], payload, spec.get("label") or job.label,
                           options={**inherited, **(spec.get("options") or {})},
                           follow_up=spec.get("follow_up"), client=job.client)
            self.submit(follower)


def follow_ups(follow_up):
    """The follower specs of a job: none, one (a dict), or several made from the same task (a
    list, e.g. a rig's animations)."""
    if not follow_up:
        return []
    return list(follow_up) if isinstance(follow_up, (list, tuple)) else [follow_up]


def _duration(seconds):
    """"45 s" under a minute, then whole minutes ("3 min")."""
    seconds = max(0, int(seconds))
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min"


__all__ = ["Engine", "Job", "Eta", "Deferred", "follow_ups", "gather_payload",
           "resolve_payload", "stand_in_payload", "ACTIVE", "FINISHED", "QUEUE_FULL_LIMIT"]
