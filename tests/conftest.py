"""Shared pytest fixtures: one emulator server per session, reset before every test that uses it."""

import pytest

from tests.emulator import Emulator

TEST_TASK_SECONDS = 0.5


@pytest.fixture(scope="session")
def emulator_server():
    emulator = Emulator(host="127.0.0.1", port=0, task_seconds=TEST_TASK_SECONDS, credits=1000,
                        rps=20, queue_limit=10).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def emulator(emulator_server):
    """The session's emulator, reset (tasks, faults, counters, balances, clock) with default limits."""
    emulator_server.reset()
    emulator_server.task_seconds = TEST_TASK_SECONDS
    emulator_server.rps = 20
    emulator_server.queue_limit = 10
    yield emulator_server
    emulator_server.reset()
