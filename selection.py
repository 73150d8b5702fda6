# SPDX-License-Identifier: GPL-3.0-or-later
"""Sending what is selected: by Meshy task id when Meshy made it, otherwise as an uploaded GLB.

Every check that must pass before anything is paid lives here. `check_selection()` catches what
Meshy would refuse; `check_can_land()` catches what would fail here once the result is paid for (a
3MF path that cannot be written, a linked object that cannot be changed). `source()` decides
between the task id and an upload (`task_reference()` says why); `export_glb()` runs Blender's glTF
exporter on just those objects, with modifiers applied and in world space (what the viewport
shows). Encoding the GLB into a data URI happens later, on the job's worker thread.

Upload files (exported selections, saved renders) live in the add-on's user folder, one folder
each, named after the Blender process that made them; jobs.py removes each once no job may send
it again, and at start-up those of sessions that are gone.

glTF's axes: the exporter turns Blender's Z-up into glTF's Y-up, and a character facing
Blender's -Y faces glTF's +Z, which is what Meshy's rigging expects.
"""

import os
import shutil
import tempfile
import time

import bpy

from .api import tasks

# An empty GLB (header only): stands in for an upload when a payload is validated.
GLB_STAND_IN = "data:application/octet-stream;base64,Z2xURgIAAAAMAAAA"


class SelectionError(Exception):
    """The selection cannot be sent as it is; the message says what to do."""


def meshes_in(objects):
    return [o for o in objects if o.type == 'MESH']


def evaluated_face_count(context, obj):
    """Triangles after modifiers: what the exporter writes and what Meshy counts."""
    depsgraph = context.evaluated_depsgraph_get()
    evaluated = obj.evaluated_get(depsgraph)
    mesh = evaluated.to_mesh()
    try:
        mesh.calc_loop_triangles()
        return len(mesh.loop_triangles)
    finally:
        evaluated.to_mesh_clear()


def check_selection(context, objects, face_limit=None):
    """Raise SelectionError when the selection cannot be sent; return the mesh objects."""
    if not objects:
        raise SelectionError("Select a mesh object first")
    meshes = meshes_in(objects)
    if not meshes:
        first = objects[0]
        raise SelectionError(f"'{first.name}' is a {first.type.lower()}, not a mesh: "
                             "select a mesh object (convert curves or text with Object > Convert)")
    total = 0
    for obj in meshes:
        faces = evaluated_face_count(context, obj)
        if faces == 0:
            raise SelectionError(f"'{obj.name}' has no faces: nothing to send")
        total += faces
    if face_limit and total > face_limit:
        raise SelectionError(
            f"The selection has {total:,} triangles; Meshy rigs up to {face_limit:,}. "
            "Remesh it with Meshy first, or add a Decimate modifier")
    scale = meshes[0].matrix_world.to_scale()
    if min(abs(v) for v in scale) < 1e-6:
        raise SelectionError(f"'{meshes[0].name}' has a zero scale: apply or fix its scale")
    return meshes


def face_limit(kind):
    """The documented face limit for sending a mesh to `kind` (rigging), or None."""
    return tasks.RIG_FACE_LIMIT if kind == "rigging" else None


def source(context, kind, objects):
    """What to send for `objects`: (payload, job options, notes for the artist).

    An unchanged Meshy object whose task Meshy still keeps goes by `input_task_id` (no upload,
    and the result takes the object's place); anything else is exported as a GLB.
    """
    first = objects[0]
    notes = []
    if len(objects) == 1:
        task_id, reason = task_reference(first, kind)
        if task_id:
            return {"input_task_id": task_id}, {"placement": "source",
                                                "source_object": first.name}, notes
        if reason:
            notes.append(reason)
    upload = model_input(export_glb(context, objects))
    notes.append(f"Uploading {upload.description.split('upload ')[-1]}")
    return {"model_url": upload}, {"placement": "world", "source_object": first.name}, notes


