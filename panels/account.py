# SPDX-License-Identifier: GPL-3.0-or-later
"""The account strip at the top of the Meshy sidebar tab: key, credits, online access."""

import bpy

from .. import preferences
from ..preferences import draw_key_status


class MESHY_PT_account(bpy.types.Panel):
    bl_space_type = 'VIEW_3D'
    bl_region_type = 'UI'
    bl_category = "Meshy"
    bl_label = "Meshy Account"
    bl_idname = "MESHY_PT_account"

    def draw(self, context):
        layout = self.layout
        draw_key_status(layout, context)
        if preferences.key_source(context) == "missing":
            layout.operator("meshy.open_preferences", text="Add API Key", icon='PREFERENCES')
            return

        reason = preferences.offline_reason(context)
        if reason:
            box = layout.box()
            box.alert = True
            box.label(text="Online access is disabled", icon='ERROR')
            box.label(text="Preferences > System > Network > Allow Online Access")
            return

        view = context.window_manager.meshy
        row = layout.row(align=True)
        if view.balance_known:
            row.label(text=f"{view.balance:,} credits", icon='FUND')
        elif view.balance_message:
            row.alert = True
            row.label(text=view.balance_message, icon='ERROR')
        else:
            row.label(text="Credits not checked yet", icon='FUND')
        row.operator("meshy.test_connection", text="", icon='FILE_REFRESH')


classes = (MESHY_PT_account,)
