# SPDX-License-Identifier: GPL-3.0-or-later
"""A mixin for operators whose work is one network call (balance, delete, catalogue, history).

With a window (buttons, menus, F3, scripts in the interface) the call runs on the jobs' call pool
(a concurrent.futures Future) and the operator finishes from a modal timer, so the interface never
waits. In background mode (blender -b, tests) there is nothing to keep responsive and it waits
for the call, bounded. Subclasses say how to start the call and what to do with its outcome.
"""

import concurrent.futures

import bpy

from .poll import CANNOT_SEND, describe

# The call's own (connect, read) timeouts bound it; this only keeps a script from waiting forever.
SCRIPT_WAIT_SECONDS = 120


class CallOperator:
    _future = None
    _timer = None

    def start_call(self, context):
        """Return the call's Future (jobs.call(...)), or raise one of poll.CANNOT_SEND."""
        raise NotImplementedError

    def finish(self, context, result, error):
        """Report the outcome; return the operator result set."""
        raise NotImplementedError

    def execute(self, context):
        try:
            self._future = self.start_call(context)
        except CANNOT_SEND as exc:
            return self.finish(context, None, exc)
        if bpy.app.background or context.window is None:
            done, _ = concurrent.futures.wait([self._future], SCRIPT_WAIT_SECONDS)
            if not done:
                return self.finish(context, None, TimeoutError("Meshy did not answer in time"))
            return self._finish_with_outcome(context)
        self._timer = context.window_manager.event_timer_add(0.1, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {'RUNNING_MODAL'}

    def modal(self, context, event):
        if event.type != 'TIMER' or not self._future.done():
            return {'PASS_THROUGH'}
        context.window_manager.event_timer_remove(self._timer)
        result = self._finish_with_outcome(context)
        for area in context.screen.areas if context.screen else ():
            area.tag_redraw()
        return result

    def _finish_with_outcome(self, context):
        error = self._future.exception()
        return self.finish(context, None if error else self._future.result(), error)


__all__ = ["CallOperator", "describe"]
