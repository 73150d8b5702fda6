# SPDX-License-Identifier: GPL-3.0-or-later
"""One-off calls (balance, catalogue, history pages) run on a worker thread.

The worker only runs the given function (plain Python, api/ calls) and stores its outcome; the
main thread looks at `done` from a timer or a modal operator and reads `result` or `error`.
Nothing here touches bpy.
"""

import threading


class BackgroundCall:
    """A function running on its own daemon thread; poll `done`, then read `result`/`error`."""

    def __init__(self, fn, *args, name="meshy-call", **kwargs):
        self.result = None
        self.error = None
        self._finished = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(fn, args, kwargs), name=name, daemon=True)
        self._thread.start()

    def _run(self, fn, args, kwargs):
        try:
            self.result = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the main thread, which decides what to show
            self.error = exc
        finally:
            self._finished.set()

    @property
    def done(self):
        return self._finished.is_set()

    def wait(self, timeout=None):
        """Block until finished (background mode and scripts only); True when it finished."""
        return self._finished.wait(timeout)
