"""Concept images from the OpenAI-compatible endpoint (shared/mesh-api/image-generation.page.txt),
served by the emulator at /v1/images/generations."""

import io
import threading

import pytest
from PIL import Image

from api import AuthError, InsecureURL, ValidationError, generate_images
from api.images import endpoint
from tests.api_tests.conftest import make_client


def _is_png(data):
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
    return True


def test_url_answers_can_be_downloaded(emulator, tmp_path):
    urls = generate_images(emulator.url, emulator.test_key, "openai/gpt-image-1", "a fox", n=2,
                           size="512x256", response_format="url")
    assert len(urls) == 2 and all(isinstance(u, str) for u in urls)
    with make_client(emulator) as client:
        path = client.download(urls[1], tmp_path, "img", "concept", "image_1", "png")
    with Image.open(path) as image:
        assert image.size == (512, 256)


def test_b64_answers_are_decoded(emulator):
    images = generate_images(emulator.url, emulator.test_key, "openai/gpt-image-1", "a fox",
                             response_format="b64_json", quality="high", output_format="png")
    assert len(images) == 1 and _is_png(images[0])


def test_vertex_models_answer_b64_whatever_was_asked(emulator):
    images = generate_images(emulator.url, emulator.test_key, "vertex/imagen-3", "a fox",
                             response_format="url")
    assert isinstance(images[0], bytes) and _is_png(images[0])


def test_streaming_with_keep_alive_pings_and_done(emulator):
    emulator.task_seconds = 0.6
    events = []
    images = generate_images(emulator.url, emulator.test_key, "openai/gpt-image-1", "a fox", n=3,
                             stream=True, response_format="b64_json", on_event=events.append)
    assert len(images) == 3 and all(_is_png(image) for image in images)
    assert events and events[0]["status"] == "processing"


def test_streaming_can_be_cancelled(emulator):
    emulator.task_seconds = 30
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    from api import Cancelled
    with pytest.raises(Cancelled):
        generate_images(emulator.url, emulator.test_key, "openai/gpt-image-1", "slow", stream=True,
                        cancel=cancel)


def test_wrong_key_names_the_image_service(emulator):
    with pytest.raises(AuthError) as caught:
        generate_images(emulator.url, "msy_wrong_key_000000000000000", "openai/gpt-image-1", "x")
    assert "image service" in str(caught.value)
    assert "msy_wrong_key" not in str(caught.value)


def test_rate_limit_is_retried(emulator):
    emulator.faults(rate_limit={"count": 1, "retry_after": 0, "path": "/v1/images"})
    assert generate_images(emulator.url, emulator.test_key, "openai/gpt-image-1", "x")


@pytest.mark.parametrize("arguments, field", [
    ({"model": "", "prompt": "x"}, "model"),
    ({"model": "m", "prompt": " "}, "prompt"),
    ({"model": "m", "prompt": "x", "n": 11}, "n"),
    ({"model": "m", "prompt": "x", "size": "huge"}, "size"),
    ({"model": "m", "prompt": "x", "response_format": "png"}, "response_format"),
    ({"model": "m", "prompt": "x", "quality": "ultra"}, "quality"),
])
def test_requests_are_checked_before_sending(emulator, arguments, field):
    with pytest.raises(ValidationError) as caught:
        generate_images(emulator.url, emulator.test_key, **arguments)
    assert caught.value.field == field


def test_endpoint_and_url_policy():
    assert endpoint("https://api.meshapi.ai") == "https://api.meshapi.ai/v1/images/generations"
    assert endpoint("https://proxy.example.com/v1/") == \
        "https://proxy.example.com/v1/images/generations"
    with pytest.raises(InsecureURL):
        generate_images("http://api.meshapi.ai", "k" * 20, "m", "x")
