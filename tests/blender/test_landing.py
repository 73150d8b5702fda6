"""Credits are spent only on work that can land: what could fail in this file is refused (or
planned around) before the create call, and a result that still cannot land after payment fails
with a message and a fallback import that works. Never a traceback."""

import importlib
import os

import bpy
import pytest

from tests.blender.harness import MODULE
from tests.blender.test_scene import run, select_only, suzanne, tall_character, wait


def jobs_module():
    return importlib.import_module(MODULE + ".jobs")


def assert_no_traceback(capfd):
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err, out + err


def link_from_library(tmp_path, obj):
    """Write `obj` into a library .blend, remove it here, and link it back into the scene."""
    name = obj.name
    library = tmp_path / f"{name}-library.blend"
    bpy.data.libraries.write(str(library), {obj}, fake_user=True)
    bpy.data.objects.remove(obj)
    with bpy.data.libraries.load(str(library), link=True) as (_source, target):
        target.objects = [name]
    linked = target.objects[0]
    bpy.context.scene.collection.objects.link(linked)
    assert linked.library is not None
    return linked


def balance(emulator):
    return emulator.balance(emulator.paid_key)


# --- refused (or planned around) before anything is paid -----------------------------------------

@pytest.mark.parametrize("where", ["a folder", "under a file"])
def test_3mf_to_a_place_it_cannot_be_written_is_refused_before_paying(connected, tmp_path, capfd,
                                                                      where):
    if where == "a folder":
        target = tmp_path / "prints.3mf"
        target.mkdir()
    else:
        (tmp_path / "notes.txt").write_text("a file, not a folder")
        target = tmp_path / "notes.txt" / "suzanne.3mf"
    select_only(suzanne())
    before = balance(connected)
    message = run(bpy.ops.meshy.multi_color_print, filepath=str(target))
    assert message != {'FINISHED'}
    assert "3MF" in message or "save" in message.lower(), message
    assert connected.tasks_created == 0 and balance(connected) == before
    assert not jobs_module().engine().jobs
    assert_no_traceback(capfd)


def test_analysis_of_a_linked_object_is_refused_before_sending(connected, tmp_path):
    linked = link_from_library(tmp_path, suzanne())
    select_only(linked)
    message = run(bpy.ops.meshy.analyze_printability)
    assert "linked" in message and "Make Local" in message, message
    assert connected.tasks_created == 0


def test_animating_a_linked_rig_is_refused_before_paying(connected, tmp_path):
    bpy.ops.object.armature_add()
    rig = bpy.context.active_object
    rig.name = "Library Rig"
    rig["meshy_kind"] = "rigging"
    rig["meshy_task_id"] = "0190aaaa-0000-7000-8000-000000000001"
    linked = link_from_library(tmp_path, rig)
    select_only(linked)
    before = balance(connected)
    message = run(bpy.ops.meshy.animate)
    assert "linked" in message and "Library Override" in message, message
    assert connected.tasks_created == 0 and balance(connected) == before


def test_retexture_of_a_linked_object_lands_as_a_new_object(connected, tmp_path, capfd):
    linked = link_from_library(tmp_path, suzanne())
    material_before = linked.active_material
    select_only(linked)
    tools = bpy.context.scene.meshy.tools
    tools.style_prompt = "weathered copper"
    tools.enable_original_uv = True
    assert run(bpy.ops.meshy.retexture) == {'FINISHED'}
    [job] = wait()
    assert job.status == "DONE", job.message
    made = [o for o in bpy.data.objects if o.get("meshy_task_id") == job.task_id]
    assert made and linked not in made and all(o.library is None for o in made)
    assert linked.active_material == material_before
    assert_no_traceback(capfd)


def test_retry_checks_again_before_paying(connected, tmp_path):
    connected.set_balance(connected.paid_key, 0)
    target = tmp_path / "prints" / "suzanne.3mf"
    select_only(suzanne())
    assert run(bpy.ops.meshy.multi_color_print, filepath=str(target)) == {'FINISHED'}
    [job] = wait()
    assert job.status == "FAILED" and "credits" in job.message.lower()
    connected.set_balance(connected.paid_key, 1000)
    (tmp_path / "prints").write_text("now a file where the folder should be")
    message = run(bpy.ops.meshy.retry_job, job_id=job.id)
    assert message != {'FINISHED'} and "prints" in message, message
    assert connected.tasks_created == 0


