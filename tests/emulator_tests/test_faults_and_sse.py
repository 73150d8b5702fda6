"""The fault injection interface (Python and HTTP) and the SSE stream's documented shape."""

import time

import pytest
import requests
import sseclient

from tests.emulator.glb import GlbError, read_glb

from .helpers import create, create_and_finish, download, finish, get, post, sse_events

T23D = "/openapi/v2/text-to-3d"
PREVIEW = {"mode": "preview", "prompt": "a"}


def test_sse_sends_slim_progress_then_the_full_object(emulator):
    task_id = create(emulator, T23D, PREVIEW)
    response = get(emulator, f"{T23D}/{task_id}/stream", stream=True)
    assert response.headers["Content-Type"] == "text/event-stream"
    events = list(sseclient.SSEClient(response).events())
    assert all(event.event == "message" for event in events)
    import json
    payloads = [json.loads(event.data) for event in events]
    running = payloads[:-1]
    assert running and all(set(p) == {"id", "progress", "status"} for p in running)
    progress = [p["progress"] for p in running]
    assert progress == sorted(progress) and len(set(progress)) == len(progress)
    assert payloads[-1] == emulator.task(task_id)


def test_sse_error_event_for_unknown_ids(emulator):
    response = get(emulator, f"{T23D}/018a210d-8ba4-705c-b111-1f1776f7f578/stream", stream=True)
    assert sse_events(response) == [("error", {"status_code": 404, "message": "Task not found"})]


def test_sse_of_a_finished_task_is_one_full_event(emulator):
    task = create_and_finish(emulator, T23D, PREVIEW)
    events = sse_events(get(emulator, f"{T23D}/{task['id']}/stream", stream=True))
    assert events == [("message", task)]


def test_sse_of_a_failed_task_ends_with_task_error(emulator):
    emulator.faults(fail_tasks={"type": "timeout", "code": "timeout"})
    task_id = create(emulator, T23D, PREVIEW)
    events = sse_events(get(emulator, f"{T23D}/{task_id}/stream", stream=True))
    final = events[-1][1]
    assert final["status"] == "FAILED"
    assert final["task_error"]["type"] == "timeout" and final["task_error"]["code"] == "timeout"


def test_drop_sse_closes_the_stream_midway(emulator):
    emulator.faults(drop_sse={"count": 1, "after_events": 2})
    task_id = create(emulator, T23D, PREVIEW)
    response = get(emulator, f"{T23D}/{task_id}/stream", stream=True)
    lines = []
    with pytest.raises(requests.exceptions.RequestException):
        for line in response.iter_lines(decode_unicode=True):
            lines.append(line)
    assert sum(line.startswith("data:") for line in lines) == 2
    assert not any('"SUCCEEDED"' in line for line in lines)
    # The next stream is whole again.
    events = sse_events(get(emulator, f"{T23D}/{task_id}/stream", stream=True))
    assert events[-1][1]["status"] == "SUCCEEDED"


def test_http_500_for_the_next_n_requests_scoped_by_path(emulator):
    emulator.faults(http_500={"count": 2, "path": "/openapi/v1/balance"})
    assert get(emulator, T23D).status_code == 200                 # other paths are untouched
    statuses = [get(emulator, "/openapi/v1/balance").status_code for _ in range(3)]
    assert statuses == [500, 500, 200]


def test_rate_limit_burst_with_retry_after(emulator):
    emulator.faults(rate_limit={"count": 2, "retry_after": 7})
    first = get(emulator, "/openapi/v1/balance")
    assert first.status_code == 429 and first.headers["Retry-After"] == "7"
    assert first.json() == {"message": "RateLimitExceeded"}
    assert get(emulator, "/openapi/v1/balance").status_code == 429
    assert get(emulator, "/openapi/v1/balance").status_code == 200


