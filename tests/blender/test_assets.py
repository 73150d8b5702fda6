"""The Meshy library: results as assets, a .blend per result with catalogs, two processes adding to
one library, keep_in_file, the preference, a folder that cannot be written, and registering the
library in Blender. Real Blender, the installed zip, the emulator; a fresh Blender process (the
same bpy venv) opens what was written."""

import array
import importlib
import json
import os
import re
import subprocess
import sys
import textwrap
import uuid

import bpy
import pytest

from tests.blender.harness import MODULE, USER_DIR
from tests.blender.test_jobs import pump_until
from tests.blender.test_scene import rig, run, select_only, wait

LIBRARY_PREFS = ("keep_assets", "library_path")


@pytest.fixture(autouse=True)
def library_prefs(prefs):
    """The library preferences this file changes go back to their defaults after each test."""
    yield prefs
    for name in LIBRARY_PREFS:
        prefs.property_unset(name)


@pytest.fixture
def library(prefs, tmp_path):
    """A library folder of this test's own."""
    folder = tmp_path / "Meshy Library"
    prefs.library_path = str(folder)
    return folder


def library_module():
    return importlib.import_module(MODULE + ".library")


def text_to_3d(jobs, prompt, **options):
    payload = {"mode": "preview", "prompt": prompt, "target_formats": ["glb"],
               "ai_model": "meshy-5"}
    job = jobs.submit(bpy.context, "text_to_3d_preview", payload, prompt, options=options)
    assert pump_until(jobs, lambda: not jobs.engine().busy(), timeout=60)
    assert job.status == "DONE", job.message
    return job


def cats_lines(folder):
    """{path: uuid} of the library's catalog file, checking every line is well-formed."""
    text = (folder / "blender_assets.cats.txt").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert lines[0] == "VERSION 1", lines[:1]
    found = {}
    for line in lines[1:]:
        ident, path, simple = line.split(":", 2)
        uuid.UUID(ident)
        assert path and simple and path not in found, line
        found[path] = ident
    return found


def thumbnail_pixels(path, size):
    image = bpy.data.images.load(path, check_existing=False)
    try:
        image.scale(*size)
        pixels = array.array("f", bytes(4 * size[0] * size[1] * 4))
        image.pixels.foreach_get(pixels)
        return pixels
    finally:
        bpy.data.images.remove(image)


def mean(values):
    return sum(values) / len(values)


# A fresh Blender (same bpy venv, no add-on): what a library .blend holds, as JSON.
OPEN_IN_FRESH_BLENDER = textwrap.dedent("""
    import json, sys
    import bpy
    path = sys.argv[1]
    with bpy.data.libraries.load(path, link=False, assets_only=True) as (source, target):
        listed = {kind: list(getattr(source, kind))
                  for kind in ("objects", "collections", "actions", "materials")}
        for kind, names in listed.items():
            setattr(target, kind, names)
    assets = []
    for kind in listed:
        for block in getattr(target, kind):
            data = block.asset_data
            objects = list(block.all_objects) if kind == "collections" else (
                [block] if kind == "objects" else [])
            materials = {s.material for o in objects for s in o.material_slots if s.material}
            if kind == "materials":
                materials = {block}
            images = {n.image for m in materials if m.node_tree for n in m.node_tree.nodes
                      if n.type == 'TEX_IMAGE' and n.image}
            assets.append({
                "kind": kind, "name": block.name, "catalog_id": data.catalog_id,
                "tags": [t.name for t in data.tags], "description": data.description,
                "task_id": data.get("meshy_task_id"), "credits": data.get("meshy_credits"),
                "preview": list(block.preview.image_size) if block.preview else [0, 0],
                "object_types": sorted(o.type for o in objects),
                "materials": len(materials),
                "images": [[i.name, i.packed_file is not None, list(i.size)] for i in images],
            })
    print("ASSETS " + json.dumps(assets))
""")


def open_in_fresh_blender(path):
    completed = subprocess.run([sys.executable, "-c", OPEN_IN_FRESH_BLENDER, str(path)],
                               capture_output=True, text=True, timeout=120,
                               env={**os.environ, "BLENDER_USER_RESOURCES": str(USER_DIR)})
    line = next((l for l in completed.stdout.splitlines() if l.startswith("ASSETS ")), None)
    assert line, completed.stdout[-2000:] + completed.stderr[-2000:]
    return json.loads(line[len("ASSETS "):])


