"""Every documented error status, and every task error, becomes the right exception with a
sentence a person can act on (03-errors.md, 05-rate-limits.md)."""

import pytest

from api import errors
from api.errors import (AuthError, BadRequest, Forbidden, InsufficientCredits, NotFound,
                        RateLimited, ServerError, TaskCanceled, TaskFailed, Unprocessable)
from tests.api_tests.conftest import make_client

UNKNOWN_ID = "018a210d-8ba4-705c-b111-1f1776f7f578"


def test_400_bad_request_carries_the_server_message(client):
    # The preview exists but has not succeeded yet: only the server can know.
    preview = client.create("text_to_3d_preview", {"prompt": "a mask"})
    with pytest.raises(BadRequest) as caught:
        client.create("text_to_3d_refine", {"preview_task_id": preview})
    error = caught.value
    assert error.status == 400
    assert "SUCCEEDED" in error.message
    assert error.message in str(error) and "settings" in str(error)


def test_401_says_to_check_the_key(emulator):
    with make_client(emulator, "msy_not_a_real_key_000000000000") as wrong:
        with pytest.raises(AuthError) as caught:
            wrong.balance()
    assert caught.value.status == 401
    assert "API key" in str(caught.value) and "preferences" in str(caught.value)
    assert "msy_not_a_real_key" not in str(caught.value)


def test_402_names_the_price_and_the_balance(paid_client, emulator):
    emulator.set_balance(emulator.paid_key, 12)
    with pytest.raises(InsufficientCredits) as caught:
        paid_client.create("text_to_3d_preview", {"prompt": "a mask"})
    error = caught.value
    assert (error.status, error.balance, error.needed) == (402, 12, 20)
    assert "costs 20" in str(error) and "balance is 12" in str(error)
    assert emulator.tasks_created == 0


def test_403_task_of_another_account(client, paid_client):
    other = paid_client.create("text_to_3d_preview", {"prompt": "theirs"})
    paid_client.follow("text_to_3d_preview", other)
    with pytest.raises(Forbidden) as caught:
        client.create("analyze_printability", {"input_task_id": other})
    assert caught.value.status == 403
    assert "another account" in str(caught.value)


def test_404_unknown_task(client):
    with pytest.raises(NotFound) as caught:
        client.get("text_to_3d_preview", UNKNOWN_ID)
    assert caught.value.status == 404
    assert "3 days" in str(caught.value)
    with pytest.raises(NotFound):
        client.create("text_to_3d_refine", {"preview_task_id": UNKNOWN_ID})


def test_404_while_following_an_unknown_task(client):
    with pytest.raises(NotFound):
        client.follow("image_to_3d", UNKNOWN_ID)


def test_422_pose_estimation_failed(client, emulator):
    preview = client.create("text_to_3d_preview", {"prompt": "a knight"})
    client.follow("text_to_3d_preview", preview)
    emulator.faults(rig_pose_failure=1)
    with pytest.raises(Unprocessable) as caught:
        client.create("rigging", {"input_task_id": preview})
    assert caught.value.status == 422
    assert "humanoid" in str(caught.value)


def test_429_requests_limit_after_retries(emulator, client):
    emulator.faults(rate_limit={"count": 10, "retry_after": 0})
    with pytest.raises(RateLimited) as caught:
        client.balance()
    error = caught.value
    assert (error.status, error.limit) == (429, "requests")
    assert error.retry_after == 0
    assert "per second" in str(error)


def test_429_queue_limit_is_told_apart(emulator, client):
    emulator.queue_limit = 2
    for index in range(2):
        client.create("text_to_image", {"ai_model": "nano-banana", "prompt": f"p{index}"})
    with pytest.raises(RateLimited) as caught:
        client.create("text_to_image", {"ai_model": "nano-banana", "prompt": "one too many"})
    assert caught.value.limit == "queue"
    assert "already running" in str(caught.value)
    # A queue-full create is not retried: exactly the two accepted tasks exist.
    assert emulator.tasks_created == 2


def test_5xx_after_retries_is_a_server_error(emulator, client):
    emulator.faults(http_500=10)
    with pytest.raises(ServerError) as caught:
        client.get("text_to_3d_preview", UNKNOWN_ID)
    assert caught.value.status == 500
    assert "status.meshy.ai" in str(caught.value)


def test_rate_limit_kinds_from_the_documented_messages():
    assert errors.rate_limit_kind("RateLimitExceeded") == "requests"
    assert errors.rate_limit_kind("NoMoreConcurrentTasks") == "queue"
    assert errors.request_error(418, "teapot").__class__ is errors.RequestError


