"""The key-leak check that runs after every api test (conftest.no_key_leaks) really sees what the
client says: these tests plant a key where it must never be and make the client talk, and look at
what the recorder caught. They clear what they planted, so their own check passes."""

import logging

import pytest

from api import MeshyClient
from api.errors import AuthError, MeshyError, NotFound
from tests import leakcheck
from tests.api_tests.conftest import RECORDER, make_client

ODD_KEY = "msy_a_key_no_other_test_uses_0000000000"


def test_a_planted_key_is_found_in_logs_and_errors():
    # A key no client holds (so nothing redacts it), told to the check directly.
    RECORDER.take()
    logging.getLogger("api.client").debug("planted %s", ODD_KEY)
    MeshyError(f"planted {ODD_KEY}")
    logging.getLogger("urllib3").debug("headers: Authorization: Bearer x")
    lines, errors, keys = RECORDER.take()
    found = leakcheck.leaks(lines, errors, set(keys) | {ODD_KEY})
    assert len(found) == 3, found
    assert [f.split(" in ")[1].split(":")[0] for f in found] == ["log", "error", "log"]


def test_once_a_client_holds_the_key_the_same_plants_are_redacted():
    key = "msy_a_key_a_client_holds_111111111111"
    RECORDER.take()
    MeshyClient(key, base_url="https://api.meshy.ai")
    logging.getLogger("api.client").debug("planted %s", key)
    error = MeshyError(f"planted {key}")
    assert key not in str(error) and "***" in str(error)
    lines, errors, keys = RECORDER.take()
    assert key in keys
    assert leakcheck.leaks(lines, errors, keys) == []


def test_a_session_of_calls_is_recorded_and_clean(emulator):
    RECORDER.take()
    with make_client(emulator, emulator.paid_key) as client:
        client.balance()
        with pytest.raises(NotFound):
            client.get("text_to_3d_preview", "no-such-task")
    with make_client(emulator, ODD_KEY) as stranger, pytest.raises(AuthError):
        stranger.balance()
    lines, errors, keys = RECORDER.take()
    assert any("balance" in line for line in lines), lines    # the client's debug lines
    assert len(errors) >= 2                                      # NotFound, AuthError
    assert {emulator.paid_key, ODD_KEY} <= keys
    assert leakcheck.leaks(lines, errors, keys) == []



# --- servers that quote the key back (the emulator's echo_key fault) ---------------------------

def judged_now():
    """What the recorder holds, judged inside the test (so the fixture's check after it finds
    nothing left: an expected failure must fail here, not in teardown)."""
    return leakcheck.leaks(*RECORDER.take())


def test_a_meshy_error_quoting_the_key_is_redacted(emulator):
    emulator.faults(echo_key=1)
    with make_client(emulator, emulator.paid_key) as client, pytest.raises(AuthError) as caught:
        client.balance()
    assert emulator.paid_key not in str(caught.value) and "***" in str(caught.value)
    assert judged_now() == []


def test_an_image_error_quoting_the_key_is_redacted(emulator):
    from api.images import generate_images
    emulator.faults(echo_key={"count": 1, "path": "/v1/images"})
    with pytest.raises(AuthError) as caught:
        generate_images(emulator.url, emulator.test_key, "gpt-image-1", "a lamp", retries=0)
    assert emulator.test_key not in str(caught.value) and "***" in str(caught.value)
    assert judged_now() == []


def test_an_image_stream_error_quoting_the_key_is_redacted(emulator):
    from api.images import generate_images
    emulator.faults(echo_key={"count": 1, "path": "/v1/images"})
    try:
        with pytest.raises(MeshyError) as caught:
            generate_images(emulator.url, emulator.test_key, "gpt-image-1", "a lamp",
                            stream=True, retries=0)
    finally:
        found = judged_now()
    assert "Incorrect API key provided" in str(caught.value)
    assert emulator.test_key not in str(caught.value)
    assert found == []
