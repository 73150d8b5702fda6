# SPDX-License-Identifier: GPL-3.0-or-later
"""The job engine's Blender side: submit, tick, watch, wait, recover.

engine.py runs the worker threads (which never touch bpy). Here, on the main thread:
- submit() turns an operator's request into a Job and makes sure something is watching;
- tick() drains the engine's events, imports finished results, mirrors jobs into
  WindowManager.meshy.jobs for the UI and tags redraws; it stays cheap (no network, no waiting);
- meshy.watch_jobs, a modal operator on a window-manager timer, calls tick() while jobs exist, in
  an interactive session; ESC or closing its window never drops a job (it is restarted);
- meshy.wait_jobs pumps tick() in background mode (blender -b, tests, batch scripts);
- the journal is read when Blender starts and when a file opens, to offer (or, for a file saved
  with jobs running, to do) the resumption of every unfinished generation.
"""

import concurrent.futures
import os
import time
import traceback

import bpy
from bpy.app.handlers import persistent

from . import importer, preferences
from .engine import DONE, FAILED, READY, Engine, Job
from .engine import journal as journal_mod

WAITING_FOR_OBJECT_MODE = "Ready: imports when you are back in Object Mode"
WATCH_INTERVAL = 0.05  # seconds between ticks while jobs run: the UI sees a result within ~50 ms
IMPORT_BUDGET = 0.05   # seconds of importing per tick, after the first import

_engine = None
_watcher_running = False
_rows = {}             # job id -> index in WindowManager.meshy.jobs
_mirrored = {}         # job id -> revision last mirrored
_recovery = {"resumable": [], "expired": []}
_balance_call = None   # a balance refresh under way (see _refresh_balance)
_calls = None          # the pool for one-off network calls (balance, history, catalogue, delete)
CALL_WORKERS = 4


def engine():
    return _engine


def call(fn, *args, **kwargs):
    """Run one network call (plain Python, no bpy) off the main thread; returns its Future."""
    return _calls.submit(fn, *args, **kwargs)


def watcher_started():
    """The modal watcher claims the watch (False: one is already running)."""
    global _watcher_running
    if _watcher_running:
        return False
    _watcher_running = True
    return True


def watcher_stopped():
    global _watcher_running
    _watcher_running = False


def user_folder(name):
    return bpy.utils.extension_path_user(__package__, path=name, create=True)


# --- submitting ---------------------------------------------------------------------------------

def submit(context, kind, payload, label, options=None, follow_up=None, runner=None,
           task_id=""):
    """Queue a generation. Raises preferences.ConnectionSetupError when it cannot be sent.

    With `task_id`, the job follows (and imports) that existing task instead of creating one.
    With `runner`, the job is not a Meshy task but that callable (see engine.Job.runner).
    """
    client = preferences.make_client(context) if runner is None else None
    prefs = preferences.get(context)
    options = dict(options or {})
    options.setdefault("model_format", prefs.model_format)
    options.setdefault("blend_file", bpy.data.filepath)
    job = Job(kind, payload, label, options=options, follow_up=follow_up, client=client,
              runner=runner, task_id=task_id)
    _engine.max_in_flight = prefs.max_in_flight
    _engine.submit(job)
    tick(context)
    ensure_watching()
    return job


def retry(context, job_id):
    """Run a failed or stopped job again: follow the same task when it may still be alive."""
    old = _engine.jobs[job_id]
    client = preferences.make_client(context) if old.runner is None else None
    reuse_task = old.task_id and (old.status == "STOPPED" or old.retryable and not old.error_code)
    job = Job(old.kind, old.payload, old.label, options=old.options, follow_up=old.follow_up,
              task_id=old.task_id if reuse_task else "", client=client, runner=old.runner)
    del _engine.jobs[job_id]
    _engine.submit(job)
    tick(context)
    ensure_watching()
    return job


# --- the tick -----------------------------------------------------------------------------------

