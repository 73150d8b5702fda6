"""Run by test_blender_import.py under the bpy interpreter: import each file given on the command
line into an empty scene with Blender's own importers and print one JSON report per file."""

import json
import sys

import bpy
from mathutils import Vector

IMPORTERS = {
    ".glb": lambda path: bpy.ops.import_scene.gltf(filepath=path),
    ".fbx": lambda path: bpy.ops.import_scene.fbx(filepath=path),
    ".obj": lambda path: bpy.ops.wm.obj_import(filepath=path),
    ".stl": lambda path: bpy.ops.wm.stl_import(filepath=path),
}


def report(path):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    result = IMPORTERS[path[path.rfind("."):]](path)
    meshes = [o for o in bpy.data.objects if o.type == "MESH"]
    for obj in meshes:
        obj.data.calc_loop_triangles()
    corners = [obj.matrix_world @ Vector(corner) for obj in meshes for corner in obj.bound_box]
    images = {node.image.name for m in bpy.data.materials if m.node_tree
              for node in m.node_tree.nodes if node.type == "TEX_IMAGE" and node.image}
    return {
        "result": sorted(result),
        "meshes": len(meshes),
        "triangles": sum(len(o.data.loop_triangles) for o in meshes),
        "armatures": sum(o.type == "ARMATURE" for o in bpy.data.objects),
        "skinned": sum(any(m.type == "ARMATURE" for m in o.modifiers) for o in meshes),
        "images": len(images),
        "actions": len(bpy.data.actions),
        # World-space height: a resize arrives as a scaled parent node, not scaled vertices.
        "height": (max(c.z for c in corners) - min(c.z for c in corners)) if corners else 0.0,
    }


for path in sys.argv[sys.argv.index("--") + 1:]:
    print("REPORT " + json.dumps({"path": path, **report(path)}), flush=True)
