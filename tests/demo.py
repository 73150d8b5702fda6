#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo: Meshy for Blender driven headless through its own operators, saved and rendered.

    python build.py demo [--real]
    (= .venv-blender-5.0/bin/python tests/demo.py --package dist/<zip> [--real], PYTHONPATH=.)

Installs the built zip into a throw-away Blender user folder, points it at the bundled Meshy API
emulator (or, with --real, at https://api.meshy.ai with MESHY_API_KEY), and runs each step in
STEPS: Text to 3D with PBR texturing, Text to Image -> Image to 3D, Multi-image to 3D, a
retexture of a Suzanne made in Blender, and a rig of the Image to 3D character with two
animations from Meshy's library. The emulator answers each prompt with the prop its words name
(a lamp, a robot, a chair...). The scene is saved to demo/meshy_demo.blend; each job kind's result
is rendered alone (Cycles, CPU, low samples) and Pillow composes the renders, their titles and
times into a contact sheet, demo/meshy_demo.png. A table of the jobs is printed at the end; the
exit status is 1 when any job failed. About a minute and a half on two cores.

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
    s.texture_prompt = "an old wooden chair with a red cushion"
    ctx.results["multi_image_to_3d"] = generate(ctx, ctx.next_location())
    s.texture_prompt = ""


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


# --- staging: one render per job kind, composed into a labelled contact sheet ------------------------

TILE = 384                          # pixels per tile (square)
CAPTION = 70                        # pixels of caption under each tile
COLUMNS = 3
SAMPLES = 24
# (results key, title, the job kinds whose time counts, which job's objects to show)
TILES = (
    ("text_to_3d", "Text to 3D", ("text_to_3d_preview", "text_to_3d_refine"), "text_to_3d_refine"),
    ("concept_image", "Text to Image", ("text_to_image",), "text_to_image"),
    ("image_to_3d", "Image to 3D", ("image_to_3d",), "image_to_3d"),
    ("multi_image_to_3d", "Multi-image to 3D", ("multi_image_to_3d",), "multi_image_to_3d"),
    ("retexture", "Retexture", ("retexture",), "retexture"),
    ("rig_animate", "Rig + Animation", ("rigging", "animation"), "rigging"),
)


def scene_bounds(objects):
    from mathutils import Vector
    corners = [obj.matrix_world @ Vector(c) for obj in objects for c in obj.bound_box]
    low = Vector((min(c.x for c in corners), min(c.y for c in corners), min(c.z for c in corners)))
    high = Vector((max(c.x for c in corners), max(c.y for c in corners), max(c.z for c in corners)))
    return low, high


def stage(bpy):
    """Floor, sun, sky, a camera and the render settings every tile shares; returns the floor and
    the camera (moved per tile)."""
    scene = bpy.context.scene
    bpy.ops.mesh.primitive_plane_add(size=200.0, location=(0.0, 0.0, 0.0))
    floor = bpy.context.active_object
    floor.name = "Floor"
    material = bpy.data.materials.new("Floor")
    if material.node_tree is None:
        material.use_nodes = True  # Blender 4.2; 5.0 materials always have nodes
    bsdf = next(n for n in material.node_tree.nodes if n.type == 'BSDF_PRINCIPLED')
    bsdf.inputs["Base Color"].default_value = (0.42, 0.43, 0.45, 1.0)
    bsdf.inputs["Roughness"].default_value = 0.85
    floor.data.materials.append(material)

    sun_data = bpy.data.lights.new("Sun", 'SUN')
    sun_data.energy = 3.5
    sun_data.angle = math.radians(10)
    sun = bpy.data.objects.new("Sun", sun_data)
    sun.rotation_euler = (math.radians(45), math.radians(0), math.radians(35))
    scene.collection.objects.link(sun)

    world = scene.world or bpy.data.worlds.new("World")
    scene.world = world
    if world.node_tree is None:
        world.use_nodes = True
    background = next(n for n in world.node_tree.nodes if n.type == 'BACKGROUND')
    background.inputs["Color"].default_value = (0.62, 0.68, 0.78, 1.0)
    background.inputs["Strength"].default_value = 0.9

    cam_data = bpy.data.cameras.new("Camera")
    cam_data.lens = 50
    cam_data.sensor_fit = 'HORIZONTAL'
    camera = bpy.data.objects.new("Camera", cam_data)
    scene.collection.objects.link(camera)
    scene.camera = camera

    scene.render.resolution_x = scene.render.resolution_y = TILE
    scene.render.resolution_percentage = 100
    scene.render.engine = 'CYCLES'
    scene.cycles.device = 'CPU'
    scene.cycles.samples = SAMPLES
    scene.cycles.use_adaptive_sampling = True
    try:
        import _cycles
        denoise = bool(getattr(_cycles, "with_openimagedenoise", False))
    except ImportError:
        denoise = False
    scene.cycles.use_denoising = denoise
    if denoise:
        scene.cycles.denoiser = 'OPENIMAGEDENOISE'
    scene.render.image_settings.file_format = 'PNG'
    scene.view_settings.view_transform = 'AgX' if 'AgX' in [
        t.identifier for t in scene.view_settings.bl_rna.properties["view_transform"].enum_items
    ] else 'Filmic'
    return floor, camera


def frame(camera, objects, floor):
    """Put the floor under `objects` and the camera at a three-quarter view that fits them."""
    from mathutils import Vector
    low, high = scene_bounds(objects)
    centre = (low + high) / 2
    floor.location = (centre.x, centre.y, low.z)
    radius = max((high - low).length / 2, 0.3)
    half_fov = math.atan(camera.data.sensor_width / (2 * camera.data.lens))
    distance = radius / math.sin(half_fov) * 1.02
    direction = Vector((0.55, -1.0, 0.45)).normalized()
    camera.location = centre + direction * distance
    camera.rotation_euler = (-direction).to_track_quat('-Z', 'Y').to_euler()
    camera.data.clip_end = distance * 10


def tile_objects(bpy, job):
    """The objects a job brought in, with their children (a rig's mesh under its armature)."""
    found = [bpy.data.objects[n] for n in job.imported if n in bpy.data.objects]
    for obj in list(found):
        found += [c for c in obj.children_recursive if c not in found]
    return found


def render_tiles(bpy, ctx, folder):
    """One render per tile with only that tile's objects visible; returns [(title, seconds,
    caption, image path or None)]."""
    floor, camera = stage(bpy)
    shown = {floor.name, camera.name, "Sun"}
    ctx.results["rig_animate"] = ctx.results.get("rig", []) + ctx.results.get("animate", [])
    tiles = []
    for key, title, kinds, main_kind in TILES:
        jobs = [j for j in ctx.results.get(key, []) if j.kind in kinds]
        main = next((j for j in jobs if j.kind == main_kind and j.status == "DONE"), None)
        seconds = (max((j.finished or j.started) for j in jobs) - min(j.started for j in jobs)
                   if jobs else 0.0)
        caption = caption_of(ctx, key, main)
        path = None
        if main is not None and main.kind == "text_to_image":
            path = main.files.get("image")
        elif main is not None:
            objects = tile_objects(bpy, main)
            meshes = [o for o in objects if o.type == 'MESH']
            if meshes:
                for obj in bpy.context.scene.objects:
                    obj.hide_render = obj.name not in shown and obj not in objects
                frame(camera, meshes, floor)
                path = str(folder / f"tile_{key}.png")
                bpy.context.scene.render.filepath = path
                print(f"demo: rendering the {title} tile...", flush=True)
                bpy.ops.render.render(write_still=True)
        tiles.append((title, seconds, caption, path, main is not None))
    for obj in bpy.context.scene.objects:
        obj.hide_render = False
    return tiles


def caption_of(ctx, key, job):
    """A short line under the title: what the job was asked."""
    if job is None:
        return "did not finish"
    s = ctx.bpy.context.scene.meshy
    if key == "rig_animate":
        clips = [j.label.split(" (")[0] for j in ctx.results.get("animate", [])
                 if j.status == "DONE"]
        return "auto-rig, then " + (" + ".join(clips) if clips else "no clip") + ", mid-move"
    if key == "image_to_3d":
        return "from the Text to Image result, by task id"
    if key == "multi_image_to_3d":
        return "2 views + \u201can old wooden chair\u201d"
    if key == "retexture":
        return "Suzanne: \u201c" + s.tools.style_prompt + "\u201d"
    return "\u201c" + job.label + "\u201d"


def contact_sheet(tiles, path, subtitle):
    """Compose the tiles, their titles and times into one PNG with Pillow."""
    from PIL import Image, ImageDraw, ImageFont

    def font(size):
        try:
            return ImageFont.load_default(size=size)
        except TypeError:  # Pillow without FreeType: the small bitmap font
            return ImageFont.load_default()

    title_font, label_font, small_font = font(30), font(20), font(15)
    margin, header = 16, 76
    rows = math.ceil(len(tiles) / COLUMNS)
    width = margin + COLUMNS * (TILE + margin)
    height = header + rows * (TILE + CAPTION + margin) + 28
    sheet = Image.new("RGB", (width, height), (28, 30, 34))
    draw = ImageDraw.Draw(sheet)
    draw.text((margin, 14), "Meshy for Blender", font=title_font, fill=(245, 245, 245))
    draw.text((margin, 50), subtitle, font=small_font, fill=(170, 176, 186))
    for index, (title, seconds, caption, tile_path, ok) in enumerate(tiles):
        row, column = divmod(index, COLUMNS)
        x = margin + column * (TILE + margin)
        y = header + row * (TILE + CAPTION + margin)
        if tile_path and os.path.isfile(tile_path):
            with Image.open(tile_path) as tile:
                picture = tile.convert("RGB")
            picture.thumbnail((TILE, TILE), Image.Resampling.LANCZOS)
            box = Image.new("RGB", (TILE, TILE), (44, 47, 53))
            box.paste(picture, ((TILE - picture.width) // 2, (TILE - picture.height) // 2))
        else:
            box = Image.new("RGB", (TILE, TILE), (70, 40, 40))
            ImageDraw.Draw(box).text((20, TILE // 2 - 10), "did not finish", font=label_font,
                                     fill=(240, 200, 200))
        sheet.paste(box, (x, y))
        draw.rectangle((x, y + TILE, x + TILE - 1, y + TILE + CAPTION - 1), fill=(40, 43, 49))
        draw.text((x + 12, y + TILE + 10), title, font=label_font, fill=(250, 250, 250))
        status = f"{seconds:.1f} s" if ok else "failed"
        right = draw.textlength(status, font=label_font)
        draw.text((x + TILE - 12 - right, y + TILE + 10), status, font=label_font,
                  fill=(120, 210, 140) if ok else (240, 120, 110))
        text = caption
        while draw.textlength(text, font=small_font) > TILE - 24:
            text = text[:-2] + "\u2026"
        draw.text((x + 12, y + TILE + 40), text, font=small_font, fill=(175, 180, 190))
    draw.text((margin, height - 24), "Rendered headless with Cycles (CPU); every result came "
              "through the add-on's own operators", font=small_font, fill=(120, 126, 136))
    sheet.save(path)
    return path


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

        generated = time.monotonic() - started
        DEMO_DIR.mkdir(exist_ok=True)
        blend = DEMO_DIR / "meshy_demo.blend"
        png = DEMO_DIR / "meshy_demo.png"
        tiles = render_tiles(bpy, ctx, temp_dir)
        bpy.ops.wm.save_as_mainfile(filepath=str(blend))
        backend = "the real Meshy API" if args.real else "the bundled Meshy API emulator"
        contact_sheet(tiles, png, f"{len(tiles)} job kinds through {backend} in "
                      f"{generated:.0f} s, Blender {bpy.app.version_string}; time under each "
                      f"tile: from request to imported result")

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
