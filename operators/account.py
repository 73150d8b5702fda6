# SPDX-License-Identifier: GPL-3.0-or-later
"""Account operators: test the connection / refresh the balance, fill in the test-mode key."""

import bpy

from .. import jobs, preferences
from .calls import CallOperator
from .poll import describe

class MESHY_OT_test_connection(CallOperator, bpy.types.Operator):
    """Ask Meshy for the credit balance: proves the key, the server and the network work"""
    bl_idname = "meshy.test_connection"
    bl_label = "Meshy: Test Connection"

    def start_call(self, context):
        client = preferences.make_client(context)
        return jobs.call(client.balance)

    def finish(self, context, balance, error):
        view = context.window_manager.meshy
        if error is None:
            view.balance = int(balance)
            view.balance_known = True
            view.balance_message = ""
            self.report({'INFO'}, f"Connected to Meshy: {int(balance):,} credits")
            return {'FINISHED'}
        view.balance_known = False
        view.balance_message = describe(error)
        self.report({'ERROR'}, view.balance_message)
        return {'CANCELLED'}


class MESHY_OT_use_test_key(bpy.types.Operator):
    """Fill in Meshy's published test-mode key: sample results, no credits spent"""
    bl_idname = "meshy.use_test_key"
    bl_label = "Meshy: Use Test-Mode Key"
    bl_options = {'INTERNAL'}

    def execute(self, context):
        preferences.get(context).api_key = preferences.TEST_MODE_KEY
        context.preferences.is_dirty = True
        self.report({'INFO'}, "Test-mode key set: results are samples and cost no credits")
        return {'FINISHED'}


class MESHY_OT_open_preferences(bpy.types.Operator):
    """Open the add-on preferences, where the API key goes"""
    bl_idname = "meshy.open_preferences"
    bl_label = "Meshy: Open Preferences"

    def execute(self, context):
        bpy.ops.screen.userpref_show('INVOKE_DEFAULT')
        context.preferences.active_section = 'ADDONS'
        bpy.ops.preferences.addon_show(module=preferences.__package__)
        return {'FINISHED'}


classes = (MESHY_OT_test_connection, MESHY_OT_use_test_key, MESHY_OT_open_preferences)
