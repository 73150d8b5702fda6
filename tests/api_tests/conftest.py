"""Fixtures for the api tests: clients wired to the emulator with fast retry timing, a hard
per-test time limit (no test may hang), and a check after every test that nothing the client
logged or raised while it ran contains an API key."""

import threading

import pytest

from api import MeshyClient, RetryPolicy
from api.errors import MeshyError
from api.secret import Secret
from tests import leakcheck, timelimit

# No single api test may take longer than this; a hang becomes a failure, not a stuck run.
TEST_TIME_LIMIT = 60
# Quick retries so fault tests finish fast; same logic as the defaults, shorter waits.
FAST_RETRY = RetryPolicy(attempts=4, base=0.05, cap=0.4, max_retry_after=5.0)

# Installed for the whole session, before any test makes a client; judged test by test below.
RECORDER = leakcheck.recorder_for(MeshyError, Secret)


@pytest.fixture(autouse=True)
def no_key_leaks():
    """After every test: no key it used (nor any of the well-known ones) is in a log record or a
    MeshyError made while it ran, and no log line shows an Authorization header. A leak makes
    that test error out, whatever order the tests run in. (What a thread says after its test
    ended is judged with the next test: late, but never lost.)"""
    yield
    found = leakcheck.leaks(*RECORDER.take())
    assert not found, "\n".join(found[:5])


@pytest.fixture(autouse=True)
def time_limit():
    with timelimit.limit(TEST_TIME_LIMIT):
        yield


def make_client(emulator, key=None, **options):
    options.setdefault("retries", FAST_RETRY)
    options.setdefault("poll_interval", (0.05, 0.3))
    options.setdefault("stream_read_timeout", 5.0)
    options.setdefault("timeout", (2, 10))
    return MeshyClient(key or emulator.test_key, base_url=emulator.url, **options)


@pytest.fixture
def client(emulator):
    with make_client(emulator) as meshy:
        yield meshy


@pytest.fixture
def paid_client(emulator):
    with make_client(emulator, emulator.paid_key) as meshy:
        yield meshy


def client_threads():
    """Live threads that are not the in-process emulator's own (server and per-request)."""
    return {t for t in threading.enumerate()
            if t.is_alive() and "process_request" not in t.name and t.name != "meshy-emulator"}


@pytest.fixture
def no_leftover_threads():
    """Fails the test if it leaves a client-side thread running (a cancel watcher, a reader)."""
    before = client_threads()
    yield
    # No waiting: a thread still alive when the call returned is already a leak.
    leftover = client_threads() - before
    assert not leftover, f"threads left behind: {sorted(t.name for t in leftover)}"


def open_connections_to(port):
    """Sockets of this process connected to `port` on loopback (client side), from /proc."""
    import os

    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            with open(table) as handle:
                rows = handle.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            remote_port = int(fields[2].split(":")[1], 16)
            state, inode = fields[3], fields[9]
            # 01 ESTABLISHED, 08 CLOSE_WAIT: a socket we still hold open.
            if remote_port == port and inode in inodes and state in ("01", "08"):
                count += 1
    return count
