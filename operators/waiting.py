# SPDX-License-Identifier: GPL-3.0-or-later
"""A mixin for operators whose work is one network call (balance, delete, catalogue, history).

With a window (buttons, menus, F3, scripts in the interface) the call runs on a worker thread and
the operator finishes from a modal timer, so the interface never waits. In background mode
(blender -b, tests) there is nothing to keep responsive and it waits for the call, bounded.
Subclasses say how to start the call and what to do with its outcome.
"""

import bpy

from .. import connection

# The call's own (connect, read) timeouts bound it; this only keeps a script from waiting forever.
SCRIPT_WAIT_SECONDS = 120


def describe(error):
    """The sentence to show for a failed call: never a traceback, never the key."""
    from ..api.errors import MeshyError
    if isinstance(error, (MeshyError, connection.ConnectionSetupError)):
        return str(error)
    return f"Unexpected error while contacting Meshy: {type(error).__name__}"


class BackgroundCallOperator:
    _call = None
    _timer = None

    def start_call(self, context):
        """Return a BackgroundCall, or raise ConnectionSetupError."""
        raise NotImplementedError

    def finish(self, context, result, error):
        """Report the outcome; return the operator result set."""
        raise NotImplementedError

    def execute(self, context):
        refused = self._begin(context)
        if refused:
            return refused
        if bpy.app.background or context.window is None:
            if not self._call.wait(SCRIPT_WAIT_SECONDS):
                return self.finish(context, None, TimeoutError("Meshy did not answer in time"))
            return self.finish(context, self._call.result, self._call.error)
        self._timer = context.window_manager.event_timer_add(0.1, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {'RUNNING_MODAL'}

    def modal(self, context, event):
        if event.type != 'TIMER' or not self._call.done:
            return {'PASS_THROUGH'}
        context.window_manager.event_timer_remove(self._timer)
        result = self.finish(context, self._call.result, self._call.error)
        for area in context.screen.areas if context.screen else ():
            area.tag_redraw()
        return result

    def _begin(self, context):
        """Start the call; None when it runs, else the operator's result (it could not start)."""
        try:
            self._call = self.start_call(context)
        except connection.ConnectionSetupError as exc:
            return self.finish(context, None, exc)
        return None
