"""Cancelling: within about a second, with no thread and no connection left behind."""

import os
import threading
import time

import pytest

from api import Cancelled, FollowTimeout
from tests.api_tests.conftest import make_client, open_connections_to


def _cancel_after(seconds):
    event = threading.Event()
    timer = threading.Timer(seconds, event.set)
    timer.start()
    return event, timer


@pytest.mark.usefixtures("no_leftover_threads")
def test_cancel_while_following_a_stream(client, emulator):
    emulator.task_seconds = 30
    task_id = client.create("text_to_3d_preview", {"prompt": "a slow statue"})
    connections_before = open_connections_to(emulator.port)
    cancel, timer = _cancel_after(0.5)
    started = time.monotonic()
    with pytest.raises(Cancelled):
        client.follow("text_to_3d_preview", task_id, cancel=cancel)
    assert time.monotonic() - started < 0.5 + 1.0
    timer.join()
    assert open_connections_to(emulator.port) <= connections_before


@pytest.mark.usefixtures("no_leftover_threads")
def test_cancel_while_the_stream_is_silent(emulator):
    """A stream that sends nothing for a long time still gives way to a cancel."""
    emulator.task_seconds = 600  # progress moves one step every few seconds
    with make_client(emulator, stream_read_timeout=60) as client:
        task_id = client.create("text_to_3d_preview", {"prompt": "a glacier"})
        cancel, timer = _cancel_after(1.0)
        started = time.monotonic()
        with pytest.raises(Cancelled):
            client.follow("text_to_3d_preview", task_id, cancel=cancel)
        assert time.monotonic() - started < 1.0 + 1.0
        timer.join()


@pytest.mark.usefixtures("no_leftover_threads")
def test_cancel_while_polling(client, emulator):
    emulator.task_seconds = 30
    emulator.faults(http_500={"path": "/stream"})  # no streaming: the follow polls
    task_id = client.create("text_to_image", {"ai_model": "nano-banana", "prompt": "a slow cat"})
    cancel, timer = _cancel_after(0.6)
    started = time.monotonic()
    with pytest.raises(Cancelled):
        client.follow("text_to_image", task_id, cancel=cancel)
    assert time.monotonic() - started < 0.6 + 1.0
    timer.join()


@pytest.mark.usefixtures("no_leftover_threads")
def test_cancel_during_a_download_leaves_no_partial_file(client, emulator, tmp_path):
    # Loopback moves 400 MB in about 0.3 s on a quiet machine: cancel well before that.
    url = f"{emulator.url}/_emulator/blob?bytes={400 * 1024 * 1024}"
    cancel, timer = _cancel_after(0.05)
    started = time.monotonic()
    with pytest.raises(Cancelled):
        client.download(url, tmp_path, "blob", "bench", "model", "glb", cancel=cancel)
    assert time.monotonic() - started < 0.05 + 1.0
    timer.join()
    assert os.listdir(tmp_path) == []
    assert open_connections_to(emulator.port) <= 1  # at most the pooled API connection


def test_a_cancel_set_before_the_call_sends_nothing(client, emulator):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        client.create("text_to_3d_preview", {"prompt": "never"}, cancel=cancel)
    assert emulator.tasks_created == 0


@pytest.mark.usefixtures("no_leftover_threads")
def test_follow_gives_up_after_its_timeout(client, emulator):
    emulator.task_seconds = 30
    task_id = client.create("text_to_3d_preview", {"prompt": "a mountain"})
    started = time.monotonic()
    with pytest.raises(FollowTimeout) as caught:
        client.follow("text_to_3d_preview", task_id, timeout=1.0)
    assert time.monotonic() - started < 1.0 + 1.5
    assert task_id in str(caught.value)


def test_follow_completes_when_cancel_is_never_set(client, no_leftover_threads):
    cancel = threading.Event()
    task_id = client.create("text_to_image", {"ai_model": "nano-banana", "prompt": "a hen"})
    assert client.follow("text_to_image", task_id, cancel=cancel)["status"] == "SUCCEEDED"


def test_many_concurrent_follows_share_one_client(client, emulator):
    emulator.rps = 100
    ids = [client.create("text_to_image", {"ai_model": "nano-banana", "prompt": f"bird {i}"})
           for i in range(8)]
    results = {}

    def follow(task_id):
        results[task_id] = client.follow("text_to_image", task_id)["status"]

    workers = [threading.Thread(target=follow, args=(task_id,)) for task_id in ids]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(20)
    assert results == {task_id: "SUCCEEDED" for task_id in ids}


def test_cancel_while_checking_an_uncertain_create_says_a_task_may_exist(emulator):
    with make_client(emulator, timeout=(2, 0.3)) as impatient:
        emulator.faults(delay={"count": 1, "seconds": 1.5, "path": "/text-to-3d"})
        cancel, timer = _cancel_after(0.8)  # after the first lookup, before the second
        with pytest.raises(Cancelled) as caught:
            impatient.create("text_to_3d_preview", {"prompt": "a slow vase"}, cancel=cancel)
        timer.join()
    assert caught.value.maybe_created
    assert "may already have been created" in str(caught.value)
    time.sleep(1.0)
    assert emulator.tasks_created == 1  # the one slow request, never a second
