"""Load the issue asks the emulator to carry on this 2-core machine: 50 concurrent SSE streams and
100 requests per second, without a single error. Loopback only, bounded loops."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from .helpers import create, headers, sse_events

T23D = "/openapi/v2/text-to-3d"


def test_fifty_concurrent_sse_streams(emulator):
    emulator.rps = 1000
    emulator.queue_limit = 100
    emulator.task_seconds = 1.5
    ids = [create(emulator, T23D, {"mode": "preview", "prompt": f"statue {i}"}) for i in range(50)]
    started = threading.Barrier(50, timeout=30)

    def follow(task_id):
        started.wait()
        response = requests.get(f"{emulator.url}{T23D}/{task_id}/stream", stream=True, timeout=30,
                                headers=headers(emulator.paid_key))
        events = sse_events(response)
        return events[0][1]["status"], events[-1][1]["status"], len(events)

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(follow, ids))
    assert all(last == "SUCCEEDED" for _, last, _ in results), results
    assert all(count >= 3 for _, _, count in results)            # progress events, not just the end


def test_one_hundred_requests_per_second(emulator):
    emulator.rps = 1000
    task_id = create(emulator, T23D, {"mode": "preview", "prompt": "a"})
    seconds, rate, workers = 3, 100, 8
    statuses, lock = [], threading.Lock()
    start = time.monotonic()

    def worker(offset):
        session = requests.Session()
        session.headers.update(headers(emulator.paid_key))
        for n in range(offset, seconds * rate, workers):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            path = f"{T23D}/{task_id}" if n % 2 else "/openapi/v1/balance"
            status = session.get(emulator.url + path, timeout=10).status_code
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    assert set(statuses) == {200}
    assert len(statuses) == seconds * rate
    assert len(statuses) / elapsed >= 95
