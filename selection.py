# SPDX-License-Identifier: GPL-3.0-or-later
"""Sending what is selected: by Meshy task id when Meshy made it, otherwise as an uploaded GLB.

`check_selection()` catches what Meshy would refuse before anything is sent (every check that must
pass before anything is paid lives here); `source()` decides between the task id and an upload,
and says why; `export_glb()` runs Blender's glTF exporter on just those objects, with modifiers
applied and in world space (what the viewport shows). Encoding the GLB into a data URI happens
later, on the job's worker thread.

glTF's axes: the exporter turns Blender's Z-up into glTF's Y-up, and a character facing
Blender's -Y faces glTF's +Z, which is what Meshy's rigging expects.
"""

import os
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
    """Export exactly `objects` (modifiers applied, world space) to a temporary GLB; its path."""
    folder = tempfile.mkdtemp(prefix="meshy-upload-")
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
        raise SelectionError("Blender's glTF exporter could not export the selection")
    size = os.path.getsize(path)
    if size > tasks.MAX_MODEL_UPLOAD_BYTES:
        os.remove(path)
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
