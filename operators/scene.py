# SPDX-License-Identifier: GPL-3.0-or-later
"""Working on what is in the scene: retexture, remesh, convert, resize, rig, animate, print.

Each operator sends the selected mesh (by its Meshy task id when Meshy made it and still has it,
otherwise exported as GLB) or, when given `input_task_id` (from the History panel), that task.
"""

import time

import bpy
from bpy.props import StringProperty

from .. import request, selection
from .generate import send
from .poll import CANNOT_SEND, MENU_TARGET, network_problem, refuse, report, selection_problem


class _SceneOperator:
    """Read the selection (or the given task), ask request.py for the request, send, report."""
    kind = ""

    input_task_id: StringProperty(
        name="Task", options={'SKIP_SAVE'},
        description="Act on this Meshy task instead of the selection")

    @classmethod
    def poll(cls, context):
        # The selection is checked when the operator runs, not here: from the History panel
        # it acts on a task id, with whatever happens to be selected. Only the object context
        # menu, which always acts on the selection, asks for the selection to be checked here.
        reason = network_problem(context)
        if not reason and getattr(context, MENU_TARGET, None) is not None:
            reason = selection_problem(context, cls.kind)
        return refuse(cls, reason)

    def job_options(self, context):
        return {}

    def execute(self, context):
        try:
            objects = [] if self.input_task_id else selection.check_selection(
                context, context.selected_objects, selection.face_limit(self.kind))
            outgoing = request.tool_request(context, self.kind, objects, self.input_task_id,
                                            self.job_options(context))
        except CANNOT_SEND as exc:
            return report(self, exc)
        for note in outgoing.notes:
            self.report({'INFO'}, note)
        return send(self, context, outgoing)


class MESHY_OT_retexture(_SceneOperator, bpy.types.Operator):
    """Give the selected mesh a new texture from a text or image style (keeps its shape)"""
    bl_idname = "meshy.retexture"
    bl_label = "Meshy: Retexture"
    kind = "retexture"


class MESHY_OT_remesh(_SceneOperator, bpy.types.Operator):
    """Rebuild the selected mesh with clean topology at a chosen polycount"""
    bl_idname = "meshy.remesh"
    bl_label = "Meshy: Remesh"
    kind = "remesh"


class MESHY_OT_convert(_SceneOperator, bpy.types.Operator):
    """Convert the selected mesh to other file formats (files land in the job's folder)"""
    bl_idname = "meshy.convert"
    bl_label = "Meshy: Convert"
    kind = "convert"


class MESHY_OT_resize(_SceneOperator, bpy.types.Operator):
    """Scale the selected mesh to a height, a longest side, or its real-world size"""
    bl_idname = "meshy.resize"
    bl_label = "Meshy: Resize"
    kind = "resize"


class MESHY_OT_rig(_SceneOperator, bpy.types.Operator):
    """Rig the selected humanoid (facing -Y in Blender): armature, skin weights, walk and run"""
    bl_idname = "meshy.rig"
    bl_label = "Meshy: Rig Character"
    kind = "rigging"


class MESHY_OT_analyze_printability(_SceneOperator, bpy.types.Operator):
    """Check the selected mesh for 3D printing: watertightness, holes, bad faces (free)"""
    bl_idname = "meshy.analyze_printability"
    bl_label = "Meshy: Analyze Printability"
    kind = "analyze_printability"


class MESHY_OT_repair_printability(_SceneOperator, bpy.types.Operator):
    """Repair the selected mesh for 3D printing; the repaired model takes its place"""
    bl_idname = "meshy.repair_printability"
    bl_label = "Meshy: Repair for Printing"
    kind = "repair_printability"


class MESHY_OT_multi_color_print(_SceneOperator, bpy.types.Operator):
    """Make a multi-colour 3MF of the selected textured mesh for 3D printing"""
    bl_idname = "meshy.multi_color_print"
    bl_label = "Meshy: Multi-Color Print"
    kind = "multi_color_print"

    filepath: StringProperty(subtype='FILE_PATH', options={'SKIP_SAVE'})
    filter_glob: StringProperty(default="*.3mf", options={'HIDDEN'})

    def invoke(self, context, event):
        if not self.filepath:
            name = context.selected_objects[0].name if context.selected_objects else "model"
            self.filepath = bpy.path.ensure_ext(bpy.path.clean_name(name), ".3mf")
        context.window_manager.fileselect_add(self)
        return {'RUNNING_MODAL'}

    def job_options(self, context):
        if not self.filepath:
            raise request.NotReady("Choose where to save the 3MF file")
        return {"save_to": bpy.path.abspath(bpy.path.ensure_ext(self.filepath, ".3mf"))}


# --- animation -----------------------------------------------------------------------------------

def rig_of(obj):
    """(armature, rig task id) for a Meshy-rigged object or its skinned mesh, else (None, "")."""
    if obj is None:
        return None, ""
    armature = obj if obj.type == 'ARMATURE' else obj.find_armature() if obj.type == 'MESH' \
        else None
    if armature is None and obj.parent is not None and obj.parent.type == 'ARMATURE':
        armature = obj.parent
    if armature is None:
        return None, ""
    for candidate in (armature, obj):
        if candidate.get("meshy_kind") == "rigging" and candidate.get("meshy_task_id"):
            return armature, candidate["meshy_task_id"]
    return armature, ""


class MESHY_OT_animate(bpy.types.Operator):
    """Apply an animation from Meshy's library to the selected Meshy-rigged character"""
    bl_idname = "meshy.animate"
    bl_label = "Meshy: Animate Character"

    rig_task_id: StringProperty(name="Rig Task", options={'SKIP_SAVE'},
                                description="Animate this rigging task instead of the selection")

    @classmethod
    def poll(cls, context):
        reason = network_problem(context)
        if not reason:
            armature, task_id = rig_of(context.active_object)
            if armature is None:
                reason = "Select a character rigged by Meshy (Rig Character first)"
            elif not task_id:
                reason = (f"'{armature.name}' was not rigged by Meshy: rig the mesh with "
                          "Meshy first")
        return refuse(cls, reason)

    def execute(self, context):
        armature, task_id = rig_of(context.active_object)
        expires = armature.get("meshy_expires_at", 0.0) if armature else 0.0
        if expires and time.time() >= expires and not self.rig_task_id:
            self.report({'ERROR'}, "Meshy no longer keeps this rig (3 days): rig the character "
                                   "again to animate it")
            return {'CANCELLED'}
        try:
            outgoing = request.animation_request(context, armature, self.rig_task_id or task_id)
        except CANNOT_SEND as exc:
            return report(self, exc)
        return send(self, context, outgoing)


classes = (
    MESHY_OT_retexture,
    MESHY_OT_remesh,
    MESHY_OT_convert,
    MESHY_OT_resize,
    MESHY_OT_rig,
    MESHY_OT_animate,
    MESHY_OT_analyze_printability,
    MESHY_OT_repair_printability,
    MESHY_OT_multi_color_print,
)
