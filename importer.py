# SPDX-License-Identifier: GPL-3.0-or-later
"""The bpy side of results: bring downloaded files into the scene, ready to use.

Blender's own importers parse the files. This module then makes sure the material is a Principled
BSDF with every map the task delivered connected (base colour, metallic, roughness, normal through
a Normal Map node, emission), puts the result where the artist expects it, in a "Meshy"
collection, named after the prompt, tagged with the task id so later steps can chain from it.
Main thread only.
"""

import os

import bpy

COLLECTION_NAME = "Meshy"
MODEL_FORMATS = ("glb", "fbx", "obj")
TEXTURE_ROLES = ("base_color", "metallic", "roughness", "normal", "emission")


class ImportFailed(Exception):
    """A result file could not be brought into the scene; the message says which and why."""


def meshy_collection(context):
    collection = bpy.data.collections.get(COLLECTION_NAME)
    if collection is None:
        collection = bpy.data.collections.new(COLLECTION_NAME)
    if collection.name not in context.scene.collection.children:
        context.scene.collection.children.link(collection)
    return collection


def object_name(label):
    name = " ".join(label.split())[:60]
    return name or "Meshy result"


def tag(obj, task_id, kind, label, expires_at=0):
    obj["meshy_task_id"] = task_id
    obj["meshy_kind"] = kind
    obj["meshy_prompt"] = label
    if expires_at:
        # Milliseconds do not fit an int custom property; seconds as a float do.
        obj["meshy_expires_at"] = float(expires_at) / 1000.0


def objects_with_task(task_id):
    return [o for o in bpy.data.objects if o.get("meshy_task_id") == task_id]


def import_model_file(context, path):
    """Import one model file with Blender's importer; return the new objects."""
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    before = set(bpy.data.objects)
    if ext in ("glb", "gltf"):
        result = bpy.ops.import_scene.gltf(filepath=path)
    elif ext == "fbx":
        result = bpy.ops.import_scene.fbx(filepath=path)
    elif ext == "obj":
        result = bpy.ops.wm.obj_import(filepath=path)
    else:
        raise ImportFailed(f"Blender cannot import .{ext} files here: {os.path.basename(path)}")
    if 'FINISHED' not in result:
        raise ImportFailed(f"Blender's importer could not read {os.path.basename(path)}")
    return [o for o in bpy.data.objects if o not in before]


def import_model(context, job_files, *, task_id, kind, label, expires_at=0, hd_base_color=False,
                 location=None, replace=None):
    """Import a model result and wire its material. Returns the created objects.

    job_files maps roles ("model", "base_color", "normal", ...) to downloaded paths.
    `replace`, when given, is an object whose place the result takes (it is hidden, not deleted).
    """
    model = job_files.get("model")
    if not model or not os.path.isfile(model):
        raise ImportFailed("The result has no model file to import")

    collection = meshy_collection(context)
    view_layer = context.view_layer
    previous_active = view_layer.active_layer_collection
    layer_collection = _find_layer_collection(view_layer.layer_collection, collection)
    if layer_collection is not None:
        view_layer.active_layer_collection = layer_collection
    for obj in context.selected_objects:
        obj.select_set(False)
    try:
        new_objects = import_model_file(context, model)
    finally:
        view_layer.active_layer_collection = previous_active

    if not new_objects:
        raise ImportFailed(f"{os.path.basename(model)} contained no objects")
    for obj in new_objects:
        if collection not in obj.users_collection:
            for other in list(obj.users_collection):
                other.objects.unlink(obj)
            collection.objects.link(obj)

    textures = {role: path for role, path in job_files.items() if role in TEXTURE_ROLES}
    for material in _materials_of(new_objects):
        wire_pbr(material, textures, hd_base_color=hd_base_color)

    roots = [o for o in new_objects if o.parent not in new_objects]
    main = _main_object(new_objects)
    main.name = object_name(label)
    for obj in new_objects:
        tag(obj, task_id, kind, label, expires_at)
    if replace is not None:
        for root in roots:
            root.matrix_world = replace.matrix_world @ root.matrix_world
        replace.hide_set(True)
        replace.hide_render = True
    else:
        offset = location if location is not None else context.scene.cursor.location
        for root in roots:
            root.location = root.location + offset

    for obj in new_objects:
        obj.select_set(True)
    view_layer.objects.active = main
    return new_objects


def load_image(path, name, pack=True):
    """Load an image result as a Blender image (packed so it travels with the .blend)."""
    image = bpy.data.images.load(path, check_existing=False)
    image.name = name
    if pack:
        image.pack()
    return image


def undo_push(message="Import Meshy result"):
    """One undo step for what was just imported (a no-op where there is no undo stack)."""
    if bpy.app.background:
        return
    try:
        bpy.ops.ed.undo_push(message=message)
    except RuntimeError:
        pass  # no window context (e.g. a timer before the first redraw): nothing to undo into


