"""The job engine in real Blender against the emulator: concurrency, crash recovery, stop and
delete, faults, and the rule that worker threads never touch bpy."""

import contextlib
import importlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import bpy
import pytest

from tests.blender.harness import MODULE, USER_DIR


def preview(jobs, prompt, **options):
    payload = {"mode": "preview", "prompt": prompt, "target_formats": ["glb"]}
    return jobs.submit(bpy.context, "text_to_3d_preview", payload, prompt, options=options)


def pump_until(jobs, condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs.tick(bpy.context)
        if condition():
            return True
        jobs.engine().wait_for_event(0.05)
    return False


def imported_task_ids():
    return [o["meshy_task_id"] for o in bpy.data.objects if "meshy_task_id" in o]


def server_active(emulator):
    store = emulator.store
    with store.lock:
        return len(store.active(store.accounts[emulator.paid_key], store.now()))


def meshy_threads():
    """Threads a job may leave behind: its worker, and any one-off call thread that is not the
    call pool's (the pool keeps its few workers by design; call_pool_threads counts those)."""
    return [t for t in threading.enumerate()
            if t.name.startswith(("meshy-job", "meshy-call", "meshy-delete"))
            and not t.name.startswith("meshy-call_")]


def call_pool_threads():
    return [t for t in threading.enumerate() if t.name.startswith("meshy-call_")]


def test_twenty_jobs_complete_within_the_cap_in_order(connected, prefs, jobs):
    prefs.max_in_flight = 5
    connected.task_seconds = 0.6
    submitted = [preview(jobs, f"crate number {i}") for i in range(20)]
    peak_server, peak_engine = 0, 0
    out_of_order = []

    def done():
        nonlocal peak_server, peak_engine
        peak_server = max(peak_server, server_active(connected))
        peak_engine = max(peak_engine, jobs.engine().in_flight())
        # Jobs leave the local queue in submission order: those sent are always a prefix.
        sent = [j.status != "QUEUED" for j in submitted]
        if sent != sorted(sent, reverse=True):
            out_of_order.append([j.status for j in submitted])
        return not jobs.engine().busy()

    assert pump_until(jobs, done, timeout=120)
    assert [j.status for j in submitted] == ["DONE"] * 20, [j.message for j in submitted]
    assert peak_engine <= 5 and peak_server <= 5
    assert peak_engine == 5, "the cap should also be reached, not just respected"
    # Jobs that waited locally went to Meshy in the order they were submitted...
    assert out_of_order == []
    # ...and each one only once an earlier one had finished there.
    tasks = [connected.task(j.task_id) for j in submitted]
    for i, task in enumerate(tasks[5:], start=5):
        finished_before = sum(t["finished_at"] <= task["created_at"] for t in tasks[:i])
        assert finished_before >= i - 4, (i, finished_before)
    ids = imported_task_ids()
    assert sorted(set(ids)) == sorted(j.task_id for j in submitted)
    assert len(ids) == 20, "each result imported exactly once"
    assert connected.tasks_created == 20
    rows = bpy.context.window_manager.meshy.jobs
    assert [r.status for r in rows] == ["DONE"] * 20


def test_queue_full_answers_wait_locally_and_go_later(connected, prefs, jobs):
    prefs.max_in_flight = 10
    connected.queue_limit = 3
    connected.task_seconds = 0.6
    submitted = [preview(jobs, f"barrel {i}") for i in range(6)]
    assert pump_until(jobs, lambda: not jobs.engine().busy(), timeout=60)
    assert [j.status for j in submitted] == ["DONE"] * 6, [j.message for j in submitted]
    assert connected.tasks_created == 6


CHILD = textwrap.dedent("""
    import os, sys, time
    import bpy
    bpy.ops.preferences.addon_enable(module={module!r})
    import importlib
    jobs = importlib.import_module({module!r} + ".jobs")
    prefs = bpy.context.preferences.addons[{module!r}].preferences
    prefs.base_url = {url!r}
    prefs.api_key = {key!r}
    submitted = []
    for i in range(5):
        payload = {{"mode": "preview", "prompt": f"lost statue {{i}}", "target_formats": ["glb"]}}
        submitted.append(jobs.submit(bpy.context, "text_to_3d_preview", payload, f"lost statue {{i}}"))
    while not all(j.task_id for j in submitted):
        jobs.tick(bpy.context)
        jobs.engine().wait_for_event(0.05)
    print("CREATED " + " ".join(j.task_id for j in submitted), flush=True)
    while True:
        jobs.tick(bpy.context)
        jobs.engine().wait_for_event(0.05)
""")


def run_child_and_kill(connected, save_to=None):
    script = CHILD.format(module=MODULE, url=connected.url, key=connected.paid_key)
    if save_to:
        script = script.replace('print("CREATED',
                                f'bpy.ops.wm.save_as_mainfile(filepath={str(save_to)!r})\n'
                                'print("CREATED')
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(USER_DIR)}
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and not line.startswith("CREATED"):
            line = child.stdout.readline()
            if not line and child.poll() is not None:
                break
        assert line.startswith("CREATED"), "the child never created its tasks"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    return line.split()[1:]