def tick(context=None):
    """Main thread: apply worker events, import ready results, refresh the job view."""
    if _engine is None:
        return False
    context = context or bpy.context
    # Workers cannot read bpy: the gate learns the online-access switch from here.
    preferences.note_online_access()
    changed = _engine.pump()
    ready = [j for j in _engine.jobs.values() if j.status == READY]
    if ready and getattr(context, "mode", "OBJECT") != 'OBJECT':
        # Importers and object placement need Object Mode; the artist's edit is not ours to end.
        for job in ready:
            if job.message != WAITING_FOR_OBJECT_MODE:
                job.message = WAITING_FOR_OBJECT_MODE
                job.revision += 1
                changed.append(job)
        ready = []
    if changed or len(_rows) != len(_engine.jobs):
        _mirror(context)
    # Imports are the only slow part of a tick: show progress first, then import within a small
    # budget (at least one), leaving the rest for the next ticks so the view never lags behind.
    deadline = time.perf_counter() + IMPORT_BUDGET
    for job in ready:
        import_result(context, job)
        changed.append(job)
        if time.perf_counter() >= deadline:
            break
    if ready:
        _mirror(context)
    _refresh_balance(context, changed)
    if changed:
        _tag_redraw(context)
    return _engine.busy() or _balance_call is not None


def _refresh_balance(context, changed):
    """Ask for the credit balance after jobs settle, so the account strip shows what they cost."""
    global _balance_call
    if _balance_call is not None and _balance_call.done():
        view = context.window_manager.meshy
        if _balance_call.exception() is None:
            view.balance = int(_balance_call.result())
            view.balance_known = True
            view.balance_message = ""
        _balance_call = None  # a failed refresh leaves the last known figure; it is not news
    if _balance_call is None:
        # Finished or failed jobs change the balance (a charge, a refund); stopping does not.
        settled = next((j for j in changed if j.status in (DONE, FAILED) and j.client), None)
        if settled is not None:
            _balance_call = call(settled.client.balance)


def import_result(context, job, again=False):
    """Import a job's downloaded result; any failure ends the job with a message, files kept.

    `again`: the artist asked (the Import button), so import even if the result is already here.
    """
    if job.options.get("import") is False and not again:
        job.message = "Done; the next step goes on" if job.follow_up else "Done (not imported)"
        _engine.mark_imported(job, [])
        return True
    try:
        present = importer.objects_with_task(job.task_id)
        if present and not again and job.kind not in importer.APPEND_KINDS:
            # Already in this file (e.g. a crash came between import and journal update).
            _engine.mark_imported(job, [o.name for o in present])
            return True
        job.message = ""  # whatever an earlier attempt said no longer holds
        names = importer.import_result(context, job)
        importer.undo_push()
        _engine.mark_imported(job, names)
        return True
    except importer.ImportFailed as exc:
        message = str(exc)
    except RuntimeError as exc:  # an importer operator refused the file
        message = f"Blender could not import the result: {exc}"
    except Exception as exc:  # a bug of ours must not leave the job stuck or stop the watcher
        traceback.print_exc()
        message = (f"Importing failed ({type(exc).__name__}: {exc}); the files are kept: "
                   "try Import again or open the folder")
    _engine.mark_failed(job, message, state="downloaded")
    return False


def _mirror(context):
    """Copy changed jobs into WindowManager.meshy.jobs (what the UI draws)."""
    view = context.window_manager.meshy
    rows = view.jobs
    if len(rows) != len(_engine.jobs) or any(j not in _rows for j in _engine.jobs):
        rows.clear()
        _rows.clear()
        _mirrored.clear()
        for job in _engine.jobs.values():
            _rows[job.id] = len(rows)
            rows.add().job_id = job.id
    for job in _engine.jobs.values():
        if _mirrored.get(job.id) == job.revision:
            continue
        _mirrored[job.id] = job.revision
        row = rows[_rows[job.id]]
        row.kind = job.kind
        row.label = job.label
        row.status = job.status
        row.progress = job.progress
        row.queue_position = job.queue_position
        row.message = job.message[:1024]
        row.waiting = job.waiting
        row.doc_url = job.doc_url
        row.credits = job.credits
        row.task_id = job.task_id
        row.started = job.started
        row.finished = job.finished
        row.thumbnail = job.files.get("thumbnail", "")
        row.result_path = job.files.get("model", "") or next(iter(job.files.values()), "")
        row.result_name = job.imported[0] if job.imported else ""


def _tag_redraw(context):
    wm = context.window_manager
    for window in getattr(wm, "windows", ()):
        for area in window.screen.areas:
            if area.type in ('VIEW_3D', 'IMAGE_EDITOR', 'STATUSBAR', 'PREFERENCES'):
                area.tag_redraw()


