"""Creative Lab in Blender, end to end: the panel's settings, the real operators, the emulator,
Blender's importers. Prototype -> approve -> build -> import for every product; the price on each
button is what the emulator charged; each documented failure says what to do and costs nothing
it should not."""

import importlib
import uuid

import bpy
import pytest

from tests.blender.harness import MODULE
from tests.blender.test_generate import meshy_objects, save_png, wait
from tests.blender.test_panels import DrawSelf, RecordingLayout

PRODUCTS = ("keychain", "fridge_magnet", "figure", "lamp")
LABELS = {"keychain": "Keychain", "fridge_magnet": "Fridge Magnet", "figure": "Figure",
          "lamp": "Lamp"}


def module(name):
    return importlib.import_module(f"{MODULE}.{name}")


def creative():
    return bpy.context.scene.meshy.creative


def draw_panel():
    layout = RecordingLayout()
    panel = bpy.types.MESHY_PT_creative_lab
    panel.draw(DrawSelf(layout, panel), bpy.context)
    return layout.log


def button(log, idname):
    [text] = [entry[2] for entry in log if entry[0] == "operator" and entry[1] == idname]
    return text


def labels(log):
    return " | ".join(entry[1] for entry in log if entry[0] == "label")


def credits(emulator):
    return emulator.balance(emulator.paid_key)


def run(operator):
    """Run an operator; its result, or the message it reported as an error."""
    try:
        return operator()
    except RuntimeError as exc:
        return str(exc)


def set_up(product, tmp_path):
    settings = creative()
    settings.product = product
    settings.source_image.filepath = save_png(tmp_path / f"{product}-photo.png")
    return settings


def make_prototype(emulator, product, tmp_path):
    """Press Prototype for `product`; returns (the job, what it charged, the button's text)."""
    set_up(product, tmp_path)
    text = button(draw_panel(), "meshy.creative_prototype")
    before = credits(emulator)
    earlier = set(module("jobs").engine().jobs)
    assert bpy.ops.meshy.creative_prototype() == {'FINISHED'}
    [job] = [j for j in wait() if j.kind == f"{product}_prototype" and j.id not in earlier]
    return job, before - credits(emulator), text


def api_client(emulator):
    client_module = module("api.client")
    return client_module.MeshyClient(emulator.paid_key, emulator.url)


@pytest.mark.parametrize("product", PRODUCTS)
def test_prototype_approve_build_import(connected, tmp_path, product):
    label = LABELS[product]
    bpy.context.scene.cursor.location = (0.5, -1.0, 0.25)
    prototype, charged, text = make_prototype(connected, product, tmp_path)
    assert prototype.status == "DONE", prototype.message
    assert text == f"Prototype {label} ({charged} credits)" and charged == 6

    # The concept image is in the file, kept (packed, fake user) and shown for approval.
    settings = creative()
    image = settings.shown_prototype
    assert image is not None and image["meshy_task_id"] == prototype.task_id
    assert image["meshy_kind"] == f"{product}_prototype"
    assert image.use_fake_user and image.users >= 1 and image.packed_file is not None
    log = draw_panel()
    assert ("operator", "meshy.creative_approve", "Approve This Prototype") in log
    # Shown large (background Blender makes no preview icons: there it is named instead).
    assert any(e[0] == "icon" and e[1] for e in log) or ("label", image.name) in log

    # Nothing can be built before a prototype is approved.
    assert not bpy.ops.meshy.creative_build.poll()
    assert "approve its concept image" in labels(log)
    assert bpy.ops.meshy.creative_approve() == {'FINISHED'}
    assert settings.prototype_task_id == prototype.task_id
    log = draw_panel()
    assert "Approved" in labels(log)
    text = button(log, "meshy.creative_build")

    before = credits(connected)
    assert bpy.ops.meshy.creative_build() == {'FINISHED'}
    [build] = [j for j in wait() if j.kind == f"{product}_build"]
    assert build.status == "DONE", build.message
    assert text == f"Build {label} ({before - credits(connected)} credits)"
    assert before - credits(connected) == 30

    made = [o for o in meshy_objects() if o.get("meshy_task_id") == build.task_id]
    meshes = [o for o in made if o.type == 'MESH']
    assert meshes and all(len(o.data.polygons) > 0 for o in meshes)
    assert {o["meshy_kind"] for o in made} == {f"{product}_build"}
    main = bpy.context.view_layer.objects.active
    assert main in made and main.select_get()
    assert tuple(round(v, 3) for v in main.matrix_world.translation) == (0.5, -1.0, 0.25)
    if product == "lamp":
        # Lamp shade and its base disk arrive in millimetres; in the scene they measure true.
        assert len(meshes) == 2 and any(o.name.endswith("base") for o in meshes)
        shade = next(o for o in meshes if not o.name.endswith("base"))
        assert 0.05 < max(shade.dimensions) < 0.2, tuple(shade.dimensions)
    elif product != "figure":
        # A 40 mm keychain (60 mm magnet) is 4 (6) cm across in the scene, not 40 m.
        assert 0.01 < max(main.dimensions[:2]) < 0.1, tuple(main.dimensions)
    # The concept image is still there, with its user, after the build.
    assert bpy.data.images.get(image.name) is not None and image.users >= 1


