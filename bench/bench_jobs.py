# SPDX-License-Identifier: GPL-3.0-or-later
# needs: blender
"""Benchmark of the job engine's main-thread side (issue 5), in a headless Blender.

    .venv-blender-5.0/bin/python bench/bench_jobs.py     (from the repository root, PYTHONPATH=.)

Twenty Text to 3D previews run against the emulator (max_in_flight 20, the emulator's queue limit
20), each task taking TASK_SECONDS so progress streams over SSE for a while. Every task delivers a
result of a realistic size: a ~25 MB textured GLB made here with Blender at the start (never
committed) and served by the emulator's model_file option; each job downloads it and the add-on
imports it with Blender's glTF importer. The bench is the pump that meshy.wait_jobs runs:
jobs.tick(), then engine.wait_for_event(0.02), and it times every tick() with time.perf_counter().

Rounds: "burst", all twenty sent at once, so they also finish within a moment of each other (the
worst case for the main thread), BURST_RUNS times in a row; then "staggered", one sent every
STAGGER seconds, so results land apart as they do when an artist sends jobs one after another.

1. Cost of tick() while progress streams (burst rounds): median and p99 (targets < 0.5 ms and
   < 2 ms). Ticks that imported results are reported on their own rows (that is Blender's
   importer at work, not the engine's overhead); ticks with no event at all are left out (they
   cost nothing and would only flatter the median).
2. How soon a finished task is seen, minus the task's `finished_at` on the emulator (same machine
   clock), target < 200 ms in every burst run, two ways: when tick() first sees it (its pump()
   applies the worker's final progress or "settled" event), and when the tick that saw it has
   ended, i.e. when Blender can redraw and the job's row in WindowManager.meshy.jobs (what the
   panel draws) shows progress 100% or a status past IN_PROGRESS. The baseline, in the same
   round, is the docs' example: a loop doing requests.get on the task every 5 s.

Prints a Markdown table; reports, never asserts: the exit status is 0 even when a target is missed.
"""

import os
import random
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench import common  # noqa: E402

JOBS = 20
BURST_RUNS = 5              # the burst round, this many times in a row
TASK_SECONDS = 9.0
# The result every task delivers: ~26 MB GLB, in the 10-60 MB range of Meshy's textured models.
TEXTURE_SIZE = 2048
SEGMENTS, RINGS = 512, 300  # a UV sphere of 2*S*(R-1) = 306,176 triangles
STAGGER = 0.4               # seconds between submissions in the staggered round
POLL_SECONDS = 5.0          # the docs' polling example
SSE_INTERVAL = 0.02         # how often the emulator's SSE looks at the clock (see common.py)
RPS = 1000                  # rate limiting is not what this measures
TEST_KEY = "msy_dummy_api_key_for_test_mode_12345678"   # free: the emulator charges nothing
TASK_PATH = "/openapi/v2/text-to-3d/"
RUNNING = ("QUEUED", "SUBMITTING", "PENDING", "IN_PROGRESS")


def baseline_poller(url, task_id, phase, results):
    """The docs' example: GET the task every 5 s until it is SUCCEEDED.

    A real task's length is not a multiple of 5 s, so where its end falls in the polling cycle is
    random; `phase` (uniform in [0, 5) s) stands in for that, since the emulator's tasks all take
    the same time and would otherwise land on the same point of the cycle every time.
    """
    import requests

    time.sleep(phase)
    while True:
        task = requests.get(url + TASK_PATH + task_id, timeout=30,
                            headers={"Authorization": f"Bearer {TEST_KEY}"}).json()
        if task.get("status") in ("SUCCEEDED", "FAILED", "CANCELED"):
            results[task_id] = time.time()
            return
        time.sleep(POLL_SECONDS)


def finished_row(row):
    return row.status not in RUNNING or row.progress >= 1.0


def finished_job(job):
    # `task` is filled by the worker's "settled" event; progress 100 comes with the final event.
    return bool(job.task) or job.progress >= 1.0 or job.status not in RUNNING


def watch_pump(engine):
    """Note when each pump() (the first thing tick() does) returns, and what it changed, so the
    moment tick() first sees a job finished can be told apart from the moment the tick ends (the
    same tick may then spend a while importing). Costs one time.time() per tick."""
    last = {"time": 0.0, "changed": []}
    pump = engine.pump

    def noting_pump():
        changed = pump()
        last["time"] = time.time()
        last["changed"] = changed
        return changed

    engine.pump = noting_pump
    return last


def fresh_round(bpy, jobs):
    import shutil

    engine = jobs.engine()
    engine.jobs.clear()
    engine.journal.clear()
    # The last round's downloads (20 results of tens of MB) would otherwise pile up.
    shutil.rmtree(engine.cache_dir, ignore_errors=True)
    os.makedirs(engine.cache_dir, exist_ok=True)
    bpy.ops.wm.read_homefile(use_empty=True)