def test_crash_mid_task_loses_nothing_and_charges_once(connected, jobs):
    connected.task_seconds = 3.0
    task_ids = run_child_and_kill(connected)
    assert len(task_ids) == 5
    assert {connected.task(t)["status"] for t in task_ids} <= {"PENDING", "IN_PROGRESS"}

    resumable, expired = jobs.scan_journal()
    assert sorted(e["task_id"] for e in resumable) == sorted(task_ids)
    assert expired == []
    assert bpy.ops.meshy.resume_jobs() == {'FINISHED'}
    assert bpy.ops.meshy.wait_jobs(timeout=60) == {'FINISHED'}

    ids = imported_task_ids()
    assert sorted(ids) == sorted(task_ids), "each lost task imported exactly once"
    assert connected.tasks_created == 5, "nothing was created (or charged) twice"
    assert jobs.scan_journal()[0] == []
    # A second look finds nothing more to do.
    assert not bpy.ops.meshy.resume_jobs.poll()


def test_opening_a_file_saved_with_jobs_running_resumes_them(connected, jobs, tmp_path):
    connected.task_seconds = 3.0
    blend = tmp_path / "scene_with_jobs.blend"
    task_ids = run_child_and_kill(connected, save_to=blend)
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    assert sorted(j.task_id for j in jobs.engine().active_jobs()) == sorted(task_ids)
    bpy.ops.meshy.wait_jobs(timeout=60)
    assert sorted(imported_task_ids()) == sorted(task_ids)
    assert connected.tasks_created == 5


def test_expired_generations_are_listed_not_retried(connected, jobs):
    connected.task_seconds = 0.3
    job = preview(jobs, "ancient vase", **{"import": False})
    # Until the job and the balance refresh its end starts are both over (tick says not busy).
    assert pump_until(jobs, lambda: not job.active and not jobs.tick(bpy.context))
    journal = jobs.engine().journal
    journal.update(job.id, state="succeeded", expires_at=int((time.time() - 60) * 1000))
    jobs.engine().forget_finished()
    requests_before = len(connected.request_log)
    resumable, expired = jobs.scan_journal()
    assert resumable == [] and [e["task_id"] for e in expired] == [job.task_id]
    assert bpy.ops.meshy.dismiss_expired() == {'FINISHED'}
    assert jobs.scan_journal() == ([], [])
    assert len(connected.request_log) == requests_before


def test_stop_leaves_the_task_running_and_resumable(connected, jobs):
    connected.task_seconds = 4.0
    before = len(meshy_threads())
    job = preview(jobs, "slow tower")
    assert pump_until(jobs, lambda: job.status == "IN_PROGRESS", timeout=10)
    assert bpy.ops.meshy.stop_job(job_id=job.id) == {'FINISHED'}
    assert pump_until(jobs, lambda: job.status == "STOPPED", timeout=3)
    job.thread.join(2)
    assert not job.thread.is_alive()
    assert len(meshy_threads()) == before
    assert connected.task(job.task_id)["status"] in ("PENDING", "IN_PROGRESS")

    jobs.engine().forget_finished()
    resumable, _ = jobs.scan_journal()
    assert [e["task_id"] for e in resumable] == [job.task_id]
    bpy.ops.meshy.resume_jobs()
    bpy.ops.meshy.wait_jobs(timeout=30)
    assert imported_task_ids() == [job.task_id]
    assert connected.tasks_created == 1


