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
