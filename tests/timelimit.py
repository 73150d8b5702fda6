"""A hang becomes a failure, not a stuck run: tests without bpy run under a wall-clock limit."""

import contextlib
import signal


class TestTookTooLong(Exception):
    pass


@contextlib.contextmanager
def limit(seconds):
    """Raise TestTookTooLong in the main thread if the block runs longer than `seconds`."""
    def expire(signum, frame):
        raise TestTookTooLong(f"the test ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