# --- watching (interactive) and waiting (background) -----------------------------------------

def ensure_watching():
    """Start the modal watcher soon, in whichever window exists (interactive sessions only)."""
    if bpy.app.background or _watcher_running:
        return
    if not bpy.app.timers.is_registered(_start_watcher):
        bpy.app.timers.register(_start_watcher, first_interval=0.01)


def _start_watcher():
    if _watcher_running or _engine is None or not _engine.busy():
        return None
    wm = bpy.context.window_manager
    for window in wm.windows:
        with bpy.context.temp_override(window=window, screen=window.screen):
            bpy.ops.meshy.watch_jobs('INVOKE_DEFAULT')
        if _watcher_running:
            return None
    return 0.5  # no window could take it yet (e.g. during start-up): try again shortly


# --- recovery -----------------------------------------------------------------------------------

def scan_journal():
    """Refresh what the panel offers to resume; returns (resumable, expired) entries."""
    if _engine is None:
        return [], []
    resumable, expired = [], []
    for entry in _engine.journal.unsettled():
        if entry["job_id"] in _engine.jobs or journal_mod.owner_alive(entry):
            continue
        if not entry.get("task_id"):
            continue  # a create that never answered: nothing was recorded as charged
        (expired if journal_mod.is_expired(entry) else resumable).append(entry)
    _recovery["resumable"], _recovery["expired"] = resumable, expired
    return resumable, expired


def recovery():
    return _recovery["resumable"], _recovery["expired"]


def resume(context, entries=None):
    """Follow, download and import journal entries into the current file."""
    entries = scan_journal()[0] if entries is None else entries
    client = preferences.make_client(context)
    for entry in entries:
        _engine.resume(entry, client)
    scan_journal()
    tick(context)
    ensure_watching()
    return len(entries)


def dismiss_expired():
    for entry in _recovery["expired"]:
        _engine.journal.update(entry["job_id"], state="expired")
    scan_journal()


@persistent
def _on_load_post(*_args):
    resumable, _expired = scan_journal()
    current = bpy.data.filepath
    # A file saved while its jobs ran picks them up again as soon as it is opened.
    mine = [e for e in resumable if current and e.get("options", {}).get("blend_file") == current]
    if mine:
        from .api.errors import MeshyError
        try:
            resume(bpy.context, mine)
        except (preferences.ConnectionSetupError, MeshyError) as exc:
            print(f"Meshy: {len(mine)} generation(s) of this file wait to resume: {exc}")
    ensure_watching()


@persistent
def _on_save_post(*_args):
    # Jobs submitted before the file had a name belong to it from its first save.
    path = bpy.data.filepath
    for job in _engine.active_jobs() if _engine else ():
        if job.options.get("blend_file") != path:
            job.options["blend_file"] = path
            if _engine.journal.get(job.id):
                _engine.journal.update(job.id, options=job.options)


def _scan_after_start():
    if _engine is not None:
        _engine.journal.prune()
    scan_journal()
    return None


# --- registration -------------------------------------------------------------------------------

def register():
    global _engine, _calls
    _calls = concurrent.futures.ThreadPoolExecutor(CALL_WORKERS, thread_name_prefix="meshy-call")
    journal = journal_mod.Journal(os.path.join(user_folder("journal"), "journal.json"))
    from .api.results import choose_files
    _engine = Engine(user_folder("cache"), journal, choose_files=choose_files)
    bpy.app.handlers.load_post.append(_on_load_post)
    bpy.app.handlers.save_post.append(_on_save_post)
    # register() may not touch the network or most of bpy.context: look at the journal just after.
    bpy.app.timers.register(_scan_after_start, first_interval=0.1)


def unregister():
    global _engine, _watcher_running, _balance_call, _calls
    if bpy.app.timers.is_registered(_scan_after_start):
        bpy.app.timers.unregister(_scan_after_start)
    if bpy.app.timers.is_registered(_start_watcher):
        bpy.app.timers.unregister(_start_watcher)
    bpy.app.handlers.save_post.remove(_on_save_post)
    bpy.app.handlers.load_post.remove(_on_load_post)
    if _engine is not None:
        _engine.shutdown()
    _engine = None
    _watcher_running = False
    _balance_call = None
    if _calls is not None:
        _calls.shutdown(wait=False, cancel_futures=True)
    _calls = None
    _rows.clear()
    _mirrored.clear()