def test_delete_removes_the_task_on_meshy(connected, jobs):
    connected.task_seconds = 4.0
    before = len(meshy_threads())
    job = preview(jobs, "doomed chair")
    assert pump_until(jobs, lambda: bool(job.task_id), timeout=10)
    assert bpy.ops.meshy.delete_job(job_id=job.id) == {'FINISHED'}
    jobs.tick(bpy.context)
    assert job.status == "DELETED"
    with pytest.raises(KeyError):
        connected.task(job.task_id)
    job.thread.join(2)
    assert len(meshy_threads()) == before
    assert len(call_pool_threads()) <= jobs.CALL_WORKERS
    assert jobs.scan_journal() == ([], [])


# Faults a client is expected to ride out: short 500 bursts, dropped event streams, 429s that say
# when to come back, a download cut short once, slow answers. Every job must end DONE, every time.
ABSORBED_FAULTS = [
    pytest.param({"http_500": 3}, id="500-burst"),
    pytest.param({"drop_sse": {"count": 2, "after_events": 2}}, id="dropped-sse"),
    pytest.param({"rate_limit": {"count": 3, "retry_after": 1}}, id="429-retry-after"),
    pytest.param({"truncate_downloads": 1}, id="truncated-download"),
    pytest.param({"delay": {"count": 3, "seconds": 0.5}}, id="slow-answers"),
]


@pytest.mark.parametrize("fault", ABSORBED_FAULTS)
def test_absorbable_faults_always_end_in_results(connected, jobs, fault):
    connected.task_seconds = 0.6
    connected.faults(**fault)
    submitted = [preview(jobs, f"sturdy box {i}") for i in range(3)]
    assert pump_until(jobs, lambda: not jobs.engine().busy(), timeout=90), \
        [(j.status, j.message) for j in submitted]
    assert [(j.status, j.message) for j in submitted] == [("DONE", "Imported")] * 3
    assert sorted(imported_task_ids()) == sorted(j.task_id for j in submitted)
    assert connected.tasks_created == 3, "a fault made the client create (and pay) twice"
    assert connected.fault_rules.describe() == [], "the fault never happened: the test proved nothing"


# Faults that last: the job must end FAILED with a sentence that says what happened and what to
# do, and a task that was paid for must stay resumable.

def host_port(emulator):
    return emulator.url.split("//", 1)[1]


def assert_offered_for_resuming(jobs, job):
    """The task was paid for: once the failed job is cleared, the journal offers it again."""
    jobs.engine().forget_finished()
    assert [e["task_id"] for e in jobs.scan_journal()[0]] == [job.task_id]


def test_creates_that_keep_failing_end_in_a_clear_message(connected, jobs):
    connected.faults(http_500={"path": "/text-to-3d"})   # create and task list: 500 until reset
    job = preview(jobs, "unlucky box")
    assert pump_until(jobs, lambda: not job.active, timeout=90), (job.status, job.message)
    assert job.status == "FAILED"
    # The create may have reached Meshy and the task list could not tell: say so, never resend.
    # The server answered: it was reached (not "could not reach"), and the answer is named.
    assert job.message.startswith("Meshy answered HTTP 500")
    assert "The request reached Meshy, but the task list could not be checked" in job.message
    assert job.message.endswith("so it may already have created a task (and used credits); it "
                                "was not sent again. Check your task list before retrying.")
    assert connected.tasks_created == 0


def test_a_task_that_cannot_be_followed_ends_in_a_clear_message(connected, jobs):
    connected.task_seconds = 0.3
    connected.faults(http_500={"path": "/text-to-3d/"})  # the task's stream and GET, not create
    job = preview(jobs, "unreachable box")
    assert pump_until(jobs, lambda: not job.active, timeout=90), (job.status, job.message)
    assert job.status == "FAILED"
    assert job.message == ("Meshy answered HTTP 500: Internal Server Error. The server had a "
                           "problem; try again in a few minutes (status page: "
                           "https://status.meshy.ai).")
    assert connected.tasks_created == 1
    assert_offered_for_resuming(jobs, job)


