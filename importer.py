# SPDX-License-Identifier: GPL-3.0-or-later
"""The bpy side of results: bring downloaded files into the scene, ready to use.

Blender's own importers parse the files. This module then makes sure the material is a Principled
BSDF with every map the task delivered connected (base colour, metallic, roughness, normal through
a Normal Map node, emission), puts the result where the artist expects it, in a "Meshy"
collection, named after the prompt, tagged with the task id so later steps can chain from it.
Main thread only.
"""

import os
import time

import bpy

from .api import bundle, tasks
from .api.results import IMAGE_KINDS

COLLECTION_NAME = "Meshy"
TEXTURE_ROLES = ("base_color", "metallic", "roughness", "normal", "emission")
PREVIEW_SIZE = 128  # pixels on the longest side of an object's preview


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
    elif ext == "stl":
        result = bpy.ops.wm.stl_import(filepath=path)
    else:
        raise ImportFailed(f"Blender cannot import .{ext} files here: {os.path.basename(path)}")
    if 'FINISHED' not in result:
        raise ImportFailed(f"Blender's importer could not read {os.path.basename(path)}")
    return [o for o in bpy.data.objects if o not in before]


def import_into_collection(context, path):
    """Import a file straight into the Meshy collection; returns the new objects, deselected
    from everything else."""
    collection = meshy_collection(context)
    view_layer = context.view_layer
    previous_active = view_layer.active_layer_collection
    layer_collection = _find_layer_collection(view_layer.layer_collection, collection)
    if layer_collection is not None:
        view_layer.active_layer_collection = layer_collection
    for obj in context.selected_objects:
        obj.select_set(False)
    try:
        new_objects = import_model_file(context, path)
    finally:
        view_layer.active_layer_collection = previous_active
    if not new_objects:
        raise ImportFailed(f"{os.path.basename(path)} contained no objects")
    for obj in new_objects:
        if collection not in obj.users_collection and not is_importer_helper(obj):
            for other in list(obj.users_collection):
                other.objects.unlink(obj)
            collection.objects.link(obj)
    return new_objects


def is_importer_helper(obj):
    """An object an importer keeps out of sight in a hidden collection (glTF's bone shapes)."""
    return bool(obj.users_collection) and all(c.hide_viewport for c in obj.users_collection)


def import_model(context, job_files, *, task_id, kind, label, expires_at=0, hd_base_color=False,
                 location=None, replace=None, placement="cursor", role="model"):
    """Import a model result and wire its material. Returns the created objects.

    job_files maps roles ("model", "base_color", "normal", ...) to downloaded paths.
    placement: "cursor" (new generations), "world" (the result of an uploaded mesh: its geometry
    is already where the source was), or "source" (the result of a Meshy task id: it gets the
    source object's transform). `replace`, when given, is hidden (never deleted).
    """
    model = job_files.get(role)
    if not model or not os.path.isfile(model):
        raise ImportFailed("The result has no model file to import")
    new_objects = [o for o in import_into_collection(context, model)
                   if not is_importer_helper(o)]

    textures = {r: path for r, path in job_files.items() if r in TEXTURE_ROLES}
    for material in _materials_of(new_objects):
        wire_pbr(material, textures, hd_base_color=hd_base_color)

    roots = [o for o in new_objects if o.parent not in new_objects]
    main = _main_object(new_objects)
    main.name = object_name(label)
    for obj in new_objects:
        tag(obj, task_id, kind, label, expires_at)
        record_geometry(obj)
    if placement == "source" and replace is not None:
        for root in roots:
            root.matrix_world = replace.matrix_world @ root.matrix_world
    elif placement == "cursor":
        offset = location if location is not None else context.scene.cursor.location
        for root in roots:
            root.location = root.location + offset
    if replace is not None:
        replace.hide_set(True)
        replace.hide_render = True

    if job_files.get("thumbnail"):
        set_preview(main, job_files["thumbnail"])
    for obj in new_objects:
        obj.select_set(True)
    context.view_layer.objects.active = main
    return new_objects


