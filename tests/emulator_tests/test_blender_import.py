"""Blender's own importers load the fixtures and the GLBs the emulator writes at request time.
Runs Blender (the bpy wheel) in one subprocess: MESHY_BPY_PYTHON, which `python build.py test`
sets to its Blender environment's interpreter; skipped where no interpreter with bpy is known."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import PNG_1x1, create_and_finish, cube_glb, data_uri, download

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "emulator" / "fixtures"


def bpy_python():
    for candidate in filter(None, (sys.executable, os.environ.get("MESHY_BPY_PYTHON"))):
        probe = subprocess.run([str(candidate), "-c", "import bpy"], capture_output=True)
        if probe.returncode == 0:
            return str(candidate)
    pytest.skip("no Python with the bpy module")


def emulator_outputs(emulator, folder):
    """Representative results written to disk: textured, re-textured, remeshed, resized, print."""
    t23d = "/openapi/v2/text-to-3d"
    preview = create_and_finish(emulator, t23d, {"mode": "preview", "prompt": "a"})
    refine = create_and_finish(emulator, t23d, {"mode": "refine", "preview_task_id": preview["id"],
                                                "enable_pbr": True})
    retexture = create_and_finish(emulator, "/openapi/v1/retexture", {
        "model_url": data_uri(cube_glb(with_uvs=False)), "text_style_prompt": "brick"})
    remesh = create_and_finish(emulator, "/openapi/v1/remesh", {"input_task_id": refine["id"],
                                                                 "target_polycount": 100})
    resize = create_and_finish(emulator, "/openapi/v1/resize", {"input_task_id": refine["id"],
                                                                 "resize_height": 2.0})
    proto = create_and_finish(emulator, "/openapi/creative-lab/keychain/v1/prototype",
                              {"image_url": data_uri(PNG_1x1, "image/png")})
    keychain = create_and_finish(emulator, "/openapi/creative-lab/keychain/v1/build",
                                 {"input_task_id": proto["id"]})
    files = {
        "preview.glb": preview["model_urls"]["glb"], "refine.glb": refine["model_urls"]["glb"],
        "refine.obj": refine["model_urls"]["obj"], "refine.stl": refine["model_urls"]["stl"],
        "retexture.glb": retexture["model_urls"]["glb"], "remesh.glb": remesh["model_urls"]["glb"],
        "resize.glb": resize["model_urls"]["glb"], "keychain.glb": keychain["model_urls"]["glb"],
    }
    for name, url in files.items():
        (folder / name).write_bytes(download(url))
    (folder / "model.mtl").write_bytes(download(refine["model_urls"]["mtl"]))
    (folder / "texture_0.png").write_bytes(download(refine["texture_urls"][0]["base_color"]))
    return [folder / name for name in files]


def test_blender_imports_fixtures_and_generated_results(emulator, tmp_path):
    paths = sorted(FIXTURES.glob("*.glb")) + sorted(FIXTURES.glob("*.fbx"))
    paths += emulator_outputs(emulator, tmp_path)
    completed = subprocess.run(
        [bpy_python(), str(Path(__file__).with_name("blender_import_check.py")), "--"]
        + [str(p) for p in paths], capture_output=True, text=True, timeout=120)
    reports = {Path(r["path"]).name: r for r in
               (json.loads(line[7:]) for line in completed.stdout.splitlines()
                if line.startswith("REPORT "))}
    assert len(reports) == len(paths), completed.stderr[-2000:]
    for name, report in reports.items():
        assert report["result"] == ["FINISHED"], name
        if "armature" not in name:
            assert report["meshes"] >= 1, name
    # base colour, metallic-roughness, normal, emission
    assert reports["refine.glb"]["images"] == 4
    assert reports["retexture.glb"]["images"] >= 1
    assert reports["refine.obj"]["images"] == 1          # the MTL's map_Kd found texture_0.png
    assert reports["remesh.glb"]["triangles"] < reports["refine.glb"]["triangles"]
    assert reports["resize.glb"]["height"] == pytest.approx(2.0, rel=0.01)
    for rigged in ("humanoid_rigged.glb", "humanoid_rigged.fbx", "humanoid_walking.glb"):
        assert reports[rigged]["armatures"] == 1 and reports[rigged]["skinned"] == 1, rigged
    for animated in ("humanoid_walking.glb", "humanoid_running.fbx", "humanoid_action.glb"):
        assert reports[animated]["actions"] >= 1, animated
