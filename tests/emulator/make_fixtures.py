"""Builds the emulator's binary fixtures with Blender's own exporters.

Run it with the Python that has the `bpy` wheel (from the repository root):

    .venv-blender-5.0/bin/python tests/emulator/make_fixtures.py [props]

Everything the emulator cannot write in pure Python comes from here: the sample object's FBX, USDZ
and .blend, and the rigged humanoid (armature + skin weights) with its walking, running and action
clips, and the props a prompt's words choose (a robot, a chair, a tower, a lamp, a tree; see
props.py). The sample object's GLB is the geometry source the emulator textures at request time, so
previews, refines, retextures and remeshes all share one mesh.

The output is deterministic and small (low-poly meshes, 64x64 textures); the whole fixtures folder
stays well under 1 MB. Re-run this script only when a fixture must change, then commit the result.
"""

import math
import os
import sys
import tempfile

import bpy

import props  # tests/emulator/props.py, beside this script

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
TEXTURE_SIZE = 64

# Bones of the humanoid: name -> (head, tail, parent). Blender Z-up coordinates, metres.
BONES = {
    "Hips": ((0, 0, 0.95), (0, 0, 1.1), None),
    "Spine": ((0, 0, 1.1), (0, 0, 1.45), "Hips"),
    "Head": ((0, 0, 1.45), (0, 0, 1.75), "Spine"),
    "LeftArm": ((0.2, 0, 1.4), (0.45, 0, 1.15), "Spine"),
    "LeftForeArm": ((0.45, 0, 1.15), (0.6, 0, 0.9), "LeftArm"),
    "RightArm": ((-0.2, 0, 1.4), (-0.45, 0, 1.15), "Spine"),
    "RightForeArm": ((-0.45, 0, 1.15), (-0.6, 0, 0.9), "RightArm"),
    "LeftUpLeg": ((0.1, 0, 0.95), (0.1, 0, 0.5), "Hips"),
    "LeftLeg": ((0.1, 0, 0.5), (0.1, 0, 0.05), "LeftUpLeg"),
    "RightUpLeg": ((-0.1, 0, 0.95), (-0.1, 0, 0.5), "Hips"),
    "RightLeg": ((-0.1, 0, 0.5), (-0.1, 0, 0.05), "RightUpLeg"),
}

# Body parts as boxes: bone -> (centre, half extents). Each part is skinned fully to its bone, which
# is crude but gives the importer real JOINTS_0/WEIGHTS_0 data and visibly deforms when animated.
PARTS = {
    "Hips": ((0, 0, 1.0), (0.17, 0.1, 0.08)),
    "Spine": ((0, 0, 1.27), (0.2, 0.11, 0.18)),
    "Head": ((0, 0, 1.6), (0.11, 0.11, 0.13)),
    "LeftArm": ((0.33, 0, 1.28), (0.05, 0.05, 0.14)),
    "LeftForeArm": ((0.53, 0, 1.02), (0.04, 0.04, 0.13)),
    "RightArm": ((-0.33, 0, 1.28), (0.05, 0.05, 0.14)),
    "RightForeArm": ((-0.53, 0, 1.02), (0.04, 0.04, 0.13)),
    "LeftUpLeg": ((0.1, 0, 0.72), (0.07, 0.07, 0.22)),
    "LeftLeg": ((0.1, 0, 0.28), (0.06, 0.06, 0.22)),
    "RightUpLeg": ((-0.1, 0, 0.72), (0.07, 0.07, 0.22)),
    "RightLeg": ((-0.1, 0, 0.28), (0.06, 0.06, 0.22)),
}

# Clips: name -> (frame count, {bone: (axis, amplitude in degrees, phase in turns)}).
CLIPS = {
    "Walking": (24, {"LeftUpLeg": (0, 25, 0.0), "RightUpLeg": (0, 25, 0.5),
                     "LeftArm": (0, 20, 0.5), "RightArm": (0, 20, 0.0)}),
    "Running": (16, {"LeftUpLeg": (0, 45, 0.0), "RightUpLeg": (0, 45, 0.5),
                     "LeftLeg": (0, 35, 0.25), "RightLeg": (0, 35, 0.75),
                     "LeftArm": (0, 40, 0.5), "RightArm": (0, 40, 0.0)}),
    "Action": (30, {"RightArm": (1, 70, 0.0), "RightForeArm": (1, 50, 0.25),
                    "LeftArm": (1, -70, 0.5), "Spine": (2, 15, 0.0)}),
}


def reset_scene():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.render.fps = 30