@pytest.mark.parametrize("error_type, code, retryable, advice", [
    ("invalid_input", "image_too_complex", False, "simpler subject"),
    ("invalid_input", "model_missing_uv", False, "UVs"),
    ("invalid_input", "model_insufficient_uv", False, "Unwrap"),
    ("invalid_input", "moderation_blocked", False, "Rephrase"),
    ("invalid_input", "invalid_input", False, "Change the input"),
    ("timeout", "timeout", True, "Try again"),
    ("server_error", "format_conversion_failed", True, "another output format"),
    ("service_unavailable", None, True, "Wait a moment"),
    ("server_error", None, True, "Try again"),
    ("timeout", None, True, "Try again"),
])
def test_failed_tasks_carry_task_error_and_retry_advice(client, emulator, error_type, code,
                                                        retryable, advice):
    emulator.faults(fail_tasks={"type": error_type, "code": code})
    task_id = client.create("text_to_3d_preview", {"prompt": "a crate of berries"})
    with pytest.raises(TaskFailed) as caught:
        client.follow("text_to_3d_preview", task_id)
    error = caught.value
    assert (error.task_id, error.type, error.retryable) == (task_id, error_type, retryable)
    assert error.code == (code or "")
    assert error.message and error.message in str(error)
    assert bool(error.doc_url) == bool(code)
    if code:
        assert error.doc_url.startswith("https://docs.meshy.ai/")
    assert advice in str(error)


def test_failed_task_is_refunded_and_reported_while_polling(paid_client, emulator):
    emulator.faults(fail_tasks={"type": "server_error"}, http_500={"count": 1000,
                                                                   "path": "/stream"})
    before = emulator.balance(emulator.paid_key)
    task_id = paid_client.create("text_to_image", {"ai_model": "nano-banana", "prompt": "x"})
    with pytest.raises(TaskFailed) as caught:
        paid_client.follow("text_to_image", task_id)
    assert caught.value.retryable
    assert emulator.balance(emulator.paid_key) == before


def test_canceled_task_ends_follow_with_task_canceled(client):
    task_id = client.create("keychain_prototype", {"image_url": "https://example.com/p.png"})
    client.delete("keychain_prototype", task_id)
    with pytest.raises(TaskCanceled) as caught:
        client.follow("keychain_prototype", task_id)
    assert not caught.value.retryable
    assert "cancelled" in str(caught.value)


def test_unknown_task_error_shape_is_tolerated():
    failed = TaskFailed.from_task({"id": "t1", "status": "FAILED", "task_error": "boom"})
    assert failed.message == "boom" and not failed.retryable
    failed = TaskFailed.from_task({"id": "t2", "status": "FAILED",
                                   "task_error": {"type": "brand_new_type", "extra": 1}})
    assert failed.type == "brand_new_type" and "no reason given" in str(failed)


# --- Creative Lab's documented refusals (pages 24-27) say what happened and what to do --------

PNG_URI = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4" \
          "z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg=="


def _finished_prototype(client, emulator, product):
    task_id = client.create(f"{product}_prototype", {"image_url": PNG_URI})
    emulator.advance_clock(emulator.task_seconds + 0.01)
    return task_id


def test_creative_lab_content_flagged_says_choose_another_picture(paid_client, emulator):
    emulator.faults(content_flagged=1)
    with pytest.raises(BadRequest) as caught:
        paid_client.create("keychain_prototype", {"image_url": PNG_URI})
    assert "moderation refused the source picture" in str(caught.value)
    assert "nothing was charged" in str(caught.value)


def test_creative_lab_build_of_another_products_prototype_explains_the_404(paid_client, emulator):
    keychain = _finished_prototype(paid_client, emulator, "keychain")
    with pytest.raises(NotFound) as caught:
        paid_client.create("figure_build", {"input_task_id": keychain})
    message = str(caught.value)
    assert "A Figure build takes only a finished Figure prototype" in message
    assert "meshy.ai" in message and "nothing was charged" in message


def test_creative_lab_build_without_a_candidate_says_make_a_new_prototype(paid_client, emulator):
    emulator.faults(no_candidate=1)
    prototype = _finished_prototype(paid_client, emulator, "lamp")
    with pytest.raises(BadRequest) as caught:
        paid_client.create("lamp_build", {"input_task_id": prototype})
    assert "without a concept image" in str(caught.value)
    assert "Make a new prototype" in str(caught.value)
