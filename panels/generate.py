# SPDX-License-Identifier: GPL-3.0-or-later
"""The Generate panel: a mode switch, the options the API documents, the price, the button."""

import bpy

from .. import preferences, request
from ..api import tasks
from ..operators.generate import MODE_LABELS
from ..operators.poll import CANNOT_SEND, generate_problem

MODEL_MODES = ('TEXT_TO_3D', 'IMAGE_TO_3D', 'MULTI_IMAGE_TO_3D')


def draw_image_input(layout, item, source=None):
    """A file field or an image picker; `source` overrides (and hides) the item's own switch."""
    row = layout.row(align=True)
    if source is None:
        row.prop(item, "source", text="")
    if (source or item.source) == 'FILE':
        row.prop(item, "filepath", text="")
    else:
        row.template_ID(item, "image", open="image.open")


class MESHY_UL_image_inputs(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_property, index=0):
        row = layout.row(align=True)
        row.label(text=f"{index + 1}")
        draw_image_input(row, item)
        op = row.operator("meshy.remove_image_input", text="", icon='X', emboss=False)
        op.collection = self.list_id
        op.index = index


def draw_image_list(layout, settings, collection, active, title, limit):
    layout.label(text=f"{title} (1-{limit})")
    layout.template_list("MESHY_UL_image_inputs", collection, settings, collection, settings,
                         active, rows=2)
    op = layout.operator("meshy.add_image_input", text="Add", icon='ADD')
    op.collection = collection


class MESHY_PT_generate(bpy.types.Panel):
    bl_space_type = 'VIEW_3D'
    bl_region_type = 'UI'
    bl_category = "Meshy"
    bl_label = "Generate"
    bl_idname = "MESHY_PT_generate"

    def draw(self, context):
        layout = self.layout
        s = context.scene.meshy
        layout.prop(s, "mode", text="")
        mode = s.mode

        if mode in ('TEXT_TO_3D', 'TEXT_TO_IMAGE', 'IMAGE_TO_IMAGE'):
            layout.prop(s, "prompt", text="", icon='FONT_DATA',
                        placeholder="Describe it")
            if len(s.prompt) > tasks.PROMPT_LIMIT - 100:
                layout.label(text=f"{len(s.prompt)}/{tasks.PROMPT_LIMIT} characters",
                             icon='INFO')

        if mode == 'IMAGE_TO_3D':
            layout.prop(s, "image_source", expand=True)
            if s.image_source == 'TASK':
                layout.prop(s, "input_task_id")
            else:
                draw_image_input(layout, s.image_input, source=s.image_source)
        elif mode == 'MULTI_IMAGE_TO_3D':
            draw_image_list(layout, s, "views", "active_view", "Views of one object",
                            tasks.MAX_VIEWS)
        elif mode == 'IMAGE_TO_IMAGE':
            draw_image_list(layout, s, "references", "active_reference", "Reference images",
                            tasks.MAX_REFERENCES)

        if mode in MODEL_MODES:
            self.draw_model_options(layout, s, mode)
        else:
            self.draw_image_options(layout, s, mode, context)

        draw_generate_button(layout, context, mode)

    def draw_model_options(self, layout, s, mode):
        col = layout.column(align=True)
        col.prop(s, "ai_model")
        if mode != 'MULTI_IMAGE_TO_3D':
            col.prop(s, "model_type")
        lowpoly = s.model_type == 'lowpoly' and mode != 'MULTI_IMAGE_TO_3D'
        sub = col.column(align=True)
        sub.enabled = not lowpoly
        sub.prop(s, "should_remesh")
        if s.should_remesh:
            draw_remesh(sub, s.remesh)
        col.prop(s, "pose_mode")
        row = col.row(align=True)
        row.prop(s, "auto_size")
        if s.auto_size:
            row.prop(s, "origin_at", text="")

        box = layout.box()
        if mode == 'TEXT_TO_3D':
            box.prop(s, "auto_refine")
            if s.auto_refine:
                box.prop(s, "import_preview")
        else:
            box.prop(s, "should_texture")
        if mode == 'TEXT_TO_3D' or s.should_texture:
            meshy6 = s.ai_model in tasks.MESHY_6
            row = box.row(align=True)
            row.prop(s, "enable_pbr")
            sub = row.row(align=True)
            sub.enabled = meshy6
            sub.prop(s, "hd_texture")
            sub = box.row()
            sub.enabled = meshy6
            sub.prop(s, "remove_lighting")
            box.prop(s, "texture_prompt", text="", icon='BRUSH_DATA',
                     placeholder="Texture prompt (optional)")
            if not s.texture_prompt.strip():
                box.prop(s, "use_texture_image")
                if s.use_texture_image:
                    draw_image_input(box, s.texture_image)

    def draw_image_options(self, layout, s, mode, context):
        col = layout.column(align=True)
        if mode == 'TEXT_TO_IMAGE' and preferences.get(context).image_base_url.strip():
            col.prop(s, "use_openai_images")
        if mode == 'TEXT_TO_IMAGE' and s.use_openai_images:
            col.label(text=f"Model: {preferences.get(context).image_model}")
            return
        col.prop(s, "image_ai_model")
        col.prop(s, "generate_multi_view")
        if mode == 'TEXT_TO_IMAGE':
            sub = col.column(align=True)
            sub.enabled = not s.generate_multi_view
            sub.prop(s, "aspect_ratio")
            col.prop(s, "image_pose_mode")


