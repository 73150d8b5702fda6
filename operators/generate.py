# SPDX-License-Identifier: GPL-3.0-or-later
"""Generate from the sidebar: the Generate button and the helpers around its inputs."""

import bpy
from bpy.props import EnumProperty, IntProperty, StringProperty

from .. import jobs, preferences, request
from ..engine import stand_in_payload
from .poll import CANNOT_SEND, network_problem, report

MODE_LABELS = {
    'TEXT_TO_3D': "Text to 3D", 'IMAGE_TO_3D': "Image to 3D",
    'MULTI_IMAGE_TO_3D': "Multi-image to 3D", 'TEXT_TO_IMAGE': "Text to Image",
    'IMAGE_TO_IMAGE': "Image to Image",
}


def send(operator, context, outgoing):
    """Submit a request as a job and report it; the one path every generating operator takes."""
    from ..api.errors import MeshyError
    try:
        job = jobs.submit(context, outgoing.kind, outgoing.payload, outgoing.label,
                          options=outgoing.options, follow_up=outgoing.follow_up)
    except CANNOT_SEND as exc:
        return report(operator, exc)
    try:
        credits = outgoing.cost()
    except MeshyError:
        credits = 0
    operator.report({'INFO'}, f"Sent to Meshy: {job.label} ({credits} credits)")
    return {'FINISHED'}


class MESHY_OT_generate(bpy.types.Operator):
    """Send the current settings to Meshy; the result arrives in the scene when it is done"""
    bl_idname = "meshy.generate"
    bl_label = "Meshy: Generate"

    mode: EnumProperty(
        items=[('CURRENT', "Current", "")] + [(k, v, "") for k, v in MODE_LABELS.items()],
        default='CURRENT', options={'SKIP_SAVE', 'HIDDEN'})

    @classmethod
    def poll(cls, context):
        if jobs.engine() is None or context.scene is None:
            return False
        settings = context.scene.meshy
        concept = settings.mode == 'TEXT_TO_IMAGE' and settings.use_openai_images
        reason = ("" if concept else network_problem(context)) or request.problem(context)
        if reason:
            cls.poll_message_set(reason)
            return False
        return True

    def execute(self, context):
        settings = context.scene.meshy
        if self.mode != 'CURRENT':
            settings.mode = self.mode
            reason = request.problem(context)
            if reason:
                self.report({'ERROR'}, reason)
                return {'CANCELLED'}
        if settings.mode == 'TEXT_TO_IMAGE' and settings.use_openai_images:
            return self.concept_image(context, settings)
        try:
            outgoing = request.build(context)
            from ..api import tasks
            # Validate what can be validated before anything is sent (images are checked when
            # they are encoded, on the worker).
            tasks.validate(outgoing.kind, stand_in_payload(outgoing.payload))
        except CANNOT_SEND as exc:
            return report(self, exc)
        return send(self, context, outgoing)


    def concept_image(self, context, settings):
        from ..api.images import ConceptImages
        prefs = preferences.get(context)
        problem = preferences.image_source_problem(context)
        if problem:
            self.report({'ERROR'}, problem)
            return {'CANCELLED'}
        try:
            runner = ConceptImages(prefs.image_base_url.strip().rstrip("/"),
                                   prefs.image_api_key.strip(), prefs.image_model.strip(),
                                   settings.prompt.strip(), gate=preferences.gate())
        except CANNOT_SEND as exc:
            return report(self, exc)
        try:
            job = jobs.submit(context, "concept_image", {}, request.label_for(
                settings.prompt, "Concept image"), runner=runner)
        except CANNOT_SEND as exc:
            return report(self, exc)
        self.report({'INFO'}, f"Sent to {prefs.image_model}: {job.label}")
        return {'FINISHED'}