# --- results are assets ---------------------------------------------------------------------------

def test_a_text_to_3d_result_is_an_asset_with_thumbnail_tags_and_description(connected, jobs,
                                                                              library):
    job = text_to_3d(jobs, "A weathered bronze lantern with a glass door")
    [obj] = [bpy.data.objects[n] for n in job.imported]
    data = obj.asset_data
    assert data is not None, "the imported object is an asset"
    assert data.description == "A weathered bronze lantern with a glass door"
    tags = [t.name for t in data.tags]
    assert tags[:3] == ["Meshy", "Text to 3D", "meshy-5"]
    assert {"weathered", "bronze", "lantern", "glass", "door"} <= set(tags)
    assert not {"a", "with"} & set(tags)
    assert data["meshy_task_id"] == job.task_id and data["meshy_kind"] == job.kind
    assert data["meshy_credits"] == job.credits > 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", data["meshy_date"])
    # The preview is Meshy's thumbnail (scaled to an icon), not a render.
    width, height = obj.preview.image_size
    assert width > 0 and height > 0
    shown = array.array("f", bytes(4 * width * height * 4))
    obj.preview.image_pixels_float.foreach_get(shown)
    expected = thumbnail_pixels(job.files["thumbnail"], (width, height))
    assert max(abs(a - b) for a, b in zip(shown, expected)) < 0.02
    assert mean(shown[0::4]) > 0.01, "the preview has the thumbnail's colours"


def test_each_result_has_a_library_blend_that_a_fresh_blender_opens(connected, jobs, library):
    job = text_to_3d(jobs, "a carved oak chair", catalog="Props/Furniture")
    path = job.library_file
    assert path and os.path.isfile(path) and os.path.dirname(path) == str(library)
    assert path.endswith(".blend") and job.task_id not in os.path.basename(path)
    entry = jobs.engine().journal.get(job.id)
    assert entry["library_file"] == path
    catalogs = cats_lines(library)
    assert set(catalogs) == {"Props", "Props/Furniture"}
    [asset] = open_in_fresh_blender(path)
    assert asset["kind"] == "objects" and asset["task_id"] == job.task_id
    assert asset["catalog_id"] == catalogs["Props/Furniture"]
    assert "Meshy" in asset["tags"] and asset["description"] == "a carved oak chair"
    assert asset["preview"][0] > 0
    assert asset["object_types"] == ["MESH"] and asset["materials"] >= 1
    # Nothing left in the folder but results, the catalog file and the lock.
    leftovers = [n for n in os.listdir(library)
                 if not n.endswith(".blend") and n not in ("blender_assets.cats.txt",
                                                           ".meshy-library.lock")]
    assert leftovers == []


def test_a_rigged_character_is_one_collection_asset_with_its_mesh_and_materials(connected,
                                                                                 library):
    job, armature = rig(connected)
    collection = next(c for c in bpy.data.collections if c.asset_data is not None)
    assert {armature.name} <= {o.name for o in collection.objects}
    assert any(o.type == 'MESH' and o.find_armature() == armature for o in collection.objects)
    assert collection.asset_data["meshy_task_id"] == job.task_id
    # Meshy sends no thumbnail for a rig; without a window (this test) no preview is rendered.
    [asset] = open_in_fresh_blender(job.library_file)
    assert asset["kind"] == "collections"
    assert asset["object_types"] == ["ARMATURE", "MESH"]
    assert asset["catalog_id"] == cats_lines(library)["Rigged Characters"]
    assert asset["materials"] >= 1 and asset["images"]
    assert all(packed for _name, packed, _size in asset["images"]), asset["images"]


def test_an_animation_result_is_an_action_asset(connected, library):
    _, armature = rig(connected)
    select_only(armature)
    tools = bpy.context.scene.meshy.tools
    tools.action_id = 92
    tools.action_name = "Double Combo Attack"
    assert run(bpy.ops.meshy.animate) == {'FINISHED'}
    job = next(j for j in wait() if j.kind == "animation")
    assert job.status == "DONE", job.message
    action = next(a for a in bpy.data.actions if a.get("meshy_task_id") == job.task_id)
    assert action.name == "Double Combo Attack"
    assert action.asset_data is not None
    assert "Animations" in [t.name for t in action.asset_data.tags]
    [asset] = open_in_fresh_blender(job.library_file)
    assert asset["kind"] == "actions" and asset["name"] == "Double Combo Attack"
    assert asset["catalog_id"] == cats_lines(library)["Animations"]