# --- material wiring ---------------------------------------------------------------------------

def wire_pbr(material, textures, hd_base_color=False):
    """Make sure every delivered map is connected to the material's Principled BSDF.

    The glTF importer already connects the maps embedded in the GLB; separate files fill only what
    is missing, except the HD base colour, which replaces the embedded one when asked for.
    """
    if material.node_tree is None:  # Blender 5 materials always have one; 4.2 may not
        material.use_nodes = True
    tree = material.node_tree
    bsdf = next((n for n in tree.nodes if n.type == 'BSDF_PRINCIPLED'), None)
    if bsdf is None:
        bsdf = tree.nodes.new("ShaderNodeBsdfPrincipled")
        output = next((n for n in tree.nodes if n.type == 'OUTPUT_MATERIAL'), None)
        if output is None:
            output = tree.nodes.new("ShaderNodeOutputMaterial")
        tree.links.new(bsdf.outputs["BSDF"], output.inputs["Surface"])

    def image_node(path, non_color, y):
        node = tree.nodes.new("ShaderNodeTexImage")
        node.image = bpy.data.images.load(path, check_existing=True)
        if non_color:
            node.image.colorspace_settings.name = "Non-Color"
        node.location = (bsdf.location.x - 600, bsdf.location.y + y)
        return node

    inputs = bsdf.inputs
    base = textures.get("base_color")
    if base and (hd_base_color or not inputs["Base Color"].is_linked):
        node = image_node(base, False, 300)
        tree.links.new(node.outputs["Color"], inputs["Base Color"])
    for role, socket in (("metallic", "Metallic"), ("roughness", "Roughness")):
        path = textures.get(role)
        if path and not inputs[socket].is_linked:
            node = image_node(path, True, 0 if role == "metallic" else -300)
            tree.links.new(node.outputs["Color"], inputs[socket])
    normal = textures.get("normal")
    if normal and not inputs["Normal"].is_linked:
        node = image_node(normal, True, -600)
        normal_map = tree.nodes.new("ShaderNodeNormalMap")
        normal_map.location = (bsdf.location.x - 250, bsdf.location.y - 600)
        tree.links.new(node.outputs["Color"], normal_map.inputs["Color"])
        tree.links.new(normal_map.outputs["Normal"], inputs["Normal"])
    emission = textures.get("emission")
    emission_socket = inputs.get("Emission Color") or inputs.get("Emission")
    if emission and emission_socket is not None and not emission_socket.is_linked:
        node = image_node(emission, False, -900)
        tree.links.new(node.outputs["Color"], emission_socket)
        strength = inputs.get("Emission Strength")
        if strength is not None and strength.default_value == 0.0:
            strength.default_value = 1.0
    return bsdf


def _materials_of(objects):
    seen = []
    for obj in objects:
        for slot in getattr(obj, "material_slots", ()):
            if slot.material is not None and slot.material not in seen:
                seen.append(slot.material)
    return seen


def _main_object(objects):
    meshes = [o for o in objects if o.type == 'MESH']
    armatures = [o for o in objects if o.type == 'ARMATURE']
    if armatures:
        return armatures[0]
    if meshes:
        return max(meshes, key=lambda o: len(o.data.polygons))
    return objects[0]


def _find_layer_collection(layer_collection, collection):
    if layer_collection.collection == collection:
        return layer_collection
    for child in layer_collection.children:
        found = _find_layer_collection(child, collection)
        if found is not None:
            return found
    return None


# --- dispatch by task kind ----------------------------------------------------------------------

# Kinds whose result is added to an existing object (an action on an armature), so one task may
# legitimately be imported onto several objects.
APPEND_KINDS = frozenset({"animation"})
IMAGE_KINDS = frozenset({"text_to_image", "image_to_image"})


def import_result(context, job):
    """Bring a finished job's files into the current file; returns the names of what was made."""
    options = job.options
    if job.kind in IMAGE_KINDS:
        images = [load_image(path, f"{object_name(job.label)} {index}")
                  for index, (role, path) in enumerate(sorted(job.files.items()), start=1)
                  if role.startswith("image")]
        if not images:
            raise ImportFailed("The image task returned no images")
        for image in images:
            image["meshy_task_id"] = job.task_id
            image["meshy_kind"] = job.kind
        return [image.name for image in images]
    replace = bpy.data.objects.get(options.get("replace_object", "")) if options.get(
        "replace_object") else None
    objects = import_model(
        context, job.files, task_id=job.task_id, kind=job.kind, label=job.label,
        expires_at=job.expires_at, hd_base_color=bool(options.get("hd_texture")),
        replace=replace)
    return [obj.name for obj in objects]
