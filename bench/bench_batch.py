# SPDX-License-Identifier: GPL-3.0-or-later
# needs: blender
"""Benchmark of a 200-row batch sheet into the Meshy library (issue 13), in a headless Blender.

    .venv-blender-5.0/bin/python bench/bench_batch.py     (from the repository root, PYTHONPATH=.)

A sheet of ROWS Text to 3D rows runs through `bpy.ops.meshy.batch` (as a script or the
`meshy_batch` command would) against the emulator: every task takes TASK_SECONDS (T) and Meshy's
queue takes CAP (C) tasks at once (the emulator answers NoMoreConcurrentTasks beyond it; the
add-on's own cap is set to C as well). Every task delivers a textured GLB of a realistic size,
made here at the start (never committed). Each result is imported with Blender's glTF importer,
marked as an asset, written to the library as its own .blend and removed from the running file.

1. Wall time of the whole sheet against the bound a perfect client could reach on this machine:
   ceil(ROWS / C) x T (Meshy's queue is the limit) plus the time this run spent importing and
   writing results on the main thread (measured: the ticks that imported). Target <= 1.1x.
2. Main-thread tick() cost during the run: p99 of the ticks that imported nothing (target
   < 2 ms); the ticks that imported are reported on their own row (Blender's importer and the
   library write, not the engine's overhead).
3. Blender's RSS after the 200th asset against its RSS after the 20th (target <= 1.2x): with
   results written to the library and removed from the file, memory stays flat.

Prints a Markdown table; reports, never asserts; fails loudly (non-zero) when the add-on has no
batch operator or the run imported nothing.
"""

import math
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench import common  # noqa: E402

ROWS = 200
CAP = 10                    # Meshy's concurrent tasks (the lowest tier), emulator and add-on
TASK_SECONDS = 6.0
TEXTURE_SIZE = 1024
SEGMENTS, RINGS = 128, 96   # a UV sphere of 24,320 triangles
SSE_INTERVAL = 0.02
RPS = 1000                  # rate limiting is not what this measures
CREDITS = 1_000_000
PAID_KEY = "msy_emulator_paid_key"
EARLY, LATE = 20, ROWS      # RSS is compared after these many assets


def write_sheet(folder):
    path = os.path.join(folder, "props.csv")
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("# refine: no\n")  # one task per row: the bound counts tasks of T seconds
        handle.write("name,mode,prompt,category\n")
        for index in range(1, ROWS + 1):
            handle.write(f"Crate {index:03d},text,wooden crate number {index} with iron "
                         f"bands,Props/Crates\n")
    return path


def make_result(bpy, folder):
    files = common.make_textures(bpy, folder, TEXTURE_SIZE, 256)
    path, triangles = common.make_glb(bpy, folder, files, SEGMENTS, RINGS)
    for texture in files.values():
        os.remove(texture)
    return path, triangles


class TickTimer:
    """Wraps jobs.tick (which the batch operator's pump calls) to time every call. A jobs
    listener (told of the jobs each tick changed, before the sheet forgets its finished ones)
    counts the results that reached the library, and notes the RSS at the EARLY-th and
    LATE-th."""

    def __init__(self, jobs):
        self.jobs = jobs
        self.tick = jobs.tick
        self.idle, self.busy, self.importing = [], [], []
        self.assets = 0
        self.rss = {}
        self._done = 0
        self._changed = False

    def listen(self, _context, changed):
        self._changed = True
        for job in changed:
            if job.status == "DONE" and job.library_file:
                self._done += 1
                self.assets += 1
                if self.assets in (EARLY, LATE):
                    self.rss[self.assets] = common.status_kb("VmRSS") * 1024

    def __call__(self, *args, **kwargs):
        self._done, self._changed = 0, False
        start = time.perf_counter()
        result = self.tick(*args, **kwargs)
        elapsed = time.perf_counter() - start
        if self._done:
            self.importing.append((elapsed, self._done))
        elif self._changed:
            self.busy.append(elapsed)
        else:
            self.idle.append(elapsed)
        return result


