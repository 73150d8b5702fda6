# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers shared by the Blender benchmarks (bench_jobs, bench_import, bench_export).

Nothing here imports bpy at module level: Blender reads its user folders from the environment when
bpy is first imported, so `install_addon()` points them at a throw-away folder and only then
imports bpy, exactly like tests/blender/harness.py.
"""

import contextlib
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = "user_default"
MODULE = f"bl_ext.{REPO}.meshy_for_blender"
MB = 1024 * 1024
_cleanup = []       # folders leave() removes


# --- the add-on -----------------------------------------------------------------------------------

def package_path():
    """The zip to install: MESHY_TEST_PACKAGE (set by `python build.py bench`) or dist/'s zip."""
    path = os.environ.get("MESHY_TEST_PACKAGE", "")
    if not path:
        dist = os.path.join(ROOT, "dist")
        zips = sorted(f for f in os.listdir(dist) if f.endswith(".zip")) if os.path.isdir(
            dist) else []
        path = os.path.join(dist, zips[-1]) if zips else ""
    if not path or not os.path.isfile(path):
        sys.exit("no extension zip: run `python build.py bench` (or `python build.py` first)")
    return path


def install_addon():
    """Install the built zip into a fresh user folder and enable it; returns (bpy, prefs)."""
    user_dir = tempfile.mkdtemp(prefix="meshy-bench-user-")
    _cleanup.append(user_dir)
    os.environ["BLENDER_USER_RESOURCES"] = user_dir
    # A developer's real key must never reach the emulator (or a log).
    os.environ.pop("MESHY_API_KEY", None)
    import bpy

    result = bpy.ops.extensions.package_install_files(
        filepath=package_path(), repo=REPO, enable_on_install=True)
    if result != {'FINISHED'} or MODULE not in bpy.context.preferences.addons:
        sys.exit("installing the extension failed")
    return bpy, bpy.context.preferences.addons[MODULE].preferences


def addon_module(name):
    import importlib
    return importlib.import_module(f"{MODULE}.{name}")


class MissingCode(RuntimeError):
    """The add-on lacks what a bench measures. A bench never times a stand-in of its own."""