@pytest.mark.parametrize("product, fmt", [("keychain", "zip"), ("fridge_magnet", "obj"),
                                          ("lamp", "zip")])
def test_zip_and_obj_outputs_import_too(connected, tmp_path, product, fmt):
    prototype, _charged, _text = make_prototype(connected, product, tmp_path)
    settings = creative()
    settings.prototype_task_id = prototype.task_id
    settings.options_of().output_format = fmt
    assert bpy.ops.meshy.creative_build() == {'FINISHED'}
    [build] = [j for j in wait() if j.kind == f"{product}_build"]
    assert build.status == "DONE", build.message
    made = [o for o in meshy_objects() if o.get("meshy_task_id") == build.task_id]
    assert any(o.type == 'MESH' and len(o.data.polygons) for o in made)


def test_build_sends_only_the_options_changed_from_their_defaults(connected):
    request = module("request")
    settings = creative()
    settings.product = "keychain"
    settings.prototype_task_id = str(uuid.uuid4())
    assert request.creative_build_request(bpy.context).payload == {
        "input_task_id": settings.prototype_task_id}
    options = settings.keychain
    options.size_mm, options.badge_shape, options.relief_height_mm = 55.5, "star", 2.2
    options.output_format = "zip"
    payload = request.creative_build_request(bpy.context).payload
    assert payload["options"] == {"size_mm": 55.5, "badge_shape": "star"}
    assert payload["output"] == {"format": "zip"}
    # The ranges are the task table's: an open range starts just above its end.
    rna = options.bl_rna.properties
    assert rna["size_mm"].hard_max == 400 and 0 < rna["size_mm"].hard_min < 0.1
    assert rna["export_resolution"].hard_min == 64 and rna["export_resolution"].hard_max == 2048
    assert settings.fridge_magnet.size_mm == 60 and settings.keychain.bl_rna.properties[
        "size_mm"].default == 40
    settings.product = "lamp"
    settings.lamp.light_source_preset = "none"
    assert request.creative_build_request(bpy.context).payload["options"] == {
        "light_source_preset": "none"}


def test_lamp_prototype_from_text(connected):
    settings = creative()
    settings.product, settings.lamp_source = "lamp", 'TEXT'
    assert not bpy.ops.meshy.creative_prototype.poll()
    settings.text = "an owl on a branch under the moon"
    assert bpy.ops.meshy.creative_prototype() == {'FINISHED'}
    [job] = wait()
    assert job.status == "DONE" and job.payload == {"text": "an owl on a branch under the moon"}


# --- the documented failures ---------------------------------------------------------------------

def test_moderated_source_picture_says_choose_another_and_costs_nothing(connected, tmp_path):
    set_up("figure", tmp_path)
    connected.faults(content_flagged=1)
    before = credits(connected)
    assert bpy.ops.meshy.creative_prototype() == {'FINISHED'}
    [job] = wait()
    assert job.status == "FAILED"
    assert "moderation refused the source picture" in job.message
    assert "Choose a different picture" in job.message
    assert credits(connected) == before and connected.tasks_created == 0


def test_prototype_without_a_candidate(connected, tmp_path):
    connected.faults(no_candidate=1)
    prototype, charged, _text = make_prototype(connected, "keychain", tmp_path)
    # The prototype itself succeeded (and was paid for), but it has nothing to approve.
    assert prototype.status == "FAILED" and charged == 6
    assert "without a concept image" in prototype.message
    assert "Make a new prototype" in prototype.message
    request = module("request")
    creative().prototype_task_id = prototype.task_id
    # Known here: refused before anything is sent.
    assert "make a new prototype" in request.creative_problem(bpy.context, "build")
    assert not bpy.ops.meshy.creative_build.poll()
    # Not known here (another session): Meshy refuses it, and the build costs nothing.
    module("jobs").engine().jobs.clear()
    before = credits(connected)
    assert bpy.ops.meshy.creative_build() == {'FINISHED'}
    [build] = wait()
    assert build.status == "FAILED" and "without a concept image" in build.message
    assert credits(connected) == before


def test_build_from_a_prototype_of_another_product(connected, tmp_path):
    prototype, _charged, _text = make_prototype(connected, "keychain", tmp_path)
    settings = creative()
    settings.prototype_task_id = prototype.task_id
    settings.product = "figure"
    request = module("request")
    assert "is a Keychain prototype" in request.creative_problem(bpy.context, "build")
    assert not bpy.ops.meshy.creative_build.poll()
    log = draw_panel()
    assert "is a Keychain prototype" in labels(log)