def draw_remesh(layout, remesh):
    """The remesh controls (a MESHY_PG_remesh): the Generate panel's and the Remesh tool's."""
    layout.prop(remesh, "topology")
    layout.prop(remesh, "use_adaptive_decimation")
    layout.prop(remesh, "decimation_mode" if remesh.use_adaptive_decimation else "target_polycount")


def draw_priced_button(layout, operator, text, icon, reason, make_request):
    """A big send button with the request's price on it, or the reason it cannot be pressed yet
    above it. `make_request()` builds the request (only when there is no reason)."""
    cost = None
    if not reason:
        try:
            cost = make_request().cost()
        except CANNOT_SEND as exc:
            reason = str(exc)
    col = layout.column()
    if reason:
        col.label(text=reason, icon='INFO')
    row = col.row()
    row.scale_y = 1.4
    row.enabled = not reason
    if cost is not None:
        text += f" ({cost} credits)" if cost else " (free)"
    row.operator(operator, text=text, icon=icon)


def draw_generate_button(layout, context, mode):
    draw_priced_button(layout, "meshy.generate", f"Generate {MODE_LABELS[mode]}", 'PLAY',
                       generate_problem(context), lambda: request.build(context))


class MESHY_PT_generate_advanced(bpy.types.Panel):
    bl_space_type = 'VIEW_3D'
    bl_region_type = 'UI'
    bl_category = "Meshy"
    bl_label = "Advanced"
    bl_parent_id = "MESHY_PT_generate"
    bl_options = {'DEFAULT_CLOSED'}

    @classmethod
    def poll(cls, context):
        return context.scene.meshy.mode in MODEL_MODES

    def draw(self, context):
        s = context.scene.meshy
        col = self.layout.column()
        col.prop(s, "moderation")
        col.prop(s, "alpha_thumbnail")
        if s.mode != 'TEXT_TO_3D':
            col.prop(s, "multi_view_thumbnails")
            sub = col.column()
            sub.enabled = s.ai_model in tasks.MESHY_6
            sub.prop(s, "image_enhancement")
            sub = col.column()
            sub.enabled = s.should_remesh
            sub.prop(s, "save_pre_remeshed_model")


class MESHY_PT_image_editor(bpy.types.Panel):
    """Image to 3D from the Image Editor's sidebar"""
    bl_space_type = 'IMAGE_EDITOR'
    bl_region_type = 'UI'
    bl_category = "Meshy"
    bl_label = "Meshy"

    def draw(self, context):
        layout = self.layout
        image = context.space_data.image
        if image is None:
            layout.label(text="Open an image to send it to Meshy")
            return
        layout.label(text=image.name, icon='IMAGE_DATA')
        layout.operator("meshy.image_to_3d_from_editor", text="Image to 3D", icon='MESH_MONKEY')
        op = layout.operator("meshy.use_image_for_3d", text="Use in the 3D Viewport's Meshy tab")
        op.image_name = image.name


classes = (MESHY_UL_image_inputs, MESHY_PT_generate, MESHY_PT_generate_advanced,
           MESHY_PT_image_editor)
