"""Generating from the sidebar, end to end: the real operators, the emulator, Blender's importers."""

import importlib
import os

import bpy
import pytest

from tests.blender.harness import MODULE


def settings():
    return bpy.context.scene.meshy


def generate(**kw):
    """Press Generate; returns the operator's result or the error it reported."""
    try:
        return bpy.ops.meshy.generate(**kw)
    except RuntimeError as exc:
        return str(exc)


def wait():
    """Pump until every job has finished; returns them (failures are the tests' to judge)."""
    bpy.ops.meshy.wait_jobs(timeout=90)
    jobs = importlib.import_module(MODULE + ".jobs")
    assert not jobs.engine().busy(), "wait_jobs gave up with jobs still running"
    return list(jobs.engine().jobs.values())


def save_png(path, width=64, height=48, colour=(0.8, 0.2, 0.1, 1.0)):
    image = bpy.data.images.new(os.path.basename(path), width, height)
    image.pixels.foreach_set(list(colour) * (width * height))
    image.filepath_raw = str(path)
    image.file_format = 'PNG'
    image.save()
    bpy.data.images.remove(image)
    return str(path)


def principled(obj):
    material = obj.active_material
    assert material is not None, f"{obj.name} has no material"
    return next(n for n in material.node_tree.nodes if n.type == 'BSDF_PRINCIPLED')


def linked_from(socket):
    assert socket.is_linked, f"{socket.name} is not connected"
    return socket.links[0].from_node


def assert_pbr_wired(obj, emission=True):
    bsdf = principled(obj)
    assert linked_from(bsdf.inputs["Base Color"]).type == 'TEX_IMAGE'
    # Metallic and roughness may come through a Separate Color node (glTF packs them).
    for name in ("Metallic", "Roughness"):
        node = linked_from(bsdf.inputs[name])
        assert node.type in ('TEX_IMAGE', 'SEPARATE_COLOR', 'SEPRGB'), (name, node.type)
        if node.type != 'TEX_IMAGE':
            assert linked_from(node.inputs[0]).type == 'TEX_IMAGE'
    normal_map = linked_from(bsdf.inputs["Normal"])
    assert normal_map.type == 'NORMAL_MAP'
    normal_tex = linked_from(normal_map.inputs["Color"])
    assert normal_tex.type == 'TEX_IMAGE'
    assert normal_tex.image.colorspace_settings.name == "Non-Color"
    socket = bsdf.inputs.get("Emission Color") or bsdf.inputs.get("Emission")
    if emission:
        assert linked_from(socket).type == 'TEX_IMAGE'


def meshy_objects():
    collection = bpy.data.collections.get("Meshy")
    return [o for o in collection.objects] if collection else []


def test_text_to_3d_preview_then_refine_with_pbr(connected):
    s = settings()
    s.mode = 'TEXT_TO_3D'
    s.prompt = "a weathered bronze lantern"
    s.enable_pbr = True
    s.auto_refine = True
    bpy.context.scene.cursor.location = (1.0, 2.0, 3.0)
    balance = connected.balance(connected.paid_key)
    assert generate() == {'FINISHED'}
    done = wait()
    assert [j.status for j in done] == ["DONE", "DONE"]
    refine = next(j for j in done if j.kind == "text_to_3d_refine")
    [obj] = [o for o in meshy_objects() if o.type == 'MESH']
    assert obj.name.startswith("a weathered bronze lantern")
    assert obj["meshy_task_id"] == refine.task_id
    assert obj["meshy_kind"] == "text_to_3d_refine"
    assert obj["meshy_prompt"] == "a weathered bronze lantern"
    assert tuple(round(v, 3) for v in obj.matrix_world.translation) == (1.0, 2.0, 3.0)
    assert obj.select_get() and bpy.context.view_layer.objects.active == obj
    assert_pbr_wired(obj, emission=True)
    assert obj.preview is not None and obj.preview.image_size[0] > 0
    # The price shown before sending is what Meshy charged (preview 20 + refine 10).
    assert balance - connected.balance(connected.paid_key) == 30


