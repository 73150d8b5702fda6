# SPDX-License-Identifier: GPL-3.0-or-later
"""The "Selected Object" panels and the History panel (the context menu is in menus.py)."""

import json
import time

import bpy

from .generate import draw_image_input, draw_remesh
from ..operators.scene import rig_of

RIG_HELP = (
    "Rigging expects a textured humanoid facing -Y in Blender",
    "(glTF's +Z), standing upright, up to 300,000 triangles.",
)


def priced(text, kind):
    """A button label with the price from the pricing page (these families charge a flat fee)."""
    from ..api import tasks
    credits = tasks.cost(kind, {})
    if not credits:
        return f"{text} (free)"
    return f"{text} ({credits} credit{'s' if credits != 1 else ''})"


class _SidebarPanel:
    bl_space_type = 'VIEW_3D'
    bl_region_type = 'UI'
    bl_category = "Meshy"


class MESHY_PT_selected(_SidebarPanel, bpy.types.Panel):
    bl_label = "Selected Object"
    bl_idname = "MESHY_PT_selected"

    def draw(self, context):
        layout = self.layout
        obj = context.active_object
        if obj is None:
            layout.label(text="Select a mesh to retexture, remesh or rig it")
            return
        col = layout.column(align=True)
        col.label(text=obj.name, icon='OBJECT_DATA')
        if obj.get("meshy_task_id"):
            expires = obj.get("meshy_expires_at", 0.0)
            left = (expires - time.time()) / 3600 if expires else 0
            if expires and left <= 0:
                col.label(text="Made by Meshy; its copy there has expired", icon='TIME')
            else:
                text = "Made by Meshy: sent by task id, no upload"
                col.label(text=text, icon='CHECKMARK')
                if expires:
                    col.label(text=f"Meshy keeps it for {left:.0f} more hours")
        report = obj.get("meshy_printability")
        if report:
            draw_printability(layout, report)


def draw_printability(layout, report_json):
    try:
        report = json.loads(report_json)
    except ValueError:
        return
    box = layout.box()
    status = str(report.get("status", "")).lower()
    box.label(text=f"Printability: {status or 'unknown'}",
              icon='CHECKMARK' if status == "ok" else 'ERROR' if status == "error" else 'INFO')
    for name, value in sorted((report.get("metrics") or {}).items()):
        if isinstance(value, float):
            value = f"{value:.4g}"
        box.label(text=f"{name.replace('_', ' ').capitalize()}: {value}")


class MESHY_PT_retexture(_SidebarPanel, bpy.types.Panel):
    bl_label = "Retexture"
    bl_parent_id = "MESHY_PT_selected"
    bl_options = {'DEFAULT_CLOSED'}

    def draw(self, context):
        tools = context.scene.meshy.tools
        col = self.layout.column()
        col.prop(tools, "style_source", expand=True)
        if tools.style_source == 'TEXT':
            col.prop(tools, "style_prompt", text="")
        else:
            draw_image_input(col, tools.style_image)
        col.prop(tools, "retexture_ai_model")
        col.prop(tools, "enable_original_uv")
        row = col.row(align=True)
        row.prop(tools, "enable_pbr")
        row.prop(tools, "hd_texture")
        col.prop(tools, "remove_lighting")
        col.operator("meshy.retexture", text=priced("Retexture", "retexture"), icon='TEXTURE')


class MESHY_PT_reshape(_SidebarPanel, bpy.types.Panel):
    bl_label = "Remesh, Convert, Resize"
    bl_parent_id = "MESHY_PT_selected"
    bl_options = {'DEFAULT_CLOSED'}

    def draw(self, context):
        tools = context.scene.meshy.tools
        col = self.layout.column(align=True)
        draw_remesh(col, tools.remesh)
        col.operator("meshy.remesh", text=priced("Remesh", "remesh"), icon='MOD_REMESH')
        col.separator()
        col.prop(tools, "convert_formats")
        col.operator("meshy.convert", text=priced("Convert", "convert"), icon='EXPORT')
        col.separator()
        col.prop(tools, "resize_mode")
        if tools.resize_mode != 'AUTO':
            col.prop(tools, "resize_value")
        col.prop(tools, "origin_at")
        col.operator("meshy.resize", text=priced("Resize", "resize"), icon='FULLSCREEN_ENTER')


class MESHY_UL_animations(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_property, index=0):
        row = layout.row(align=True)
        op = row.operator("meshy.pick_animation", text=item.name, emboss=False, icon='ARMATURE_DATA')
        op.action_id = item.action_id
        op.name = item.name
        row.label(text=item.category)

    def filter_items(self, context, data, propname):
        # Search name and category together: "dance", "Fighting", ...
        items = getattr(data, propname)
        needle = self.filter_name.lower()
        flags = [self.bitflag_filter_item if not needle or needle in
                 f"{i.name} {i.category}".lower() else 0 for i in items]
        return flags, []


