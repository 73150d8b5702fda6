"""Tasks on a clock: statuses, progress, timestamps, queue position, credits and refunds, lists."""

import time

import pytest
import requests

from .helpers import PNG_1x1, create, create_and_finish, data_uri, finish, get, headers

T23D = "/openapi/v2/text-to-3d"
PNG_URI = data_uri(PNG_1x1, "image/png")


def test_pending_in_progress_succeeded(emulator):
    emulator.task_seconds = 10
    task_id = create(emulator, T23D, {"mode": "preview", "prompt": "a"})
    pending = get(emulator, f"{T23D}/{task_id}").json()
    assert (pending["status"], pending["progress"], pending["started_at"],
            pending["finished_at"], pending["expires_at"]) == ("PENDING", 0, 0, 0, 0)
    assert pending["model_urls"] == {}
    emulator.advance_clock(3)
    early = get(emulator, f"{T23D}/{task_id}").json()
    emulator.advance_clock(4)
    late = get(emulator, f"{T23D}/{task_id}").json()
    assert early["status"] == late["status"] == "IN_PROGRESS"
    assert 0 < early["progress"] < late["progress"] < 100
    assert early["started_at"] >= early["created_at"]
    done = finish(emulator, T23D, task_id)
    assert done["status"] == "SUCCEEDED" and done["progress"] == 100
    assert done["created_at"] <= done["started_at"] <= done["finished_at"]
    assert done["finished_at"] - done["created_at"] == pytest.approx(10_000, abs=2)
    assert done["expires_at"] == done["finished_at"] + 3 * 24 * 3600 * 1000


def test_preceding_tasks_counts_earlier_pending_tasks(emulator):
    emulator.task_seconds = 10
    ids = [create(emulator, T23D, {"mode": "preview", "prompt": "a"}) for _ in range(3)]
    assert [get(emulator, f"{T23D}/{i}").json()["preceding_tasks"] for i in ids] == [0, 1, 2]


PRICES = [
    (T23D, {"mode": "preview", "prompt": "a"}, 20),
    (T23D, {"mode": "preview", "prompt": "a", "ai_model": "meshy-5"}, 5),
    (T23D, {"mode": "preview", "prompt": "a", "ai_model": "meshy-5", "model_type": "lowpoly"}, 20),
    ("/openapi/v1/image-to-3d", {"image_url": PNG_URI}, 30),
    ("/openapi/v1/image-to-3d", {"image_url": PNG_URI, "should_texture": False}, 20),
    ("/openapi/v1/image-to-3d", {"image_url": PNG_URI, "ai_model": "meshy-5"}, 15),
    ("/openapi/v1/image-to-3d", {"image_url": PNG_URI, "ai_model": "meshy-5",
                                 "should_texture": False}, 5),
    ("/openapi/v1/multi-image-to-3d", {"image_urls": [PNG_URI]}, 30),
    ("/openapi/v1/remesh", {"model_url": "https://example.com/a.glb"}, 5),
    ("/openapi/v1/convert", {"model_url": "https://example.com/a.glb", "target_formats": ["fbx"]}, 1),
    ("/openapi/v1/resize", {"model_url": "https://example.com/a.glb", "auto_size": True}, 1),
    ("/openapi/v1/rigging", {"model_url": "https://example.com/a.glb"}, 5),
    ("/openapi/v1/retexture", {"model_url": "https://example.com/a.glb",
                               "text_style_prompt": "wood"}, 10),
    ("/openapi/v1/text-to-image", {"ai_model": "nano-banana-pro", "prompt": "a"}, 9),
    ("/openapi/v1/image-to-image", {"ai_model": "gpt-image-2", "prompt": "a",
                                    "reference_image_urls": [PNG_URI]}, 12),
    ("/openapi/v1/print/multi-color", {"model_url": "https://example.com/a.glb"}, 10),
    ("/openapi/v1/print/analyze", {"model_url": "https://example.com/a.glb"}, 0),
    ("/openapi/v1/print/repair", {"model_url": "https://example.com/a.glb"}, 10),
    ("/openapi/creative-lab/keychain/v1/prototype", {"image_url": PNG_URI}, 6),
]


@pytest.mark.parametrize("path,body,price", PRICES, ids=[f"{p[0]}-{p[2]}" for p in PRICES])
def test_consumed_credits_follow_the_pricing_page(emulator, path, body, price):
    task = create_and_finish(emulator, path, body)
    assert task["consumed_credits"] == price
    assert emulator.balance(emulator.paid_key) == 1000 - price


def test_creative_lab_build_costs_30(emulator):
    parent = create_and_finish(emulator, "/openapi/creative-lab/lamp/v1/prototype", {"text": "a"})
    build = create_and_finish(emulator, "/openapi/creative-lab/lamp/v1/build",
                              {"input_task_id": parent["id"]})
    assert build["consumed_credits"] == 30
    assert emulator.balance(emulator.paid_key) == 1000 - 6 - 30


def test_failed_tasks_are_refunded(emulator):
    emulator.faults(fail_tasks={"code": "image_too_complex"})
    task_id = create(emulator, "/openapi/v1/image-to-3d", {"image_url": PNG_URI})
    running = get(emulator, f"/openapi/v1/image-to-3d/{task_id}").json()
    assert running["consumed_credits"] == 30
    assert emulator.balance(emulator.paid_key) == 970
    failed = finish(emulator, "/openapi/v1/image-to-3d", task_id)
    assert failed["status"] == "FAILED" and failed["consumed_credits"] == 0
    assert failed["task_error"] == {
        "type": "invalid_input", "code": "image_too_complex",
        "message": "The uploaded image is too complex for 3D generation.",
        "doc_url": "https://docs.meshy.ai/en/api/errors#image-too-complex"}
    assert emulator.balance(emulator.paid_key) == 1000