def test_a_download_that_stays_corrupt_ends_in_a_clear_message(connected, jobs):
    connected.task_seconds = 0.3
    connected.faults(corrupt_downloads={"path": ".glb"})   # every GLB arrives damaged
    job = preview(jobs, "cracked box")
    assert pump_until(jobs, lambda: not job.active, timeout=90), (job.status, job.message)
    assert job.status == "FAILED"
    assert job.message == (f"Could not download the GLB file from {host_port(connected)}: the "
                           "GLB file is corrupt (no glTF header). It was not imported; try again "
                           "later.")
    assert imported_task_ids() == []
    assert_offered_for_resuming(jobs, job)


def test_a_failed_task_shows_its_message_and_doc_link(connected, jobs):
    connected.task_seconds = 0.3
    connected.faults(fail_tasks={"code": "image_too_complex"})
    job = preview(jobs, "a crate full of berries")
    assert pump_until(jobs, lambda: not job.active)
    assert job.status == "FAILED"
    assert "too complex" in job.message
    assert job.doc_url.endswith("#image-too-complex")
    row = bpy.context.window_manager.meshy.jobs[0]
    assert row.status == "FAILED" and row.doc_url == job.doc_url


def test_preview_chains_into_refine(connected, jobs):
    connected.task_seconds = 0.4
    follow_up = {"kind": "text_to_3d_refine", "id_field": "preview_task_id", "label": "lamp",
                 "payload": {"mode": "refine", "enable_pbr": True, "target_formats": ["glb"]}}
    first = jobs.submit(bpy.context, "text_to_3d_preview",
                        {"mode": "preview", "prompt": "lamp", "target_formats": ["glb"]}, "lamp",
                        options={"import": False}, follow_up=follow_up)
    assert pump_until(jobs, lambda: not jobs.engine().busy(), timeout=30)
    refine = [j for j in jobs.engine().jobs.values() if j.kind == "text_to_3d_refine"]
    assert len(refine) == 1 and refine[0].status == "DONE", refine
    assert imported_task_ids() and set(imported_task_ids()) == {refine[0].task_id}
    assert first.status == "DONE"


def test_worker_threads_never_touch_bpy(connected, jobs):
    """Profile every worker thread; any call into bpy's Python or C functions is a failure."""
    bpy_dir = str(Path(bpy.utils.system_resource('SCRIPTS')).resolve())
    touches = []

    def profiler(frame, event, arg):
        if not threading.current_thread().name.startswith("meshy-job"):
            return
        if event == "call" and frame.f_code.co_filename.startswith(bpy_dir):
            touches.append(f"{frame.f_code.co_filename}:{frame.f_code.co_name}")
        elif event == "c_call":
            owner = getattr(arg, "__self__", None)
            module = getattr(arg, "__module__", "") or type(owner).__module__
            if module.startswith(("bpy", "_bpy", "mathutils")) or "bpy_struct" in type(owner).__name__:
                touches.append(f"{module}.{getattr(arg, '__name__', arg)}")

    connected.task_seconds = 0.4
    threading.setprofile(profiler)
    try:
        submitted = [preview(jobs, f"teapot {i}") for i in range(3)]
        assert pump_until(jobs, lambda: not jobs.engine().busy(), timeout=30)
    finally:
        threading.setprofile(None)
    assert [j.status for j in submitted] == ["DONE"] * 3
    assert touches == []