def run_round(bpy, prefs, jobs, url, stagger):
    import requests

    fresh_round(bpy, jobs)
    prefs.base_url = url
    prefs.api_key = TEST_KEY
    prefs.max_in_flight = JOBS
    settings = bpy.context.scene.meshy
    settings.mode = 'TEXT_TO_3D'
    settings.auto_refine = False     # one task per job; its untextured preview is imported

    def send(index):
        settings.prompt = f"benchmark crate number {index}"
        if bpy.ops.meshy.generate() != {'FINISHED'}:
            raise RuntimeError("Generate was refused")

    engine = jobs.engine()
    last_pump = watch_pump(engine)
    view = bpy.context.window_manager.meshy.jobs
    progress_ticks, import_ticks, idle_ticks = [], [], []
    observed = {}          # job id -> time.time() when tick()'s pump first saw it finished
    seen_finished = {}     # job id -> time.time() when its row first showed it finished
    polled = {}            # task id -> time.time() when the 5-second poller saw it finished
    pollers = {}
    phases = random.Random(5)
    sent = 0
    next_send = time.monotonic()
    deadline = time.monotonic() + JOBS * stagger + TASK_SECONDS * 3 + 60
    while (sent < JOBS or engine.busy()) and time.monotonic() < deadline:
        # Generate runs a tick of its own; it is not one of the timed ones.
        while sent < JOBS and time.monotonic() >= next_send:
            send(sent)
            sent += 1
            next_send += stagger
        revisions = {j.id: (j.revision, j.status) for j in engine.jobs.values()}
        start = time.perf_counter()
        jobs.tick()
        elapsed = time.perf_counter() - start
        now = time.time()
        # Everything below is bookkeeping, outside the timed region.
        after = {j.id: (j.revision, j.status) for j in engine.jobs.values()}
        imported = sum(1 for i in after
                       if after[i][1] == "DONE" and revisions.get(i, (0, ""))[1] != "DONE")
        if imported:
            import_ticks.append((elapsed, imported))
        elif after != revisions:
            progress_ticks.append(elapsed)
        else:
            idle_ticks.append(elapsed)
        for job in last_pump["changed"]:
            if job.id not in observed and finished_job(job):
                observed[job.id] = last_pump["time"]
        for row in view:
            if row.job_id not in seen_finished and finished_row(row):
                seen_finished[row.job_id] = now
        for job in engine.jobs.values():
            if job.task_id and job.task_id not in pollers:
                poller = threading.Thread(
                    target=baseline_poller, daemon=True,
                    args=(url, job.task_id, phases.uniform(0, POLL_SECONDS), polled))
                poller.start()
                pollers[job.task_id] = poller
        wait = 0.02 if sent >= JOBS else max(0.0, min(0.02, next_send - time.monotonic()))
        engine.wait_for_event(wait)
    for poller in pollers.values():
        poller.join(POLL_SECONDS * 2 + 30)
    del engine.pump  # the class's own pump() again

    done = [j for j in engine.jobs.values() if j.status == "DONE"]
    delays = {"observed": [], "view": [], "poll": []}
    for job in done:
        task = requests.get(url + TASK_PATH + job.task_id, timeout=30,
                            headers={"Authorization": f"Bearer {TEST_KEY}"}).json()
        finished_at = task["finished_at"] / 1000.0
        for key, moments, ref in (("observed", observed, job.id), ("view", seen_finished, job.id),
                                  ("poll", polled, job.task_id)):
            if ref in moments:
                delays[key].append(moments[ref] - finished_at)
    return {"done": len(done), "progress": progress_ticks, "import": import_ticks,
            "idle": idle_ticks, "delays": delays}


def tick_rows(runs):
    progress = [t for r in runs for t in r["progress"]]
    med = common.median(progress)
    p99 = common.percentile(progress, 0.99)
    imports = [elapsed for r in runs for elapsed, _count in r["import"]]
    per_result = [elapsed / count for r in runs for elapsed, count in r["import"]]
    results = sum(count for r in runs for _elapsed, count in r["import"])
    n, rounds = len(progress), f"{len(runs)} burst runs"
    return [
        (f"burst: tick() while {JOBS} jobs stream progress: median (n={n}, {rounds})",
         common.ms(med), "-", "-", "< 0.5 ms", med < 0.0005),
        (f"burst: tick() while {JOBS} jobs stream progress: p99 (n={n}, {rounds})",
         common.ms(p99), "-", "-", "< 2 ms", p99 < 0.002),
        (f"burst: tick() that imported results: median / max ({len(imports)} ticks, "
         f"{results} results)",
         f"{common.ms(common.median(imports))} / {common.ms(max(imports, default=float('nan')))}",
         "-", "-", "report only", None),
        ("burst: the same, per result imported: median", common.ms(common.median(per_result)),
         "-", "-", "report only", None),
    ]