def save_png(name, pixel):
    """An image written to a temporary PNG, so both the glTF and FBX exporters can embed it."""
    image = bpy.data.images.new(name, TEXTURE_SIZE, TEXTURE_SIZE, alpha=False)
    pixels = []
    for y in range(TEXTURE_SIZE):
        for x in range(TEXTURE_SIZE):
            pixels.extend(pixel(x / TEXTURE_SIZE, y / TEXTURE_SIZE))
    image.pixels = pixels
    image.filepath_raw = os.path.join(tempfile.gettempdir(), f"meshy_emulator_{name}.png")
    image.file_format = "PNG"
    image.save()
    return image


def textured_material(name, base_pixel):
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    nodes, links = material.node_tree.nodes, material.node_tree.links
    bsdf = nodes.get("Principled BSDF")
    tex = nodes.new("ShaderNodeTexImage")
    tex.image = save_png(name + "_base_color", base_pixel)
    links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
    return material


def checker(a, b):
    def pixel(u, v):
        return (*(a if (int(u * 8) + int(v * 8)) % 2 else b), 1.0)
    return pixel


def add_sample_object():
    """The stand-in for every generated object: a low-poly, slightly lumpy mask shape with UVs."""
    bpy.ops.mesh.primitive_uv_sphere_add(segments=16, ring_count=10, radius=0.5)
    obj = bpy.context.active_object
    obj.name = "MeshyObject"
    for vertex in obj.data.vertices:
        x, y, z = vertex.co
        bump = 1.0 + 0.08 * math.sin(5 * math.atan2(y, x)) * math.cos(3 * z)
        vertex.co = (x * 0.9 * bump, y * 0.6 * bump, z * 1.1)
    bpy.ops.object.shade_smooth()
    return obj


def build_humanoid(textured=True):
    arm_data = bpy.data.armatures.new("Armature")
    armature = bpy.data.objects.new("Armature", arm_data)
    bpy.context.scene.collection.objects.link(armature)
    bpy.context.view_layer.objects.active = armature
    bpy.ops.object.mode_set(mode="EDIT")
    for name, (head, tail, parent) in BONES.items():
        bone = arm_data.edit_bones.new(name)
        bone.head, bone.tail = head, tail
        if parent:
            bone.parent = arm_data.edit_bones[parent]
            bone.use_connect = tuple(arm_data.edit_bones[parent].tail) == tuple(head)
    bpy.ops.object.mode_set(mode="OBJECT")

    vertices, faces, groups = [], [], {}
    box_faces = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    for bone, (centre, half) in PARTS.items():
        start = len(vertices)
        for dx in (-1, 1):
            for dy in (-1, 1):
                for dz in (-1, 1):
                    vertices.append((centre[0] + dx * half[0], centre[1] + dy * half[1],
                                     centre[2] + dz * half[2]))
        faces.extend(tuple(start + i for i in face) for face in box_faces)
        groups[bone] = list(range(start, start + 8))
    mesh = bpy.data.meshes.new("Character")
    mesh.from_pydata(vertices, [], faces)
    uv_layer = mesh.uv_layers.new(name="UVMap")
    corners = [(0, 0), (1, 0), (1, 1), (0, 1)]
    for polygon in mesh.polygons:
        for corner, loop_index in enumerate(polygon.loop_indices):
            uv_layer.data[loop_index].uv = corners[corner]
    mesh.update()
    body = bpy.data.objects.new("Character", mesh)
    bpy.context.scene.collection.objects.link(body)
    for bone, indices in groups.items():
        body.vertex_groups.new(name=bone).add(indices, 1.0, "REPLACE")
    body.parent = armature
    body.modifiers.new("Armature", "ARMATURE").object = armature
    if textured:
        body.data.materials.append(
            textured_material("Character", checker((0.85, 0.6, 0.45), (0.3, 0.35, 0.6))))
    return armature, body


def animate(armature, clip):
    frames, channels = CLIPS[clip]
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, frames + 1
    for bone in channels:
        armature.pose.bones[bone].rotation_mode = "XYZ"
    for frame in range(1, frames + 2):
        for bone, (axis, amplitude, phase) in channels.items():
            pose_bone = armature.pose.bones[bone]
            angle = math.radians(amplitude) * math.sin(2 * math.pi * ((frame - 1) / frames + phase))
            rotation = [0.0, 0.0, 0.0]
            rotation[axis] = angle
            pose_bone.rotation_euler = rotation
            pose_bone.keyframe_insert("rotation_euler", frame=frame)
    armature.animation_data.action.name = clip