def test_an_image_result_is_a_material_asset_with_the_image_packed(connected, jobs, library):
    payload = {"prompt": "a cute robot, front view", "ai_model": "nano-banana",
               "aspect_ratio": "16:9"}
    job = jobs.submit(bpy.context, "text_to_image", payload, "a cute robot")
    assert pump_until(jobs, lambda: not jobs.engine().busy(), timeout=60)
    assert job.status == "DONE", job.message
    [image] = [bpy.data.images[n] for n in job.imported]
    [material] = [m for m in bpy.data.materials if m.asset_data is not None]
    assert material.name == "a cute robot"
    assert image in {n.image for n in material.node_tree.nodes if n.type == 'TEX_IMAGE'}
    assert material.preview is not None and material.preview.image_size[0] > 0
    [asset] = open_in_fresh_blender(job.library_file)
    assert asset["kind"] == "materials"
    assert asset["catalog_id"] == cats_lines(library)["Images"]
    [[_name, packed, size]] = asset["images"]
    assert packed and size == list(image.size)


# --- two processes, one library ------------------------------------------------------------------

ADD_RESULTS = textwrap.dedent("""
    import sys
    import bpy
    bpy.ops.preferences.addon_enable(module={module!r})
    import importlib
    jobs = importlib.import_module({module!r} + ".jobs")
    prefs = bpy.context.preferences.addons[{module!r}].preferences
    prefs.base_url = {url!r}
    prefs.api_key = {key!r}
    prefs.library_path = {folder!r}
    name = sys.argv[1]
    submitted = []
    for i in range({count}):
        prompt = f"{{name}} barrel {{i}}"
        payload = {{"mode": "preview", "prompt": prompt, "target_formats": ["glb"]}}
        # Catalogs of their own and shared ones: both rewrite the one catalog file.
        options = {{"catalog": f"{{name}}/Row {{i}}" if i % 2 else "Shared/Barrels"}}
        submitted.append(jobs.submit(bpy.context, "text_to_3d_preview", payload, prompt,
                                     options=options))
    while jobs.engine().busy():
        jobs.tick(bpy.context)
        jobs.engine().wait_for_event(0.05)
    for job in submitted:
        print("RESULT", job.status, job.library_file, flush=True)
    # Then many catalogs in a row, while the other process does the same.
    library = importlib.import_module({module!r} + ".library")
    for k in range({extra}):
        library.ensure_catalog({folder!r}, f"{{name}}/Extra {{k}}")
""")


def test_two_processes_adding_to_one_library_lose_nothing(connected, library):
    count, extra = 6, 100
    script = ADD_RESULTS.format(module=MODULE, url=connected.url, key=connected.paid_key,
                                folder=str(library), count=count, extra=extra)
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(USER_DIR)}
    children = [subprocess.Popen([sys.executable, "-c", script, name], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True, env=env)
                for name in ("First", "Second")]
    outputs = [child.communicate(timeout=180)[0] for child in children]
    results = [line.split(" ", 2)[1:] for out in outputs for line in out.splitlines()
               if line.startswith("RESULT ")]
    assert len(results) == 2 * count, outputs
    assert all(status == "DONE" and os.path.isfile(path) for status, path in results), results
    assert len({path for _status, path in results}) == 2 * count
    assert sorted(n for n in os.listdir(library) if n.endswith(".blend")) == \
        sorted(os.path.basename(path) for _status, path in results)
    catalogs = cats_lines(library)
    expected = {"Shared", "Shared/Barrels", "First", "Second"} | {
        f"{name}/Row {i}" for name in ("First", "Second") for i in range(1, count, 2)} | {
        f"{name}/Extra {k}" for name in ("First", "Second") for k in range(extra)}
    assert set(catalogs) == expected
    # Both processes named every catalog alike: its id is derived from its path.
    library_mod = library_module()
    assert all(ident == str(library_mod.catalog_id(path)) for path, ident in catalogs.items())
    assert not [n for n in os.listdir(library) if n.endswith(".tmp")]


