"""Working on what is in the scene: retexture, remesh, convert, resize, rig, animate, print checks,
history. Real operators, the installed zip, Blender's exporter and importers, the emulator."""

import importlib
import os
import time

import bpy
import pytest

from tests.blender.harness import MODULE


def jobs_module():
    return importlib.import_module(MODULE + ".jobs")


def run(op, **kw):
    """Call an operator; returns its result, or the message it failed with."""
    try:
        return op(**kw)
    except RuntimeError as exc:
        return str(exc)


def wait():
    bpy.ops.meshy.wait_jobs(timeout=90)
    engine = jobs_module().engine()
    assert not engine.busy()
    return list(engine.jobs.values())


def select_only(*objects):
    for obj in bpy.context.view_layer.objects:
        obj.select_set(False)
    for obj in objects:
        obj.select_set(True)
    bpy.context.view_layer.objects.active = objects[0] if objects else None


def world_positions(obj):
    """Rounded world positions of the evaluated mesh: what the object looks like."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    evaluated = obj.evaluated_get(depsgraph)
    mesh = evaluated.to_mesh()
    try:
        return {tuple(round(c, 3) for c in obj.matrix_world @ v.co) for v in mesh.vertices}
    finally:
        evaluated.to_mesh_clear()


def bounds(points):
    return tuple(round(min(p[i] for p in points), 3) for i in range(3)), \
        tuple(round(max(p[i] for p in points), 3) for i in range(3))


def suzanne():
    bpy.ops.mesh.primitive_monkey_add(location=(2.0, -1.0, 0.5), rotation=(0.0, 0.0, 0.7))
    obj = bpy.context.active_object
    obj.name = "Suzanne"
    return obj


def new_mesh_job(kind):
    return next(j for j in jobs_module().engine().jobs.values() if j.kind == kind)


def principled_links(obj):
    bsdf = next(n for n in obj.active_material.node_tree.nodes if n.type == 'BSDF_PRINCIPLED')
    return {s.name for s in bsdf.inputs if s.is_linked}


def test_retexture_round_trip_keeps_the_geometry(connected):
    source = suzanne()
    source.scale = (1.5, 1.0, 0.8)                    # unapplied scale
    source.modifiers.new("bevel", 'BEVEL').width = 0.02  # an unapplied modifier
    expected = world_positions(source)
    select_only(source)
    tools = bpy.context.scene.meshy.tools
    tools.style_prompt = "mossy stone"
    tools.enable_original_uv = False
    assert run(bpy.ops.meshy.retexture) == {'FINISHED'}
    [job] = wait()
    assert job.status == "DONE", job.message
    assert "model_url" in job.payload and "input_task_id" not in job.payload
    result = next(o for o in bpy.data.objects if o.get("meshy_task_id") == job.task_id
                  and o.type == 'MESH')
    got = world_positions(result)
    assert len(got) == len(expected)
    assert bounds(got) == bounds(expected)
    assert source.hide_get() and source.name in bpy.data.objects, "hidden, never deleted"
    assert {"Base Color", "Metallic", "Roughness", "Normal"} <= principled_links(result)


def test_retexture_keeping_uvs_replaces_the_material_only(connected):
    source = suzanne()
    vertices = len(source.data.vertices)
    select_only(source)
    tools = bpy.context.scene.meshy.tools
    tools.style_prompt = "polished brass"
    tools.enable_original_uv = True
    assert run(bpy.ops.meshy.retexture) == {'FINISHED'}
    [job] = wait()
    assert job.status == "DONE", job.message
    assert [o for o in bpy.data.objects if o.type == 'MESH'] == [source]
    assert len(source.data.vertices) == vertices
    assert source["meshy_task_id"] == job.task_id
    assert {"Base Color", "Normal"} <= principled_links(source)


def test_meshy_objects_are_sent_by_task_id_without_upload(connected):
    jobs = jobs_module()
    jobs.submit(bpy.context, "text_to_3d_preview",
                {"mode": "preview", "prompt": "a vase", "target_formats": ["glb"]}, "a vase")
    [preview] = wait()
    made = next(o for o in bpy.data.objects if o.get("meshy_task_id") == preview.task_id)
    select_only(made)
    bpy.context.scene.meshy.tools.style_prompt = "blue glaze"
    bpy.context.scene.meshy.tools.enable_original_uv = False
    assert run(bpy.ops.meshy.retexture) == {'FINISHED'}
    wait()
    retexture = new_mesh_job("retexture")
    assert retexture.payload["input_task_id"] == preview.task_id
    assert "model_url" not in retexture.payload
    assert retexture.status == "DONE", retexture.message
    assert ("POST", "/openapi/v1/retexture") in connected.request_log


def test_expired_task_ids_fall_back_to_uploading(connected):
    source = suzanne()
    source["meshy_task_id"] = "0190-expired"
    source["meshy_kind"] = "text_to_3d_preview"
    source["meshy_expires_at"] = time.time() - 60
    select_only(source)
    bpy.context.scene.meshy.tools.style_prompt = "rusty iron"
    assert run(bpy.ops.meshy.retexture) == {'FINISHED'}
    [job] = wait()
    assert "model_url" in job.payload and "input_task_id" not in job.payload
    assert job.status == "DONE", job.message


def test_multi_object_and_linked_selections_export_together(connected):
    first = suzanne()
    bpy.ops.object.duplicate_move_linked(TRANSFORM_OT_translate={"value": (3.0, 0.0, 0.0)})
    second = bpy.context.active_object
    assert second.data == first.data
    expected = world_positions(first) | world_positions(second)
    select_only(first, second)
    bpy.context.scene.meshy.tools.style_prompt = "gold"
    bpy.context.scene.meshy.tools.enable_original_uv = False
    assert run(bpy.ops.meshy.retexture) == {'FINISHED'}
    [job] = wait()
    assert job.status == "DONE", job.message
    results = [o for o in bpy.data.objects if o.get("meshy_task_id") == job.task_id
               and o.type == 'MESH']
    got = set().union(*(world_positions(o) for o in results))
    assert bounds(got) == bounds(expected)


def tall_character():
    bpy.ops.mesh.primitive_cube_add(size=1.0, location=(0.0, 0.0, 0.9))
    obj = bpy.context.active_object
    obj.name = "Hero"
    obj.scale = (0.5, 0.3, 1.8)
    return obj


def rig(connected):
    hero = tall_character()
    select_only(hero)
    assert run(bpy.ops.meshy.rig) == {'FINISHED'}
    [job] = wait()
    assert job.status == "DONE", job.message
    armatures = [o for o in bpy.data.objects if o.type == 'ARMATURE']
    assert len(armatures) == 1
    return job, armatures[0]


def test_rig_gives_a_bound_armature_with_walk_and_run(connected):
    job, armature = rig(connected)
    assert job.payload["height_meters"] == pytest.approx(1.8, abs=0.01)
    skinned = [o for o in bpy.data.objects if o.type == 'MESH' and o.find_armature() == armature]
    assert skinned, "the character mesh is bound to the armature"
    mesh = skinned[0]
    assert mesh.vertex_groups and {g.name for g in mesh.vertex_groups} <= \
        {b.name for b in armature.data.bones}
    assert any(m.type == 'ARMATURE' and m.object == armature for m in mesh.modifiers)
    tracks = {t.name: t for t in armature.animation_data.nla_tracks}
    assert {"Walking", "Running"} <= set(tracks)
    assert all(track.strips[0].action for track in tracks.values())
    assert armature["meshy_kind"] == "rigging" and armature["meshy_task_id"] == job.task_id


def test_five_animations_make_one_character_with_five_actions(connected):
    _, armature = rig(connected)
    select_only(armature)
    assert run(bpy.ops.meshy.fetch_animations) == {'FINISHED'}
    catalogue = bpy.context.window_manager.meshy.animations
    assert len(catalogue) >= 5
    names = []
    for entry in list(catalogue)[:5]:
        bpy.ops.meshy.pick_animation(action_id=entry.action_id, name=entry.name)
        assert run(bpy.ops.meshy.animate) == {'FINISHED'}
        names.append(entry.name)
    done = wait()
    assert all(j.status == "DONE" for j in done), [j.message for j in done]
    assert len([o for o in bpy.data.objects if o.type == 'ARMATURE']) == 1
    animation_tasks = {j.task_id for j in done if j.kind == "animation"}
    strips = [t.strips[0] for t in armature.animation_data.nla_tracks]
    animated = [s for s in strips if s.action.get("meshy_task_id") in animation_tasks]
    assert len({s.action.name for s in animated}) == 5
    assert sorted(s.action.name for s in animated) == sorted(names)


def test_animation_frame_rate_post_processing(connected):
    _, armature = rig(connected)
    select_only(armature)
    tools = bpy.context.scene.meshy.tools
    tools.action_id = 92
    tools.action_name = "Double Combo Attack"
    tools.fps = '24'
    assert run(bpy.ops.meshy.animate) == {'FINISHED'}
    done = wait()
    job = next(j for j in done if j.kind == "animation")
    assert job.status == "DONE", job.message
    assert job.payload["post_process"] == {"operation_type": "change_fps", "fps": 24}
    assert "Double Combo Attack" in [t.name for t in armature.animation_data.nla_tracks]


def test_remesh_convert_resize_take_the_place_of_the_source(connected):
    tools = bpy.context.scene.meshy.tools
    source = suzanne()
    select_only(source)
    tools.remesh.target_polycount = 300
    assert run(bpy.ops.meshy.remesh) == {'FINISHED'}
    [remesh] = wait()
    assert remesh.status == "DONE", remesh.message
    assert source.hide_get()
    remeshed = next(o for o in bpy.data.objects if o.get("meshy_kind") == "remesh")
    assert len(remeshed.data.polygons) < len(source.data.polygons)

    select_only(remeshed)
    tools.convert_formats = {'fbx', 'obj', 'stl'}
    assert run(bpy.ops.meshy.convert) == {'FINISHED'}
    wait()
    convert = new_mesh_job("convert")
    assert convert.status == "DONE", convert.message
    formats = {os.path.splitext(p)[1] for p in convert.files.values()}
    assert {".fbx", ".obj", ".stl", ".glb"} <= formats

    cube = tall_character()
    select_only(cube)
    tools.resize_mode = 'HEIGHT'
    tools.resize_value = 0.5
    assert run(bpy.ops.meshy.resize) == {'FINISHED'}
    wait()
    resize = new_mesh_job("resize")
    assert resize.status == "DONE", resize.message
    resized = next(o for o in bpy.data.objects if o.get("meshy_kind") == "resize"
                   and o.type == 'MESH')
    heights = [p[2] for p in world_positions(resized)]
    assert max(heights) - min(heights) == pytest.approx(0.5, abs=0.02)


def test_print_checks(connected, tmp_path):
    source = suzanne()
    select_only(source)
    assert run(bpy.ops.meshy.analyze_printability) == {'FINISHED'}
    [analyze] = wait()
    assert analyze.status == "DONE", analyze.message
    assert "is_watertight" in source["meshy_printability"]
    assert connected.balance(connected.paid_key) == 1000, "analysis is free"

    select_only(source)
    assert run(bpy.ops.meshy.repair_printability) == {'FINISHED'}
    wait()
    assert any(o.get("meshy_kind") == "repair_printability" for o in bpy.data.objects)

    target = tmp_path / "print" / "suzanne.3mf"
    select_only(source)
    source.hide_set(False)
    select_only(source)
    assert run(bpy.ops.meshy.multi_color_print, filepath=str(target)) == {'FINISHED'}
    wait()
    assert target.is_file() and target.read_bytes()[:2] == b"PK"


def test_history_lists_and_imports(connected):
    jobs = jobs_module()
    for prompt in ("a red kettle", "a green kettle"):  # one after the other: a known order
        jobs.submit(bpy.context, "text_to_3d_preview",
                    {"mode": "preview", "prompt": prompt, "target_formats": ["glb"]}, prompt,
                    options={"import": False})
        wait()
    tools = bpy.context.scene.meshy.tools
    tools.history_kind = "text_to_3d_preview"
    assert run(bpy.ops.meshy.fetch_history, page=1) == {'FINISHED'}
    history = bpy.context.window_manager.meshy.history
    assert [h.label for h in history] == ["a green kettle", "a red kettle"], "newest first"
    assert all(h.thumbnail and os.path.isfile(h.thumbnail) for h in history)
    item = history[1]
    assert run(bpy.ops.meshy.import_task, task_id=item.task_id, kind=item.kind,
               label=item.label) == {'FINISHED'}
    wait()
    assert [o for o in bpy.data.objects if o.get("meshy_task_id") == item.task_id]
    # ...and a past task is usable as the input of the next step, by id.
    assert run(bpy.ops.meshy.remesh, input_task_id=item.task_id) == {'FINISHED'}
    wait()
    remesh = new_mesh_job("remesh")
    assert remesh.payload["input_task_id"] == item.task_id and "model_url" not in remesh.payload
    assert remesh.status == "DONE", remesh.message


# --- bad input ----------------------------------------------------------------------------------

def test_bad_selections_say_what_to_do(connected):
    select_only()
    assert "Select a mesh object first" in run(bpy.ops.meshy.retexture)
    bpy.ops.object.camera_add()
    select_only(bpy.context.active_object)
    assert "not a mesh" in run(bpy.ops.meshy.remesh)
    empty = bpy.data.objects.new("Empty mesh", bpy.data.meshes.new("nothing"))
    bpy.context.collection.objects.link(empty)
    select_only(empty)
    assert "has no faces" in run(bpy.ops.meshy.rig)
    bpy.ops.mesh.primitive_grid_add(x_subdivisions=400, y_subdivisions=400)
    select_only(bpy.context.active_object)
    message = run(bpy.ops.meshy.rig)
    assert "300,000" in message and "Remesh" in message
    assert connected.tasks_created == 0


def test_animation_needs_a_meshy_rig(connected):
    bpy.ops.object.armature_add()
    select_only(bpy.context.active_object)
    assert "not rigged by Meshy" in run(bpy.ops.meshy.animate)
    suzanne()
    select_only(bpy.context.active_object)
    assert "rigged by Meshy" in run(bpy.ops.meshy.animate)


def test_rig_pose_failure_explains_the_convention(connected):
    connected.faults(rig_pose_failure=1)
    hero = tall_character()
    select_only(hero)
    assert run(bpy.ops.meshy.rig) == {'FINISHED'}
    [job] = wait()
    assert job.status == "FAILED"
    assert "humanoid" in job.message and "+Z" in job.message


def test_missing_uv_failure_explains_what_to_do(connected):
    connected.faults(fail_tasks={"code": "model_missing_uv"})
    source = suzanne()
    select_only(source)
    bpy.context.scene.meshy.tools.style_prompt = "chalk"
    assert run(bpy.ops.meshy.retexture) == {'FINISHED'}
    [job] = wait()
    assert job.status == "FAILED" and "UV" in job.message


def test_catalogue_is_kept_for_when_it_is_unreachable(connected):
    catalogue = importlib.import_module(MODULE + ".operators.catalogue")
    cache = catalogue.catalogue_cache_path()
    if os.path.exists(cache):
        os.remove(cache)
    connected.faults(http_500={"count": 50, "path": "/web/public/animations"})
    message = run(bpy.ops.meshy.fetch_animations)
    assert "Action ID" in message, "with nothing kept, the manual id is the way on"
    assert bpy.context.scene.meshy.tools.action_id == 92

    connected.reset()
    assert run(bpy.ops.meshy.fetch_animations) == {'FINISHED'}
    fetched = len(bpy.context.window_manager.meshy.animations)
    bpy.context.window_manager.meshy.animations.clear()
    connected.faults(http_500={"count": 50, "path": "/web/public/animations"})
    assert run(bpy.ops.meshy.fetch_animations) == {'FINISHED'}
    assert len(bpy.context.window_manager.meshy.animations) == fetched
