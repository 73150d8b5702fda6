# SPDX-License-Identifier: GPL-3.0-or-later
# needs: blender
"""Benchmark of the Texture Resolution preference, in a headless Blender.

    .venv-blender-5.0/bin/python bench/bench_textures.py   (from the repository root, PYTHONPATH=.)

The result is a GLB of 40-60 MB, made here (never committed): a UV sphere with four 4096 x 4096
PNG maps embedded (base colour, metallic-roughness, normal, emission), with a little grain so they
compress like real textures. The worker's api.textures.resize_results() makes its 2048 copy.

For Original and for 2048, each from an empty file:
- the import tick: a READY job (as the worker leaves it) and the jobs.tick() that imports it;
- the first textured draw: what Blender must do on the main thread before the object can be drawn
  with its textures, i.e. decode every image. In the bpy wheel (no GPU) the fair proxy is reading
  each material image's size (which decodes it) and then its pixels (the float buffer a GPU upload
  is made from), one image at a time.
Targets: first draw at 2048 <= 0.3x Original; the import tick at 2048 no slower than Original
(today's behaviour). Medians of REPEATS rounds, alternating which goes first; prints a Markdown
table and reports, never asserts.
"""

import io
import math
import os
import shutil
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench import common  # noqa: E402

REPEATS = 5
TEXTURE_SIZE = 4096
CHOSEN = "2048"
SEGMENTS, RINGS = 128, 64


def load_textures_module():
    """The code under test; a bench of missing code must fail loudly, not measure nothing."""
    try:
        return common.addon_module("api.textures")
    except ImportError as exc:
        sys.exit(f"bench_textures: the add-on has no api.textures ({exc}): nothing to measure")


# --- the test result ------------------------------------------------------------------------------

def sphere():
    """A UV sphere with UVs as the emulator's Mesh (positions, normals, uvs, triangles)."""
    from tests.emulator.meshes import Mesh

    positions, uvs, triangles = [], [], []
    for ring in range(RINGS + 1):
        v = ring / RINGS
        theta = v * math.pi
        for segment in range(SEGMENTS + 1):
            u = segment / SEGMENTS
            phi = u * 2 * math.pi
            positions.append((math.sin(theta) * math.cos(phi), math.cos(theta),
                              math.sin(theta) * math.sin(phi)))
            uvs.append((u, v))
    width = SEGMENTS + 1
    for ring in range(RINGS):
        for segment in range(SEGMENTS):
            a = ring * width + segment
            b, c, d = a + 1, a + width, a + width + 1
            triangles += [(a, c, b), (b, c, d)]
    mesh = Mesh(positions, [], uvs, triangles)
    mesh.normals = [tuple(p) for p in positions]  # a unit sphere's normal is its position
    return mesh


def make_maps():
    """Four 4096^2 PNGs, ~12 MB each: patterns plus two levels of grain."""
    import numpy as np
    from PIL import Image

    n = TEXTURE_SIZE
    rng = np.random.default_rng(7)
    v, u = np.mgrid[0:n, 0:n] / n
    stripes = (np.sin((u * 7 + v * 3) * 2 * np.pi) > 0).astype(float)
    bumps = np.sin(u * 60 * np.pi) * np.sin(v * 60 * np.pi)

    def png(*channels):
        grain = rng.integers(-2, 3, (n, n)).astype(float)
        rgb = np.stack([np.clip(c * 255 + grain, 0, 255) for c in channels], -1)
        out = io.BytesIO()
        Image.fromarray(rgb.astype(np.uint8)).save(out, "PNG", compress_level=1)
        return out.getvalue()

    return {
        "base_color": png(0.2 + 0.6 * stripes, 0.35 + 0.3 * v, 0.5 - 0.3 * stripes),
        "metallic_roughness": png(np.zeros((n, n)), 0.3 + 0.5 * v, stripes * 0.9),
        "normal": png(0.5 + 0.2 * bumps, 0.5 - 0.2 * bumps, np.full((n, n), 0.95)),
        "emission": png(stripes * 0.2, stripes * 0.1, np.zeros((n, n))),
    }


def make_glb(folder):
    from tests.emulator import glb

    path = os.path.join(folder, "task_image_to_3d_model.glb")
    with open(path, "wb") as handle:
        handle.write(glb.build_glb(sphere(), make_maps()))
    return path


# --- the measurements -----------------------------------------------------------------------------

def fresh_file(bpy, jobs):
    engine = jobs.engine()
    engine.jobs.clear()
    engine.journal.clear()
    bpy.ops.wm.read_homefile(use_empty=True)
    for image in list(bpy.data.images):
        bpy.data.images.remove(image)