def test_build_from_a_task_that_is_not_a_prototype_of_this_product(connected, tmp_path):
    """The wrong stage, as Meshy sees it: a figure build from a keychain prototype this session
    does not know about (made by a script with the same key) is a 404, and costs nothing."""
    with api_client(connected) as client:
        keychain = client.create("keychain_prototype", {
            "image_url": "data:image/png;base64," + _png_base64(tmp_path)})
    connected.advance_clock(connected.task_seconds + 0.1)
    settings = creative()
    settings.product = "figure"
    settings.prototype_task_id = keychain
    before = credits(connected)
    assert bpy.ops.meshy.creative_build() == {'FINISHED'}
    [build] = wait()
    assert build.status == "FAILED"
    assert "A Figure build takes only a finished Figure prototype" in build.message
    assert "nothing was charged" in build.message
    assert credits(connected) == before


def test_build_from_a_prototype_made_elsewhere_is_refused_and_costs_nothing(connected):
    settings = creative()
    settings.product = "lamp"
    settings.prototype_task_id = str(uuid.uuid4())   # e.g. one made on meshy.ai
    before = credits(connected)
    assert bpy.ops.meshy.creative_build() == {'FINISHED'}
    [build] = wait()
    assert build.status == "FAILED" and "HTTP 404" in build.message
    assert "prototypes made on meshy.ai" in build.message
    assert "Make a Lamp prototype here first" in build.message
    assert credits(connected) == before


def test_build_waits_for_a_prototype_still_running(connected, tmp_path):
    set_up("fridge_magnet", tmp_path)
    connected.task_seconds = 30
    assert bpy.ops.meshy.creative_prototype() == {'FINISHED'}
    jobs = module("jobs")
    [job] = list(jobs.engine().jobs.values())
    for _ in range(200):
        if job.task_id:
            break
        jobs.engine().wait_for_event(0.05)
        jobs.tick(bpy.context)
    creative().prototype_task_id = job.task_id
    assert "still being made" in module("request").creative_problem(bpy.context, "build")
    assert not bpy.ops.meshy.creative_build.poll()
    jobs.engine().stop(job.id)


# --- the panel in each state ---------------------------------------------------------------------

def test_panel_draws_in_every_state(prefs, emulator, tmp_path):
    log = draw_panel()   # no key
    assert "API key" in labels(log)
    prefs.base_url, prefs.api_key = emulator.url, emulator.paid_key
    settings = creative()
    for product in PRODUCTS:
        settings.product = product
        settings.source_image.filepath = ""
        log = draw_panel()
        assert f"Choose the photo the {LABELS[product]} is made from" in labels(log)
        assert ("panel", "MESHY_creative_build_options") in log or product == "figure"
        settings.source_image.filepath = save_png(tmp_path / "photo.png")
        log = draw_panel()
        assert button(log, "meshy.creative_prototype") == \
            f"Prototype {LABELS[product]} (6 credits)"
        assert "concept image shows here" in labels(log)
    settings.lamp_source = 'TEXT'
    log = draw_panel()
    assert "Describe the lampshade's subject first" in labels(log)
    settings.text = "x" * 801
    assert "800" in labels(draw_panel())
    # A concept image of this product, shown, then approved; builds are priced.
    image = bpy.data.images.new("concept", 4, 4)
    image["meshy_task_id"], image["meshy_kind"] = str(uuid.uuid4()), "lamp_prototype"
    log = draw_panel()
    assert ("operator", "meshy.creative_approve", "Approve This Prototype") in log
    settings.prototype_task_id = image["meshy_task_id"]
    log = draw_panel()
    assert "Approved" in labels(log) and button(log, "meshy.creative_build") == \
        "Build Lamp (30 credits)"


def _png_base64(tmp_path):
    import base64
    with open(save_png(tmp_path / "direct.png"), "rb") as handle:
        return base64.b64encode(handle.read()).decode()


def test_the_newest_concept_of_the_chosen_product_is_shown(connected, tmp_path):
    first, _charged, _text = make_prototype(connected, "keychain", tmp_path)
    second, _charged, _text = make_prototype(connected, "keychain", tmp_path)
    settings = creative()
    settings.shown_prototype = None
    panels = module("panels.creative_lab")
    assert panels.shown_concept(settings)["meshy_task_id"] == second.task_id
    log = draw_panel()
    assert ("operator", "meshy.creative_approve", "Approve This Prototype") in log
    settings.product = "figure"
    assert panels.shown_concept(settings) is None
    assert "concept image shows here" in labels(draw_panel())
