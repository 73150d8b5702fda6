"""One redaction at the error boundary: every key a Secret ever held is scrubbed out of every
MeshyError, every log record of the package and every job failure, whichever server echoed it
and however its answer was shaped. Real HTTP: loopback servers that echo the caller's key."""

import json
import logging

import pytest

from api import MeshyError, generate_images
from api.errors import BadRequest, TaskFailed
from api.secret import Secret, redact
from tests.api_tests.conftest import FAST_RETRY
from tests.hostile import LocalServer

IMAGE_KEY = "sk-image-source-key-0123456789abcdef"
MESHY_KEY = "msy_echoed_key_abcdefghijklmnopqrstuvwxyz"


def _echo(request):
    return request.headers.get("Authorization", "")


def _image_answers():
    """Ways an OpenAI-compatible server can echo the key back in an error."""
    return {
        "401 JSON": lambda r: (401, {}, {"error": {"message": f"bad credentials: {_echo(r)}"}}),
        "200 JSON error": lambda r: (200, {}, {"error": {"message": f"refused {_echo(r)}"}}),
        "SSE error chunk": lambda r: (200, {"Content-Type": "text/event-stream"},
                                      f"data: {json.dumps({'error': {'message': _echo(r)}})}\n\n"
                                      "data: [DONE]\n\n"),
        "long plain text": lambda r: (500, {"Content-Type": "text/plain"},
                                      "x" * 260 + _echo(r) + "y" * 100),
    }


@pytest.mark.parametrize("shape", list(_image_answers()))
def test_an_image_source_echoing_the_key_never_shows_it(shape, caplog):
    caplog.set_level(logging.DEBUG)
    with LocalServer(_image_answers()[shape]) as server:
        with pytest.raises(MeshyError) as caught:
            generate_images(server.url, IMAGE_KEY, "openai/gpt-image-1", "a fox", stream=True,
                            retries=0)
    assert server.requests, "the request was sent"
    for text in (str(caught.value), repr(caught.value), repr(vars(caught.value)), caplog.text):
        assert IMAGE_KEY not in text and IMAGE_KEY[:16] not in text


def _meshy(request_echo_at):
    """A Meshy-like API that echoes the key: in a 400 answer, or in a failed task's message."""
    task = {"id": "018a210d-8ba4-705c-b111-1f1776f7f578", "type": "text-to-image",
            "status": "FAILED", "progress": 0}

    def answer(request):
        if request.method == "POST":
            if request_echo_at == "400":
                return 400, {}, {"message": f"Invalid header {_echo(request)}"}
            if request_echo_at == "400 cut":
                # The key straddles the point where long server messages are shortened.
                return 400, {}, {"message": "z" * 470 + _echo(request)}
            return 202, {}, {"result": task["id"]}
        if request.path.endswith("/stream"):
            return 404, {}, {"message": "Not Found"}
        return 200, {}, {**task, "task_error": {"type": "invalid_input",
                                                "message": f"key {_echo(request)} refused"}}
    return answer


@pytest.mark.parametrize("echo_at", ["400", "400 cut", "task_error"])
def test_a_meshy_answer_echoing_the_key_never_shows_it(echo_at, caplog):
    from api import MeshyClient
    caplog.set_level(logging.DEBUG)
    with LocalServer(_meshy(echo_at)) as server:
        with MeshyClient(MESHY_KEY, base_url=server.url, retries=FAST_RETRY,
                         poll_interval=(0.05, 0.1)) as client:
            with pytest.raises((BadRequest, TaskFailed)) as caught:
                task_id = client.create("text_to_image", {"ai_model": "nano-banana",
                                                          "prompt": "an owl"})
                client.follow("text_to_image", task_id)
    for text in (str(caught.value), repr(caught.value), repr(vars(caught.value)), caplog.text):
        assert MESHY_KEY not in text and MESHY_KEY[:16] not in text


def test_every_secret_ever_made_is_redacted_everywhere():
    key = "msy_registry_check_0123456789abcdef"
    Secret(key)
    assert redact(f"echo: {key}!") == "echo: ***!"
    assert key not in str(MeshyError(f"the server said {key}"))
    assert redact("short words stay") == "short words stay"


def test_log_records_of_the_package_are_redacted(caplog):
    key = "msy_logged_key_0123456789abcdefghij"
    Secret(key)
    from api.secret import get_logger
    caplog.set_level(logging.DEBUG)
    get_logger("api.test_redaction").warning("server answered %s", f"nope {key}")
    assert key not in caplog.text and "nope ***" in caplog.text