def import_tick(bpy, jobs, model):
    """The READY job the worker hands over, and the tick that imports it; returns seconds."""
    engine = jobs.engine()
    task_id = str(uuid.uuid4())
    # A resume imports only files inside the add-on's cache (never a path from elsewhere).
    folder = os.path.join(engine.cache_dir, "bench-textures")
    os.makedirs(folder, exist_ok=True)
    model = shutil.copy(model, folder)
    entry = engine.journal.update(
        uuid.uuid4().hex[:12], state="downloaded", kind="image_to_3d", label="bench textures",
        task_id=task_id, files={"model": model}, options={"model_format": "glb"},
        task={"id": task_id, "status": "SUCCEEDED"})
    job = engine.resume(entry, None)
    assert job.status == "READY"
    started = time.perf_counter()
    jobs.tick()
    elapsed = time.perf_counter() - started
    assert job.status == "DONE", job.message
    return elapsed


def first_draw(bpy):
    """Decode every material image (size), then read its pixels; returns (seconds, sides)."""
    import numpy as np

    images = sorted({node.image for material in bpy.data.materials if material.node_tree
                     for node in material.node_tree.nodes
                     if node.type == 'TEX_IMAGE' and node.image}, key=lambda i: i.name)
    assert len(images) == 4, [i.name for i in images]
    sides = set()
    started = time.perf_counter()
    for image in images:
        width, height = image.size
        buffer = np.empty(width * height * image.channels, dtype=np.float32)
        image.pixels.foreach_get(buffer)
        sides.add(max(width, height))
        del buffer
    return time.perf_counter() - started, sides


def measure(bpy, jobs, models):
    times = {name: {"tick": [], "draw": []} for name in models}
    sides = {}
    for name, model in models.items():  # warm-up: the glTF add-on's modules load on first use
        fresh_file(bpy, jobs)
        import_tick(bpy, jobs, model)
    order = list(models)
    for repeat in range(REPEATS):
        for name in order if repeat % 2 == 0 else order[::-1]:
            fresh_file(bpy, jobs)
            times[name]["tick"].append(import_tick(bpy, jobs, models[name]))
            seconds, sides[name] = first_draw(bpy)
            times[name]["draw"].append(seconds)
    fresh_file(bpy, jobs)
    return times, sides


def main():
    folder = tempfile.mkdtemp(prefix="meshy-bench-textures-")
    try:
        with common.quiet():
            bpy, _prefs = common.install_addon()
            textures = load_textures_module()
            jobs = common.addon_module("jobs")
            original = make_glb(folder)
            started = time.perf_counter()
            resized = textures.resize_results({"model": original}, CHOSEN)["model"]
            worker_seconds = time.perf_counter() - started
            if resized == original:
                sys.exit("bench_textures: resize_results made no smaller copy")
            models = {"original": original, CHOSEN: resized}
            times, sides = measure(bpy, jobs, models)
        sizes = {name: os.path.getsize(path) for name, path in models.items()}
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    def column(name, what):
        return times[name][what]

    rows = []
    draw_ratio = common.paired_ratio(column(CHOSEN, "draw"), column("original", "draw"))
    rows.append((f"first textured draw (decode + pixels of 4 maps) at {CHOSEN}: median",
                 common.ms(common.median(column(CHOSEN, "draw"))),
                 f"{common.ms(common.median(column('original', 'draw')))} (Original)",
                 f"{draw_ratio:.3f}", "<= 0.30", draw_ratio <= 0.30))
    tick_ratio = common.paired_ratio(column(CHOSEN, "tick"), column("original", "tick"))
    rows.append((f"import tick (jobs.tick importing the READY job) at {CHOSEN}: median",
                 common.ms(common.median(column(CHOSEN, "tick"))),
                 f"{common.ms(common.median(column('original', 'tick')))} (Original)",
                 f"{tick_ratio:.3f}", "<= 1.00", tick_ratio <= 1.00))
    rows.append((f"worker thread: resize_results to {CHOSEN} (not on the main thread)",
                 common.ms(worker_seconds), "-", "-", "report only", None))
    notes = [
        f"Result: {common.mb(sizes['original'])} GLB, a {2 * SEGMENTS * RINGS:,}-triangle sphere "
        f"with four {TEXTURE_SIZE}x{TEXTURE_SIZE} PNG maps embedded; the {CHOSEN} copy is "
        f"{common.mb(sizes[CHOSEN])}. Image sides seen after import: Original "
        f"{sorted(sides['original'])}, {CHOSEN} {sorted(sides[CHOSEN])}.",
        f"{REPEATS} rounds after a warm-up, alternating which goes first, each from an empty file. "
        "Ratio: median over the rounds of 2048 / Original within the round. First draw is read "
        "in the bpy wheel (no GPU): Image.size decodes, pixels.foreach_get makes the float buffer "
        "an upload would read; one image at a time.",
    ]
    common.print_table("Texture resolution (bench_textures.py)", rows, notes)
    return 0


if __name__ == "__main__":
    common.leave(main())