def export_glb(name, animations=False, selection=None):
    if selection is not None:
        bpy.ops.object.select_all(action="DESELECT")
        for obj in selection:
            obj.select_set(True)
    bpy.ops.export_scene.gltf(
        filepath=os.path.join(FIXTURES, name), export_format="GLB",
        use_selection=selection is not None, export_animations=animations,
        export_animation_mode="ACTIVE_ACTIONS", export_skins=True, export_yup=True)


def export_fbx(name, animations=False, selection=None):
    if selection is not None:
        bpy.ops.object.select_all(action="DESELECT")
        for obj in selection:
            obj.select_set(True)
    bpy.ops.export_scene.fbx(
        filepath=os.path.join(FIXTURES, name), use_selection=selection is not None,
        add_leaf_bones=False, bake_anim=animations, path_mode="COPY", embed_textures=True)


def make_sample_object():
    reset_scene()
    obj = add_sample_object()
    # The geometry source: no material, so the emulator adds its own per task.
    export_glb("object.glb")
    export_fbx("object_untextured.fbx")
    bpy.ops.wm.save_as_mainfile(filepath=os.path.join(FIXTURES, "object.blend"), compress=True,
                                copy=True)
    obj.data.materials.append(textured_material("MeshyMaterial",
                                                checker((0.75, 0.45, 0.2), (0.35, 0.2, 0.1))))
    export_fbx("object.fbx")
    bpy.ops.wm.usd_export(filepath=os.path.join(FIXTURES, "object.usdz"))


def make_humanoid():
    reset_scene()
    armature, body = build_humanoid()
    export_glb("humanoid_rigged.glb")
    export_fbx("humanoid_rigged.fbx")
    for clip in CLIPS:
        reset_scene()
        armature, body = build_humanoid()
        animate(armature, clip)
        stem = f"humanoid_{clip.lower()}"
        export_glb(stem + ".glb", animations=True)
        export_fbx(stem + ".fbx", animations=True)
        export_glb(stem + "_armature.glb", animations=True, selection=[armature])
        if clip == "Action":
            # Post-processing outputs of the animation endpoint (fbx2usdz, extract_armature).
            export_fbx(stem + "_armature.fbx", animations=True, selection=[armature])
            bpy.ops.wm.usd_export(filepath=os.path.join(FIXTURES, stem + ".usdz"),
                                  export_animation=True)


# --- props: what a prompt's words choose (see props.py) -------------------------------------------

# Each prop: parts (primitive, palette cell, location, options), Blender Z-up metres, standing on
# z = 0. Low-poly on purpose: each GLB stays a few tens of KB.
def _robot():
    parts = [("cube", "charcoal", (x, 0.03, 0.03), {"scale": (0.1, 0.14, 0.03)}) for x in (-0.13, 0.13)]
    parts += [("cube", "dark_steel", (x, 0, 0.33), {"scale": (0.08, 0.09, 0.28)}) for x in (-0.13, 0.13)]
    parts += [
        ("cube", "paint_orange", (0, 0, 0.84), {"scale": (0.3, 0.2, 0.25)}),
        ("cube", "steel", (0, -0.2, 0.86), {"scale": (0.17, 0.02, 0.13)}),
        ("cube", "glow_cyan", (0, -0.225, 0.9), {"scale": (0.06, 0.01, 0.03)}),
        ("cylinder", "dark_steel", (0, 0, 1.13), {"radius": 0.06, "depth": 0.1}),
        ("cube", "steel", (0, 0, 1.3), {"scale": (0.2, 0.17, 0.15)}),
        ("cylinder", "dark_steel", (0, 0, 1.52), {"radius": 0.015, "depth": 0.16}),
        ("sphere", "paint_orange", (0, 0, 1.62), {"radius": 0.045}),
    ]
    parts += [("sphere", "glow_cyan", (x, -0.16, 1.32), {"radius": 0.045}) for x in (-0.08, 0.08)]
    for x in (-0.38, 0.38):
        parts += [("sphere", "dark_steel", (x, 0, 1.0), {"radius": 0.09}),
                  ("cylinder", "steel", (x, 0, 0.78), {"radius": 0.055, "depth": 0.4}),
                  ("sphere", "dark_steel", (x, 0, 0.54), {"radius": 0.07})]
    return parts