def delay_row(name, r, key, what):
    poll = r["delays"]["poll"]
    poll_med, poll_max = common.median(poll), max(poll, default=float("nan"))
    delays = r["delays"][key]
    med, top = common.median(delays), max(delays, default=float("nan"))
    return (f"{name}: task finished -> {what}: median / max ({len(delays)} jobs)",
            f"{common.ms(med)} / {common.ms(top)}",
            f"{common.ms(poll_med)} / {common.ms(poll_max)} (requests.get every "
            f"{POLL_SECONDS:.0f} s)", f"{med / poll_med:.3f} / {top / poll_max:.3f}",
            "< 200 ms", top < 0.2 and len(delays) == JOBS)


def make_result(bpy, folder):
    """A Meshy-sized result GLB, made here (never committed): a textured, PBR-wired mesh."""
    files = common.make_textures(bpy, folder, TEXTURE_SIZE, 256)
    path, triangles = common.make_glb(bpy, folder, files, SEGMENTS, RINGS)
    for texture in files.values():
        os.remove(texture)   # embedded in the GLB; the emulator serves only the GLB
    return path, triangles


def main():
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="meshy-bench-jobs-")
    try:
        with common.quiet():
            bpy, prefs = common.install_addon()
            jobs = common.addon_module("jobs")
            model, triangles = make_result(bpy, folder)
            process, url = common.start_emulator(task_seconds=TASK_SECONDS, queue_limit=JOBS,
                                                 rps=RPS, sse_interval=SSE_INTERVAL,
                                                 model_file=model)
            try:
                bursts = [run_round(bpy, prefs, jobs, url, stagger=0.0)
                          for _ in range(BURST_RUNS)]
                staggered = run_round(bpy, prefs, jobs, url, stagger=STAGGER)
            finally:
                jobs.engine().shutdown()
                common.stop_emulator(process)
        size = os.path.getsize(model)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    rows = tick_rows(bursts)
    for number, burst in enumerate(bursts, start=1):
        rows.append(delay_row(f"burst run {number}", burst, "view",
                              "job view shows it (tick ended)"))
    view_max = max(max(b["delays"]["view"], default=float("inf")) for b in bursts)
    rows.append((f"burst: task finished -> job view shows it: max over {BURST_RUNS} consecutive "
                 "runs", common.ms(view_max), "-", "-", "< 200 ms", view_max < 0.2))
    seen_max = max(max(b["delays"]["observed"], default=float("inf")) for b in bursts)
    rows.append((f"burst: task finished -> tick() first sees it: max over {BURST_RUNS} runs",
                 common.ms(seen_max), "-", "-", "report only", None))
    rows.append(delay_row("staggered", staggered, "view", "job view shows it (tick ended)"))
    rows.append(delay_row("staggered", staggered, "observed", "tick() first sees it"))
    done = ", ".join(f"{b['done']}/{JOBS}" for b in bursts)
    notes = [
        f"Result served for every task: a {common.mb(size)} GLB made at bench time (a "
        f"{triangles:,}-triangle mesh with {TEXTURE_SIZE}x{TEXTURE_SIZE} base colour, metallic, "
        f"roughness, normal and emission maps embedded), downloaded by each job and imported "
        f"by Blender's glTF importer through the add-on. Jobs finished: bursts {done}, "
        f"staggered {staggered['done']}/{JOBS} (Text to 3D previews, {TASK_SECONDS:.0f} s each "
        f"on the emulator; staggered: one sent every {STAGGER} s). Pump: tick(), then "
        f"engine.wait_for_event(0.02), as meshy.wait_jobs does; each tick() timed with "
        f"perf_counter. Progress ticks applied at least one worker event and imported nothing; "
        f"ticks with no event are left out.",
        "Delays are measured from the task's finished_at (the emulator runs in its own process "
        "on the same clock); \"met\" is judged on the max, and needs every job measured. "
        "\"tick() first sees it\": the pump() at the start of a tick returns the job with its "
        "final progress or its task settled. \"Job view shows it\": that tick has returned "
        "(Blender can redraw only then) and the job's row in WindowManager.meshy.jobs shows "
        f"progress 100% or a status past IN_PROGRESS. The emulator's SSE checks the clock every "
        f"{SSE_INTERVAL * 1000:.0f} ms (up to that much of a delay is the server's). Baseline: "
        f"one thread per task doing requests.get every {POLL_SECONDS:.0f} s, with a random "
        "phase, as a real task's length falls anywhere in the polling cycle.",
        "In an interactive session the modal watcher ticks on a timer (jobs.WATCH_INTERVAL) "
        "instead of waking on each worker event, which adds up to that interval to these delays.",
    ]
    common.print_table("Job engine: main-thread cost and result latency (bench_jobs.py)",
                       rows, notes)
    return 0


if __name__ == "__main__":
    common.leave(main())
