"""Every fault the emulator can inject ends in a correct result or the right error, never a hang
(the per-test time limit in conftest.py turns a hang into a failure)."""

import os
import time

import pytest

from api import ConnectionFailed, DownloadError, RateLimited, result_files
from tests.api_tests.conftest import FAST_RETRY, make_client
from tests.api_tests.support import run_task, verify_file


def _glb_of(client, tmp_path, prompt="a stone"):
    task_id = client.create("text_to_3d_preview", {"prompt": prompt})
    task = client.follow("text_to_3d_preview", task_id)
    return task_id, {(f.role, f.fmt): f.url for f in result_files("text_to_3d_preview", task)}


# --- 500 bursts --------------------------------------------------------------------------------

def test_a_burst_of_500s_on_every_step_still_delivers(client, emulator, tmp_path):
    emulator.faults(http_500=3)
    task, paths = run_task(client, "text_to_3d_preview", {"prompt": "a lantern"}, tmp_path)
    verify_file(paths[("model", "glb")], "glb")
    # The POST met a 500, was looked up through the list endpoint, then sent again: one task.
    assert emulator.tasks_created == 1


@pytest.mark.parametrize("path", ["/stream", "/assets/", "/openapi/v1/balance"])
def test_500s_on_one_route_are_retried(client, emulator, tmp_path, path):
    emulator.faults(http_500={"count": 2, "path": path})
    task, paths = run_task(client, "text_to_image", {"ai_model": "nano-banana", "prompt": "owl"},
                           tmp_path)
    verify_file(paths[("image", "png")], "png")
    assert client.balance() == 1000


# --- 429 with Retry-After ------------------------------------------------------------------------

def test_429_retry_after_is_honoured(client, emulator):
    emulator.faults(rate_limit={"count": 2, "retry_after": 1})
    started = time.monotonic()
    assert client.balance() == 1000
    # Two waits of at least the server's one second each.
    assert time.monotonic() - started >= 2.0


def test_429_on_create_is_resent_once_allowed(client, emulator):
    emulator.faults(rate_limit={"count": 1, "retry_after": 1, "path": "/text-to-3d"})
    task_id = client.create("text_to_3d_preview", {"prompt": "a bell"})
    assert emulator.tasks_created == 1
    assert client.get("text_to_3d_preview", task_id)["id"] == task_id


def test_a_retry_after_longer_than_we_wait_is_handed_back(client, emulator):
    emulator.faults(rate_limit={"count": 1, "retry_after": 120})
    started = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        client.balance()
    assert caught.value.retry_after == 120
    assert time.monotonic() - started < 2


def test_real_requests_per_second_limit_is_absorbed(client, emulator):
    emulator.rps = 3
    for _ in range(8):
        assert client.balance() == 1000


# --- SSE dropped mid-task -------------------------------------------------------------------------

def test_stream_dropped_mid_task_is_reopened(client, emulator):
    emulator.task_seconds = 1.0
    emulator.faults(drop_sse={"count": 3, "after_events": 2})
    events = []
    task_id = client.create("text_to_3d_preview", {"prompt": "a drum"})
    task = client.follow("text_to_3d_preview", task_id, on_event=events.append)
    assert task["status"] == "SUCCEEDED" and task["model_urls"]["glb"]
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress) and events[-1]["status"] == "SUCCEEDED"
    assert sum(1 for m, p in emulator.request_log if p.endswith("/stream")) >= 4


def test_stream_that_never_delivers_falls_back_to_polling(client, emulator):
    emulator.faults(drop_sse={"after_events": 0})
    task_id = client.create("text_to_image", {"ai_model": "nano-banana", "prompt": "a fox"})
    task = client.follow("text_to_image", task_id)
    assert task["status"] == "SUCCEEDED"
    gets = [p for m, p in emulator.request_log if m == "GET" and p.endswith(task_id)]
    assert len(gets) >= 2  # polled, then the final fetch


# --- truncated and corrupt downloads ----------------------------------------------------------------

