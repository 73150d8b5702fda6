# SPDX-License-Identifier: GPL-3.0-or-later
# needs: blender
"""Benchmark of sending a selected mesh to Meshy (issue 7), in a headless Blender.

    .venv-blender-5.0/bin/python bench/bench_export.py   (from the repository root, PYTHONPATH=.)

The mesh: a 250 x 250 relief grid under a Subdivision Surface modifier, 500,000 triangles once the
modifier is applied. Ours is everything between "the artist pressed the button" and "the request
is ready to go": export the selection as GLB with the modifiers applied (the add-on's
`export.export_selection` when the installed package has it, otherwise the same glTF exporter
call this file makes), the model data URI (api.media.model_data_uri) and the request body the
client sends (api.tasks.validate + api.jsonbody.encode of a Remesh payload). Baseline: a bare
bpy.ops.export_scene.gltf of the same mesh with the same options, in the same run.

1. Wall time, ours / baseline: target <= 1.3. REPEATS rounds, alternating which goes first, after
   one warm-up of each; medians.
2. Peak extra memory: target < 3x the GLB size. Each side runs once in a fresh process (so
   neither inherits the other's freed-but-kept memory). Peak RSS (VmHWM from /proc/self/status,
   reset through /proc/self/clear_refs, which sees the exporter's C and numpy buffers too) is
   compared between ours and the baseline, and the Python side of the data URI and body step is
   measured exactly with tracemalloc (plus the GLB bytes, if the exporter hands them over in
   memory rather than as a file).

Prints a Markdown table; reports, never asserts: the exit status is 0 even when a target is missed.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench import common  # noqa: E402

REPEATS = 7
# A 250 x 250 quad grid under one level of Subdivision Surface: 250,000 quads, 500,000 triangles
# once the modifier is applied. (A UV sphere would look rounder, but its 250-edge poles make
# OpenSubdiv take most of a minute to evaluate, which is not what this measures.)
GRID, SUBDIVISIONS = 250, 1
# What the add-on needs from the exporter for a Meshy input: one binary file of the selection as it
# looks (modifiers applied), no animation. Both sides use exactly these.
EXPORT_OPTIONS = dict(export_format='GLB', use_selection=True, export_apply=True,
                      export_animations=False)


# --- the scene ------------------------------------------------------------------------------------

def make_mesh(bpy):
    """A sculpt-like relief: the grid's heights are a few overlapping waves, shaded smooth."""
    import numpy as np

    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.mesh.primitive_grid_add(x_subdivisions=GRID, y_subdivisions=GRID, size=2.0)
    obj = bpy.context.active_object
    obj.name = "Sculpt"
    mesh = obj.data
    co = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
    mesh.vertices.foreach_get("co", co)
    x, y = co[0::3], co[1::3]
    co[2::3] = 0.15 * np.sin(x * 7) * np.cos(y * 5) + 0.05 * np.sin((x + y) * 23)
    mesh.vertices.foreach_set("co", co)
    mesh.update()
    bpy.ops.object.shade_smooth()
    modifier = obj.modifiers.new("Subdivision", 'SUBSURF')
    modifier.levels = modifier.render_levels = SUBDIVISIONS
    evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    applied = evaluated.to_mesh()
    applied.calc_loop_triangles()
    triangles = len(applied.loop_triangles)
    evaluated.to_mesh_clear()
    return obj, triangles


# --- the two sides --------------------------------------------------------------------------------

def select_only(bpy, objects):
    for obj in bpy.context.view_layer.objects:
        obj.select_set(obj in objects)
    bpy.context.view_layer.objects.active = objects[0]


def bench_export_selection(bpy, objects, folder):
    """Stand-in for the add-on's export.export_selection: the glTF exporter on the selection."""
    select_only(bpy, objects)
    path = os.path.join(folder, "selection.glb")
    if bpy.ops.export_scene.gltf(filepath=path, **EXPORT_OPTIONS) != {'FINISHED'}:
        raise RuntimeError("the glTF exporter failed")
    return path


def exporter(bpy):
    """The add-on's export_selection when the installed package has one, else the stand-in."""
    try:
        export = common.addon_module("export")
    except ImportError:
        export = None
    if export is not None and hasattr(export, "export_selection"):
        return "export.export_selection", lambda objects, folder: export.export_selection(
            bpy.context, objects)
    return "the bench's glTF exporter call", lambda objects, folder: bench_export_selection(
        bpy, objects, folder)


def request_body(model):
    """The model data URI and the JSON body the client would POST (a Remesh of the selection)."""
    media = common.addon_module("api.media")
    tasks = common.addon_module("api.tasks")
    data_uri = media.model_data_uri(model)
    payload = tasks.validate("remesh", {"model_url": data_uri, "target_polycount": 30000,
                                        "topology": "quad"})
    try:
        jsonbody = common.addon_module("api.jsonbody")
    except ImportError:
        jsonbody = None
    if jsonbody is not None and hasattr(jsonbody, "encode"):
        return jsonbody.encode(payload)
    return json.dumps({k: str(v) for k, v in payload.items()}).encode()


