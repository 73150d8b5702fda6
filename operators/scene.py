# SPDX-License-Identifier: GPL-3.0-or-later
"""Working on what is in the scene: retexture, remesh, convert, resize, rig, animate, print.

Each operator sends the selected mesh (by its Meshy task id when Meshy made it and still has it,
otherwise exported as GLB) or, when given `input_task_id` (from the History panel), that task.
"""

import bpy
from bpy.props import StringProperty

from .. import jobs, request, selection
from ..engine import stand_in_payload
from .generate import send
from .poll import CANNOT_SEND, network_problem, report


class _SceneOperator:
    """Shared flow: check, choose task id or upload, build the payload, send."""
    kind = ""
    verb = ""
    face_limit = None
    result_roles = None   # which result files to fetch (None: all the importer may use)

    input_task_id: StringProperty(
        name="Task", options={'SKIP_SAVE'},
        description="Act on this Meshy task instead of the selection")

    @classmethod
    def poll(cls, context):
        # The selection is checked when the operator runs, not here: from the History panel
        # it acts on a task id, with whatever happens to be selected.
        if jobs.engine() is None:
            return False
        reason = network_problem(context)
        if reason:
            cls.poll_message_set(reason)
            return False
        return True

    def settings_problem(self, context):
        return ""

    def payload(self, context, objects):
        return {}

    def execute(self, context):
        from ..api import tasks
        # Cheapest and most basic first: what to work on, then how; the export comes last.
        try:
            objects = [] if self.input_task_id else selection.check_selection(
                context, context.selected_objects, self.face_limit)
        except CANNOT_SEND as exc:
            return report(self, exc)
        problem = self.settings_problem(context)
        if problem:
            self.report({'ERROR'}, problem)
            return {'CANCELLED'}
        options = {"roles": self.result_roles} if self.result_roles else {}
        payload = {}
        try:
            if self.input_task_id:
                payload = {"input_task_id": self.input_task_id}
                label = f"{self.verb} {self.input_task_id[:8]}"
                options["placement"] = "cursor"
            else:
                payload, label = self.source_payload(context, objects, options)
            payload.update(self.payload(context, objects))
            options.update(self.job_options(context, objects))
            tasks.validate(self.kind, stand_in_payload(payload))
        except CANNOT_SEND as exc:
            selection.discard_uploads(payload)
            return report(self, exc)
        return send(self, context, request.Request(self.kind, payload, label, options))

    def job_options(self, context, objects):
        return {}

    def source_payload(self, context, objects, options):
        """input_task_id for an unchanged Meshy object, else the exported selection."""
        first = objects[0]
        label = f"{self.verb} {first.name}" if len(objects) == 1 else \
            f"{self.verb} {len(objects)} objects"
        if len(objects) == 1:
            task_id, reason = selection.task_reference(first, self.kind)
            if task_id:
                options.update(placement="source", source_object=first.name)
                return {"input_task_id": task_id}, label
            if reason:
                self.report({'INFO'}, reason)
        path = selection.export_glb(context, objects)
        upload = selection.model_input(path)
        self.report({'INFO'}, f"Uploading {upload.description.split('upload ')[-1]}")
        options.update(placement="world", source_object=first.name)
        return {"model_url": upload}, label


class MESHY_OT_retexture(_SceneOperator, bpy.types.Operator):
    """Give the selected mesh a new texture from a text or image style (keeps its shape)"""
    bl_idname = "meshy.retexture"
    bl_label = "Meshy: Retexture"
    kind = "retexture"
    verb = "Retexture"

    def settings_problem(self, context):
        tools = context.scene.meshy.tools
        if tools.style_source == 'TEXT':
            text = tools.style_prompt.strip()
            if not text:
                return "Describe the new style (Style) or switch to an image style"
            if len(text) > request.PROMPT_LIMIT:
                return f"The style is {len(text)} characters; Meshy accepts up to 600"
            return ""
        return request.image_input_problem(tools.style_image, "style image")

    def payload(self, context, objects):
        tools = context.scene.meshy.tools
        payload = {"ai_model": tools.retexture_ai_model,
                   "enable_original_uv": tools.enable_original_uv,
                   "enable_pbr": tools.enable_pbr}
        if tools.retexture_ai_model in ("latest", "meshy-6"):
            payload["hd_texture"] = tools.hd_texture
            payload["remove_lighting"] = tools.remove_lighting
        if tools.style_source == 'TEXT':
            payload["text_style_prompt"] = tools.style_prompt.strip()
        else:
            payload["image_style_url"] = request.image_value(tools.style_image, "style image")
        return request.with_formats(context, payload)

    def job_options(self, context, objects):
        tools = context.scene.meshy.tools
        # With the mesh's own UVs kept, the new textures fit the object as it is: swap materials.
        return {"apply_material": bool(tools.enable_original_uv and objects and len(objects) == 1),
                "hd_texture": bool(tools.hd_texture)}


class MESHY_OT_remesh(_SceneOperator, bpy.types.Operator):
    """Rebuild the selected mesh with clean topology at a chosen polycount"""
    bl_idname = "meshy.remesh"
    bl_label = "Meshy: Remesh"
    kind = "remesh"
    verb = "Remesh"

    def payload(self, context, objects):
        tools = context.scene.meshy.tools
        payload = request.with_formats(context, {"topology": tools.topology})
        if tools.use_adaptive_decimation:
            payload["decimation_mode"] = int(tools.decimation_mode)
        else:
            payload["target_polycount"] = tools.target_polycount
        return payload


