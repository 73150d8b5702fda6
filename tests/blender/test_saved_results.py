"""Nothing imported is lost on save: every kind of result the add-on brings into a file is still
there after saving and reopening it, with its task tags, its material images and its actions."""

import os

import bpy

from tests.blender.test_generate import generate, save_png, settings
from tests.blender.test_scene import run, select_only, suzanne, tall_character, wait


def make_every_result(connected, prefs, tmp_path):
    """One file holding a result of every kind; returns the finished jobs."""
    prefs.image_base_url = connected.url
    prefs.image_api_key = connected.test_key
    prefs.image_model = "gpt-image-1"
    picture = save_png(tmp_path / "lamp.png")
    s = settings()
    presses = [
        dict(mode='TEXT_TO_3D', prompt="a clay pot", auto_refine=False),            # preview
        dict(mode='TEXT_TO_3D', prompt="a brass lamp", auto_refine=True),           # refined
        dict(mode='TEXT_TO_IMAGE', prompt="a lamp, front view"),
        dict(mode='TEXT_TO_IMAGE', prompt="a lamp concept", use_openai_images=True),
        dict(mode='IMAGE_TO_IMAGE', prompt="make it wooden", use_openai_images=False),
        dict(mode='IMAGE_TO_3D', image_source='FILE'),
        dict(mode='MULTI_IMAGE_TO_3D'),
    ]
    s.image_input.filepath = picture
    s.views.add().filepath = picture
    s.references.add().filepath = picture
    for press in presses:
        for name, value in press.items():
            setattr(s, name, value)
        assert generate() == {'FINISHED'}, press

    tools = s.tools
    tools.style_prompt = "green marble"
    tools.convert_formats = {'obj'}
    tools.target_polycount = 500
    for index, (operator, keep_uvs) in enumerate((
            (bpy.ops.meshy.retexture, False),      # a new object
            (bpy.ops.meshy.retexture, True),       # the material swapped in place
            (bpy.ops.meshy.remesh, None), (bpy.ops.meshy.convert, None),
            (bpy.ops.meshy.resize, None), (bpy.ops.meshy.analyze_printability, None),
            (bpy.ops.meshy.repair_printability, None))):
        source = suzanne()
        source.name = f"Source {index}"
        source.location.x = 3.0 * index
        select_only(source)
        if keep_uvs is not None:
            tools.enable_original_uv = keep_uvs
        assert run(operator) == {'FINISHED'}
    select_only(tall_character())
    assert run(bpy.ops.meshy.rig) == {'FINISHED'}
    wait()
    armature = next(o for o in bpy.data.objects if o.type == 'ARMATURE'
                    and o.get("meshy_kind") == "rigging")
    select_only(armature)
    tools.action_name = "Wave"
    assert run(bpy.ops.meshy.animate) == {'FINISHED'}
    done = wait()
    assert all(j.status == "DONE" for j in done), [(j.kind, j.message) for j in done
                                                   if j.status != "DONE"]
    return done


def material_images(obj):
    return sorted(node.image.name
                  for slot in obj.material_slots if slot.material and slot.material.node_tree
                  for node in slot.material.node_tree.nodes
                  if node.type == 'TEX_IMAGE' and node.image is not None)


def snapshot():
    """What the results are, by name: enough to tell whether saving kept all of it."""
    tagged = [o for o in bpy.data.objects if "meshy_task_id" in o]
    return {
        "objects": sorted((o.name, o["meshy_task_id"]) for o in tagged),
        "images": sorted((i.name, i["meshy_task_id"]) for i in bpy.data.images
                         if "meshy_task_id" in i),
        "actions": sorted((a.name, a.get("meshy_task_id", "")) for a in bpy.data.actions),
        "material images": sorted((o.name, material_images(o)) for o in tagged),
        "reports": sorted(o.name for o in bpy.data.objects if "meshy_printability" in o),
        "tracks": sorted((o.name, t.name, t.strips[0].action.name if t.strips[0].action else "")
                         for o in bpy.data.objects if o.animation_data
                         for t in o.animation_data.nla_tracks),
    }


def test_every_result_kind_survives_save_and_reopen(connected, prefs, tmp_path):
    done = make_every_result(connected, prefs, tmp_path)
    kinds = {j.kind for j in done}
    assert kinds >= {"text_to_3d_preview", "text_to_3d_refine", "image_to_3d",
                     "multi_image_to_3d", "text_to_image", "image_to_image", "concept_image",
                     "retexture", "remesh", "convert", "resize", "rigging", "animation",
                     "analyze_printability", "repair_printability"}, kinds
    before = snapshot()
    # Every job left something behind that the snapshot sees.
    tagged = {task for key in ("objects", "images") for _, task in before[key]}
    tagged |= {task for _, task in before["actions"]}
    for job in done:
        if job.kind == "analyze_printability":
            assert job.options["source_object"] in before["reports"]
        elif job.kind == "concept_image":
            assert any(i.get("meshy_kind") == "concept_image" for i in bpy.data.images)
        elif job.options.get("import") is not False:
            assert job.task_id in tagged, job.kind
    swapped = next(j for j in done if j.kind == "retexture" and j.options.get("apply_material"))
    assert bpy.data.objects[swapped.options["source_object"]]["meshy_task_id"] == swapped.task_id
    rig = next(o for o in bpy.data.objects if o.get("meshy_kind") == "rigging"
               and o.type == 'ARMATURE')
    assert {"Walking", "Running", "Wave"} <= {t.name for t in rig.animation_data.nla_tracks}

    path = str(tmp_path / "results.blend")
    assert bpy.ops.wm.save_as_mainfile(filepath=path) == {'FINISHED'}
    assert bpy.ops.wm.open_mainfile(filepath=path) == {'FINISHED'}

    after = snapshot()
    for key in before:
        assert after[key] == before[key], key
    for image in bpy.data.images:
        if "meshy_task_id" in image:
            assert image.packed_file is not None, image.name
    for name in {n for _, names in after["material images"] for n in names}:
        image = bpy.data.images[name]
        assert image.packed_file is not None or os.path.isfile(bpy.path.abspath(image.filepath))
        assert image.size[0] > 0, name