def record_geometry(obj):
    """Remember the shape a Meshy result arrived with, so later edits are noticed."""
    if obj.type == 'MESH':
        obj["meshy_vertex_count"] = len(obj.data.vertices)
        obj["meshy_face_count"] = len(obj.data.polygons)


def remove_objects(objects):
    """Delete imported helper objects and the data only they used."""
    datas = [o.data for o in objects if o.data is not None]
    materials = {m for o in objects for m in _materials_of([o])}
    for obj in objects:
        bpy.data.objects.remove(obj, do_unlink=True)
    for data in datas:
        if data.users == 0:
            if isinstance(data, bpy.types.Mesh):
                bpy.data.meshes.remove(data)
            elif isinstance(data, bpy.types.Armature):
                bpy.data.armatures.remove(data)
    images = {n.image for m in materials if m.node_tree is not None for n in m.node_tree.nodes
              if n.type == 'TEX_IMAGE' and n.image is not None}
    for material in materials:
        if material.users == 0:
            bpy.data.materials.remove(material)
    for image in images:
        # The helpers' textures too: left behind, every clip import would keep its images.
        if image.users == 0:
            bpy.data.images.remove(image)


# --- material replacement (retexture that kept the object's own UVs) -----------------------------

def apply_materials(context, job_files, target, *, task_id, kind, label, expires_at=0,
                    hd_base_color=False):
    """Give `target` the result's material(s), keeping its own mesh. Returns [target]."""
    model = job_files.get("model")
    if not model or not os.path.isfile(model):
        raise ImportFailed("The result has no model file to take the material from")
    helpers = import_into_collection(context, model)
    try:
        materials = _materials_of(helpers)
        if not materials:
            raise ImportFailed("The retextured model came without a material")
        textures = {r: path for r, path in job_files.items() if r in TEXTURE_ROLES}
        for material in materials:
            wire_pbr(material, textures, hd_base_color=hd_base_color)
            material.name = f"{object_name(label)} material"
        slots = target.material_slots
        if len(slots) == 0:
            target.data.materials.append(materials[0])
        for index, slot in enumerate(slots):
            slot.material = materials[min(index, len(materials) - 1)]
    finally:
        remove_objects(helpers)
    tag(target, task_id, kind, label, expires_at)
    record_geometry(target)
    target.hide_set(False)
    target.select_set(True)
    context.view_layer.objects.active = target
    return [target]


# --- rigs and animations ---------------------------------------------------------------------------

def _armature_of(objects):
    return next((o for o in objects if o.type == 'ARMATURE'), None)


def _imported_actions(objects, before):
    """Actions the importer just made for these objects (active action or NLA strips)."""
    actions = []
    for obj in objects:
        data = obj.animation_data
        if data is None:
            continue
        if data.action is not None and data.action not in before:
            actions.append(data.action)
        for track in data.nla_tracks:
            for strip in track.strips:
                if strip.action is not None and strip.action not in before \
                        and strip.action not in actions:
                    actions.append(strip.action)
    return actions


def add_action(armature, action, name):
    """Put an action on the armature as its own NLA track called `name`."""
    action.use_fake_user = True  # an action only referenced by a muted strip must survive saving
    data = armature.animation_data or armature.animation_data_create()
    track = data.nla_tracks.new()
    track.name = name
    start = int(action.frame_range[0])
    strip = track.strips.new(name, start, action)
    # Blender 4.4+ actions have slots; the imported clip has one for an armature object.
    if hasattr(strip, "action_slot") and strip.action_slot is None and len(action.slots):
        strip.action_slot = action.slots[0]
    data.action = None  # the newest track (on top) plays; nothing doubles it
    return strip