def addon_function(module, name):
    """`<add-on>.<module>.<name>`, or MissingCode saying what is gone (the bench must fail, not
    quietly measure something else)."""
    try:
        found = getattr(addon_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise MissingCode(f"the installed add-on has no {module}.{name} ({exc}); the benchmark "
                          "measures the add-on's own code and has nothing to time") from None
    if not callable(found):
        raise MissingCode(f"{module}.{name} in the installed add-on is not callable")
    return found


def leave(code):
    """Exit without the bpy module's interpreter teardown (bpy 4.2 can crash there). os._exit
    skips atexit handlers, so the throw-away user folders are removed here."""
    for folder in _cleanup:
        shutil.rmtree(folder, ignore_errors=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@contextlib.contextmanager
def quiet():
    """Send stdout (Blender's "Info:" reports, the glTF add-on's log) to /dev/null meanwhile, so
    the tables are what a bench prints. stderr is kept: errors still show."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


# --- a realistic result (bench_import, bench_jobs) ------------------------------------------------

def _save_png(bpy, path, rgba, non_color=False):
    """Save an (h, w, 4) float array as a PNG through Blender (bpy's Python has no Pillow)."""
    height, width = rgba.shape[:2]
    image = bpy.data.images.new(os.path.basename(path), width, height, alpha=True)
    if non_color:
        image.colorspace_settings.name = "Non-Color"
    image.pixels.foreach_set(rgba.astype("float32").ravel())
    image.filepath_raw = path
    image.file_format = 'PNG'
    image.save()
    bpy.data.images.remove(image)
    return path


def make_textures(bpy, folder, size=1024, thumbnail_size=512):
    """The maps as Meshy delivers them in texture_urls: separate PNGs, with some grain so they
    compress like real textures rather than flat colours."""
    import numpy as np

    n = size
    rng = np.random.default_rng(6)
    v, u = np.mgrid[0:n, 0:n] / n
    grain = rng.random((n, n)) * 0.08

    def rgba(*channels):
        out = np.ones(channels[0].shape + (4,))
        for index, channel in enumerate(channels):
            out[..., index] = np.clip(channel, 0.0, 1.0)
        return out

    stripes = (np.sin((u * 7 + v * 3) * 2 * np.pi) > 0).astype(float)
    files = {
        "base_color": _save_png(bpy, os.path.join(folder, "base_color.png"), rgba(
            0.2 + 0.6 * stripes + grain, 0.35 + 0.3 * v + grain, 0.5 - 0.3 * stripes + grain)),
        "metallic": _save_png(bpy, os.path.join(folder, "metallic.png"),
                              rgba(*[stripes * 0.9 + grain] * 3), non_color=True),
        "roughness": _save_png(bpy, os.path.join(folder, "roughness.png"),
                               rgba(*[0.3 + 0.5 * v + grain] * 3), non_color=True),
    }
    bumps = np.sin(u * 40 * np.pi) * np.sin(v * 40 * np.pi)
    files["normal"] = _save_png(bpy, os.path.join(folder, "normal.png"), rgba(
        0.5 + 0.25 * bumps + grain / 4, 0.5 - 0.25 * bumps + grain / 4, np.full((n, n), 0.95)),
        non_color=True)
    spots = ((np.sin(u * 12 * np.pi) * np.sin(v * 12 * np.pi)) > 0.9).astype(float)
    files["emission"] = _save_png(bpy, os.path.join(folder, "emission.png"),
                                  rgba(spots, spots * 0.6, spots * 0.2))
    t = thumbnail_size
    files["thumbnail"] = _save_png(bpy, os.path.join(folder, "preview.png"),
                                   rgba(*[np.full((t, t), 0.5)] * 3))
    return files


def make_glb(bpy, folder, files, segments=256, rings=196):
    """A textured sphere exported as GLB with every map embedded, like a Meshy result."""
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.mesh.primitive_uv_sphere_add(segments=segments, ring_count=rings, radius=1.0)
    obj = bpy.context.active_object
    bpy.ops.object.shade_smooth()
    material = bpy.data.materials.new("Result")
    if material.node_tree is None:
        material.use_nodes = True  # Blender 4.2; 5.0 materials always have nodes
    tree = material.node_tree
    bsdf = next(n for n in tree.nodes if n.type == 'BSDF_PRINCIPLED')

    def texture(role, non_color=False):
        node = tree.nodes.new("ShaderNodeTexImage")
        node.image = bpy.data.images.load(files[role])
        if non_color:
            node.image.colorspace_settings.name = "Non-Color"
        return node

    tree.links.new(texture("base_color").outputs["Color"], bsdf.inputs["Base Color"])
    tree.links.new(texture("metallic", True).outputs["Color"], bsdf.inputs["Metallic"])
    tree.links.new(texture("roughness", True).outputs["Color"], bsdf.inputs["Roughness"])
    normal_map = tree.nodes.new("ShaderNodeNormalMap")
    tree.links.new(texture("normal", True).outputs["Color"], normal_map.inputs["Color"])
    tree.links.new(normal_map.outputs["Normal"], bsdf.inputs["Normal"])
    tree.links.new(texture("emission").outputs["Color"], bsdf.inputs["Emission Color"])
    bsdf.inputs["Emission Strength"].default_value = 1.0
    obj.data.materials.append(material)
    triangles = sum(len(p.vertices) - 2 for p in obj.data.polygons)
    path = os.path.join(folder, "model.glb")
    result = bpy.ops.export_scene.gltf(filepath=path, export_format='GLB', use_selection=True)
    if result != {'FINISHED'}:
        raise RuntimeError("the glTF exporter failed")
    return path, triangles


# --- the emulator in its own process --------------------------------------------------------------

# Run as `python -c`: the emulator with a settable SSE check interval. Its default (task_seconds/60,
# at most 0.2 s) is the emulator's own latency, not the add-on's; benchmarks that time how soon a
# result is seen set it small so the server is not what they measure.
_EMULATOR_SCRIPT = """
import sys
from tests.emulator import Emulator

class BenchEmulator(Emulator):
    sse_interval = float(sys.argv[4])

emulator = BenchEmulator(task_seconds=float(sys.argv[1]), queue_limit=int(sys.argv[2]),
                         rps=int(sys.argv[3]), model_file=sys.argv[5] or None,
                         credits=int(sys.argv[6])).start()
print(f"Meshy emulator listening on {emulator.url}", flush=True)
emulator._thread.join()
"""


def start_emulator(task_seconds=3.0, queue_limit=10, rps=20, sse_interval=0.05, model_file="",
                   credits=1000):
    """Start the emulator in a subprocess (so it shares no GIL or CPU time slice with what is
    measured); returns (process, base_url). Binds to 127.0.0.1 only. `model_file`: a GLB served
    as every task's model.glb (results of a realistic size); `credits`: the paid key's balance."""
    process = subprocess.Popen(
        [sys.executable, "-c", _EMULATOR_SCRIPT, str(task_seconds), str(queue_limit), str(rps),
         str(sse_interval), model_file or "", str(credits)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": ROOT})
    line = process.stdout.readline()
    if "listening on http://127.0.0.1:" not in line:
        process.kill()
        raise RuntimeError(f"the emulator did not start: {line!r}")
    return process, line.strip().rsplit(" ", 1)[-1]


def stop_emulator(process):
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


# --- memory ---------------------------------------------------------------------------------------

def status_kb(field):
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def start_peak():
    """Reset the peak-RSS mark (VmHWM) to the current RSS; returns that RSS in bytes."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass  # without the reset VmHWM counts from process start: an over-estimate, never under
    return status_kb("VmRSS") * 1024


def peak_growth(start_rss):
    """How far RSS peaked above `start_rss` since start_peak() (bytes)."""
    return max(0, status_kb("VmHWM") * 1024 - start_rss)


# --- statistics and the table -------------------------------------------------------------------

def percentile(values, fraction):
    """Nearest-rank percentile (p99 of 300 samples is the 297th smallest)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(round(fraction * len(ordered), 9))))
    return ordered[rank - 1]


def median(values):
    return statistics.median(values) if values else float("nan")


def paired_ratio(ours, baseline):
    """Median over rounds of ours[i] / baseline[i], where each round ran both back to back: it
    cancels swings in machine load between rounds better than a ratio of two medians."""
    return median([o / b for o, b in zip(ours, baseline)])


def ms(seconds):
    return f"{seconds * 1000:.2f} ms" if seconds < 1 else f"{seconds * 1000:.0f} ms"


def mb(size):
    return f"{size / MB:.1f} MB"


def print_table(title, rows, notes=()):
    """rows: (benchmark, ours, baseline, ratio, target, met); met is a bool, or None to report."""
    print()
    print(f"### {title}")
    print()
    print("| benchmark | ours | baseline | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    for name, ours, baseline, ratio, target, met in rows:
        mark = "-" if met is None else ("yes" if met else "**no**")
        print(f"| {name} | {ours} | {baseline} | {ratio} | {target} | {mark} |")
    for note in notes:
        print()
        print(note)
    print(flush=True)