def test_journal_holds_no_key_and_no_inline_data(connected, jobs):
    connected.task_seconds = 0.3
    job = preview(jobs, "key check")
    assert pump_until(jobs, lambda: not job.active)
    path = jobs.engine().journal.path
    # The database and whatever sqlite may keep beside it (write-ahead log, shared memory).
    stored = b"".join(Path(path + suffix).read_bytes() for suffix in ("", "-wal", "-shm")
                      if os.path.exists(path + suffix))
    assert connected.paid_key.encode() not in stored
    with contextlib.closing(sqlite3.connect(path)) as db:
        (text,), = db.execute("SELECT entry FROM entries WHERE job_id = ?", (job.id,))
    entry = json.loads(text)
    assert entry["task_id"] == job.task_id and entry["state"] == "imported"


def test_results_wait_for_object_mode(connected, jobs):
    connected.task_seconds = 0.3
    bpy.ops.mesh.primitive_cube_add()
    bpy.ops.object.mode_set(mode='EDIT')
    job = preview(jobs, "patient lamp")
    assert pump_until(jobs, lambda: job.status == "READY" and "Object Mode" in job.message)
    assert imported_task_ids() == []
    bpy.ops.object.mode_set(mode='OBJECT')
    assert pump_until(jobs, lambda: job.status == "DONE")
    assert imported_task_ids() == [job.task_id]


# --- what the artist sees first: news before imports -------------------------------------------
# An import holds the main thread for as long as Blender's importer runs (a second for a large
# result) and nothing redraws meanwhile. These pin the order: news first, imports after.

def row_of(job):
    return next(r for r in bpy.context.window_manager.meshy.jobs if r.job_id == job.id)


def test_a_tick_that_brings_news_ends_before_importing(connected, jobs):
    connected.task_seconds = 10.0
    bpy.ops.mesh.primitive_cube_add()
    bpy.ops.object.mode_set(mode='EDIT')          # results wait here until Object Mode
    first = preview(jobs, "first result")
    assert pump_until(jobs, lambda: bool(first.task_id))
    connected.advance_clock(10.5)
    assert pump_until(jobs, lambda: first.status == "READY")
    second = preview(jobs, "second result")
    assert pump_until(jobs, lambda: bool(second.task_id))
    connected.advance_clock(10.5)
    # The second task's worker finishes on its own; its news waits in the queue for a tick.
    journal = jobs.engine().journal
    deadline = time.monotonic() + 20
    while (journal.get(second.id) or {}).get("state") != "downloaded":
        assert time.monotonic() < deadline, journal.get(second.id)
        time.sleep(0.05)
    bpy.ops.object.mode_set(mode='OBJECT')
    jobs.tick(bpy.context)
    # That tick showed the second result ready and imported nothing: the redraw comes first.
    assert row_of(second).status == "READY" and row_of(second).progress == 1.0
    assert imported_task_ids() == []
    assert pump_until(jobs, lambda: not jobs.engine().busy())
    assert sorted(imported_task_ids()) == sorted([first.task_id, second.task_id])


def finishing_soon(connected, jobs):
    """A job whose task is at 90%+ on Meshy and stays there until the clock is moved on."""
    connected.task_seconds = 100.0
    slow = preview(jobs, "a task near its end")
    assert pump_until(jobs, lambda: bool(slow.task_id))
    connected.advance_clock(96)
    assert pump_until(jobs, lambda: slow.progress >= 0.9 and slow.status == "IN_PROGRESS")
    connected.task_seconds = 0.3
    return slow


def test_imports_wait_while_another_task_is_about_to_finish(connected, jobs):
    slow = finishing_soon(connected, jobs)
    quick = preview(jobs, "a quick result")
    assert pump_until(jobs, lambda: quick.status == "READY")
    held_until = time.monotonic() + 1.0
    assert not pump_until(jobs, lambda: quick.status != "READY", timeout=1.0), \
        "the result was imported while another task was finishing"
    assert time.monotonic() >= held_until
    connected.advance_clock(10)                    # the slow task finishes
    seen_first = []

    def slow_shown_then_quick_imported():
        if quick.status == "DONE" and not seen_first:
            seen_first.append(row_of(slow).status)
        return quick.status == "DONE"

    assert pump_until(jobs, slow_shown_then_quick_imported, timeout=20)
    assert seen_first[0] != "IN_PROGRESS", "the import ran before the finish was shown"
    assert pump_until(jobs, lambda: not jobs.engine().busy(), timeout=20)