def test_preview_can_be_imported_to_judge_the_shape(connected):
    s = settings()
    s.prompt = "a stone gargoyle"
    s.auto_refine = False
    assert generate() == {'FINISHED'}
    [job] = wait()
    [obj] = meshy_objects()
    assert obj["meshy_kind"] == "text_to_3d_preview" and job.status == "DONE"
    # Untextured: no image feeds the base colour.
    assert not principled(obj).inputs["Base Color"].is_linked
    # ...and it can be textured afterwards from its task id.
    assert bpy.ops.meshy.refine_preview(task_id=job.task_id, label="gargoyle") == {'FINISHED'}
    wait()
    textured = [o for o in meshy_objects() if o.get("meshy_kind") == "text_to_3d_refine"]
    assert len(textured) == 1
    assert_pbr_wired(textured[0])


def test_hd_texture_replaces_the_embedded_base_colour(connected):
    s = settings()
    s.prompt = "a carved wooden mask"
    s.hd_texture = True
    assert generate() == {'FINISHED'}
    wait()
    [obj] = [o for o in meshy_objects() if o.type == 'MESH']
    node = linked_from(principled(obj).inputs["Base Color"])
    assert node.image.filepath.endswith("base_color.png")


def test_fbx_is_imported_when_preferred(connected, prefs):
    prefs.model_format = 'fbx'
    s = settings()
    s.prompt = "a leather boot"
    assert generate() == {'FINISHED'}
    done = wait()
    refine = next(j for j in done if j.kind == "text_to_3d_refine")
    assert refine.status == "DONE", refine.message
    assert refine.files["model"].endswith(".fbx")
    assert refine.payload["target_formats"] == ["fbx", "glb"]
    [obj] = [o for o in meshy_objects() if o.type == 'MESH']
    # FBX carries no PBR wiring of its own: the separate maps are connected instead.
    assert_pbr_wired(obj)


def test_image_to_3d_from_a_file(connected, tmp_path):
    s = settings()
    s.mode = 'IMAGE_TO_3D'
    s.image_source = 'FILE'
    s.image_input.filepath = save_png(tmp_path / "robot.png")
    assert generate() == {'FINISHED'}
    [job] = wait()
    assert job.status == "DONE", job.message
    [obj] = [o for o in meshy_objects() if o.type == 'MESH']
    assert obj.name == "robot" and obj["meshy_kind"] == "image_to_3d"
    assert_pbr_wired(obj)


def test_image_to_3d_from_a_blender_image(connected):
    image = bpy.data.images.new("painted concept", 32, 32)
    image.pixels.foreach_set([0.2, 0.4, 0.9, 1.0] * 32 * 32)
    s = settings()
    s.mode = 'IMAGE_TO_3D'
    s.image_source = 'DATABLOCK'
    s.image_input.image = image
    assert generate() == {'FINISHED'}
    [job] = wait()
    assert job.status == "DONE", job.message
    sent = connected.task(job.task_id)
    assert sent["status"] == "SUCCEEDED"


def test_text_to_image_then_use_it_for_image_to_3d(connected):
    s = settings()
    s.mode = 'TEXT_TO_IMAGE'
    s.prompt = "a cute robot, front view"
    s.image_ai_model = 'nano-banana'
    s.aspect_ratio = '16:9'
    assert generate() == {'FINISHED'}
    [job] = wait()
    assert job.status == "DONE", job.message
    images = [i for i in bpy.data.images if i.get("meshy_task_id") == job.task_id]
    assert len(images) == 1 and images[0].packed_file is not None
    width, height = images[0].size
    assert abs(width / height - 16 / 9) < 0.02
    # The finished job offers its image for Image to 3D, by task id (no upload).
    from tests.blender.test_panels import draw_all
    bpy.context.window_manager.meshy.active_job = 0
    assert ("operator", "meshy.use_image_for_3d", "Use for Image to 3D") in draw_all()
    assert bpy.ops.meshy.use_image_for_3d(task_id=job.task_id) == {'FINISHED'}
    assert s.mode == 'IMAGE_TO_3D' and s.image_source == 'TASK'
    assert generate() == {'FINISHED'}
    jobs = wait()
    follow = next(j for j in jobs if j.kind == "image_to_3d")
    assert follow.status == "DONE", follow.message
    assert connected.task(follow.task_id)["status"] == "SUCCEEDED"