class MESHY_OT_convert(_SceneOperator, bpy.types.Operator):
    """Convert the selected mesh to other file formats (files land in the job's folder)"""
    bl_idname = "meshy.convert"
    bl_label = "Meshy: Convert"
    kind = "convert"
    verb = "Convert"

    def settings_problem(self, context):
        return "" if context.scene.meshy.tools.convert_formats else "Choose at least one format"

    def payload(self, context, objects):
        formats = set(context.scene.meshy.tools.convert_formats) | {"glb"}
        return {"target_formats": sorted(formats)}

    def job_options(self, context, objects):
        return {"all_formats": True}


class MESHY_OT_resize(_SceneOperator, bpy.types.Operator):
    """Scale the selected mesh to a height, a longest side, or its real-world size"""
    bl_idname = "meshy.resize"
    bl_label = "Meshy: Resize"
    kind = "resize"
    verb = "Resize"

    def payload(self, context, objects):
        tools = context.scene.meshy.tools
        payload = {"origin_at": tools.origin_at}
        if tools.resize_mode == 'AUTO':
            payload["auto_size"] = True
        elif tools.resize_mode == 'HEIGHT':
            payload["resize_height"] = round(tools.resize_value, 4)
        else:
            payload["resize_longest_side"] = round(tools.resize_value, 4)
        return payload


class MESHY_OT_rig(_SceneOperator, bpy.types.Operator):
    """Rig the selected humanoid (facing -Y in Blender): armature, skin weights, walk and run"""
    bl_idname = "meshy.rig"
    bl_label = "Meshy: Rig Character"
    kind = "rigging"
    verb = "Rig"
    face_limit = selection.RIG_FACE_LIMIT
    result_roles = ["rigged_character", "walking", "running", "thumbnail"]

    def settings_problem(self, context):
        tools = context.scene.meshy.tools
        if tools.use_rig_texture:
            return request.image_input_problem(tools.rig_texture, "base colour image")
        return ""

    def payload(self, context, objects):
        tools = context.scene.meshy.tools
        height = tools.height_meters or (selection.world_height(objects) if objects else 0.0)
        payload = {"height_meters": round(height, 3) if height > 0 else 1.7}
        if tools.use_rig_texture:
            payload["texture_image_url"] = request.image_value(tools.rig_texture,
                                                                  "base colour image")
        return payload


class MESHY_OT_analyze_printability(_SceneOperator, bpy.types.Operator):
    """Check the selected mesh for 3D printing: watertightness, holes, bad faces (free)"""
    bl_idname = "meshy.analyze_printability"
    bl_label = "Meshy: Analyze Printability"
    kind = "analyze_printability"
    verb = "Printability of"


class MESHY_OT_repair_printability(_SceneOperator, bpy.types.Operator):
    """Repair the selected mesh for 3D printing; the repaired model takes its place"""
    bl_idname = "meshy.repair_printability"
    bl_label = "Meshy: Repair for Printing"
    kind = "repair_printability"
    verb = "Repair"


class MESHY_OT_multi_color_print(_SceneOperator, bpy.types.Operator):
    """Make a multi-colour 3MF of the selected textured mesh for 3D printing"""
    bl_idname = "meshy.multi_color_print"
    bl_label = "Meshy: Multi-Color Print"
    kind = "multi_color_print"
    verb = "Multi-color print of"

    filepath: StringProperty(subtype='FILE_PATH', options={'SKIP_SAVE'})
    filter_glob: StringProperty(default="*.3mf", options={'HIDDEN'})

    def invoke(self, context, event):
        if not self.filepath:
            name = context.selected_objects[0].name if context.selected_objects else "model"
            self.filepath = bpy.path.ensure_ext(bpy.path.clean_name(name), ".3mf")
        context.window_manager.fileselect_add(self)
        return {'RUNNING_MODAL'}

    def settings_problem(self, context):
        return "" if self.filepath else "Choose where to save the 3MF file"

    def payload(self, context, objects):
        tools = context.scene.meshy.tools
        return {"max_colors": tools.max_colors, "max_depth": tools.max_depth}

    def job_options(self, context, objects):
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
        if reason:
            cls.poll_message_set(reason)
            return False
        return jobs.engine() is not None

    def execute(self, context):
        tools = context.scene.meshy.tools
        armature, task_id = rig_of(context.active_object)
        task_id = self.rig_task_id or task_id
        expires = armature.get("meshy_expires_at", 0.0) if armature else 0.0
        import time
        if expires and time.time() >= expires and not self.rig_task_id:
            self.report({'ERROR'}, "Meshy no longer keeps this rig (3 days): rig the character "
                                   "again to animate it")
            return {'CANCELLED'}
        payload = {"rig_task_id": task_id, "action_id": tools.action_id}
        if tools.fps != '0':
            payload["post_process"] = {"operation_type": "change_fps", "fps": int(tools.fps)}
        name = tools.action_name or f"Action {tools.action_id}"
        roles = ["processed_animation_fps"] if tools.fps != '0' else ["animation"]
        options = {"target_armature": armature.name, "action_name": name, "roles": roles}
        return send(self, context, request.Request("animation", payload,
                                                   f"{name} ({armature.name})", options))


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
