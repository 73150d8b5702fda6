"""How long a task in progress has left, from Meshy's progress values (engine.Eta)."""

import time

import pytest

from meshy_pkg.engine import IN_PROGRESS, Eta, Job

from .conftest import pump_until


def eta_after(*samples):
    eta = Eta()
    for now, percent in samples:
        eta.sample(percent, now)
    return eta


def test_no_estimate_without_enough_to_go_on():
    assert Eta().remaining() is None and Eta().finish_time() is None
    assert eta_after((100.0, 20)).remaining() is None, "one sample has no rate"
    assert eta_after((100.0, 1), (101.0, 5)).remaining() is None, "5 % says too little"
    assert eta_after((100.0, 30), (101.0, 30)).remaining() is None, "no progress, no rate"
    assert eta_after((100.0, 30), (100.0, 40)).remaining() is None, "no time passed"


def test_remaining_is_elapsed_times_what_is_left_over_what_was_done():
    # From the start: 20 % in 10 s leaves 80 % for 40 s.
    eta = eta_after((1000.0, 0), (1005.0, 10), (1010.0, 20))
    assert eta.remaining() == pytest.approx(40.0)
    assert eta.finish_time() == pytest.approx(1050.0)
    # Twice as fast later on: the estimate follows the average rate since the first sample.
    eta.sample(60, 1020.0)
    assert eta.remaining() == pytest.approx(20 * 40 / 60)


def test_a_task_first_seen_half_way_is_timed_from_then():
    # Resumed at 50 %: 10 more percent in 5 s leaves 40 % for 20 s (not 10 s from 60 % of "all").
    eta = eta_after((500.0, 50), (505.0, 60))
    assert eta.remaining() == pytest.approx(20.0)


def test_at_or_over_one_hundred_percent_nothing_is_left():
    assert eta_after((0.0, 10), (10.0, 100)).remaining() == 0
    assert eta_after((0.0, 10), (10.0, 120)).remaining() == 0


def test_a_job_estimates_from_the_emulators_progress(emulator, engine_factory):
    emulator.task_seconds = 4.0
    engine, client = engine_factory()
    job = engine.submit(Job("text_to_3d_preview", {"mode": "preview", "prompt": "a lamp",
                                                   "target_formats": ["glb"]}, "a lamp",
                            client=client))
    assert pump_until(engine, lambda: job.status == IN_PROGRESS and job.progress >= 0.4)
    assert job.eta.samples >= 2
    predicted = job.eta.finish_time()
    assert predicted is not None
    assert pump_until(engine, lambda: job.progress >= 1.0 or not job.active)
    finished = time.time()
    # The emulator's progress rises evenly, so the estimate is close (polling adds lag).
    assert abs(predicted - finished) < 1.5, (predicted - finished)
