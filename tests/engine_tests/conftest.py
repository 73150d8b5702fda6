"""Fixtures for the engine tests (no bpy): the repository loaded as a package, and engines wired
to the emulator.

The repository root is the add-on package, and its __init__ imports bpy. engine/ reaches api/
by relative imports (`from ..api import ...`), so both must live under one parent package: a
stand-in module `meshy_pkg` whose __path__ is the repository root holds them, and its
__init__ is never run.
"""

import os
import sys
import time
import types

import pytest

from tests import timelimit

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = "meshy_pkg"


def load_package():
    if PACKAGE not in sys.modules:
        root = types.ModuleType(PACKAGE)
        root.__path__ = [REPO]
        sys.modules[PACKAGE] = root
    return sys.modules[PACKAGE]


load_package()

# Shown to child processes, which load the package the same way.
STAND_IN = (f"import sys, types\n"
            f"root = types.ModuleType({PACKAGE!r})\n"
            f"root.__path__ = [{REPO!r}]\n"
            f"sys.modules[{PACKAGE!r}] = root\n")


# No single engine test may take longer than this; a hang becomes a failure, not a stuck run.
TEST_TIME_LIMIT = 90


@pytest.fixture(autouse=True)
def time_limit():
    with timelimit.limit(TEST_TIME_LIMIT):
        yield


def pump_until(engine, condition, timeout=30.0):
    """The main thread's loop (jobs.tick without Blender): pump, test, wait for an event."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        engine.pump()
        if condition():
            return True
        engine.wait_for_event(0.05)
    return False


@pytest.fixture
def engine_factory(emulator, tmp_path):
    """Engines writing under tmp_path, talking to the emulator with its paid key."""
    from meshy_pkg.api import MeshyClient, RetryPolicy
    from meshy_pkg.api.results import choose_files
    from meshy_pkg.engine import Engine
    from meshy_pkg.engine.journal import Journal

    made = []

    def make(**options):
        client = MeshyClient(emulator.paid_key, base_url=emulator.url, timeout=(2, 10),
                             retries=RetryPolicy(attempts=4, base=0.05, cap=0.4,
                                                 max_retry_after=5.0),
                             poll_interval=(0.05, 0.3), stream_read_timeout=5.0)
        engine = Engine(str(tmp_path / "cache"), Journal(str(tmp_path / "journal" /
                                                             "journal.sqlite3")),
                        choose_files=choose_files, **options)
        made.append((engine, client))
        return engine, client

    yield make
    for engine, client in made:
        engine.shutdown()
        client.close()
