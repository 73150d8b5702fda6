# SPDX-License-Identifier: GPL-3.0-or-later
"""The job engine's Blender side: submit, tick, watch, wait, recover.

engine/ runs the worker threads (which never touch bpy). Here, on the main thread:
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

from . import importer, library, preferences, selection
from .engine import (DELETED, DONE, EXPIRED, FAILED, FINISHED, IN_PROGRESS, READY, Engine, Job,
                     follow_ups, gather_payload)
from .engine import journal as journal_mod

WAITING_FOR_OBJECT_MODE = "Ready: imports when you are back in Object Mode"
WATCH_INTERVAL = 0.05  # seconds between ticks while jobs run: the UI sees a result within ~50 ms
IMPORT_BUDGET = 0.05   # seconds of importing per tick, after the first import
JOURNAL_FILE = "journal.sqlite3"
# Job times are mirrored into single-precision FloatProperties, whose steps near time.time()
# (~1.8e9) are 128 s wide: the rows hold seconds since this moment instead, exact to a
# millisecond for weeks.
SESSION_EPOCH = time.time()

# Importing a result holds the main thread for as long as Blender's importer takes (half a second
# or more for a textured model of tens of MB), and nothing else is shown meanwhile. So while
# another task is this close to finishing on Meshy, imports wait (the artist sees it finish
# first), but never longer than IMPORT_HOLD_MAX seconds after a result is ready.
IMPORT_HOLD_PROGRESS = 0.9
IMPORT_HOLD_MAX = 3.0

_engine = None
_watcher_running = False
_rows = {}             # job id -> index in WindowManager.meshy.jobs
_mirrored = {}         # job id -> revision last mirrored
_ready_since = {}      # job id -> time.monotonic() when tick() first found it READY
_recovery = {"resumable": [], "expired": []}
_balance_call = None   # a balance refresh under way (see _refresh_balance)
_calls = None          # the pool for one-off network calls (balance, history, catalogue, delete)
CALL_WORKERS = 4
_listeners = []        # callables (context, changed_jobs) told after each tick that changed jobs


def engine():
    return _engine


def call(fn, *args, **kwargs):
    """Run one network call (plain Python, no bpy) off the main thread; returns its Future."""
    return _calls.submit(fn, *args, **kwargs)


def add_listener(fn):
    """Call fn(context, changed_jobs) on the main thread after every tick in which jobs changed
    (e.g. a batch sheet keeping its progress and report)."""
    if fn not in _listeners:
        _listeners.append(fn)


def remove_listener(fn):
    if fn in _listeners:
        _listeners.remove(fn)


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


def session_time(moment=None):
    """`moment` (time.time() scale, default now) as seconds since SESSION_EPOCH."""
    return (time.time() if moment is None else moment) - SESSION_EPOCH


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
    options.setdefault("texture_resolution", prefs.texture_resolution)
    options.setdefault("blend_file", bpy.data.filepath)
    # Blender data the inputs need (an unsaved image's pixels) is read now, on this thread.
    gather_payload(payload)
    for spec in follow_ups(follow_up):
        gather_payload(spec["payload"])
    job = Job(kind, payload, label, options=options, follow_up=follow_up, client=client,
              runner=runner, task_id=task_id)
    _engine.max_in_flight = prefs.max_in_flight
    _engine.submit(job)
    tick(context)
    ensure_watching()
    return job


def retry(context, job_id):
    """Run a failed or stopped job again: follow the same task when it may still be alive.

    Raises selection.SelectionError when a new task would be paid for but could not land (or
    its upload is gone), preferences.ConnectionSetupError when nothing can be sent.
    """
    old = _engine.jobs[job_id]
    client = preferences.make_client(context) if old.runner is None else None
    # A task that succeeded is fetched again rather than paid for again (while Meshy has it).
    reuse_task = old.task_id and old.status not in (DELETED, EXPIRED) and (
        old.status == "STOPPED" or old.retryable and not old.error_code or _succeeded(old))
    options = old.options
    if not reuse_task and old.runner is None:
        options = dict(options)
        selection.check_can_land(context, old.kind, options)
        selection.check_uploads_exist(old.payload)
    # Followers already made are jobs of their own, retried on their own.
    follow_up = None if old.followed else old.follow_up
    job = Job(old.kind, old.payload, old.label, options=options, follow_up=follow_up,
              task_id=old.task_id if reuse_task else "", client=client, runner=old.runner)
    del _engine.jobs[job_id]
    _engine.submit(job)
    tick(context)
    ensure_watching()
    return job


# --- the tick -----------------------------------------------------------------------------------

def tick(context=None):
    """Main thread: apply worker events, refresh the job view, import ready results.

    Whatever changed is shown before anything slow happens: a tick that has news for the artist
    (a job finished, failed, started downloading or is ready) ends after refreshing the view,
    because Blender redraws only once the tick has returned and an import can take a second.
    Imports come in later ticks, at least one per tick within a small budget (see _importable).
    """
    if _engine is None:
        return False
    context = context or bpy.context
    # Workers cannot read bpy: the gate learns the online-access switch from here.
    preferences.note_online_access()
    before = {job.id: (job.status, job.progress) for job in _engine.jobs.values()}
    changed = _engine.pump()
    ready = _importable(context, changed)
    if changed or _rows.keys() != _listed_ids() or \
            len(context.window_manager.meshy.jobs) != len(_rows):
        _mirror(context)  # also when jobs came or went without an event (submit, a new file)
    news = any(before.get(job.id, ("", 0.0))[0] != job.status
               or (job.progress >= 1.0 > before.get(job.id, ("", 0.0))[1]) for job in changed)
    if not news:
        deadline = time.perf_counter() + IMPORT_BUDGET
        for job in ready:
            import_result(context, job)
            _ready_since.pop(job.id, None)
            changed.append(job)
            if time.perf_counter() >= deadline:
                break
        if ready:
            _mirror(context)
    if any((j.status in FINISHED or _succeeded(j)) and _may_hold_uploads(j) for j in changed):
        _sweep_uploads()
    _refresh_balance(context, changed)
    if changed:
        for listener in list(_listeners):
            listener(context, changed)
        _tag_redraw(context)
    return _engine.busy() or _balance_call is not None


def _importable(context, changed):
    """The READY jobs to import now, oldest first (possibly none: see IMPORT_HOLD_PROGRESS)."""
    now = time.monotonic()
    ready = [j for j in _engine.jobs.values() if j.status == READY]
    for job_id in [k for k in _ready_since if k not in {j.id for j in ready}]:
        del _ready_since[job_id]
    for job in ready:
        _ready_since.setdefault(job.id, now)
    if ready and getattr(context, "mode", "OBJECT") != 'OBJECT':
        # Importers and object placement need Object Mode; the artist's edit is not ours to end.
        for job in ready:
            if job.message != WAITING_FOR_OBJECT_MODE:
                job.message = WAITING_FOR_OBJECT_MODE
                job.revision += 1
                changed.append(job)
        return []
    finishing = any(j.status == IN_PROGRESS and j.progress >= IMPORT_HOLD_PROGRESS
                    for j in _engine.jobs.values())
    if finishing and ready and now - min(_ready_since[j.id] for j in ready) < IMPORT_HOLD_MAX:
        return []
    return ready


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


def import_result(context, job, again=False, as_new_object=False):
    """Import a job's downloaded result; any failure ends the job with a message, files kept.

    `again`: the artist asked (the Import button), so import even if the result is already here.
    `as_new_object`: the fallback for a result that cannot change the object it was made for.
    """
    # A batch sheet's animation becomes an asset of its own: there is no rig in the file to add
    # it to (the sheet's rigged character went to the Meshy library).
    as_new_object = as_new_object or bool(job.options.get("as_new_object"))
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
        if as_new_object:
            names = importer.import_result(context, job, as_new_object=True)
        else:
            names = importer.import_result(context, job)
        # Into the Meshy library: marked as assets, and a .blend of its own on disk.
        job.library_file = library.after_import(context, job, names)
        importer.undo_push()
        _engine.mark_imported(job, names)
        if job.library_file:
            _engine.journal.update(job.id, library_file=job.library_file)
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


def clear_finished(context):
    """Take finished jobs off the list, with the uploads only they could still have sent."""
    _engine.forget_finished()
    _sweep_uploads()
    from . import batches  # batches imports this module
    batches.clear_settled(context)
    tick(context)


# --- uploads ------------------------------------------------------------------------------------

def _succeeded(job):
    """The job's task succeeded on Meshy: from here on it is fetched by id, never created again."""
    return job.status == DONE or job.task.get("status") == "SUCCEEDED"


