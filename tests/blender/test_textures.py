"""The Texture Resolution preference, end to end: the emulator serves 2048 x 2048 maps, the worker
resizes the downloaded GLB and maps, Blender's glTF importer reads the rewritten GLB, and the
material's images are the size the artist asked for. The downloads themselves stay as sent."""

import importlib
import os

import bpy
import pytest

from tests.blender.harness import MODULE
from tests.emulator import assets

SERVED = 2048


@pytest.fixture
def big_maps(monkeypatch):
    """The emulator runs in this process: have it generate maps the size of Meshy's HD ones."""
    monkeypatch.setattr(assets, "MAP_SIZE", SERVED)


@pytest.fixture
def resolution(prefs):
    def choose(value):
        prefs.texture_resolution = value
    yield choose
    prefs.property_unset("texture_resolution")


def refine_with_pbr(prompt):
    s = bpy.context.scene.meshy
    s.mode = 'TEXT_TO_3D'
    s.prompt = prompt
    s.enable_pbr = True
    s.auto_refine = True
    assert bpy.ops.meshy.generate() == {'FINISHED'}
    bpy.ops.meshy.wait_jobs(timeout=90)
    jobs = importlib.import_module(MODULE + ".jobs")
    done = list(jobs.engine().jobs.values())
    assert [j.status for j in done] == ["DONE", "DONE"], [j.message for j in done]
    refine = next(j for j in done if j.kind == "text_to_3d_refine")
    [obj] = [o for o in bpy.data.objects if o.get("meshy_task_id") == refine.task_id
             and o.type == 'MESH']
    return refine, obj


def material_images(obj):
    images = {node.image for slot in obj.material_slots if slot.material
              for node in slot.material.node_tree.nodes
              if node.type == 'TEX_IMAGE' and node.image}
    assert len(images) >= 4, "base colour, metallic-roughness, normal and emission expected"
    return {image.name: tuple(image.size) for image in images}


def test_1024_imports_every_texture_at_1024(connected, big_maps, resolution):
    resolution('1024')
    refine, obj = refine_with_pbr("a lantern with big textures")
    sizes = material_images(obj)
    assert set(sizes.values()) == {(1024, 1024)}, sizes
    # What was imported is the resized copy; the downloads as Meshy sent them are kept beside it.
    model = refine.files["model"]
    assert model.endswith("_1024px.glb")
    original = model[:-len("_1024px.glb")] + ".glb"
    assert os.path.isfile(original) and os.path.getsize(original) > os.path.getsize(model)
    for role in ("base_color", "metallic", "roughness", "normal", "emission"):
        assert refine.files[role].endswith("_1024px.png"), role
        assert os.path.isfile(refine.files[role][:-len("_1024px.png")] + ".png"), role


def test_original_imports_the_textures_as_sent(connected, big_maps, resolution):
    resolution('ORIGINAL')
    refine, obj = refine_with_pbr("a lantern with big textures")
    assert set(material_images(obj).values()) == {(SERVED, SERVED)}
    assert not any("px." in path for path in refine.files.values())
    folder = os.path.dirname(refine.files["model"])
    assert not [name for name in os.listdir(folder) if "px." in name], "no copies made"