def _chair():
    parts = [("cube", "wood", (0, 0, 0.45), {"scale": (0.25, 0.25, 0.03)}),
             ("cube", "fabric_red", (0, -0.01, 0.5), {"scale": (0.22, 0.21, 0.03)}),
             ("cube", "wood", (0, 0.21, 0.96), {"scale": (0.25, 0.03, 0.05)})]
    parts += [("cylinder", "dark_wood", (x, y, 0.21), {"radius": 0.025, "depth": 0.42})
              for x in (-0.21, 0.21) for y in (-0.21, 0.21)]
    parts += [("cylinder", "dark_wood", (x, 0.21, 0.72), {"radius": 0.025, "depth": 0.55})
              for x in (-0.21, 0.21)]
    parts += [("cube", "wood", (x, 0.21, 0.72), {"scale": (0.03, 0.015, 0.2)})
              for x in (-0.1, 0.0, 0.1)]
    return parts


def _tower():
    parts = [("cylinder", "stone", (0, 0, 0.9), {"radius": 0.45, "depth": 1.8}),
             ("cylinder", "stone", (0, 0, 1.86), {"radius": 0.55, "depth": 0.14}),
             ("cone", "roof_blue", (0, 0, 2.4), {"radius1": 0.6, "radius2": 0.0, "depth": 0.9}),
             ("cylinder", "charcoal", (0, 0, 2.95), {"radius": 0.015, "depth": 0.4}),
             ("cube", "fabric_red", (0.1, 0, 3.08), {"scale": (0.1, 0.006, 0.06)}),
             ("cube", "dark_wood", (0, -0.43, 0.22), {"scale": (0.13, 0.04, 0.22)})]
    for index in range(10):
        angle = index * 2 * math.pi / 10
        parts.append(("cube", "stone", (0.5 * math.sin(angle), -0.5 * math.cos(angle), 2.0),
                      {"scale": (0.07, 0.07, 0.07), "rotation": (0, 0, angle)}))
    for angle, z in ((0.0, 0.85), (0.0, 1.4), (math.pi / 2, 1.15), (-math.pi / 2, 0.7)):
        parts.append(("cube", "warm_glow", (0.44 * math.sin(angle), -0.44 * math.cos(angle), z),
                      {"scale": (0.06, 0.03, 0.1), "rotation": (0, 0, angle)}))
    return parts


def _lamp():
    return [("cylinder", "brass", (0, 0, 0.03), {"radius": 0.2, "depth": 0.06}),
            ("cylinder", "brass", (0, 0, 0.7), {"radius": 0.02, "depth": 1.3}),
            ("sphere", "warm_glow", (0, 0, 1.3), {"radius": 0.08}),
            ("cone", "linen", (0, 0, 1.38), {"radius1": 0.32, "radius2": 0.17, "depth": 0.36,
                                             "end_fill_type": 'NOTHING'}),
            ("sphere", "brass", (0, 0, 1.58), {"radius": 0.03})]


def _tree():
    return [("cone", "bark", (0, 0, 0.6), {"radius1": 0.15, "radius2": 0.09, "depth": 1.2}),
            ("ico", "leaf", (0, 0, 1.5), {"radius": 0.6}),
            ("ico", "leaf_light", (0.35, 0.15, 1.25), {"radius": 0.42}),
            ("ico", "leaf_light", (-0.33, -0.1, 1.3), {"radius": 0.45}),
            ("ico", "leaf", (0.05, -0.1, 1.95), {"radius": 0.4})]


PROP_PARTS = {"robot": _robot, "chair": _chair, "tower": _tower, "lamp": _lamp, "tree": _tree}


def _add_part(kind, cell, location, options):
    options = dict(options)
    scale = options.pop("scale", None)
    rotation = options.pop("rotation", (0, 0, 0))
    add = {
        "cube": lambda: bpy.ops.mesh.primitive_cube_add(size=2.0, **options),
        "cylinder": lambda: bpy.ops.mesh.primitive_cylinder_add(vertices=16, **options),
        "cone": lambda: bpy.ops.mesh.primitive_cone_add(vertices=16, **options),
        "sphere": lambda: bpy.ops.mesh.primitive_uv_sphere_add(segments=16, ring_count=8,
                                                               **options),
        "ico": lambda: bpy.ops.mesh.primitive_ico_sphere_add(subdivisions=2, **options),
    }[kind]
    add()
    obj = bpy.context.active_object
    obj.location, obj.rotation_euler = location, rotation
    if scale:
        obj.scale = scale
    # Squeeze the part's own UVs into its palette cell (glTF's v runs down, Blender's up).
    u0, v0, u1, v1 = props.cell_uv_box(cell)
    for loop in obj.data.uv_layers.active.data:
        u, v = (min(max(c, 0.0), 1.0) for c in loop.uv)
        loop.uv = (u0 + u * (u1 - u0), (1.0 - v1) + v * (v1 - v0))
    return obj