class MESHY_OT_refine_preview(bpy.types.Operator):
    """Texture a finished Text to 3D preview with the current texture settings"""
    bl_idname = "meshy.refine_preview"
    bl_label = "Meshy: Texture Preview"

    task_id: StringProperty(name="Preview Task", options={'SKIP_SAVE'})
    label: StringProperty(options={'SKIP_SAVE', 'HIDDEN'})

    @classmethod
    def poll(cls, context):
        reason = network_problem(context)
        if reason:
            cls.poll_message_set(reason)
            return False
        return jobs.engine() is not None

    def execute(self, context):
        if not self.task_id:
            self.report({'ERROR'}, "Choose the preview to texture (its task id)")
            return {'CANCELLED'}
        settings = context.scene.meshy
        payload = request.refine_payload(context)
        payload["preview_task_id"] = self.task_id
        outgoing = request.Request("text_to_3d_refine", payload, self.label or "Text to 3D",
                                     {"hd_texture": bool(settings.hd_texture)})
        return send(self, context, outgoing)


class _ImageListOperator:
    collection: StringProperty(options={'HIDDEN', 'SKIP_SAVE'}, default="views")


class MESHY_OT_add_image_input(_ImageListOperator, bpy.types.Operator):
    """Add a picture to the list"""
    bl_idname = "meshy.add_image_input"
    bl_label = "Meshy: Add Image"
    bl_options = {'UNDO'}

    def execute(self, context):
        settings = context.scene.meshy
        items = getattr(settings, self.collection)
        limit = request.MAX_VIEWS if self.collection == "views" else request.MAX_REFERENCES
        if len(items) >= limit:
            self.report({'WARNING'}, f"Meshy takes at most {limit} images here")
            return {'CANCELLED'}
        items.add()
        setattr(settings, "active_view" if self.collection == "views" else "active_reference",
                len(items) - 1)
        return {'FINISHED'}


class MESHY_OT_remove_image_input(_ImageListOperator, bpy.types.Operator):
    """Remove a picture from the list"""
    bl_idname = "meshy.remove_image_input"
    bl_label = "Meshy: Remove Image"
    bl_options = {'UNDO'}

    index: IntProperty(options={'HIDDEN', 'SKIP_SAVE'})

    def execute(self, context):
        items = getattr(context.scene.meshy, self.collection)
        if 0 <= self.index < len(items):
            items.remove(self.index)
        return {'FINISHED'}


class MESHY_OT_use_image_for_3d(bpy.types.Operator):
    """Use this image as the input of Image to 3D"""
    bl_idname = "meshy.use_image_for_3d"
    bl_label = "Meshy: Use Image for Image to 3D"
    bl_options = {'UNDO'}

    image_name: StringProperty(options={'SKIP_SAVE'})
    task_id: StringProperty(options={'SKIP_SAVE'},
                            description="A finished image task: used by id, without uploading")

    def execute(self, context):
        settings = context.scene.meshy
        settings.mode = 'IMAGE_TO_3D'
        if self.task_id:
            settings.image_source = 'TASK'
            settings.input_task_id = self.task_id
            return {'FINISHED'}
        image = bpy.data.images.get(self.image_name) if self.image_name else None
        if image is None and context.space_data and context.space_data.type == 'IMAGE_EDITOR':
            image = context.space_data.image
        if image is None:
            self.report({'ERROR'}, "Open or choose an image first")
            return {'CANCELLED'}
        settings.image_source = 'DATABLOCK'
        settings.image_input.source = 'DATABLOCK'
        settings.image_input.image = image
        return {'FINISHED'}


class MESHY_OT_image_to_3d_from_editor(bpy.types.Operator):
    """Send the image shown in this Image Editor to Meshy's Image to 3D"""
    bl_idname = "meshy.image_to_3d_from_editor"
    bl_label = "Meshy: Image to 3D from Image Editor"

    @classmethod
    def poll(cls, context):
        space = context.space_data
        if not space or space.type != 'IMAGE_EDITOR' or space.image is None:
            cls.poll_message_set("Open an image in the Image Editor first")
            return False
        reason = network_problem(context)
        if reason:
            cls.poll_message_set(reason)
            return False
        return jobs.engine() is not None

    def execute(self, context):
        bpy.ops.meshy.use_image_for_3d(image_name=context.space_data.image.name)
        reason = request.problem(context)
        if reason:
            self.report({'ERROR'}, reason)
            return {'CANCELLED'}
        return bpy.ops.meshy.generate()


classes = (
    MESHY_OT_generate,
    MESHY_OT_refine_preview,
    MESHY_OT_add_image_input,
    MESHY_OT_remove_image_input,
    MESHY_OT_use_image_for_3d,
    MESHY_OT_image_to_3d_from_editor,
)