def test_moderation_blocks_flagged_prompts(emulator):
    task = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "nsfw statue",
                                              "moderation": True})
    assert task["status"] == "FAILED" and task["task_error"]["code"] == "moderation_blocked"
    task = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "nsfw statue"})
    assert task["status"] == "SUCCEEDED"


def test_test_mode_key_is_free(emulator):
    task = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "a"}, emulator.test_key)
    assert task["consumed_credits"] == 0
    assert get(emulator, "/openapi/v1/balance", emulator.test_key).json() == {"balance": 1000}


def test_target_formats_omit_formats_not_requested(emulator):
    default = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "a"})
    assert set(default["model_urls"]) == {"glb", "fbx", "obj", "mtl", "stl", "usdz"}
    chosen = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "a",
                                                "target_formats": ["glb", "3mf"]})
    assert set(chosen["model_urls"]) == {"glb", "3mf"}
    remesh = create_and_finish(emulator, "/openapi/v1/remesh", {"input_task_id": default["id"]})
    assert set(remesh["model_urls"]) == {"glb"}                   # remesh defaults to GLB only
    repair = create_and_finish(emulator, "/openapi/v1/print/repair",
                               {"input_task_id": default["id"]})
    assert repair["model_urls"]["glb"] and repair["model_urls"]["fbx"] == ""   # page 23's shape


def test_pbr_maps_follow_enable_pbr_and_model(emulator):
    preview = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "a"})["id"]
    plain = create_and_finish(emulator, T23D, {"mode": "refine", "preview_task_id": preview})
    assert set(plain["texture_urls"][0]) == {"base_color"}
    pbr = create_and_finish(emulator, T23D, {"mode": "refine", "preview_task_id": preview,
                                             "enable_pbr": True})
    assert set(pbr["texture_urls"][0]) == {"base_color", "metallic", "roughness", "normal",
                                           "emission"}
    old = create_and_finish(emulator, "/openapi/v1/image-to-3d",
                            {"image_url": PNG_URI, "ai_model": "meshy-5", "enable_pbr": True})
    assert "emission" not in old["texture_urls"][0] and "normal" in old["texture_urls"][0]


def test_list_pagination_and_sorting(emulator):
    ids = [create(emulator, T23D, {"mode": "preview", "prompt": str(i)}) for i in range(5)]
    newest_first = [t["id"] for t in get(emulator, T23D, params={"page_size": 50}).json()]
    assert newest_first == ids[::-1]
    oldest_first = [t["id"] for t in get(emulator, T23D, params={"sort_by": "+created_at",
                                                                 "page_size": 2,
                                                                 "page_num": 2}).json()]
    assert oldest_first == ids[2:4]
    assert len(get(emulator, T23D).json()) == 5            # default page size 10
    # Lists are per account and per collection.
    assert get(emulator, T23D, emulator.test_key).json() == []
    assert get(emulator, "/openapi/v1/image-to-3d").json() == []


def test_delete_removes_and_creative_lab_cancels(emulator):
    emulator.task_seconds = 10
    task_id = create(emulator, T23D, {"mode": "preview", "prompt": "a"})
    response = requests.delete(f"{emulator.url}{T23D}/{task_id}", headers=headers(emulator.paid_key),
                               timeout=10)
    assert response.status_code == 200
    assert get(emulator, f"{T23D}/{task_id}").status_code == 404

    proto = "/openapi/creative-lab/keychain/v1/prototype"
    pending = create(emulator, proto, {"image_url": PNG_URI})
    running = create(emulator, proto, {"image_url": PNG_URI})
    assert emulator.balance(emulator.paid_key) == 1000 - 20 - 12
    response = requests.delete(f"{emulator.url}{proto}/{pending}", headers=headers(emulator.paid_key),
                               timeout=10)
    assert response.status_code == 204 and response.content == b""
    assert get(emulator, f"{proto}/{pending}").json()["status"] == "CANCELED"
    assert emulator.balance(emulator.paid_key) == 1000 - 20 - 6     # PENDING: refunded
    emulator.advance_clock(5)
    requests.delete(f"{emulator.url}{proto}/{running}", headers=headers(emulator.paid_key), timeout=10)
    assert get(emulator, f"{proto}/{running}").json()["consumed_credits"] == 6   # IN_PROGRESS: kept
    again = requests.delete(f"{emulator.url}{proto}/{running}", headers=headers(emulator.paid_key),
                            timeout=10)
    assert again.status_code == 400


def test_cli_prints_its_url_and_serves(tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen([sys.executable, "-m", "tests.emulator", "--port", "0", "--credits",
                                "42", "--task-seconds", "0.2"], cwd=root, stdout=subprocess.PIPE,
                               text=True)
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("Meshy emulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        balance = requests.get(url + "/openapi/v1/balance",
                               headers=headers("msy_emulator_paid_key"), timeout=10)
        assert balance.json() == {"balance": 42}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_progress_rises_in_real_time(emulator):
    emulator.task_seconds = 1.0
    task_id = create(emulator, T23D, {"mode": "preview", "prompt": "a"})
    seen = []
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        task = get(emulator, f"{T23D}/{task_id}").json()
        seen.append((task["status"], task["progress"]))
        if task["status"] == "SUCCEEDED":
            break
        time.sleep(0.1)
    statuses = [s for s, _ in seen]
    assert statuses[0] == "PENDING" and statuses[-1] == "SUCCEEDED" and "IN_PROGRESS" in statuses
    progress = [p for _, p in seen]
    assert progress == sorted(progress)