def run_ours(bpy, obj, export_fn):
    """Returns the seconds spent after the export (data URI and body): the pipeline's own part."""
    folder = tempfile.mkdtemp(prefix="meshy-bench-export-")
    try:
        model = export_fn([obj], folder)
        start = time.perf_counter()
        request_body(model)
        return time.perf_counter() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_baseline(bpy, obj):
    folder = tempfile.mkdtemp(prefix="meshy-bench-export-")
    try:
        select_only(bpy, [obj])
        path = os.path.join(folder, "bare.glb")
        if bpy.ops.export_scene.gltf(filepath=path, **EXPORT_OPTIONS) != {'FINISHED'}:
            raise RuntimeError("the glTF exporter failed")
        return os.path.getsize(path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- memory, in a fresh process per side ----------------------------------------------------------

def probe_memory(which):
    """Run one side once; print JSON with its peak RSS growth (and, for ours, the Python peak of
    the data URI + body step)."""
    import tracemalloc

    with common.quiet():
        bpy, _prefs = common.install_addon()
        obj, _triangles = make_mesh(bpy)
        folder = tempfile.mkdtemp(prefix="meshy-bench-export-")
        result = {}
        start = common.start_peak()
        if which == "baseline":
            result["glb_size"] = run_baseline(bpy, obj)
        else:
            _name, export_fn = exporter(bpy)
            # Imported beforehand: in a session the client has loaded them long before a request.
            for name in ("api.media", "api.tasks", "api.jsonbody"):
                try:
                    common.addon_module(name)
                except ImportError:
                    pass  # request_body() copes without jsonbody
            model = export_fn([obj], folder)
            held = len(model) if isinstance(model, (bytes, bytearray, memoryview)) else 0
            result["glb_size"] = held or os.path.getsize(model)
            tracemalloc.start()
            tracemalloc.reset_peak()
            body = request_body(model)
            result["python_peak"] = tracemalloc.get_traced_memory()[1] + held
            tracemalloc.stop()
            result["body_size"] = len(body)
            del body, model
        result["peak_growth"] = common.peak_growth(start)
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result), flush=True)


def memory(which):
    result = subprocess.run([sys.executable, os.path.abspath(__file__), "--probe", which],
                            cwd=ROOT, capture_output=True, text=True, timeout=900,
                            env={**os.environ, "PYTHONPATH": ROOT})
    if result.returncode != 0:
        raise RuntimeError(f"memory probe {which} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- main -----------------------------------------------------------------------------------------

def measure_time():
    with common.quiet():
        bpy, _prefs = common.install_addon()
        obj, triangles = make_mesh(bpy)
        name, export_fn = exporter(bpy)
        runners = {"ours": lambda: run_ours(bpy, obj, export_fn),
                   "baseline": lambda: run_baseline(bpy, obj)}
        for run in runners.values():
            run()  # warm-up: the glTF add-on's modules load on first use
        times = {"ours": [], "baseline": [], "body": []}
        for repeat in range(REPEATS):
            order = ("ours", "baseline") if repeat % 2 == 0 else ("baseline", "ours")
            for side in order:
                start = time.perf_counter()
                body_seconds = runners[side]()
                times[side].append(time.perf_counter() - start)
                if side == "ours":
                    times["body"].append(body_seconds)
    return name, triangles, times


def main():
    name, triangles, times = measure_time()
    ours_mem, base_mem = memory("ours"), memory("baseline")

    ours, baseline = common.median(times["ours"]), common.median(times["baseline"])
    ratio = common.paired_ratio(times["ours"], times["baseline"])
    body_seconds = common.median(times["body"])
    glb = ours_mem["glb_size"]
    extra_rss = ours_mem["peak_growth"] - base_mem["peak_growth"]
    python_peak = ours_mem["python_peak"]
    rows = [
        (f"export {triangles:,} triangles + data URI + JSON body: wall time (median)",
         f"{ours:.2f} s", f"{baseline:.2f} s (bare export_scene.gltf)", f"{ratio:.3f}",
         "<= 1.3", ratio <= 1.3),
        ("of which data URI + request body (median)", common.ms(body_seconds), "-",
         f"{body_seconds / baseline:.3f} of the export", "report only", None),
        ("peak extra memory: data URI + body step (tracemalloc)", common.mb(python_peak),
         f"{common.mb(glb)} GLB", f"{python_peak / glb:.2f}x GLB", "< 3x GLB",
         python_peak < 3 * glb),
        ("peak extra memory: whole pipeline, peak RSS above the bare export's",
         common.mb(extra_rss),
         f"{common.mb(base_mem['peak_growth'])} (bare export's own peak growth)",
         f"{extra_rss / glb:.2f}x GLB", "< 3x GLB", extra_rss < 3 * glb),
    ]
    notes = [
        f"Mesh: {GRID}x{GRID} relief grid with a level-{SUBDIVISIONS} Subdivision Surface "
        f"modifier ({triangles:,} triangles applied), GLB {common.mb(glb)}, request body "
        f"{common.mb(ours_mem['body_size'])}. Exporter: {name}, options {EXPORT_OPTIONS} on both "
        f"sides. Time: {REPEATS} rounds after a warm-up, alternating order; the ratio is the "
        f"median of the per-round ratios; ranges ours "
        f"{min(times['ours']):.2f}-{max(times['ours']):.2f} s, baseline "
        f"{min(times['baseline']):.2f}-{max(times['baseline']):.2f} s.",
        "Memory: each side once in a fresh process. Peak RSS growth (VmHWM after a clear_refs "
        f"reset): ours {common.mb(ours_mem['peak_growth'])}, bare export "
        f"{common.mb(base_mem['peak_growth'])}; their difference is what the pipeline adds to "
        "the peak (it may be near zero, or even negative by noise, when the data URI fits in "
        "memory the exporter has already freed). The tracemalloc row counts every Python "
        "allocation of the data URI and body step alive at its peak, plus the GLB bytes when "
        "the exporter returns them in memory.",
    ]
    common.print_table("Sending a selected mesh (bench_export.py)", rows, notes)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--probe":
        probe_memory(sys.argv[2])
        common.leave(0)
    common.leave(main())