def clip_action(context, path):
    """Import an animation file just for its action; the clip's own objects are removed."""
    before_actions = set(bpy.data.actions)
    helpers = import_into_collection(context, path)
    try:
        actions = _imported_actions(helpers, before_actions)
        if not actions:
            actions = [a for a in bpy.data.actions if a not in before_actions]
        if not actions:
            raise ImportFailed(f"The animation file {os.path.basename(path)} has no animation")
        for extra in actions[1:]:
            bpy.data.actions.remove(extra)
        # Keep the action alive while its objects go.
        actions[0].use_fake_user = True
        return actions[0]
    finally:
        remove_objects(helpers)


def import_rig(context, job_files, *, task_id, label, expires_at=0, replace=None,
               placement="cursor"):
    """Rigging result: the skinned character, plus walking and running as actions on its rig."""
    objects = import_model(context, job_files, task_id=task_id, kind="rigging", label=label,
                           expires_at=expires_at, replace=replace, placement=placement,
                           role="rigged_character")
    armature = _armature_of(objects)
    if armature is None:
        raise ImportFailed("The rigged character came without an armature")
    for role, name in (("walking", "Walking"), ("running", "Running")):
        path = job_files.get(role)
        if path:
            action = clip_action(context, path)
            action.name = f"{object_name(label)} {name}"
            add_action(armature, action, name)
    armature.select_set(True)
    context.view_layer.objects.active = armature
    return objects


def import_animation(context, job, armature):
    """Animation result: one more action (and NLA track) on the existing rig."""
    path = job.files.get("processed_animation_fps") or job.files.get("animation")
    if not path:
        raise ImportFailed("The animation result has no animation file")
    name = job.options.get("action_name") or job.label
    action = clip_action(context, path)
    action.name = name
    add_action(armature, action, name)
    action["meshy_task_id"] = job.task_id
    armature.select_set(True)
    context.view_layer.objects.active = armature
    return [armature]


def set_preview(id_block, path):
    """Use a result's thumbnail as the ID's preview (Outliner, asset browser, search)."""
    import array
    try:
        image = bpy.data.images.load(path, check_existing=False)
    except RuntimeError:
        return False  # a thumbnail is a nicety: never fail an import over it
    try:
        width, height = image.size
        if not width or not height or image.channels != 4:
            return False
        if max(width, height) > PREVIEW_SIZE:
            # An icon needs no more; reading a full-size thumbnail's pixels costs milliseconds.
            factor = PREVIEW_SIZE / max(width, height)
            width, height = max(1, round(width * factor)), max(1, round(height * factor))
            image.scale(width, height)
        pixels = array.array("f", bytes(4 * width * height * 4))
        image.pixels.foreach_get(pixels)
        preview = id_block.preview_ensure()
        preview.image_size = (width, height)
        preview.image_pixels_float.foreach_set(pixels)
        return True
    finally:
        bpy.data.images.remove(image)


def load_image(path, name, pack=True):
    """Load an image result as a Blender image (packed so it travels with the .blend)."""
    image = bpy.data.images.load(path, check_existing=False)
    image.name = name
    if pack:
        image.pack()
    # Nothing uses an image result yet, and Blender does not save what nothing uses.
    image.use_fake_user = True
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
    if base and (hd_base_color or not _fed_by_image(inputs["Base Color"])):
        node = image_node(base, False, 300)
        tree.links.new(node.outputs["Color"], inputs["Base Color"])
    for role, socket in (("metallic", "Metallic"), ("roughness", "Roughness")):
        path = textures.get(role)
        if path and not _fed_by_image(inputs[socket]):
            node = image_node(path, True, 0 if role == "metallic" else -300)
            tree.links.new(node.outputs["Color"], inputs[socket])
    normal = textures.get("normal")
    if normal and not _fed_by_image(inputs["Normal"]):
        # Reuse a Normal Map node an importer left unconnected (FBX does), else add one.
        linked = inputs["Normal"].links[0].from_node if inputs["Normal"].is_linked else None
        normal_map = linked if linked is not None and linked.type == 'NORMAL_MAP' else None
        if normal_map is None:
            normal_map = tree.nodes.new("ShaderNodeNormalMap")
            normal_map.location = (bsdf.location.x - 250, bsdf.location.y - 600)
            tree.links.new(normal_map.outputs["Normal"], inputs["Normal"])
        node = image_node(normal, True, -600)
        tree.links.new(node.outputs["Color"], normal_map.inputs["Color"])
    emission = textures.get("emission")
    emission_socket = inputs["Emission Color"]  # named so since Blender 4.0
    if emission and not _fed_by_image(emission_socket):
        node = image_node(emission, False, -900)
        tree.links.new(node.outputs["Color"], emission_socket)
        strength = inputs["Emission Strength"]
        if strength.default_value == 0.0:
            strength.default_value = 1.0
    return bsdf