# --- paid for, then it could not land: a message and a fallback that works -------------------------

def test_a_3mf_whose_folder_broke_after_paying_can_be_saved_elsewhere(connected, tmp_path, capfd):
    target = tmp_path / "prints" / "suzanne.3mf"
    select_only(suzanne())
    assert run(bpy.ops.meshy.multi_color_print, filepath=str(target)) == {'FINISHED'}
    # While Meshy works, something else takes the folder's name.
    (tmp_path / "prints").write_text("not a folder any more")
    [job] = wait()
    assert job.status == "FAILED"
    assert "suzanne.3mf" in job.message and "another place" in job.message, job.message
    assert os.path.isfile(job.files["model"]), "the paid-for file is kept"
    assert_no_traceback(capfd)

    elsewhere = tmp_path / "elsewhere" / "suzanne.3mf"
    assert run(bpy.ops.meshy.import_job, job_id=job.id, filepath=str(elsewhere)) == {'FINISHED'}
    assert elsewhere.read_bytes()[:2] == b"PK"
    assert job.status == "DONE"
    assert connected.tasks_created == 1
    assert_no_traceback(capfd)


def test_a_material_swap_whose_object_is_gone_imports_as_a_new_object(connected, capfd):
    source = suzanne()
    select_only(source)
    tools = bpy.context.scene.meshy.tools
    tools.style_prompt = "painted porcelain"
    tools.enable_original_uv = True
    assert run(bpy.ops.meshy.retexture) == {'FINISHED'}
    bpy.data.objects.remove(source)  # deleted while Meshy works
    [job] = wait()
    assert job.status == "FAILED"
    assert "Suzanne" in job.message and "Import as New Object" in job.message, job.message
    assert not [o for o in bpy.data.objects if o.get("meshy_task_id") == job.task_id]
    assert_no_traceback(capfd)
    # The Jobs panel offers the fallback the message names.
    from tests.blender.test_panels import draw_all
    bpy.context.window_manager.meshy.active_job = 0
    assert ("operator", "meshy.import_job", "Import as New Object") in draw_all()

    assert run(bpy.ops.meshy.import_job, job_id=job.id, as_new_object=True) == {'FINISHED'}
    made = [o for o in bpy.data.objects if o.get("meshy_task_id") == job.task_id
            and o.type == 'MESH']
    assert made and made[0].active_material is not None
    assert job.status == "DONE"
    assert connected.tasks_created == 1
    assert_no_traceback(capfd)


def test_an_animation_whose_rig_is_gone_imports_as_a_new_character(connected, capfd):
    hero = tall_character()
    select_only(hero)
    assert run(bpy.ops.meshy.rig) == {'FINISHED'}
    wait()
    armature = next(o for o in bpy.data.objects if o.type == 'ARMATURE')
    select_only(armature)
    assert run(bpy.ops.meshy.animate) == {'FINISHED'}
    bpy.data.objects.remove(armature)
    job = next(j for j in wait() if j.kind == "animation")
    assert job.status == "FAILED" and "Import as New Object" in job.message, job.message
    assert_no_traceback(capfd)

    assert run(bpy.ops.meshy.import_job, job_id=job.id, as_new_object=True) == {'FINISHED'}
    made = [o for o in bpy.data.objects if o.get("meshy_task_id") == job.task_id]
    assert any(o.type == 'ARMATURE' for o in made)
    assert_no_traceback(capfd)


def test_retrying_a_paid_result_that_could_not_land_does_not_pay_again(connected, tmp_path):
    target = tmp_path / "prints" / "suzanne.3mf"
    select_only(suzanne())
    assert run(bpy.ops.meshy.multi_color_print, filepath=str(target)) == {'FINISHED'}
    (tmp_path / "prints").write_text("in the way")
    [job] = wait()
    assert job.status == "FAILED"
    (tmp_path / "prints").unlink()  # the artist clears the way, then presses Retry
    assert run(bpy.ops.meshy.retry_job, job_id=job.id) == {'FINISHED'}
    [retried] = wait()
    assert retried.status == "DONE", retried.message
    assert retried.task_id == job.task_id
    assert target.read_bytes()[:2] == b"PK"
    assert connected.tasks_created == 1