def test_the_wait_for_a_finishing_task_is_bounded(connected, jobs):
    slow = finishing_soon(connected, jobs)
    quick = preview(jobs, "a quick result")
    assert pump_until(jobs, lambda: quick.status == "READY")
    ready_at = time.monotonic()
    assert pump_until(jobs, lambda: quick.status == "DONE", timeout=jobs.IMPORT_HOLD_MAX + 3)
    waited = time.monotonic() - ready_at
    assert jobs.IMPORT_HOLD_MAX - 0.5 <= waited <= jobs.IMPORT_HOLD_MAX + 2, waited
    assert slow.status == "IN_PROGRESS", "the slow task should still be running on Meshy"
    bpy.ops.meshy.stop_job(job_id=slow.id)
    assert pump_until(jobs, lambda: not jobs.engine().busy())


def test_an_unexpected_import_error_fails_the_job_and_keeps_the_files(connected, jobs,
                                                                      monkeypatch):
    importer = importlib.import_module(MODULE + ".importer")

    def broken(context, job):
        raise ValueError("simulated importer bug")

    monkeypatch.setattr(importer, "import_result", broken)
    connected.task_seconds = 0.3
    job = preview(jobs, "fragile vase")
    assert pump_until(jobs, lambda: not job.active)
    assert job.status == "FAILED" and "simulated importer bug" in job.message
    assert os.path.isfile(job.files["model"])
    monkeypatch.undo()
    assert bpy.ops.meshy.import_job(job_id=job.id) == {'FINISHED'}
    assert imported_task_ids() == [job.task_id]
    assert job.status == "DONE" and job.message == "Imported"


def test_the_journal_forgets_settled_entries_after_retention(jobs):
    journal = jobs.engine().journal
    journal.update("imported-a", state="imported", task_id="t1")
    journal.update("imported-b", state="expired", task_id="t2")
    journal.update("unfinished", state="stopped", task_id="t3")
    assert journal.prune() == 0, "nothing is old yet"
    four_days_on = time.time() + 4 * 24 * 3600
    assert journal.prune(now=four_days_on) == 2
    assert list(journal.entries()) == ["unfinished"], "unfinished work is never pruned"


def files_under(folder):
    return {os.path.join(d, f) for d, _, names in os.walk(folder) for f in names}


def inside(path, folder):
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([path, folder]) == folder


@pytest.mark.parametrize("climb", ["relative", "absolute"])
def test_a_hostile_task_id_never_names_a_path(connected, jobs, tmp_path, climb):
    """Meshy's answer chooses the id; joined as it is, these ids would write (and import) files
    in the test's sentinel folder instead of the add-on's cache."""
    cache = jobs.user_folder("cache")
    sentinel = tmp_path / "sentinel"
    if climb == "absolute":
        prefix = str(sentinel) + "/"
    else:
        prefix = os.path.relpath(sentinel, cache) + "/"
    connected.faults(hostile_ids={"prefix": prefix})
    connected.task_seconds = 0.3
    before = files_under(USER_DIR)
    job = preview(jobs, "a hostile crate")
    assert pump_until(jobs, lambda: not job.active)
    assert job.status == "DONE", job.message
    assert job.task_id.startswith(prefix), "followed under the id Meshy gave"
    assert imported_task_ids() == [job.task_id]
    assert not sentinel.exists()
    user_folder = bpy.utils.extension_path_user(MODULE)
    new = files_under(USER_DIR) - before
    assert new and all(inside(p, user_folder) for p in new), new
    assert all(inside(p, cache) for p in job.files.values())
    assert jobs.engine().journal.get(job.id)["task_id"] == job.task_id