def _may_hold_uploads(job):
    """Only a job with inputs prepared at submission (an exported mesh, a render) can keep an
    upload folder alive; plain payloads (a prompt, a task id) never do, so their ending needs no
    sweep (a batch sheet ends hundreds of them)."""
    return not (journal_mod.is_plain(job.payload) and journal_mod.is_plain(job.follow_up))


def _sweep_uploads(stale_sessions=False):
    """Remove the upload files no job in the list may still send."""
    # One call for every job: finding the uploads folder costs disk look-ups, and a batch sheet
    # keeps hundreds of jobs here while this runs on every tick in which one finishes.
    unsent = [job for job in _engine.jobs.values() if not _succeeded(job)]
    needed = selection.upload_folders(*(p for job in unsent for p in (job.payload,
                                                                        job.follow_up)))
    selection.sweep_uploads(needed, stale_sessions=stale_sessions)


def tidy_user_folder():
    """At start-up: forget long-settled journal entries and remove uploads nobody can send."""
    if _engine is None:
        return
    _engine.journal.prune()
    _sweep_uploads(stale_sessions=True)


def _listed_jobs():
    """The jobs the Jobs list shows one by one: a batch sheet's jobs are shown as the sheet's one
    grouped row instead (batches.py), so hundreds of rows do not flood the list."""
    return [job for job in _engine.jobs.values() if "batch" not in job.options]


