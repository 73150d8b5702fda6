#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo: Meshy for Blender driven headless through its own operators, saved and rendered.

    python build.py demo [--real]
    (= .venv-blender-5.0/bin/python tests/demo.py --package dist/<zip> [--real], PYTHONPATH=.)

Installs the built zip into a throw-away Blender user folder, points it at the bundled Meshy API
emulator (or, with --real, at https://api.meshy.ai with MESHY_API_KEY), and runs each step in
STEPS: Text to 3D with PBR texturing, Text to Image -> Image to 3D, Multi-image to 3D, a
retexture of a Suzanne made in Blender, and a rig of the Image to 3D character with two
animations from Meshy's library. The results
stand side by side under a camera, a sun and a sky; the scene is saved to demo/meshy_demo.blend
and rendered (Cycles, CPU) to demo/meshy_demo.png. A table of the jobs is printed at the end; the
exit status is 1 when any job failed.

To add a step, write a function (ctx) -> None that sets Scene.meshy, places the 3D cursor and
presses Generate (see `generate`), and append it to STEPS.
"""

import argparse
import importlib
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / "demo"
REPO = "user_default"
MODULE = f"bl_ext.{REPO}.meshy_for_blender"
REAL_URL = "https://api.meshy.ai"
# With the emulator a task takes this long; long enough to see progress, short enough to be quick.
EMULATOR_TASK_SECONDS = 3.0
WAIT_SECONDS = 900 if "--real" in sys.argv else 120
SPACING = 3.0                       # metres between results along X
MAP_INPUTS = ("Base Color", "Metallic", "Roughness", "Normal", "Emission")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Run the Meshy for Blender demo headless.")
    parser.add_argument("--package", required=True, help="the built extension zip")
    parser.add_argument("--real", action="store_true",
                        help="use the real Meshy API with MESHY_API_KEY (spends credits)")
    return parser.parse_args(argv)


# --- helpers the steps share ----------------------------------------------------------------------

class Context:
    """What the steps share: the add-on's modules, a temp folder, and what earlier steps made."""

    def __init__(self, bpy, jobs, temp_dir):
        self.bpy = bpy
        self.jobs = jobs
        self.temp_dir = temp_dir
        self.slot = 0                 # next place along X
        self.results = {}             # step name -> list of jobs it ran

    def next_location(self):
        # A row along X: -3, 0, 3, then on to the right for any step added later (the camera
        # frames whatever is there).
        x = (self.slot - 1) * SPACING
        self.slot += 1
        return (x, 0.0, 0.0)


def generate(ctx, location=None):
    """Press Generate with the current Scene.meshy settings; wait; return the jobs it made."""
    bpy = ctx.bpy
    if location is not None:
        bpy.context.scene.cursor.location = location
    before = set(ctx.jobs.engine().jobs)
    try:
        result = bpy.ops.meshy.generate()
    except RuntimeError as exc:  # the button's poll message: the settings cannot be sent
        sys.exit(f"demo: Generate refused: {exc}")
    if result != {'FINISHED'}:
        sys.exit(f"demo: Generate returned {result}")
    bpy.ops.meshy.wait_jobs(timeout=WAIT_SECONDS)
    # A follower (refine after preview) is submitted by the engine, so collect every new job.
    return [j for j in ctx.jobs.engine().jobs.values() if j.id not in before]


def save_png(bpy, path, pixels, width, height):
    image = bpy.data.images.new(os.path.basename(path), width, height)
    image.pixels.foreach_set(pixels)
    image.filepath_raw = str(path)
    image.file_format = 'PNG'
    image.save()
    bpy.data.images.remove(image)
    return str(path)


# --- the steps ------------------------------------------------------------------------------------

def text_to_3d(ctx):
    """Text to 3D: a preview, then the texturing (refine) step with PBR maps, automatically."""
    s = ctx.bpy.context.scene.meshy
    s.mode = 'TEXT_TO_3D'
    s.prompt = "a weathered bronze lantern with glass panes"
    s.enable_pbr = True
    s.auto_refine = True
    ctx.results["text_to_3d"] = generate(ctx, ctx.next_location())


def image_to_3d(ctx):
    """Text to Image, then "Use for Image to 3D" on its result (by task id, nothing uploaded)."""
    bpy = ctx.bpy
    s = bpy.context.scene.meshy
    s.mode = 'TEXT_TO_IMAGE'
    s.prompt = "a friendly little robot with round eyes, front view, plain background"
    s.image_ai_model = 'nano-banana'
    s.aspect_ratio = '1:1'
    image_jobs = generate(ctx)
    [image_job] = image_jobs
    ctx.results["concept_image"] = image_jobs
    if image_job.status != "DONE":
        return
    bpy.ops.meshy.use_image_for_3d(task_id=image_job.task_id)
    s.should_texture = True
    s.enable_pbr = True
    ctx.results["image_to_3d"] = image_jobs + generate(ctx, ctx.next_location())


def multi_image_to_3d(ctx):
    """Multi-image to 3D from two views: the concept image and its mirror image (its other side)."""
    bpy = ctx.bpy
    s = bpy.context.scene.meshy
    concept = next((j for j in ctx.results.get("concept_image", []) if j.status == "DONE"), None)
    source = concept.files.get("image") if concept else None
    views = []
    if source:
        image = bpy.data.images.load(source, check_existing=False)
        width, height = image.size
        pixels = list(image.pixels)
        bpy.data.images.remove(image)
        rows = [pixels[y * width * 4:(y + 1) * width * 4] for y in range(height)]
        mirrored = [v for row in rows for x in reversed(range(width)) for v in row[x * 4:x * 4 + 4]]
        views.append(save_png(bpy, ctx.temp_dir / "view_front.png", pixels, width, height))
        views.append(save_png(bpy, ctx.temp_dir / "view_mirrored.png", mirrored, width, height))
    else:
        # The concept step failed: two flat-colour views still exercise the whole path.
        for name, colour in (("view_a", (0.8, 0.3, 0.1, 1.0)), ("view_b", (0.1, 0.4, 0.8, 1.0))):
            pixels = list(colour) * 64 * 64
            views.append(save_png(bpy, ctx.temp_dir / f"{name}.png", pixels, 64, 64))
    s.mode = 'MULTI_IMAGE_TO_3D'
    s.views.clear()
    for path in views:
        bpy.ops.meshy.add_image_input(collection="views")
        s.views[len(s.views) - 1].source = 'FILE'
        s.views[len(s.views) - 1].filepath = path
    s.should_texture = True
    s.enable_pbr = True
    ctx.results["multi_image_to_3d"] = generate(ctx, ctx.next_location())


def select_only(bpy, obj):
    for other in bpy.context.view_layer.objects:
        other.select_set(False)
    obj.select_set(True)
    bpy.context.view_layer.objects.active = obj


def run_operator(ctx, operator, **kwargs):
    """Run one of the add-on's operators and wait for the jobs it started."""
    before = set(ctx.jobs.engine().jobs)
    try:
        result = operator(**kwargs)
    except RuntimeError as exc:  # the operator's own message: it could not start
        sys.exit(f"demo: {operator.idname_py()} refused: {exc}")
    if result != {'FINISHED'}:
        sys.exit(f"demo: {operator.idname_py()} returned {result}")
    ctx.bpy.ops.meshy.wait_jobs(timeout=WAIT_SECONDS)
    return [j for j in ctx.jobs.engine().jobs.values() if j.id not in before]


def retexture_suzanne(ctx):
    """Retexture a Suzanne made in Blender: uploaded as GLB, its own UVs kept, material swapped."""
    bpy = ctx.bpy
    x, y, _ = ctx.next_location()
    bpy.ops.mesh.primitive_monkey_add(location=(x, y, 1.0), rotation=(0.0, 0.0, 0.0))
    suzanne = bpy.context.active_object
    suzanne.name = "Suzanne"
    bpy.ops.object.shade_smooth()
    select_only(bpy, suzanne)
    tools = bpy.context.scene.meshy.tools
    tools.style_source = 'TEXT'
    tools.style_prompt = "glazed blue ceramic with thin gold trim"
    tools.enable_original_uv = True
    tools.enable_pbr = True
    ctx.results["retexture"] = run_operator(ctx, bpy.ops.meshy.retexture)


def rig_and_animate(ctx):
    """Rig the Image to 3D character by its task id, then apply two animations from the library."""
    bpy = ctx.bpy
    source = next((j for j in ctx.results.get("image_to_3d", []) if j.kind == "image_to_3d"
                   and j.status == "DONE"), None)
    if source is None:
        print("demo: rig_and_animate skipped: the Image to 3D step did not succeed")
        return
    bpy.context.scene.cursor.location = ctx.next_location()
    bpy.context.scene.meshy.tools.height_meters = 1.6
    rig_jobs = run_operator(ctx, bpy.ops.meshy.rig, input_task_id=source.task_id)
    ctx.results["rig"] = rig_jobs
    armature = next((o for o in bpy.data.objects if o.type == 'ARMATURE'
                     and o.get("meshy_task_id") == rig_jobs[0].task_id), None)
    if armature is None:
        return
    select_only(bpy, armature)
    run_operator(ctx, bpy.ops.meshy.fetch_animations)
    library = bpy.context.window_manager.meshy.animations
    wanted = [92] + [a.action_id for a in library if a.action_id != 92][:1]
    for action_id in wanted:
        entry = next((a for a in library if a.action_id == action_id), None)
        name = entry.name if entry else f"Action {action_id}"
        bpy.ops.meshy.pick_animation(action_id=action_id, name=name)
        ctx.results.setdefault("animate", []).extend(run_operator(ctx, bpy.ops.meshy.animate))
    # Show the character mid-move in the render.
    bpy.context.scene.frame_set(12)


STEPS = [text_to_3d, image_to_3d, multi_image_to_3d, retexture_suzanne, rig_and_animate]


# --- staging: camera, lights, render --------------------------------------------------------------

def scene_bounds(objects):
    from mathutils import Vector
    corners = [obj.matrix_world @ Vector(c) for obj in objects for c in obj.bound_box]
    low = Vector((min(c.x for c in corners), min(c.y for c in corners), min(c.z for c in corners)))
    high = Vector((max(c.x for c in corners), max(c.y for c in corners), max(c.z for c in corners)))
    return low, high


def stage(bpy, resolution=(960, 540)):
    """Floor, sun, sky and a camera framing every imported mesh."""
    from mathutils import Vector
    scene = bpy.context.scene
    meshes = [o for o in scene.objects if o.type == 'MESH' and o.get("meshy_task_id")]
    low, high = scene_bounds(meshes) if meshes else (Vector((-1, -1, 0)), Vector((1, 1, 1)))
    centre = (low + high) / 2
    size = high - low

    # A floor just under the results, so they stand on something and cast a shadow.
    bpy.ops.mesh.primitive_plane_add(size=max(size.x, size.y) * 4 + 10,
                                     location=(centre.x, centre.y, low.z))
    floor = bpy.context.active_object
    floor.name = "Floor"
    material = bpy.data.materials.new("Floor")
    if material.node_tree is None:
        material.use_nodes = True  # Blender 4.2; 5.0 materials always have nodes
    bsdf = next(n for n in material.node_tree.nodes if n.type == 'BSDF_PRINCIPLED')
    bsdf.inputs["Base Color"].default_value = (0.35, 0.36, 0.38, 1.0)
    bsdf.inputs["Roughness"].default_value = 0.8
    floor.data.materials.append(material)

    sun_data = bpy.data.lights.new("Sun", 'SUN')
    sun_data.energy = 3.0
    sun_data.angle = math.radians(8)
    sun = bpy.data.objects.new("Sun", sun_data)
    sun.rotation_euler = (math.radians(50), math.radians(10), math.radians(30))
    scene.collection.objects.link(sun)

    world = scene.world or bpy.data.worlds.new("World")
    scene.world = world
    if world.node_tree is None:
        world.use_nodes = True
    background = next(n for n in world.node_tree.nodes if n.type == 'BACKGROUND')
    background.inputs["Color"].default_value = (0.55, 0.62, 0.72, 1.0)
    background.inputs["Strength"].default_value = 0.8

    # Camera: in front (-Y) and a little above, looking at the centre of everything imported,
    # far enough that the bounding sphere fits the narrower (vertical) field of view.
    cam_data = bpy.data.cameras.new("Camera")
    cam_data.lens = 50
    camera = bpy.data.objects.new("Camera", cam_data)
    scene.collection.objects.link(camera)
    scene.camera = camera
    scene.render.resolution_x, scene.render.resolution_y = resolution
    aspect = resolution[0] / resolution[1]
    cam_data.sensor_fit = 'HORIZONTAL'
    half_h = math.atan(cam_data.sensor_width / (2 * cam_data.lens))
    half_v = math.atan(math.tan(half_h) / aspect)
    # Fit the box's width horizontally and its height vertically, with a 15% margin.
    half_width = max(size.x, size.y) / 2 * 1.15
    half_height = max(size.z, 0.5) / 2 * 1.15
    distance = max(half_width / math.tan(half_h), half_height / math.tan(half_v)) + size.y / 2
    elevation = math.radians(15)
    direction = Vector((0.0, -math.cos(elevation), math.sin(elevation)))
    camera.location = centre + direction * distance
    camera.rotation_euler = (-direction).to_track_quat('-Z', 'Y').to_euler()
    cam_data.clip_end = distance * 10

    scene.render.engine = 'CYCLES'
    scene.cycles.device = 'CPU'
    scene.cycles.samples = 16
    scene.cycles.use_adaptive_sampling = True
    try:
        import _cycles
        denoise = bool(getattr(_cycles, "with_openimagedenoise", False))
    except ImportError:
        denoise = False
    scene.cycles.use_denoising = denoise
    if denoise:
        scene.cycles.denoiser = 'OPENIMAGEDENOISE'
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = 'PNG'
    return meshes


# --- the report -----------------------------------------------------------------------------------

def linked_maps(obj):
    """Which Principled BSDF inputs of the object's materials are fed by something."""
    found = []
    for slot in obj.material_slots:
        material = slot.material
        if material is None or material.node_tree is None:
            continue
        for node in material.node_tree.nodes:
            if node.type != 'BSDF_PRINCIPLED':
                continue
            for name in MAP_INPUTS:
                # Blender 4+ calls it "Emission Color"; 3.x called it "Emission".
                socket = node.inputs.get(name) or node.inputs.get(name + " Color")
                if socket is not None and socket.is_linked and name not in found:
                    found.append(name)
    return found


def table(bpy, all_jobs):
    rows = [("job kind", "label", "status", "seconds", "objects", "material maps connected")]
    for job in all_jobs:
        seconds = (job.finished or time.time()) - job.started
        objects = [bpy.data.objects[n] for n in job.imported if n in bpy.data.objects]
        meshes = [o for o in objects if o.type == 'MESH']
        maps = []
        for obj in meshes:
            maps += [m for m in linked_maps(obj) if m not in maps]
        if job.kind in ("text_to_image", "image_to_image"):
            what = f"{len(job.imported)} image(s)"
        else:
            what = str(len(objects))
        rows.append((job.kind, job.label[:40], job.status + (f": {job.message}" if job.status
                     == "FAILED" else ""), f"{seconds:.1f}", what, ", ".join(maps) or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------------

def main(argv=None):
    args = parse_args(argv)
    package = Path(args.package).resolve()
    if not package.is_file():
        sys.exit(f"demo: no package at {package}: run `python build.py demo`")
    if args.real and not os.environ.get("MESHY_API_KEY", "").strip():
        sys.exit("demo: --real needs your Meshy API key in the MESHY_API_KEY environment variable "
                 "(it spends credits; without --real the demo uses the local emulator for free)")
    if not args.real:
        # The emulator only knows its own keys; a developer's real key must never reach it.
        os.environ.pop("MESHY_API_KEY", None)

    user_dir = Path(tempfile.mkdtemp(prefix="meshy-demo-user-"))
    temp_dir = Path(tempfile.mkdtemp(prefix="meshy-demo-"))
    # Blender reads its user folders when bpy is first imported: set this before the import.
    os.environ["BLENDER_USER_RESOURCES"] = str(user_dir)
    emulator = None
    try:
        import bpy

        bpy.ops.wm.read_homefile(use_empty=True)
        result = bpy.ops.extensions.package_install_files(
            filepath=str(package), repo=REPO, enable_on_install=True)
        if result != {'FINISHED'} or MODULE not in bpy.context.preferences.addons:
            sys.exit(f"demo: installing {package.name} failed")
        prefs = bpy.context.preferences.addons[MODULE].preferences
        if args.real:
            bpy.context.preferences.system.use_online_access = True
            prefs.base_url = REAL_URL
            print(f"demo: using the real Meshy API at {REAL_URL} (this spends credits)")
        else:
            from tests.emulator import Emulator
            emulator = Emulator(task_seconds=EMULATOR_TASK_SECONDS).start()
            prefs.base_url = emulator.url
            prefs.api_key = emulator.test_key
            print(f"demo: using the Meshy API emulator at {emulator.url}")
        prefs.model_format = 'glb'

        jobs = importlib.import_module(MODULE + ".jobs")
        ctx = Context(bpy, jobs, temp_dir)
        started = time.monotonic()
        for step in STEPS:
            print(f"demo: {step.__name__}: {(step.__doc__ or '').strip().splitlines()[0]}",
                  flush=True)
            step(ctx)

        meshes = stage(bpy)
        DEMO_DIR.mkdir(exist_ok=True)
        blend = DEMO_DIR / "meshy_demo.blend"
        png = DEMO_DIR / "meshy_demo.png"
        bpy.ops.wm.save_as_mainfile(filepath=str(blend))
        bpy.context.scene.render.filepath = str(png)
        print(f"demo: rendering {len(meshes)} result(s) with Cycles (CPU)...", flush=True)
        bpy.ops.render.render(write_still=True)

        all_jobs = sorted(jobs.engine().jobs.values(), key=lambda j: j.started)
        print()
        print(table(bpy, all_jobs))
        print()
        print(f"demo: saved {blend.relative_to(ROOT)} and {png.relative_to(ROOT)} "
              f"in {time.monotonic() - started:.0f} s")
        failed = [j for j in all_jobs if j.status != "DONE"]
        if failed or not all_jobs:
            print(f"demo: {len(failed)} job(s) did not finish", file=sys.stderr)
            return 1
        return 0
    finally:
        if emulator is not None:
            emulator.stop()
        shutil.rmtree(temp_dir, ignore_errors=True)
        shutil.rmtree(user_dir, ignore_errors=True)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # The bpy module can crash in its own interpreter teardown after the glTF importer has run
    # (seen with bpy 4.2); the demo's outcome is decided, so leave without that teardown.
    os._exit(code)