def test_catalogs_already_in_the_file_keep_their_ids_and_the_file_keeps_its_lines(tmp_path):
    library = library_module()
    cats = tmp_path / "blender_assets.cats.txt"
    written_by_blender = ("# This is an Asset Catalog Definition file for Blender.\n"
                          "VERSION 1\n\n"
                          "0e7ae9ef-4b1c-4e2f-a5a0-2f5d1c7a9d11:Props:Props\n"
                          "9f1c2d3e-0000-4000-8000-000000000001:Scenery/Rocks:Scenery-Rocks")
    cats.write_text(written_by_blender, encoding="utf-8")
    ident = library.ensure_catalog(str(tmp_path), "Props/Weapons: swords\n")
    catalogs = cats_lines(tmp_path)
    assert catalogs["Props"] == "0e7ae9ef-4b1c-4e2f-a5a0-2f5d1c7a9d11"
    assert catalogs["Props/Weapons swords"] == ident == str(library.catalog_id(
        "Props/Weapons swords"))
    assert catalogs["Scenery/Rocks"] == "9f1c2d3e-0000-4000-8000-000000000001"
    assert cats.read_text(encoding="utf-8").startswith(written_by_blender)
    assert library.ensure_catalog(str(tmp_path), "Props") == catalogs["Props"]
    assert len(cats_lines(tmp_path)) == 3, "nothing is added twice"


# --- what stays in the running file ---------------------------------------------------------------

def data_counts():
    return {name: len(getattr(bpy.data, name)) for name in (
        "objects", "meshes", "materials", "images", "actions", "armatures", "collections",
        "node_groups", "textures")}


def test_keep_in_file_false_leaves_no_meshy_data_in_the_running_file(connected, jobs, library):
    text_to_3d(jobs, "a warm-up lamp", keep_in_file=False)  # the Meshy collection now exists
    before = data_counts()
    job = text_to_3d(jobs, "a stone knight", keep_in_file=False)
    assert os.path.isfile(job.library_file)
    assert data_counts() == before
    # ...and a rig: armature, skinned mesh, walk and run actions, the importer's hidden helpers.
    rigged = jobs.submit(bpy.context, "rigging", {"input_task_id": job.task_id,
                                                  "height_meters": 1.8},
                         "a stone knight", options={"keep_in_file": False})
    assert pump_until(jobs, lambda: not jobs.engine().busy(), timeout=60)
    assert rigged.status == "DONE", rigged.message
    assert [a["object_types"] for a in open_in_fresh_blender(rigged.library_file)] == \
        [["ARMATURE", "MESH"]]
    assert data_counts() == before
    assert not [i for c in ("objects", "actions", "images", "materials")
                for i in getattr(bpy.data, c) if "meshy_task_id" in i]


def test_the_preference_off_marks_nothing_and_writes_no_library_file(connected, jobs, library,
                                                                     prefs):
    prefs.keep_assets = False
    job = text_to_3d(jobs, "a bronze bell")
    assert job.library_file == ""
    assert not [i for i in bpy.data.objects if i.asset_data is not None]
    assert not library.exists() or not [n for n in os.listdir(library) if n.endswith(".blend")]


def test_a_batch_library_folder_is_written_even_with_the_preference_off(connected, jobs,
                                                                         prefs, tmp_path):
    prefs.keep_assets = False
    folder = tmp_path / "sheet library"
    job = text_to_3d(jobs, "a bronze bell", library_folder=str(folder), asset_name="Bell 01")
    assert os.path.dirname(job.library_file) == str(folder)
    [asset] = open_in_fresh_blender(job.library_file)
    assert asset["name"] == "Bell 01"
    # The running file stays as the preference asks: nothing marked there.
    assert not [i for i in bpy.data.objects if i.asset_data is not None]


def test_a_library_folder_that_cannot_be_written_still_imports(connected, jobs, prefs, tmp_path):
    blocker = tmp_path / "not a folder"
    blocker.write_text("a file where the library folder should be")
    prefs.library_path = str(blocker / "Meshy Library")
    job = text_to_3d(jobs, "a copper kettle")
    assert job.status == "DONE" and job.imported
    assert job.library_file == ""
    assert job.message.startswith("Imported; could not add it to the Meshy library: ")
    assert "Traceback" not in job.message and "Meshy Library" in job.message
    [obj] = [bpy.data.objects[n] for n in job.imported]
    assert obj.asset_data is not None, "still an asset of this file"


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True,
                    reason="root writes into read-only folders")