def _fed_by_image(socket, depth=4):
    """True when an image texture (with an image) feeds this socket, directly or through a few
    converter nodes (Separate Color, Normal Map, ...)."""
    if depth == 0 or not socket.is_linked:
        return False
    node = socket.links[0].from_node
    if node.type == 'TEX_IMAGE':
        return node.image is not None
    return any(_fed_by_image(i, depth - 1) for i in node.inputs)


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


# --- where a result can land ----------------------------------------------------------------------
# The same rules are asked before anything is paid (selection.check_can_land) and again at import,
# when the file may have changed while Meshy worked.

# Kinds whose result is a file saved where the artist chose, and that file's extension.
FILE_KINDS = {"multi_color_print": ".3mf"}
# Kinds whose result changes an existing object in place; Import as New Object is their fallback.
NEW_OBJECT_KINDS = frozenset({"retexture", "animation"})
# Kinds whose result belongs to the object they were made from.
NEEDS_SOURCE = frozenset({"analyze_printability"})

NEW_OBJECT_HINT = "The files are kept: use Import as New Object in the Jobs panel"
OTHER_PLACE_HINT = "The file is kept: press Import in the Jobs panel and choose another place"


def library_problem(id_block, overrides_keep=False):
    """Why a change to `id_block` would not be saved with this file ("" when it would).

    Python may change linked data without complaint, but the change is not saved, and changes to
    a library override are saved only for what overrides keep (NLA tracks, not custom properties).
    """
    library = id_block.library
    if library is not None:
        where = os.path.basename(bpy.path.abspath(library.filepath)) or library.name
        return f"'{id_block.name}' is linked from {where}"
    override = id_block.override_library
    if override is not None and (not overrides_keep or override.is_system_override):
        return f"'{id_block.name}' is a library override"
    return ""


def material_swap_problem(target, name):
    """Why a retexture's material cannot replace the material of `target` ("" when it can)."""
    if target is None:
        return f"'{name}' is gone from this file"
    if target.type != 'MESH':
        return f"'{target.name}' is no longer a mesh"
    found = library_problem(target)
    if not found and library_problem(target.data):
        found = f"the mesh of '{target.name}' is linked from a library"
    return found


def animation_target_problem(armature, name):
    """Why an animation cannot be added to `armature` ("" when it can)."""
    if armature is None or armature.type != 'ARMATURE':
        return f"The rigged character '{name}' is not in this file"
    return library_problem(armature, overrides_keep=True)


