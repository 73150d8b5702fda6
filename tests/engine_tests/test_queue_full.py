"""Meshy answers 429 NoMoreConcurrentTasks while the plan's queue is full: a job waits here,
says for how long and why, and after Engine.queue_full_limit of continuous waiting stops with a
message that nothing was charged and that Retry queues it again."""

import re

import requests

from meshy_pkg.engine import FAILED, QUEUE_FULL_LIMIT, Job

from .conftest import pump_until

PREVIEW = {"mode": "preview", "prompt": "a patient crate", "target_formats": ["glb"]}


def preview_job(client, label="a patient crate"):
    return Job("text_to_3d_preview", dict(PREVIEW, prompt=label), label, client=client)


def start_task_elsewhere(emulator):
    """A task of the same account, started outside this engine (another Blender, a script)."""
    response = requests.post(emulator.url + "/openapi/v2/text-to-3d", json=PREVIEW, timeout=10,
                             headers={"Authorization": f"Bearer {emulator.paid_key}"})
    assert response.status_code == 202, response.text
    return response.json()["result"]


def test_the_default_limit_is_thirty_minutes(engine_factory):
    engine, _client = engine_factory()
    assert QUEUE_FULL_LIMIT == 30 * 60 and engine.queue_full_limit == QUEUE_FULL_LIMIT


def test_a_full_queue_is_explained_counted_and_given_up_without_a_charge(emulator, engine_factory):
    emulator.queue_limit = 1
    emulator.task_seconds = 120
    start_task_elsewhere(emulator)
    engine, client = engine_factory()
    engine.queue_full_limit = 2.5
    job = engine.submit(preview_job(client))
    messages = []

    def given_up():
        if job.message and job.message not in messages:
            messages.append(job.message)
        return job.status == FAILED

    assert pump_until(engine, given_up, timeout=30), messages
    waiting = [m for m in messages if m.startswith("Meshy's queue is full")]
    assert waiting, messages
    assert all("your plan's slots are taken by tasks started elsewhere" in m for m in waiting)
    # Kept up to date while it waits: 0 s, 1 s, 2 s.
    seconds = [int(re.search(r"waiting (\d+) s$", m).group(1)) for m in waiting]
    assert seconds == sorted(seconds) and len(seconds) >= 2, waiting
    assert "Meshy's queue stayed full for 2 s" in job.message
    assert "nothing was charged; press Retry to queue it again" in job.message
    assert job.retryable and not job.task_id
    assert emulator.tasks_created == 1, "only the task started elsewhere"
    assert engine.journal.get(job.id) is None, "nothing was created, nothing is journalled"
    assert not engine.busy()


def test_a_job_behind_the_first_counts_its_own_wait(emulator, engine_factory):
    emulator.queue_limit = 1
    emulator.task_seconds = 120
    start_task_elsewhere(emulator)
    engine, client = engine_factory()
    engine.queue_full_limit = 2.0
    first = engine.submit(preview_job(client, "first"))
    assert pump_until(engine, lambda: first.queue_full_since, timeout=10)
    second = engine.submit(preview_job(client, "second"))
    assert pump_until(engine, lambda: second.message.startswith("Meshy's queue is full"),
                      timeout=5)
    assert pump_until(engine, lambda: first.status == FAILED and second.status == FAILED,
                      timeout=30)
    assert second.finished > first.finished, "the second began waiting later"
    assert emulator.tasks_created == 1


def test_the_wait_ends_when_a_slot_frees(emulator, engine_factory):
    emulator.queue_limit = 1
    emulator.task_seconds = 1.5
    engine, client = engine_factory()
    running = engine.submit(preview_job(client, "running"))
    assert pump_until(engine, lambda: running.task_id, timeout=10)
    waiting = engine.submit(preview_job(client, "waiting"))
    assert pump_until(engine, lambda: waiting.message.startswith("Meshy's queue is full"),
                      timeout=10)
    assert "(1 of your tasks running)" in waiting.message
    assert pump_until(engine, lambda: waiting.task_id, timeout=30), waiting.message
    # Meshy took it: the wait is over and says nothing any more.
    assert waiting.queue_full_since == 0 and not waiting.message.startswith("Meshy's queue")
    assert pump_until(engine, lambda: waiting.status == "READY", timeout=30), waiting.message
    assert emulator.tasks_created == 2


def test_a_job_given_up_can_be_queued_again(emulator, engine_factory):
    emulator.queue_limit = 1
    emulator.task_seconds = 120
    other = start_task_elsewhere(emulator)
    engine, client = engine_factory()
    engine.queue_full_limit = 1.0
    job = engine.submit(preview_job(client))
    assert pump_until(engine, lambda: job.status == FAILED, timeout=30)
    requests.delete(emulator.url + f"/openapi/v2/text-to-3d/{other}", timeout=10,
                    headers={"Authorization": f"Bearer {emulator.paid_key}"})
    emulator.task_seconds = 0.3
    again = engine.submit(preview_job(client))
    assert pump_until(engine, lambda: again.status == "READY", timeout=30), again.message
