# SPDX-License-Identifier: GPL-3.0-or-later
"""Account operators: test the connection / refresh the balance, fill in the test-mode key."""

import bpy

from .. import connection
from ..background import BackgroundCall

# The balance call's own timeouts bound it; this only stops a script waiting forever.
_SCRIPT_WAIT_SECONDS = 120


def describe_failure(exc):
    """The sentence to show for a failed account call (never a traceback, never the key)."""
    from ..api.errors import MeshyError
    if isinstance(exc, (MeshyError, connection.ConnectionSetupError)):
        return str(exc)
    return f"Unexpected error while contacting Meshy: {type(exc).__name__}"


class MESHY_OT_test_connection(bpy.types.Operator):
    """Ask Meshy for the credit balance: proves the key, the server and the network work"""
    bl_idname = "meshy.test_connection"
    bl_label = "Meshy: Test Connection"

    _call = None
    _timer = None

    def _start(self, context):
        try:
            client = connection.make_client(context)
        except connection.ConnectionSetupError as exc:
            self._finish(context, None, exc)
            return False
        self._call = BackgroundCall(client.balance, name="meshy-balance")
        return True

    def _finish(self, context, balance, error):
        view = context.window_manager.meshy
        if error is None:
            view.balance = int(balance)
            view.balance_known = True
            view.balance_message = ""
            self.report({'INFO'}, f"Connected to Meshy: {int(balance):,} credits")
            return {'FINISHED'}
        view.balance_known = False
        view.balance_message = describe_failure(error)
        self.report({'ERROR'}, view.balance_message)
        return {'CANCELLED'}

    def execute(self, context):
        # Scripts and background mode: there is no interface to keep responsive.
        if not self._start(context):
            return {'CANCELLED'}
        if not self._call.wait(_SCRIPT_WAIT_SECONDS):
            return self._finish(context, None, TimeoutError())
        return self._finish(context, self._call.result, self._call.error)

    def invoke(self, context, event):
        if not self._start(context):
            return {'CANCELLED'}
        self._timer = context.window_manager.event_timer_add(0.1, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {'RUNNING_MODAL'}

    def modal(self, context, event):
        if event.type != 'TIMER' or not self._call.done:
            return {'PASS_THROUGH'}
        context.window_manager.event_timer_remove(self._timer)
        result = self._finish(context, self._call.result, self._call.error)
        for area in context.screen.areas if context.screen else ():
            area.tag_redraw()
        return result


class MESHY_OT_use_test_key(bpy.types.Operator):
    """Fill in Meshy's published test-mode key: sample results, no credits spent"""
    bl_idname = "meshy.use_test_key"
    bl_label = "Meshy: Use Test-Mode Key"
    bl_options = {'INTERNAL'}

    def execute(self, context):
        connection.preferences(context).api_key = connection.TEST_MODE_KEY
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
        bpy.ops.preferences.addon_show(module=connection.__package__)
        return {'FINISHED'}


classes = (MESHY_OT_test_connection, MESHY_OT_use_test_key, MESHY_OT_open_preferences)