def task_reference(obj, kind, field="input_task_id"):
    """(task_id, reason): use the object's Meshy task when `kind` accepts it and it is usable."""
    task_id = obj.get("meshy_task_id")
    source_kind = obj.get("meshy_kind", "")
    if not task_id:
        return "", ""
    refs = next((f.refs for f in tasks.family(kind).fields if f.name == field), ())
    if source_kind not in refs:
        return "", f"Meshy cannot take a {source_kind} task here; uploading the mesh instead"
    expires = obj.get("meshy_expires_at", 0.0)
    if expires and time.time() >= expires:
        return "", "Meshy's copy has expired (kept 3 days); uploading the mesh instead"
    if _edited_since_import(obj):
        return "", "The mesh was changed since it came from Meshy; uploading it as it is now"
    return task_id, ""


def _edited_since_import(obj):
    if obj.type != 'MESH':
        return False
    if any(m.show_viewport for m in obj.modifiers):
        return True
    return (obj.get("meshy_vertex_count", len(obj.data.vertices)) != len(obj.data.vertices)
            or obj.get("meshy_face_count", len(obj.data.polygons)) != len(obj.data.polygons))


def export_glb(context, objects):
    """Export exactly `objects` (modifiers applied, world space) to an upload GLB; its path."""
    folder = new_upload_folder("upload")
    path = os.path.join(folder, "selection.glb")
    view_layer = context.view_layer
    previous_selection = [o for o in context.selected_objects]
    previous_active = view_layer.objects.active
    hidden = []
    try:
        for obj in previous_selection:
            obj.select_set(False)
        for obj in objects:
            if obj.hide_get():
                hidden.append(obj)
                obj.hide_set(False)
            obj.select_set(True)
        view_layer.objects.active = objects[0]
        result = bpy.ops.export_scene.gltf(
            filepath=path, export_format='GLB', use_selection=True, export_apply=True,
            export_yup=True, export_texcoords=True, export_normals=True,
            export_materials='EXPORT', export_animations=False, export_cameras=False,
            export_lights=False)
    finally:
        for obj in objects:
            obj.select_set(False)
        for obj in hidden:
            obj.hide_set(True)
        for obj in previous_selection:
            obj.select_set(True)
        view_layer.objects.active = previous_active
    if 'FINISHED' not in result or not os.path.isfile(path):
        shutil.rmtree(folder, ignore_errors=True)
        raise SelectionError("Blender's glTF exporter could not export the selection")
    size = os.path.getsize(path)
    if size > tasks.MAX_MODEL_UPLOAD_BYTES:
        shutil.rmtree(folder, ignore_errors=True)
        raise SelectionError(f"The exported model is {size / 1e6:.0f} MB; Meshy accepts up to "
                             f"{tasks.MAX_MODEL_UPLOAD_BYTES / 1e6:.0f} MB. Decimate or remesh "
                             "it first")
    return path


def model_input(path):
    """A deferred data URI for an exported GLB (encoded on the worker thread)."""
    from .api import media
    from .engine import Deferred
    size = os.path.getsize(path)
    return Deferred(f"model upload {size / 1e6:.1f} MB", media.model_data_uri, path,
                    stand_in=GLB_STAND_IN)


def world_height(objects):
    """The selection's height in metres (world Z extent of the bounding boxes), for rigging."""
    from mathutils import Vector
    zs = [(o.matrix_world @ Vector(corner)).z for o in objects if o.type == 'MESH'
          for corner in o.bound_box]
    if not zs:
        return 0.0
    scale = bpy.context.scene.unit_settings.scale_length or 1.0
    return (max(zs) - min(zs)) * scale


# --- will the result land? -------------------------------------------------------------------------

