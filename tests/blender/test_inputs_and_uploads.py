"""Inputs and what they leave behind: EXR pictures are sent, upload files live in the add-on's user
folder and go once no job can need them, and job actions on unknown jobs say so."""

import glob
import importlib
import io
import os
import tempfile

import bpy
import pytest

from tests.blender.harness import MODULE
from tests.blender.test_generate import generate, settings
from tests.blender.test_jobs import preview, pump_until
from tests.blender.test_scene import run, select_only, suzanne, wait


def uploads_folder():
    return bpy.utils.extension_path_user(MODULE, path="uploads", create=True)


def files_under(folder):
    return sorted(os.path.join(root, name) for root, _dirs, names in os.walk(folder)
                  for name in names)


def system_temp_uploads():
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "meshy-upload-*"))
               + glob.glob(os.path.join(tempfile.gettempdir(), "meshy-render-*")))


def upload_path(job):
    return job.payload["model_url"].args[0]


def send_retexture_by_upload():
    select_only(suzanne())
    tools = bpy.context.scene.meshy.tools
    tools.style_prompt = "rough granite"
    tools.enable_original_uv = False
    assert run(bpy.ops.meshy.retexture) == {'FINISHED'}
    jobs = importlib.import_module(MODULE + ".jobs")
    return next(j for j in jobs.engine().jobs.values() if j.kind == "retexture")


# --- job actions ---------------------------------------------------------------------------------

def test_deleting_a_job_that_is_not_in_the_list_says_so(jobs, capfd):
    assert bpy.ops.meshy.delete_job(job_id="no-such-job") == {'CANCELLED'}
    out, _err = capfd.readouterr()
    assert "no longer in the list" in out
    assert "Deleted" not in out


# --- EXR pictures ----------------------------------------------------------------------------------

def write_exr(path, colour=(0.2, 0.5, 0.9, 1.0), width=16, height=8):
    image = bpy.data.images.new("exr writer", width, height, float_buffer=True)
    image.pixels.foreach_set(list(colour) * (width * height))
    image.filepath_raw = str(path)
    image.file_format = 'OPEN_EXR'
    image.save()
    bpy.data.images.remove(image)
    assert open(path, "rb").read(4) == b"\x76\x2f\x31\x01", "Blender wrote a real OpenEXR file"
    return str(path)


def srgb_byte(linear):
    value = linear * 12.92 if linear <= 0.0031308 else 1.055 * linear ** (1 / 2.4) - 0.055
    return round(255 * min(1.0, max(0.0, value)))


@pytest.mark.parametrize("source", ['FILE', 'DATABLOCK'])
def test_exr_pictures_are_sent_as_png(connected, tmp_path, source):
    path = write_exr(tmp_path / "hdr concept.exr")
    reference = bpy.data.images.load(path, check_existing=False)
    expected = [srgb_byte(v) for v in reference.pixels[:3]]
    bpy.data.images.remove(reference)
    s = settings()
    s.mode = 'IMAGE_TO_3D'
    s.image_source = source
    if source == 'FILE':
        s.image_input.filepath = path
    else:
        s.image_input.image = bpy.data.images.load(path)
    images_before = set(bpy.data.images)
    assert generate() == {'FINISHED'}
    assert set(bpy.data.images) == images_before, "the temporary image is removed"

    # What the job sends: a PNG with the EXR's colours, encoded for display.
    jobs = importlib.import_module(MODULE + ".jobs")
    [job] = jobs.engine().jobs.values()
    sent = job.payload["image_url"].resolve()
    assert sent.mime == "image/png"
    from PIL import Image
    picture = Image.open(io.BytesIO(sent.payload()))
    assert picture.size == (16, 8)
    assert all(abs(a - b) <= 2 for a, b in zip(picture.getpixel((0, 0))[:3], expected)), \
        (picture.getpixel((0, 0)), expected)

    [job] = wait()
    assert job.status == "DONE", job.message


# --- upload files ----------------------------------------------------------------------------------

def test_an_upload_lives_in_the_user_folder_and_goes_when_the_job_is_done(connected):
    temp_before = system_temp_uploads()
    job = send_retexture_by_upload()
    path = upload_path(job)
    assert os.path.isfile(path)
    assert os.path.realpath(path).startswith(os.path.realpath(uploads_folder()) + os.sep)
    [job] = wait()
    assert job.status == "DONE", job.message
    assert files_under(uploads_folder()) == []
    assert system_temp_uploads() == temp_before


def test_an_upload_stopped_before_sending_is_kept_for_retry_then_removed(connected, prefs, jobs):
    prefs.max_in_flight = 1
    connected.task_seconds = 1.5
    preview(jobs, "a slow teapot ahead in line")
    job = send_retexture_by_upload()
    assert job.status == "QUEUED"
    assert bpy.ops.meshy.stop_job(job_id=job.id) == {'FINISHED'}
    assert job.status == "STOPPED"
    path = upload_path(job)
    assert os.path.isfile(path), "a retry still needs it"

    assert bpy.ops.meshy.retry_job(job_id=job.id) == {'FINISHED'}
    done = wait()
    assert [j.status for j in done] == ["DONE", "DONE"], [j.message for j in done]
    assert not os.path.exists(path)
    assert files_under(uploads_folder()) == []
    assert connected.tasks_created == 2


def test_clearing_a_job_stopped_before_sending_removes_its_upload(connected, prefs, jobs):
    prefs.max_in_flight = 1
    connected.task_seconds = 1.0
    preview(jobs, "another teapot ahead in line")
    job = send_retexture_by_upload()
    path = upload_path(job)
    assert bpy.ops.meshy.stop_job(job_id=job.id) == {'FINISHED'}
    assert pump_until(jobs, lambda: not jobs.engine().busy())
    assert os.path.isfile(path)
    assert bpy.ops.meshy.clear_finished() == {'FINISHED'}
    assert not os.path.exists(path)
    assert files_under(uploads_folder()) == []


def test_a_render_sent_as_an_image_leaves_no_file(connected):
    scene = bpy.context.scene
    scene.render.engine = 'CYCLES'
    scene.cycles.samples = 1
    scene.cycles.device = 'CPU'
    scene.render.resolution_x, scene.render.resolution_y = 32, 24
    bpy.ops.mesh.primitive_cube_add()
    bpy.ops.object.camera_add(location=(0.0, -5.0, 0.0), rotation=(1.5708, 0.0, 0.0))
    scene.camera = bpy.context.active_object
    assert bpy.ops.render.render() == {'FINISHED'}
    temp_before = system_temp_uploads()
    s = settings()
    s.mode = 'IMAGE_TO_3D'
    s.image_source = 'DATABLOCK'
    s.image_input.image = bpy.data.images["Render Result"]
    assert generate() == {'FINISHED'}
    assert system_temp_uploads() == temp_before
    [job] = wait()
    assert job.status == "DONE", job.message
    assert files_under(uploads_folder()) == []


def test_uploads_left_by_a_session_that_is_gone_are_removed_at_start_up(jobs):
    root = uploads_folder()
    stale = os.path.join(root, "upload-999999999-abcd")     # no such process
    other = os.path.join(root, "upload-1-abcd")             # a live process: another Blender
    for folder in (stale, other):
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "selection.glb"), "wb") as fh:
            fh.write(b"glTF")
    try:
        jobs.tidy_user_folder()
        assert not os.path.exists(stale)
        assert os.path.isfile(os.path.join(other, "selection.glb"))
    finally:
        import shutil
        shutil.rmtree(other, ignore_errors=True)