def save_path_problem(path):
    """Why a result file cannot be saved at `path` ("" when it can)."""
    if not path:
        return "Choose where to save the file"
    path = bpy.path.abspath(path)
    name = os.path.basename(path)
    if not name or os.path.isdir(path):
        return f"Cannot save to {path}: it is a folder; choose a file name"
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return f"Cannot save {name}: the file there is read-only"
    # The folders that do not exist yet are made when the file is saved; the nearest one that
    # does exist must be a folder we may write in.
    folder = os.path.dirname(path) or os.curdir
    while not os.path.exists(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
    if not os.path.isdir(folder):
        return f"Cannot save {name} in {os.path.dirname(path)}: {folder} is a file, not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"Cannot save {name}: the folder {folder} is not writable"
    return ""


# --- dispatch by task kind ----------------------------------------------------------------------

# Kinds whose result is added to an existing object (an action on an armature), so one task may
# legitimately be imported onto several objects.
APPEND_KINDS = frozenset({"animation"})


def import_result(context, job, as_new_object=False):
    """Bring a finished job's files into the current file; returns the names of what was made.

    `as_new_object`: the fallback when the result cannot change the object it was made for
    (gone, or linked from a library): it becomes an object of its own instead.
    """
    options = job.options
    name = options.get("source_object", "")
    source = bpy.data.objects.get(name) if name else None
    if tasks.creative_stage(job.kind) == tasks.PROTOTYPE:
        return import_prototype(context, job)
    if tasks.creative_stage(job.kind) == tasks.BUILD:
        return import_build(context, job)
    if job.kind in IMAGE_KINDS:
        return _import_images(job)
    if job.kind == "analyze_printability":
        return _store_printability(job, name, source)
    if job.kind in FILE_KINDS:
        return _save_file(job, "model", options.get("save_to", ""))
    common = dict(task_id=job.task_id, label=job.label, expires_at=job.expires_at)
    placement = options.get("placement", "cursor")
    if placement == "source" and source is None:
        placement = "cursor"  # nothing left to take the place of
    replace = source if placement in ("world", "source") else None
    if job.kind == "animation":
        if as_new_object:
            role = "processed_animation_fps" if job.files.get("processed_animation_fps") \
                else "animation"
            return [o.name for o in import_model(context, job.files, kind=job.kind, role=role,
                                                 **common)]
        target = options.get("target_armature", "")
        armature = bpy.data.objects.get(target)
        problem = animation_target_problem(armature, target)
        if problem:
            raise ImportFailed(f"{problem}, so the animation could not be added to it. "
                               f"{NEW_OBJECT_HINT}")
        return [o.name for o in import_animation(context, job, armature)]
    if job.kind == "rigging":
        return [o.name for o in import_rig(context, job.files, replace=replace,
                                           placement=placement, **common)]
    if job.kind == "retexture" and options.get("apply_material") and not as_new_object:
        problem = material_swap_problem(source, name)
        if problem:
            raise ImportFailed(f"{problem}, so its material could not be replaced. "
                               f"{NEW_OBJECT_HINT}")
        return [o.name for o in apply_materials(
            context, job.files, source, kind=job.kind,
            hd_base_color=bool(options.get("hd_texture")), **common)]
    objects = import_model(
        context, job.files, kind=job.kind, hd_base_color=bool(options.get("hd_texture")),
        replace=replace, placement=placement, **common)
    return [obj.name for obj in objects]


def _import_images(job):
    images = [load_image(path, f"{object_name(job.label)} {index}")
              for index, (role, path) in enumerate(sorted(job.files.items()), start=1)
              if role.startswith("image")]
    if not images:
        raise ImportFailed("The image task returned no images")
    for image in images:
        image["meshy_task_id"] = job.task_id
        image["meshy_kind"] = job.kind
    return [image.name for image in images]


def _store_printability(job, name, source):
    """Keep the printability report on the object it describes (the panel shows it)."""
    import json
    report = job.task.get("printability")
    if not isinstance(report, dict):
        raise ImportFailed("Meshy returned no printability report")
    if not name:
        return []  # a task analysed by id: there is no object to keep the report on
    if source is None:
        raise ImportFailed(f"The object '{name}' is gone from this file, so its printability "
                           "report has nowhere to go. Analysis is free: analyze it again")
    problem = library_problem(source)
    if problem:
        raise ImportFailed(f"{problem}, so its printability report cannot be kept on it. "
                           "Make it local (Object > Relations > Make Local) and analyze it again")
    source["meshy_printability"] = json.dumps(report)
    return [source.name]


def _save_file(job, role, destination):
    """Copy a result file (e.g. a 3MF for printing) to where the artist asked for it."""
    import shutil
    path = job.files.get(role)
    if not path:
        raise ImportFailed("The result has no file to save")
    if not destination:
        job.message = "Kept in the job's folder (Open Result Folder)"
        return []
    name = os.path.basename(destination)
    problem = save_path_problem(destination)
    if problem:
        raise ImportFailed(f"{problem}. {OTHER_PLACE_HINT}")
    destination = bpy.path.abspath(destination)
    partial = destination + ".part"
    try:
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        shutil.copyfile(path, partial)
        os.replace(partial, destination)  # never a half-written file under the artist's name
    except OSError as exc:
        try:
            os.remove(partial)
        except OSError:
            pass
        raise ImportFailed(f"Cannot save {name}: {exc.strerror or exc}. {OTHER_PLACE_HINT}") \
            from None
    job.message = f"Saved {name}"
    return []


# --- Creative Lab: the prototype's concept image, the build's model(s) ------------------------

# STL has no unit; Creative Lab's are in millimetres (page 27), Blender's scene unit is the metre.
STL_SCALE = 0.001


def import_prototype(context, job):
    """The concept image, packed into the file with a fake user, shown for approval."""
    path = job.files.get(tasks.family(job.kind).image_role)
    if not path:
        raise ImportFailed(
            "The prototype finished without a concept image (Meshy made no candidate), so there "
            "is nothing to approve or build. Make a new prototype.")
    image = load_image(path, f"{object_name(job.label)} concept")
    image.use_fake_user = True   # nothing else uses it yet: it must survive saving
    image["meshy_task_id"] = job.task_id
    image["meshy_kind"] = job.kind
    image["meshy_prompt"] = job.label
    image["meshy_imported_at"] = time.time()   # image names sort by name, not by age
    settings = context.scene.meshy.creative
    product, _stage = tasks.split_creative_kind(job.kind)
    if settings.product == product:
        settings.shown_prototype = image
    return [image.name]


def import_build(context, job):
    """A build's model(s), placed at the 3D cursor in the Meshy collection, tagged."""
    files = _model_files(job)
    common = dict(task_id=job.task_id, kind=job.kind, expires_at=job.expires_at,
                  placement=job.options.get("placement", "cursor"))
    if "lamp" in files:
        made = []
        for role, suffix in (("base", " base"), ("lamp", "")):
            if files.get(role):
                made += _import_stl(context, files[role], label=job.label + suffix, **common)
        return [obj.name for obj in made]
    objects = import_model(context, files, label=job.label, **common)
    return [obj.name for obj in objects]


def _import_stl(context, path, **kwargs):
    objects = import_model(context, {"model": path}, **kwargs)
    for obj in objects:
        if obj.type == 'MESH':
            # Scale the mesh, not the object: its dimensions then read true in metres.
            obj.data.transform([[STL_SCALE, 0, 0, 0], [0, STL_SCALE, 0, 0],
                                [0, 0, STL_SCALE, 0], [0, 0, 0, 1]])
            record_geometry(obj)
    return objects


def _model_files(job):
    """{role: path} the importer can read: zip bundles are unpacked into the cache first."""
    files = dict(job.files)
    packed = next((files.pop(role) for role in ("model_bundle", "bundle") if role in files), None)
    if packed:
        folder = os.path.splitext(packed)[0] + "_files"
        try:
            unpacked = bundle.extract(packed, folder)
        except bundle.BundleError as exc:
            raise ImportFailed(f"The build's zip could not be opened: {exc}") from None
        files.update(bundle.model_roles(unpacked))
    if "lamp" not in files and "model" not in files:
        raise ImportFailed("The build delivered no model Blender can import")
    return files