def check_can_land(context, kind, options):
    """Raise SelectionError when the result of a `kind` job with these options could not land in
    this file (or where the artist asked); returns notes for the artist. Runs before the create
    call, so credits are only spent on work that can land.

    A linked object's retexture changes the plan instead of refusing: its material cannot be
    replaced, so `options["apply_material"]` is turned off and the result becomes a new object.
    """
    from . import importer
    notes = []
    if kind in importer.FILE_KINDS:
        problem = importer.save_path_problem(options.get("save_to", ""))
        if problem:
            raise SelectionError(f"{problem}. Nothing was sent")
    name = options.get("source_object", "")
    source = bpy.data.objects.get(name) if name else None
    if name and source is None and (kind in importer.NEEDS_SOURCE
                                    or options.get("apply_material")):
        raise SelectionError(f"'{name}' is no longer in this file: select the object and "
                             "send it again")
    if kind == "analyze_printability" and source is not None:
        problem = importer.library_problem(source)
        if problem:
            raise SelectionError(f"{problem}, so its printability report could not be kept on "
                                 "it: make it local first (Object > Relations > Make Local)")
    if options.get("apply_material"):
        problem = importer.material_swap_problem(source, name)
        if problem:
            options["apply_material"] = False
            notes.append(f"{problem}, so its material cannot be replaced: the retextured "
                         "model will be a new object in its place")
    if kind == "animation":
        target = options.get("target_armature", "")
        problem = importer.animation_target_problem(bpy.data.objects.get(target), target)
        if problem:
            raise SelectionError(f"{problem}, so an animation could not be added to it: make a "
                                 "library override first (Object > Library Override > Make)")
    if getattr(context, "mode", "OBJECT") != 'OBJECT':
        notes.append("The result is imported once you are back in Object Mode")
    return notes


# --- upload files ----------------------------------------------------------------------------------

UPLOADS = "uploads"


def uploads_root():
    return bpy.utils.extension_path_user(__package__, path=UPLOADS, create=True)


def new_upload_folder(what):
    """A new folder for one file to send, named "<what>-<process id>-<random>"."""
    return tempfile.mkdtemp(prefix=f"{what}-{os.getpid()}-", dir=uploads_root())


def upload_folders(*payloads):
    """The upload folders that the deferred inputs of these payloads read from."""
    from .engine import Deferred
    root = os.path.normpath(uploads_root())
    found = set()

    def visit(value):
        if isinstance(value, Deferred):
            for arg in value.args:
                if isinstance(arg, str) and os.path.dirname(
                        os.path.dirname(os.path.normpath(arg))) == root:
                    found.add(os.path.dirname(os.path.normpath(arg)))
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item)

    for payload in payloads:
        visit(payload)
    return found


def discard_uploads(*payloads):
    """Remove the upload files of a request that was not sent."""
    for folder in upload_folders(*payloads):
        shutil.rmtree(folder, ignore_errors=True)


def check_uploads_exist(payload):
    """Raise SelectionError when an upload this payload would send is gone."""
    for folder in upload_folders(payload):
        if not os.path.isdir(folder):
            raise SelectionError("What this job uploaded is no longer kept: send it again "
                                 "from the selection or the sidebar")


def _upload_owner(name):
    """The process id in an upload folder's name, or None."""
    parts = name.split("-")
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None


def sweep_uploads(needed, stale_sessions=False):
    """Remove this session's upload folders that are not `needed`; with `stale_sessions` (at
    start-up), also those of Blender sessions that have ended."""
    from .engine import journal
    root = uploads_root()
    try:
        names = os.listdir(root)
    except OSError:
        return
    for name in names:
        folder = os.path.normpath(os.path.join(root, name))
        if folder in needed:
            continue
        owner = _upload_owner(name)
        if owner == os.getpid() or stale_sessions and not journal.owner_alive(
                {"owner_pid": owner}):
            if os.path.isdir(folder):
                shutil.rmtree(folder, ignore_errors=True)
            else:
                try:
                    os.remove(folder)
                except OSError:
                    pass