def test_resume_imports_only_files_inside_the_cache(connected, jobs, tmp_path):
    """A journal entry naming files elsewhere (edited, or from a damaged or foreign journal) is
    fetched again into the cache rather than imported from where it points."""
    connected.task_seconds = 0.3
    job = preview(jobs, "a relocated vase")
    assert pump_until(jobs, lambda: not job.active)
    assert job.status == "DONE", job.message
    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj)
    elsewhere = tmp_path / "elsewhere.glb"
    elsewhere.write_bytes(Path(job.files["model"]).read_bytes())
    journal = jobs.engine().journal
    journal.update(job.id, state="downloaded", files={"model": str(elsewhere)})
    jobs.engine().forget_finished()
    resumable, _ = jobs.scan_journal()
    assert [e["job_id"] for e in resumable] == [job.id]
    bpy.ops.meshy.resume_jobs()
    assert bpy.ops.meshy.wait_jobs(timeout=30) == {'FINISHED'}
    resumed = jobs.engine().jobs[job.id]
    assert resumed.status == "DONE", resumed.message
    assert inside(resumed.files["model"], jobs.user_folder("cache"))
    assert imported_task_ids() == [job.task_id]


def test_a_queue_that_stays_full_stops_the_job_with_a_retry(connected, jobs):
    connected.queue_limit = 1
    connected.task_seconds = 120
    import requests
    response = requests.post(connected.url + "/openapi/v2/text-to-3d", timeout=10,
                             json={"mode": "preview", "prompt": "a task started elsewhere"},
                             headers={"Authorization": f"Bearer {connected.paid_key}"})
    assert response.status_code == 202
    engine = jobs.engine()
    engine.queue_full_limit = 2.0
    try:
        job = preview(jobs, "a patient crate")
        row = bpy.context.window_manager.meshy.jobs
        assert pump_until(jobs, lambda: row[0].message.startswith("Meshy's queue is full"),
                          timeout=10)
        assert "waiting 0 s" in row[0].message or "waiting 1 s" in row[0].message
        assert pump_until(jobs, lambda: job.status == "FAILED", timeout=30)
        assert row[0].status == "FAILED"
        assert "nothing was charged; press Retry to queue it again" in row[0].message
        assert connected.tasks_created == 1
        assert engine.journal.get(job.id) is None
        assert jobs.scan_journal() == ([], [])
    finally:
        engine.queue_full_limit = engine_module().QUEUE_FULL_LIMIT
    # The queue frees up; Retry sends it.
    requests.delete(connected.url + f"/openapi/v2/text-to-3d/{response.json()['result']}",
                    headers={"Authorization": f"Bearer {connected.paid_key}"}, timeout=10)
    connected.task_seconds = 0.3
    assert bpy.ops.meshy.retry_job(job_id=job.id) == {'FINISHED'}
    assert pump_until(jobs, lambda: not jobs.engine().busy(), timeout=30)
    retried = list(jobs.engine().jobs.values())[-1]
    assert retried.status == "DONE", retried.message
    assert imported_task_ids() == [retried.task_id]


def engine_module():
    return importlib.import_module(MODULE + ".engine")


def test_retrying_a_preview_whose_refine_was_made_does_not_make_it_again(connected, jobs):
    """The refine is made (and paid) when the preview succeeds; a preview whose download then
    fails is retried to fetch its files, and must not make its refine a second time."""
    refine = {"kind": "text_to_3d_refine", "id_field": "preview_task_id", "label": "lamp",
              "payload": {"mode": "refine", "target_formats": ["glb"]}}
    connected.faults(corrupt_downloads={"count": 50})   # every download, retries included
    job = jobs.submit(bpy.context, "text_to_3d_preview",
                      {"mode": "preview", "prompt": "a lamp", "target_formats": ["glb"]},
                      "lamp", follow_up=refine)  # the preview is imported too
    assert pump_until(jobs, lambda: not jobs.engine().busy(), timeout=60)
    assert job.status == "FAILED", job.message
    assert connected.tasks_created == 2, "the refine was made when the preview succeeded"

    connected.fault_rules.clear()
    again = jobs.retry(bpy.context, job.id)
    assert pump_until(jobs, lambda: not jobs.engine().busy(), timeout=60)
    assert again.status == "DONE", again.message
    assert again.task_id == job.task_id, "the preview Meshy finished is fetched, not paid again"
    assert connected.tasks_created == 2, "retrying the preview made its refine again"
    entry = jobs.engine().journal.get(again.id)
    assert not entry.get("follow_up"), "a resumed preview would make its refine again"