def run(bpy, prefs, jobs, url, sheet, library):
    if not hasattr(bpy.ops.meshy, "batch") or not hasattr(jobs, "add_listener"):
        raise common.MissingCode("the installed add-on has no meshy.batch operator: nothing to "
                                 "measure")
    prefs.base_url = url
    prefs.api_key = PAID_KEY
    prefs.max_in_flight = CAP
    timer = TickTimer(jobs)
    jobs.add_listener(timer.listen)   # first: it sees each finished job before the sheet does
    jobs.tick = timer
    try:
        start = time.perf_counter()
        result = bpy.ops.meshy.batch(filepath=sheet, library=library)
        wall = time.perf_counter() - start
    finally:
        jobs.tick = timer.tick
        jobs.remove_listener(timer.listen)
    if timer.idle == timer.busy == []:
        raise common.MissingCode("meshy.batch never called jobs.tick: the bench cannot see the "
                                 "main thread")
    return result, wall, timer


def main():
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="meshy-bench-batch-")
    try:
        with common.quiet():
            bpy, prefs = common.install_addon()
            jobs = common.addon_module("jobs")
            model, triangles = make_result(bpy, folder)
            bpy.ops.wm.read_homefile(use_empty=True)
            sheet = write_sheet(folder)
            library = os.path.join(folder, "library")
            os.makedirs(library)
            process, url = common.start_emulator(task_seconds=TASK_SECONDS, queue_limit=CAP,
                                                 rps=RPS, sse_interval=SSE_INTERVAL,
                                                 model_file=model, credits=CREDITS)
            try:
                result, wall, timer = run(bpy, prefs, jobs, url, sheet, library)
            finally:
                jobs.engine().shutdown()
                common.stop_emulator(process)
        size = os.path.getsize(model)
        blends = sum(1 for _dir, _sub, names in os.walk(library)
                     for name in names if name.endswith(".blend"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    imported = sum(count for _elapsed, count in timer.importing)
    if not imported:
        print(f"bench failed: the sheet imported nothing ({result})", file=sys.stderr)
        return 1
    import_time = sum(elapsed for elapsed, _count in timer.importing)
    bound = math.ceil(ROWS / CAP) * TASK_SECONDS + import_time
    quiet_ticks = timer.busy + timer.idle
    p99 = common.percentile(timer.busy, 0.99)
    p99_all = common.percentile(quiet_ticks, 0.99)
    per_result = [elapsed / count for elapsed, count in timer.importing]
    early, late = timer.rss.get(EARLY), timer.rss.get(LATE)
    rss_ratio = late / early if early and late else float("nan")
    rows = [
        (f"{ROWS}-row sheet: wall time (C={CAP}, T={TASK_SECONDS:.0f} s)", f"{wall:.1f} s",
         f"{bound:.1f} s = ceil({ROWS}/{CAP}) x {TASK_SECONDS:.0f} s + {import_time:.1f} s of "
         "importing", f"{wall / bound:.3f}", "<= 1.1", wall / bound <= 1.1),
        (f"tick() that applied events and imported nothing: p99 (n={len(timer.busy)})",
         common.ms(p99), "-", "-", "< 2 ms", p99 < 0.002),
        (f"every tick() that imported nothing: p99 (n={len(quiet_ticks)})", common.ms(p99_all),
         "-", "-", "< 2 ms", p99_all < 0.002),
        (f"tick() that imported: median / max per result ({len(timer.importing)} ticks, "
         f"{imported} results)",
         f"{common.ms(common.median(per_result))} / {common.ms(max(per_result))}",
         "-", "-", "report only", None),
        (f"Blender's RSS after asset {LATE} vs after asset {EARLY}",
         common.mb(late or 0), common.mb(early or 0), f"{rss_ratio:.3f}", "<= 1.2",
         rss_ratio <= 1.2),
    ]
    notes = [
        f"Operator result {sorted(result)}; {imported} results imported, {blends} .blend files "
        f"in the library. Each task served a {common.mb(size)} GLB made at bench time "
        f"({triangles:,} triangles, {TEXTURE_SIZE}x{TEXTURE_SIZE} PBR maps embedded).",
        "The bound is what Meshy's queue allows: C tasks at a time, each taking T, plus the "
        "main-thread time this run itself spent importing (which a client cannot overlap with "
        "other imports). Ticks are timed by wrapping jobs.tick, which the batch operator's pump "
        "calls; a tick that imported includes the glTF import, the asset marking, the library "
        ".blend write and the removal from the running file.",
    ]
    common.print_table("Batch sheet into the Meshy library (bench_batch.py)", rows, notes)
    return 0


if __name__ == "__main__":
    common.leave(main())