@pytest.mark.parametrize("mode", ["cut", "short"])
def test_truncated_download_is_fetched_again(client, emulator, tmp_path, mode):
    task_id, urls = _glb_of(client, tmp_path)
    emulator.faults(truncate_downloads={"count": 2, "mode": mode})
    path = client.download(urls[("model", "glb")], tmp_path, task_id, "text_to_3d_preview",
                           "model", "glb")
    verify_file(path, "glb")


@pytest.mark.parametrize("role, fmt", [("model", "glb"), ("thumbnail", "png"), ("model", "fbx"),
                                       ("model", "usdz")])
def test_corrupt_download_is_fetched_again(client, emulator, tmp_path, role, fmt):
    task_id, urls = _glb_of(client, tmp_path)
    emulator.faults(corrupt_downloads=1)
    path = client.download(urls[(role, fmt)], tmp_path, task_id, "text_to_3d_preview", role, fmt)
    verify_file(path, fmt)
    assert [m for m, p in emulator.request_log if p.startswith("/assets/")].count("GET") == 2


@pytest.mark.parametrize("fmt, pil", [("jpg", "JPEG"), ("webp", "WEBP"), ("png", "PNG")])
def test_images_are_checked_whole_by_pillow(tmp_path, fmt, pil):
    """Cut short, or another format under the name: the check says so (then it is fetched
    again); the whole file passes."""
    import io
    from PIL import Image
    from api.download import check_file
    buffer = io.BytesIO()
    Image.radial_gradient("L").convert("RGB").resize((512, 512)).save(buffer, pil)
    data = buffer.getvalue()
    path = tmp_path / f"image.{fmt}"
    for blob, whole in ((data, True), (data[:len(data) * 2 // 3], False)):
        path.write_bytes(blob)
        assert (check_file(str(path), fmt, len(blob)) == "") is whole, (fmt, whole)
    other = "gif" if pil != "PNG" else "jpeg"
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, other)
    path.write_bytes(buffer.getvalue())
    assert check_file(str(path), fmt, len(buffer.getvalue())) == f"not a {pil} image"


@pytest.mark.parametrize("fault", [{"truncate_downloads": {"mode": "cut"}},
                                   {"truncate_downloads": {"mode": "short"}},
                                   {"corrupt_downloads": {}}])
def test_a_download_that_never_arrives_whole_is_reported_and_leaves_nothing(
        client, emulator, tmp_path, fault):
    task_id, urls = _glb_of(client, tmp_path)
    emulator.faults(**fault)
    with pytest.raises(DownloadError) as caught:
        client.download(urls[("model", "glb")], tmp_path, task_id, "text_to_3d_preview", "model",
                        "glb")
    assert "not imported" in str(caught.value)
    assert os.listdir(tmp_path) == []


def test_download_size_cap(client, emulator, tmp_path):
    url = f"{emulator.url}/_emulator/blob?bytes={3 * 1024 * 1024}"
    with pytest.raises(DownloadError) as caught:
        client.download(url, tmp_path, "blob", "bench", "model", "glb", max_bytes=1024 * 1024)
    assert "limit" in str(caught.value)
    assert os.listdir(tmp_path) == []
    path = client.download(url, tmp_path, "blob", "bench", "model", "glb")
    verify_file(path, "glb")


def test_expired_link_is_not_retried(client, emulator, tmp_path):
    task_id, urls = _glb_of(client, tmp_path)
    emulator.advance_clock(4 * 24 * 3600)
    with pytest.raises(DownloadError) as caught:
        client.download(urls[("model", "glb")], tmp_path, task_id, "text_to_3d_preview", "model",
                        "glb")
    assert "3 days" in str(caught.value)
    assert [p for m, p in emulator.request_log if p.startswith("/assets/")].__len__() == 1


# --- slow server ---------------------------------------------------------------------------------

def test_a_slow_answer_is_waited_for_or_retried(emulator, tmp_path):
    with make_client(emulator, timeout=(2, 1)) as impatient:
        emulator.faults(delay={"count": 1, "seconds": 1.5, "path": "/balance"})
        assert impatient.balance() == 1000
        emulator.faults(delay={"count": 2, "seconds": 0.3})
        task, paths = run_task(impatient, "text_to_image", {"ai_model": "nano-banana",
                                                            "prompt": "snail"}, tmp_path)
        verify_file(paths[("image", "png")], "png")


def test_a_server_that_stays_slow_ends_in_connection_failed(emulator):
    with make_client(emulator, timeout=(2, 0.5)) as impatient:
        emulator.faults(delay={"seconds": 1.0, "path": "/balance"})
        started = time.monotonic()
        with pytest.raises(ConnectionFailed) as caught:
            impatient.balance()
    assert "no answer within 0.5 s" in str(caught.value)
    assert time.monotonic() - started < 10


# --- a POST that may have reached the server ------------------------------------------------------

def test_post_dropped_after_create_makes_exactly_one_task(client, emulator):
    emulator.faults(drop_after_create=1)
    task_id = client.create("text_to_3d_preview", {"prompt": "a chess knight"})
    assert emulator.tasks_created == 1
    assert emulator.task(task_id)["prompt"] == "a chess knight"


def test_post_ambiguity_does_not_claim_an_earlier_identical_task(client, emulator):
    first = client.create("text_to_3d_preview", {"prompt": "a teapot"})
    emulator.faults(drop_after_create=1)
    second = client.create("text_to_3d_preview", {"prompt": "a teapot"})
    assert second != first
    assert emulator.tasks_created == 2


def test_post_slower_than_our_timeout_makes_exactly_one_task(emulator):
    with make_client(emulator, timeout=(2, 0.5)) as impatient:
        emulator.faults(delay={"count": 1, "seconds": 1.5, "path": "/text-to-image"})
        task_id = impatient.create("text_to_image", {"ai_model": "nano-banana", "prompt": "a kite"})
    assert emulator.tasks_created == 1
    assert emulator.task(task_id)["prompt"] == "a kite"


def test_post_refused_before_sending_is_retried_then_reported(emulator):
    emulator.stop()
    try:
        with make_client(emulator) as client:
            with pytest.raises(ConnectionFailed) as caught:
                client.create("text_to_3d_preview", {"prompt": "a cup"})
        assert not caught.value.maybe_created
        assert "refused" in str(caught.value)
    finally:
        emulator.start()


def test_post_dropped_for_a_family_without_a_list_is_not_resent(client, emulator, tmp_path):
    preview = client.create("text_to_3d_preview", {"prompt": "a robot"})
    client.follow("text_to_3d_preview", preview)
    emulator.faults(drop_after_create={"count": 1, "path": "/rigging"})
    with pytest.raises(ConnectionFailed) as caught:
        client.create("rigging", {"input_task_id": preview})
    assert caught.value.maybe_created
    assert "not sent again" in str(caught.value)
    assert emulator.tasks_created == 2  # the preview and the one rigging task, never a second


def test_every_fault_at_once_still_finishes(client, emulator, tmp_path):
    emulator.faults(http_500=2, rate_limit={"count": 1, "retry_after": 1},
                    drop_sse={"count": 1, "after_events": 1}, drop_after_create=1,
                    truncate_downloads=1, corrupt_downloads=1,
                    delay={"count": 2, "seconds": 0.2})
    task, paths = run_task(client, "text_to_3d_preview", {"prompt": "a barrel"}, tmp_path)
    for (role, fmt), path in paths.items():
        verify_file(path, fmt)
    assert emulator.tasks_created == 1
    assert FAST_RETRY.attempts >= 2


def test_a_stream_that_always_drops_is_given_up_for_polling(client, emulator):
    emulator.task_seconds = 3.0
    emulator.faults(drop_sse={"after_events": 1})
    task_id = client.create("text_to_image", {"ai_model": "nano-banana", "prompt": "a moth"})
    assert client.follow("text_to_image", task_id)["status"] == "SUCCEEDED"
    streams = [p for m, p in emulator.request_log if p.endswith("/stream")]
    assert 2 <= len(streams) <= 8   # reopened with growing pauses, never hammered
