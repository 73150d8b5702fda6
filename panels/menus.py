# SPDX-License-Identifier: GPL-3.0-or-later
"""Meshy in Blender's own menus: Add (Shift+A), File > Import, the Image Editor's Image menu,
the object context menu (right click) and the Text Editor's Text menu (batch sheets). Each entry is drawn only where it applies; an entry that
applies but cannot run now is greyed out by its operator's poll, which says why."""

import bpy

from ..operators.creative_products import PRODUCT_OPERATORS
from ..operators.modes import MODE_OPERATORS
from ..operators.poll import MENU_TARGET
from ..operators.scene import rig_of
from ..properties import MODES

MODE_ICONS = {identifier: icon for identifier, _name, _description, icon, _number in MODES}


class MESHY_MT_add(bpy.types.Menu):
    """Generate with Meshy: each opens a dialog with the price before anything is sent"""
    bl_idname = "MESHY_MT_add"
    bl_label = "Meshy"

    def draw(self, context):
        layout = self.layout
        # The Add menu runs its entries without invoke; these open their dialogs.
        layout.operator_context = 'INVOKE_REGION_WIN'
        for op in MODE_OPERATORS:
            layout.operator(op.bl_idname, text=op.bl_label.removeprefix("Meshy: ") + "...",
                            icon=MODE_ICONS[op.mode])
        layout.separator()
        # Creative Lab: each product's dialog offers its next stage (prototype or build).
        for op in PRODUCT_OPERATORS:
            layout.operator(op.bl_idname, text=op.bl_label.removeprefix("Meshy: ") + "...",
                            icon='MOD_SOLIDIFY')


def draw_add_menu(self, context):
    if context.mode != 'OBJECT':
        return  # results arrive as objects, in Object Mode
    layout = self.layout
    layout.separator()
    layout.menu(MESHY_MT_add.bl_idname, icon='MESH_MONKEY')


def draw_import_menu(self, context):
    col = self.layout.column()  # our own, so the operator context stays ours
    col.operator_context = 'INVOKE_DEFAULT'
    col.operator("meshy.import_task_by_id", text="Meshy Task...")


def draw_image_menu(self, context):
    space = context.space_data
    if space is None or space.type != 'IMAGE_EDITOR' or space.image is None:
        return
    self.layout.separator()
    col = self.layout.column()
    col.operator_context = 'INVOKE_DEFAULT'
    # The Image to 3D dialog, with the picture on screen filled in and the price shown.
    col.operator("meshy.image_to_3d", text="Image to 3D with Meshy", icon='MESH_MONKEY')


class MESHY_MT_print(bpy.types.Menu):
    """Meshy's 3D printing checks for the selected mesh"""
    bl_idname = "MESHY_MT_print"
    bl_label = "3D Print with Meshy"

    def draw(self, context):
        layout = self.layout
        layout.context_pointer_set(MENU_TARGET, context.active_object)
        layout.operator("meshy.analyze_printability", text="Check Printability",
                        icon='VIEWZOOM')
        layout.operator("meshy.repair_printability", text="Repair for Printing",
                        icon='TOOL_SETTINGS')
        layout.operator("meshy.multi_color_print", text="Multi-Color 3MF...", icon='COLOR')


def draw_object_context_menu(self, context):
    obj = context.active_object
    if obj is None or obj.type not in ('MESH', 'ARMATURE'):
        return
    armature, rig_task = rig_of(obj)
    if obj.type == 'ARMATURE' and not rig_task:
        return  # someone else's rig: nothing of Meshy's applies
    layout = self.layout
    layout.separator()
    # A column of our own, so the target reaches our entries and no one else's.
    col = layout.column()
    col.context_pointer_set(MENU_TARGET, obj)
    if obj.type == 'MESH':
        col.operator("meshy.retexture", text="Retexture with Meshy", icon='TEXTURE')
        col.operator("meshy.remesh", text="Remesh with Meshy", icon='MOD_REMESH')
        if armature is None:
            col.operator("meshy.rig", text="Rig with Meshy", icon='ARMATURE_DATA')
    if rig_task:
        col.operator("meshy.animate", text="Animate with Meshy", icon='ACTION')
    if obj.type == 'MESH':
        col.menu(MESHY_MT_print.bl_idname, icon='MOD_SOLIDIFY')


def draw_text_menu(self, context):
    """The Text Editor's Text menu: run the open Text as a batch sheet (it shows the plan first)."""
    text = getattr(context.space_data, "text", None)
    if text is None:
        return
    layout = self.layout
    layout.separator()
    layout.operator_context = 'INVOKE_DEFAULT'
    layout.operator("meshy.batch", text="Run as Meshy Batch Sheet...",
                    icon='LINENUMBERS_ON').text = text.name


classes = (MESHY_MT_add, MESHY_MT_print)

# (menu, draw function): what register() appends and unregister() removes.
_MENU_ENTRIES = (
    ("VIEW3D_MT_add", draw_add_menu),
    ("TOPBAR_MT_file_import", draw_import_menu),
    ("IMAGE_MT_image", draw_image_menu),
    ("VIEW3D_MT_object_context_menu", draw_object_context_menu),
    ("TEXT_MT_text", draw_text_menu),
)


def register_menus():
    for menu, draw in _MENU_ENTRIES:
        getattr(bpy.types, menu).append(draw)


def unregister_menus():
    for menu, draw in reversed(_MENU_ENTRIES):
        getattr(bpy.types, menu).remove(draw)