def test_multi_image_to_3d(connected, tmp_path):
    s = settings()
    s.mode = 'MULTI_IMAGE_TO_3D'
    for index in range(3):
        bpy.ops.meshy.add_image_input(collection="views")
        s.views[index].filepath = save_png(tmp_path / f"view{index}.png")
    assert generate() == {'FINISHED'}
    [job] = wait()
    assert job.status == "DONE", job.message
    [obj] = [o for o in meshy_objects() if o.type == 'MESH']
    assert obj["meshy_kind"] == "multi_image_to_3d"
    assert_pbr_wired(obj)


def test_image_to_image(connected, tmp_path):
    s = settings()
    s.mode = 'IMAGE_TO_IMAGE'
    s.prompt = "make it look like brushed steel"
    bpy.ops.meshy.add_image_input(collection="references")
    s.references[0].filepath = save_png(tmp_path / "ref.png")
    assert generate() == {'FINISHED'}
    [job] = wait()
    assert job.status == "DONE", job.message
    assert any(i.get("meshy_task_id") == job.task_id for i in bpy.data.images)


def test_concept_image_from_an_openai_compatible_endpoint(connected, prefs):
    prefs.image_base_url = connected.url
    prefs.image_api_key = connected.test_key
    prefs.image_model = "gpt-image-1"
    s = settings()
    s.mode = 'TEXT_TO_IMAGE'
    s.prompt = "a brass telescope"
    s.use_openai_images = True
    assert generate() == {'FINISHED'}
    [job] = wait()
    assert job.status == "DONE", job.message
    images = [i for i in bpy.data.images if i.get("meshy_kind") == "concept_image"]
    assert len(images) == 1 and images[0].size[0] > 0


@pytest.mark.parametrize("configure, cost", [
    (dict(mode='TEXT_TO_3D', ai_model='latest', auto_refine=True), 30),
    (dict(mode='TEXT_TO_3D', ai_model='meshy-5', auto_refine=False), 5),
    (dict(mode='TEXT_TO_3D', ai_model='meshy-5', auto_refine=True), 15),
    (dict(mode='IMAGE_TO_3D', ai_model='meshy-6', should_texture=True), 30),
    (dict(mode='IMAGE_TO_3D', ai_model='meshy-6', should_texture=False), 20),
    (dict(mode='IMAGE_TO_3D', ai_model='meshy-5', should_texture=True), 15),
    (dict(mode='MULTI_IMAGE_TO_3D', ai_model='meshy-5', should_texture=False), 5),
    (dict(mode='TEXT_TO_IMAGE', image_ai_model='nano-banana-pro'), 9),
    (dict(mode='IMAGE_TO_IMAGE', image_ai_model='gpt-image-2'), 12),
    (dict(mode='TEXT_TO_IMAGE', image_ai_model='gpt-image-2', aspect_ratio='3:2'), 9),
])
def test_cost_shown_is_the_pricing_page(connected, configure, cost, tmp_path):
    s = settings()
    s.prompt = "a small bronze owl"
    s.image_input.filepath = save_png(tmp_path / "owl.png")
    bpy.ops.meshy.add_image_input(collection="views")
    s.views[0].filepath = s.image_input.filepath
    bpy.ops.meshy.add_image_input(collection="references")
    s.references[0].filepath = s.image_input.filepath
    for name, value in configure.items():
        setattr(s, name, value)
    request = importlib.import_module(MODULE + ".request")
    assert request.build(bpy.context).cost() == cost
    # ...and that is what Meshy charges.
    before = connected.balance(connected.paid_key)
    assert generate() == {'FINISHED'}
    wait()
    assert before - connected.balance(connected.paid_key) == cost