def palette_material():
    """One material for every prop: the palette's maps on a Principled BSDF, as Meshy's are."""
    folder = tempfile.mkdtemp(prefix="meshy_emulator_palette_")
    maps = props.maps(TEXTURE_SIZE)
    material = bpy.data.materials.new("MeshyPalette")
    material.use_nodes = True
    nodes, links = material.node_tree.nodes, material.node_tree.links
    bsdf = nodes.get("Principled BSDF")

    def texture(role, non_color):
        path = os.path.join(folder, role + ".png")
        with open(path, "wb") as handle:
            handle.write(maps[role])
        node = nodes.new("ShaderNodeTexImage")
        node.image = bpy.data.images.load(path)
        node.image.pack()
        node.interpolation = "Closest"
        if non_color:
            node.image.colorspace_settings.name = "Non-Color"
        return node.outputs["Color"]

    links.new(texture("base_color", False), bsdf.inputs["Base Color"])
    links.new(texture("metallic", True), bsdf.inputs["Metallic"])
    links.new(texture("roughness", True), bsdf.inputs["Roughness"])
    normal_map = nodes.new("ShaderNodeNormalMap")
    links.new(texture("normal", True), normal_map.inputs["Color"])
    links.new(normal_map.outputs["Normal"], bsdf.inputs["Normal"])
    links.new(texture("emission", False), bsdf.inputs["Emission Color"])
    bsdf.inputs["Emission Strength"].default_value = 1.0
    return material


def make_props():
    for name, parts in PROP_PARTS.items():
        reset_scene()
        objects = [_add_part(kind, cell, location, options)
                   for kind, cell, location, options in parts()]
        bpy.ops.object.select_all(action="DESELECT")
        for obj in objects:
            obj.select_set(True)
        bpy.context.view_layer.objects.active = objects[0]
        bpy.ops.object.join()
        prop = bpy.context.active_object
        prop.name = name.capitalize()
        bpy.ops.object.transform_apply(location=True, rotation=True, scale=True)
        # Round parts smooth, box edges crisp.
        bpy.ops.object.shade_smooth_by_angle(angle=math.radians(40))
        prop.data.materials.clear()
        prop.data.materials.append(palette_material())
        export_glb(f"prop_{name}.glb")
        render_picture(prop, f"prop_{name}.png")


def render_picture(obj, name, size=256):
    """A small Cycles render of the prop: what Text to Image answers for a prompt naming it."""
    from mathutils import Vector

    scene = bpy.context.scene
    world = bpy.data.worlds.new("World")
    world.use_nodes = True
    background = world.node_tree.nodes["Background"]
    background.inputs["Color"].default_value = (0.93, 0.91, 0.86, 1.0)
    background.inputs["Strength"].default_value = 1.0
    scene.world = world
    sun = bpy.data.objects.new("Sun", bpy.data.lights.new("Sun", "SUN"))
    sun.data.energy = 3.0
    sun.rotation_euler = (math.radians(40), 0.0, math.radians(30))
    scene.collection.objects.link(sun)
    corners = [obj.matrix_world @ Vector(c) for c in obj.bound_box]
    low = Vector([min(c[i] for c in corners) for i in range(3)])
    high = Vector([max(c[i] for c in corners) for i in range(3)])
    centre, radius = (low + high) / 2, (high - low).length / 2
    camera = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    scene.collection.objects.link(camera)
    direction = Vector((0.5, -1.0, 0.3)).normalized()
    half_fov = math.atan(camera.data.sensor_width / (2 * camera.data.lens))
    camera.location = centre + direction * (radius / math.sin(half_fov) * 1.05)
    camera.rotation_euler = (-direction).to_track_quat("-Z", "Y").to_euler()
    scene.camera = camera
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 16
    scene.cycles.use_denoising = True
    scene.cycles.seed = 1
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGB"
    scene.render.image_settings.compression = 100
    scene.render.filepath = os.path.join(FIXTURES, name)
    bpy.ops.render.render(write_still=True)


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    # `make_fixtures.py props` rebuilds only the props; no argument rebuilds everything.
    if sys.argv[1:] != ["props"]:
        make_sample_object()
        make_humanoid()
    make_props()
    total = 0
    for name in sorted(os.listdir(FIXTURES)):
        size = os.path.getsize(os.path.join(FIXTURES, name))
        total += size
        print(f"{size:>9}  {name}")
    print(f"{total:>9}  total")


if __name__ == "__main__":
    sys.exit(main())