class MESHY_PT_rig(_SidebarPanel, bpy.types.Panel):
    bl_label = "Rig and Animate"
    bl_parent_id = "MESHY_PT_selected"
    bl_options = {'DEFAULT_CLOSED'}

    def draw(self, context):
        layout = self.layout
        tools = context.scene.meshy.tools
        col = layout.column(align=True)
        for line in RIG_HELP:
            col.label(text=line)
        col.prop(tools, "height_meters")
        col.prop(tools, "use_rig_texture")
        if tools.use_rig_texture:
            draw_image_input(col, tools.rig_texture)
        col.operator("meshy.rig", text=priced("Rig Character", "rigging"), icon='ARMATURE_DATA')

        armature, task_id = rig_of(context.active_object)
        box = layout.box()
        box.label(text=f"Animate {armature.name}" if armature else "Animate",
                  icon='ACTION')
        view = context.window_manager.meshy
        row = box.row(align=True)
        row.operator("meshy.fetch_animations", text="Animation Library", icon='FILE_REFRESH')
        if view.animations:
            box.template_list("MESHY_UL_animations", "", view, "animations", view,
                              "active_animation", rows=4)
        box.prop(tools, "action_id")
        if tools.action_name:
            box.label(text=tools.action_name)
        box.prop(tools, "fps")
        box.operator("meshy.animate", text=priced("Animate", "animation"), icon='PLAY')


class MESHY_PT_print(_SidebarPanel, bpy.types.Panel):
    bl_label = "3D Printing"
    bl_parent_id = "MESHY_PT_selected"
    bl_options = {'DEFAULT_CLOSED'}

    def draw(self, context):
        tools = context.scene.meshy.tools
        col = self.layout.column(align=True)
        col.operator("meshy.analyze_printability",
                     text=priced("Analyze", "analyze_printability"), icon='VIEWZOOM')
        col.operator("meshy.repair_printability",
                     text=priced("Repair", "repair_printability"), icon='TOOL_SETTINGS')
        col.separator()
        col.prop(tools, "max_colors")
        col.prop(tools, "max_depth")
        col.operator("meshy.multi_color_print",
                     text=priced("Multi-Color 3MF", "multi_color_print"),
                     icon='COLOR')


class MESHY_UL_history(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_property, index=0):
        from . import previews
        row = layout.row(align=True)
        icon_id = previews.icon_for(item.thumbnail)
        if icon_id:
            row.label(text="", icon_value=icon_id)
        row.label(text=item.label or item.task_id[:8])
        row.label(text=item.status.capitalize())


class MESHY_PT_history(_SidebarPanel, bpy.types.Panel):
    bl_label = "History"
    bl_idname = "MESHY_PT_history"
    bl_options = {'DEFAULT_CLOSED'}

    def draw(self, context):
        layout = self.layout
        tools = context.scene.meshy.tools
        view = context.window_manager.meshy
        row = layout.row(align=True)
        row.prop(tools, "history_kind", text="")
        row.operator("meshy.fetch_history", text="", icon='FILE_REFRESH')
        row = layout.row(align=True)
        prev = row.operator("meshy.fetch_history", text="", icon='TRIA_LEFT')
        prev.page = max(1, tools.history_page - 1)
        row.label(text=f"Page {tools.history_page}")
        nxt = row.operator("meshy.fetch_history", text="", icon='TRIA_RIGHT')
        nxt.page = tools.history_page + 1
        if view.history_message:
            layout.label(text=view.history_message, icon='INFO')
        if not view.history:
            return
        layout.template_list("MESHY_UL_history", "", view, "history", view, "active_history",
                             rows=4)
        if not 0 <= view.active_history < len(view.history):
            return
        item = view.history[view.active_history]
        draw_history_actions(layout, item)


def draw_history_actions(layout, item):
    box = layout.box()
    box.label(text=item.label or item.task_id)
    box.label(text=f"Task {item.task_id}")
    if item.status != "SUCCEEDED":
        return
    if item.expires_at and item.expires_at < time.time():
        box.label(text="Expired on Meshy (kept 3 days)", icon='TIME')
        return
    op = box.operator("meshy.import_task", text="Import", icon='IMPORT')
    op.task_id, op.kind, op.label = item.task_id, item.kind, item.label
    if item.kind in ("text_to_image", "image_to_image"):
        box.operator("meshy.use_image_for_3d", text="Use for Image to 3D").task_id = item.task_id
        return
    row = box.row(align=True)
    if item.kind == "text_to_3d_preview":
        op = row.operator("meshy.refine_preview", text="Texture")
        op.task_id, op.label = item.task_id, item.label
    if item.kind in ("text_to_3d_preview", "text_to_3d_refine", "image_to_3d", "remesh"):
        row.operator("meshy.retexture", text="Retexture").input_task_id = item.task_id
    if item.kind in ("text_to_3d_preview", "text_to_3d_refine", "image_to_3d", "retexture"):
        row.operator("meshy.remesh", text="Remesh").input_task_id = item.task_id
    if item.kind in ("text_to_3d_refine", "image_to_3d", "multi_image_to_3d", "retexture",
                     "remesh"):
        row.operator("meshy.rig", text="Rig").input_task_id = item.task_id


selected_classes = (MESHY_PT_selected, MESHY_PT_retexture, MESHY_PT_reshape,
                    MESHY_UL_animations, MESHY_PT_rig, MESHY_PT_print)
history_classes = (MESHY_UL_history, MESHY_PT_history)