# --- bad input ----------------------------------------------------------------------------------

def test_bad_settings_disable_the_button_with_the_reason(connected, tmp_path):
    s = settings()
    s.prompt = ""
    assert "Write a prompt first" in generate()
    s.prompt = "x" * 601
    assert "601 characters" in generate()
    s.prompt = "ok"
    s.mode = 'IMAGE_TO_3D'
    s.image_source = 'FILE'
    assert "Choose an image file" in generate()
    s.image_input.filepath = str(tmp_path / "missing.png")
    assert "does not exist" in generate()
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    s.image_input.filepath = str(notes)
    assert "not a supported picture" in generate()
    s.image_source = 'DATABLOCK'
    assert "Choose a Blender image" in generate()
    s.mode = 'MULTI_IMAGE_TO_3D'
    assert "Add 1 to 4 views" in generate()
    for _ in range(5):
        s.views.add().filepath = save_png(tmp_path / "v.png")
    assert "at most 4 views" in generate()
    assert connected.tasks_created == 0


def test_unreadable_image_fails_the_job_clearly(connected, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    s = settings()
    s.mode = 'IMAGE_TO_3D'
    s.image_source = 'FILE'
    s.image_input.filepath = str(broken)
    assert generate() == {'FINISHED'}
    [job] = wait()
    assert job.status == "FAILED"
    # What is wrong (which file, why it cannot be used) and what to do about it.
    assert job.message == ("Cannot read the image 'broken.png': the file is damaged or not an "
                           "image format that can be read (PNG, JPEG, WebP, TGA, BMP, TIFF...). "
                           "Save it again as PNG or JPEG and choose that file.")
    assert connected.tasks_created == 0


def test_no_key_disables_the_button(prefs, emulator):
    prefs.base_url = emulator.url
    settings().prompt = "a chair"
    assert "API key" in generate()


def test_bad_key_ends_in_a_clear_message(prefs, emulator):
    prefs.base_url = emulator.url
    prefs.api_key = "msy_not_a_valid_key"
    settings().prompt = "a chair"
    assert generate() == {'FINISHED'}
    [job] = wait()
    assert job.status == "FAILED" and "API key" in job.message
    assert "msy_not_a_valid_key" not in job.message


def test_no_credits_ends_in_a_clear_message(connected):
    connected.set_balance(connected.paid_key, 3)
    settings().prompt = "a chair"
    assert generate() == {'FINISHED'}
    [job] = wait()
    assert job.status == "FAILED" and "credits" in job.message.lower()
    assert connected.balance(connected.paid_key) == 3


def test_rate_limits_are_retried_quietly(connected):
    connected.faults(rate_limit={"count": 2, "retry_after": 1})
    settings().prompt = "a chair"
    settings().auto_refine = False
    assert generate() == {'FINISHED'}
    [job] = wait()
    assert job.status == "DONE", job.message


@pytest.mark.parametrize("code, words", [
    ("moderation_blocked", "safety"),
    ("image_too_complex", "too complex"),
    ("timeout", "time limit"),
])
def test_failed_tasks_show_the_message_and_doc_link(connected, code, words):
    connected.faults(fail_tasks={"code": code})
    settings().prompt = "a chair"
    settings().auto_refine = False
    assert generate() == {'FINISHED'}
    [job] = wait()
    assert job.status == "FAILED"
    assert words in job.message.lower()
    assert job.doc_url.endswith(code.replace("_", "-"))
    assert connected.balance(connected.paid_key) == 1000, "a failed task is refunded"


def test_the_account_strip_shows_the_balance_after_a_job(connected):
    settings().prompt = "a teacup"
    settings().auto_refine = False
    assert generate() == {'FINISHED'}
    wait()
    view = bpy.context.window_manager.meshy
    assert view.balance_known and view.balance == connected.balance(connected.paid_key) == 980