def test_echo_key_quotes_the_callers_key_back_in_each_routes_error_shape(emulator):
    emulator.faults(echo_key=3)
    meshy = get(emulator, "/openapi/v1/balance")
    assert meshy.status_code == 401
    assert meshy.json() == {"message": f"Unauthorized: invalid API key {emulator.paid_key}"}
    image = post(emulator, "/v1/images/generations", {"model": "m", "prompt": "p"},
                 key=emulator.test_key)
    assert image.status_code == 401
    assert image.json()["error"]["message"] == \
        f"Incorrect API key provided: {emulator.test_key}"
    # A streamed image request already has its 200: the error comes as a chunk, then [DONE].
    streamed = post(emulator, "/v1/images/generations", {"model": "m", "prompt": "p",
                                                          "stream": True}, stream=True)
    assert streamed.status_code == 200
    chunks = [line[5:].strip() for line in streamed.iter_lines(decode_unicode=True)
              if line.startswith("data:")]
    assert chunks[-1] == "[DONE]"
    assert f"Incorrect API key provided: {emulator.paid_key}" in chunks[-2]
    assert emulator.tasks_created == 0
    assert get(emulator, "/openapi/v1/balance").status_code == 200   # three uses, then gone


def test_drop_after_create_creates_charges_and_hangs_up(emulator):
    emulator.faults(drop_after_create=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        post(emulator, T23D, PREVIEW)
    assert emulator.tasks_created == 1
    assert emulator.balance(emulator.paid_key) == 980
    # The POST ambiguity is resolved through the list endpoint.
    listed = get(emulator, T23D).json()
    assert len(listed) == 1 and listed[0]["prompt"] == "a"
    create(emulator, T23D, PREVIEW)                               # one-shot: the next POST answers


def test_truncated_and_corrupted_downloads(emulator):
    task = create_and_finish(emulator, T23D, PREVIEW)
    url = task["model_urls"]["glb"]
    whole = requests.get(url, timeout=10).content
    read_glb(whole)

    emulator.faults(truncate_downloads=1)
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(url, timeout=10).content
    emulator.faults(truncate_downloads={"count": 1, "mode": "short"})
    short = requests.get(url, timeout=10)
    assert short.status_code == 200 and len(short.content) == len(whole) // 2
    with pytest.raises(GlbError):
        read_glb(short.content)

    emulator.faults(corrupt_downloads={"count": 1, "path": ".glb"})
    corrupt = requests.get(url, timeout=10).content
    assert len(corrupt) == len(whole) and corrupt != whole
    with pytest.raises(GlbError):
        read_glb(corrupt)
    assert requests.get(url, timeout=10).content == whole


def test_delay_slows_responses(emulator):
    emulator.faults(delay={"seconds": 0.3, "count": 1})
    start = time.monotonic()
    get(emulator, "/openapi/v1/balance")
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    get(emulator, "/openapi/v1/balance")
    assert time.monotonic() - start < 0.3


@pytest.mark.parametrize("spec,expected", [
    ({"type": "server_error"}, {"type": "server_error",
                                "message": "An internal error occurred. Please retry."}),
    ({"type": "service_unavailable"}, {"type": "service_unavailable",
                                       "message": "The service is temporarily unavailable. "
                                                  "Please retry."}),
    ({"code": "model_missing_uv"}, {"type": "invalid_input", "code": "model_missing_uv"}),
    ({"code": "format_conversion_failed", "message": "no usdz"},
     {"type": "server_error", "code": "format_conversion_failed", "message": "no usdz"}),
])
def test_fail_tasks_with_any_documented_error(emulator, spec, expected):
    emulator.faults(fail_tasks=spec)
    task = create_and_finish(emulator, T23D, PREVIEW)
    assert task["status"] == "FAILED"
    error = task["task_error"]
    assert {key: error[key] for key in expected} == expected
    assert ("doc_url" in error) == ("code" in error)


def test_http_control_interface(emulator):
    control = emulator.url + "/_emulator"
    response = requests.post(control + "/faults", json={"http_500": 1}, timeout=10)
    assert response.status_code == 200 and response.json()["faults"][0]["kind"] == "http_500"
    assert requests.post(control + "/faults", json={"no_such_fault": 1}, timeout=10).status_code == 400
    assert get(emulator, "/openapi/v1/balance").status_code == 500
    create(emulator, T23D, PREVIEW)
    state = requests.get(control + "/state", timeout=10).json()
    assert state["tasks_created"] == 1 and state["tasks"][0]["status"] == "PENDING"
    assert requests.post(control + "/balance", json={"key": emulator.paid_key, "credits": 5},
                         timeout=10).json() == {"balance": 5}
    requests.post(control + "/clock", json={"advance_seconds": 10}, timeout=10)
    assert requests.get(control + "/state", timeout=10).json()["tasks"][0]["status"] == "SUCCEEDED"
    requests.post(control + "/reset", timeout=10)
    assert requests.get(control + "/state", timeout=10).json()["tasks"] == []
    assert emulator.balance(emulator.paid_key) == 1000


def test_request_log_has_method_and_path_only(emulator):
    get(emulator, T23D, params={"page_size": 5})
    assert emulator.request_log == [("GET", T23D)]


def test_blob_route_streams_a_valid_glb_of_the_requested_size(emulator):
    response = requests.get(emulator.url + "/_emulator/blob", params={"bytes": 4 * 1024 * 1024},
                            stream=True, timeout=30)
    data = b"".join(response.iter_content(1 << 16))
    assert len(data) == 4 * 1024 * 1024 == int(response.headers["Content-Length"])
    doc, binary = read_glb(data)
    assert doc["buffers"][0]["byteLength"] == len(binary)


def test_model_file_is_served_as_every_tasks_model_glb(emulator, tmp_path):
    from tests.emulator.control import blob_header
    header, _ = blob_header(1 << 20)
    big = tmp_path / "big.glb"
    big.write_bytes(header + bytes((1 << 20) - len(header)))
    emulator.model_file = str(big)
    try:
        task = create_and_finish(emulator, T23D, PREVIEW)
        response = requests.get(task["model_urls"]["glb"], timeout=30)
        assert response.status_code == 200
        assert response.content == big.read_bytes()
        assert int(response.headers["Content-Length"]) == 1 << 20
        # Only model.glb: the other files, and the usual checks (unknown task: 404), stay.
        assert b"\nv " in requests.get(task["model_urls"]["obj"], timeout=30).content
        missing = task["model_urls"]["glb"].replace(task["id"], "no-such-task")
        assert requests.get(missing, timeout=30).status_code == 404
    finally:
        emulator.model_file = None


def test_fail_tasks_waits_for_a_request_that_creates_a_task(emulator):
    emulator.faults(fail_tasks={"type": "server_error"})
    emulator.set_balance(emulator.paid_key, 0)
    assert post(emulator, T23D, PREVIEW).status_code == 402     # rejected: the fault stays armed
    emulator.set_balance(emulator.paid_key, 1000)
    assert create_and_finish(emulator, T23D, PREVIEW)["status"] == "FAILED"
    assert create_and_finish(emulator, T23D, PREVIEW)["status"] == "SUCCEEDED"


@pytest.mark.parametrize("prefix", ["../../", "/tmp/elsewhere/"])
def test_hostile_ids_stay_reachable_when_percent_encoded(emulator, prefix):
    from urllib.parse import quote
    emulator.faults(hostile_ids={"prefix": prefix})
    task_id = create(emulator, T23D, PREVIEW)
    assert task_id.startswith(prefix) and len(task_id) > len(prefix)
    assert not create(emulator, T23D, PREVIEW).startswith(prefix), "one use by default"
    segment = quote(task_id, safe="")
    task = finish(emulator, T23D, segment)
    assert task["id"] == task_id and task["status"] == "SUCCEEDED"
    assert sse_events(get(emulator, f"{T23D}/{segment}/stream", stream=True))[-1][1] == task
    assert task_id in [t["id"] for t in get(emulator, T23D).json()]
    glb_bytes = download(task["model_urls"]["glb"])
    read_glb(glb_bytes)
    assert requests.delete(emulator.url + f"{T23D}/{segment}", timeout=10,
                           headers={"Authorization": f"Bearer {emulator.paid_key}"}).status_code == 200
    assert get(emulator, f"{T23D}/{segment}").status_code == 404