def _listed_ids():
    return {job.id for job in _engine.jobs.values() if "batch" not in job.options}


def _mirror(context):
    """Copy changed jobs into WindowManager.meshy.jobs (what the UI draws)."""
    view = context.window_manager.meshy
    rows = view.jobs
    listed = _listed_jobs()
    if len(rows) != len(listed) or any(j.id not in _rows for j in listed):
        rows.clear()
        _rows.clear()
        _mirrored.clear()
        for job in listed:
            _rows[job.id] = len(rows)
            rows.add().job_id = job.id
    for job in listed:
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
        row.started = session_time(job.started)
        row.finished = session_time(job.finished) if job.finished else 0.0
        finish_time = job.eta.finish_time() if job.status == "IN_PROGRESS" else None
        row.eta = session_time(finish_time) if finish_time else 0.0
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
    """Follow, download and import journal entries into the current file; a batch sheet's
    entries go back into their sheet (its library, its report), not into this file."""
    entries = scan_journal()[0] if entries is None else entries
    client = preferences.make_client(context)
    count = len(entries)
    from . import batches  # batches imports this module
    for entry in batches.resume_entries(context, entries):
        _engine.resume(entry, client)
    scan_journal()
    tick(context)
    ensure_watching()
    return count


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
    tidy_user_folder()
    scan_journal()
    return None


# --- registration -------------------------------------------------------------------------------

def register():
    global _engine, _calls
    _calls = concurrent.futures.ThreadPoolExecutor(CALL_WORKERS, thread_name_prefix="meshy-call")
    journal = journal_mod.Journal(os.path.join(user_folder("journal"), JOURNAL_FILE))
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
        _engine.journal.close()
    _engine = None
    _watcher_running = False
    _balance_call = None
    if _calls is not None:
        _calls.shutdown(wait=False, cancel_futures=True)
    _calls = None
    _rows.clear()
    _mirrored.clear()
    _ready_since.clear()
    _listeners.clear()
    from . import batches  # batches imports this module
    batches.unregister()