def test_a_read_only_library_folder_still_imports(connected, jobs, library):
    library.mkdir()
    library.chmod(0o555)
    try:
        job = text_to_3d(jobs, "a copper kettle")
    finally:
        library.chmod(0o755)
    assert job.status == "DONE" and job.library_file == ""
    assert "could not add it to the Meshy library" in job.message


# --- Blender's asset libraries and the shelf ------------------------------------------------------

def test_add_meshy_library_registers_it_once(library):
    libraries = bpy.context.preferences.filepaths.asset_libraries
    count = len(libraries)
    try:
        assert bpy.ops.meshy.add_library() == {'FINISHED'}
        assert bpy.ops.meshy.add_library() == {'FINISHED'}
        mine = [entry for entry in libraries
                if os.path.realpath(entry.path) == os.path.realpath(library)]
        assert len(mine) == 1 and mine[0].name == "Meshy"
        assert len(libraries) == count + 1
        assert library.is_dir()
        assert library_module().registered_library(bpy.context) == mine[0]
        # Blender saves its preferences when it quits: the new entry is marked to be saved.
        assert bpy.context.preferences.is_dirty
    finally:
        for entry in [e for e in libraries if e.name.startswith("Meshy")]:
            libraries.remove(entry)


def test_the_shelf_shows_meshy_assets_in_the_3d_viewport(connected, jobs, library):
    shelf = getattr(bpy.types, "VIEW3D_AST_meshy_library", None)
    assert shelf is not None and shelf.bl_space_type == 'VIEW_3D'
    job = text_to_3d(jobs, "a mossy boulder")
    [obj] = [bpy.data.objects[n] for n in job.imported]
    own = bpy.data.objects.new("An asset of the artist's own", None)
    own.asset_mark()
    shelf_module = importlib.import_module(MODULE + ".panels.library")
    assert shelf_module.is_meshy_asset(obj.asset_data)
    assert not shelf_module.is_meshy_asset(own.asset_data)


def test_add_meshy_library_saves_the_preferences_when_blender_would_not(library):
    preferences = bpy.context.preferences
    saved = os.path.join(bpy.utils.resource_path('USER'), "config", "userpref.blend")
    before = os.path.getmtime(saved) if os.path.exists(saved) else None
    libraries = preferences.filepaths.asset_libraries
    preferences.use_preferences_save = False
    try:
        assert bpy.ops.meshy.add_library() == {'FINISHED'}
        assert os.path.exists(saved) and os.path.getmtime(saved) != before
    finally:
        preferences.use_preferences_save = True
        for entry in [e for e in libraries if e.name.startswith("Meshy")]:
            libraries.remove(entry)
        if before is None and os.path.exists(saved):
            os.remove(saved)  # later tests' child processes start from no saved preferences


def test_the_preferences_show_the_library_folder_and_whether_blender_knows_it(prefs, library):
    from tests.blender.test_panels import DrawSelf, RecordingLayout

    def drawn():
        layout = RecordingLayout()
        type(prefs).draw(DrawSelf(layout, type(prefs), prefs), bpy.context)
        return layout
    layout = drawn()
    assert str(library) in layout.texts(), "the resolved folder is shown"
    assert ("prop", "keep_assets") in layout.log and ("prop", "library_path") in layout.log
    assert ("operator", "meshy.add_library", "Add Meshy Library to Blender") in layout.log
    libraries = bpy.context.preferences.filepaths.asset_libraries
    try:
        assert bpy.ops.meshy.add_library() == {'FINISHED'}
        layout = drawn()
        assert ("operator", "meshy.add_library", "Add Meshy Library to Blender") not in layout.log
        assert "In Blender's asset libraries as \"Meshy\"" in layout.texts()
    finally:
        for entry in [e for e in libraries if e.name.startswith("Meshy")]:
            libraries.remove(entry)
    prefs.property_unset("library_path")
    default = importlib.import_module(MODULE + ".preferences").library_folder(bpy.context)
    assert default.startswith(str(USER_DIR)) and default in drawn().texts()
