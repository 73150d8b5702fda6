"""Each documented request error, produced by the request the pages say causes it, answered as
`{"message": ...}` with the documented status."""

import pytest
import requests

from .helpers import (PNG_1x1, create, create_and_finish, cube_glb, data_uri, get, headers, post,
                      sse_events)

T23D = "/openapi/v2/text-to-3d"
PNG_URI = data_uri(PNG_1x1, "image/png")


def assert_error(response, status, fragment=""):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message"}
    assert fragment.lower() in body["message"].lower()


BAD_REQUESTS = [
    # (page, path, body, message fragment)
    ("10 missing prompt", T23D, {"mode": "preview"}, "prompt"),
    ("10 missing mode", T23D, {"prompt": "a chair"}, "mode"),
    ("10 prompt too long", T23D, {"mode": "preview", "prompt": "x" * 601}, "600"),
    ("10 invalid art_style", T23D, {"mode": "preview", "prompt": "a", "art_style": "anime"},
     "art_style"),
    ("10 polycount below range", T23D, {"mode": "preview", "prompt": "a", "should_remesh": True,
                                        "target_polycount": 99}, "target_polycount"),
    ("10 polycount above range", T23D, {"mode": "preview", "prompt": "a",
                                        "target_polycount": 300_001}, "target_polycount"),
    ("10 unknown target format", T23D, {"mode": "preview", "prompt": "a",
                                        "target_formats": ["gltf"]}, "target_formats"),
    ("11 missing image", "/openapi/v1/image-to-3d", {}, "image_url"),
    ("11 gif image", "/openapi/v1/image-to-3d", {"image_url": "https://example.com/a.gif"},
     "image format"),
    ("11 malformed data uri", "/openapi/v1/image-to-3d",
     {"image_url": "data:image/png;base64,%%%"}, "data uri"),
    ("11 unreachable url", "/openapi/v1/image-to-3d",
     {"image_url": "https://no-such-host.invalid/a.png"}, "unreachable"),
    ("11 pbr without texture", "/openapi/v1/image-to-3d",
     {"image_url": PNG_URI, "should_texture": False, "enable_pbr": True}, "enable_pbr"),
    ("12 five images", "/openapi/v1/multi-image-to-3d", {"image_urls": [PNG_URI] * 5},
     "image_urls"),
    ("12 zero images", "/openapi/v1/multi-image-to-3d", {"image_urls": []}, "image_urls"),
    ("13 model extension", "/openapi/v1/remesh", {"model_url": "https://example.com/a.3dm"},
     "Invalid model file extension: .3dm"),
    ("13 auto_size with resize_height", "/openapi/v1/remesh",
     {"model_url": "https://example.com/a.glb", "auto_size": True, "resize_height": 1.0},
     "mutually exclusive"),
    ("14 missing target_formats", "/openapi/v1/convert", {"model_url": "https://example.com/a.glb"},
     "target_formats"),
    ("15 missing resize mode", "/openapi/v1/resize", {"model_url": "https://example.com/a.glb"},
     "resize mode"),
    ("15 two resize modes", "/openapi/v1/resize",
     {"model_url": "https://example.com/a.glb", "resize_height": 1, "resize_longest_side": 2},
     "mutually exclusive"),
    ("16 rig needs glb", "/openapi/v1/rigging", {"model_url": "https://example.com/a.fbx"},
     ".fbx"),
    ("16 negative height", "/openapi/v1/rigging",
     {"model_url": "https://example.com/a.glb", "height_meters": -1}, "height_meters"),
    ("17 missing action", "/openapi/v1/animations",
     {"rig_task_id": "018b314a-a1b5-716d-c222-2f1776f7f579"}, "action_id"),
    ("18 missing style", "/openapi/v1/retexture", {"model_url": "https://example.com/a.glb"},
     "style"),
    ("18 missing model", "/openapi/v1/retexture", {"text_style_prompt": "wood"}, "model_url"),
    ("19 missing ai_model", "/openapi/v1/text-to-image", {"prompt": "a"}, "ai_model"),
    ("19 aspect ratio of another model", "/openapi/v1/text-to-image",
     {"ai_model": "gpt-image-2", "prompt": "a", "aspect_ratio": "16:9"}, "aspect_ratio"),
    ("19 multi view with aspect ratio", "/openapi/v1/text-to-image",
     {"ai_model": "nano-banana", "prompt": "a", "generate_multi_view": True,
      "aspect_ratio": "1:1"}, "generate_multi_view"),
    ("20 six reference images", "/openapi/v1/image-to-image",
     {"ai_model": "nano-banana", "prompt": "a", "reference_image_urls": [PNG_URI] * 6},
     "reference_image_urls"),
    ("21 max_colors", "/openapi/v1/print/multi-color",
     {"model_url": "https://example.com/a.glb", "max_colors": 17}, "max_colors"),
    ("21 max_depth", "/openapi/v1/print/multi-color",
     {"model_url": "https://example.com/a.glb", "max_depth": 2}, "max_depth"),
    ("21 obj not accepted", "/openapi/v1/print/multi-color",
     {"model_url": "https://example.com/a.obj"}, ".obj"),
    ("22 invalid uuid", "/openapi/v1/print/analyze", {"input_task_id": "not-a-uuid"}, "uuid"),
    ("23 fbx not accepted", "/openapi/v1/print/repair", {"model_url": "https://example.com/a.fbx"},
     ".fbx"),
    ("24 missing image", "/openapi/creative-lab/keychain/v1/prototype", {}, "image_url"),
    ("24 name too long", "/openapi/creative-lab/keychain/v1/prototype",
     {"image_url": PNG_URI, "name": "n" * 101}, "name"),
    ("24 build invalid uuid", "/openapi/creative-lab/keychain/v1/build",
     {"input_task_id": "123"}, "uuid"),
    ("27 text and image", "/openapi/creative-lab/lamp/v1/prototype",
     {"text": "a", "image_url": PNG_URI}, "mutually exclusive"),
    ("27 neither text nor image", "/openapi/creative-lab/lamp/v1/prototype", {}, "text"),
    ("27 text too long", "/openapi/creative-lab/lamp/v1/prototype", {"text": "t" * 801}, "800"),
    ("27 image subject", "/openapi/creative-lab/lamp/v1/prototype",
     {"text": "a", "image_subject": "portrait"}, "image_subject"),
]


@pytest.mark.parametrize("case,path,body,fragment", BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS])
def test_bad_request(emulator, case, path, body, fragment):
    assert_error(post(emulator, path, body), 400, fragment)
    assert emulator.tasks_created == 0


@pytest.mark.parametrize("option,value", [("size_mm", 0), ("size_mm", 401), ("relief_height_mm", 21),
                                          ("curve_param", 0), ("export_resolution", 63),
                                          ("badge_shape", "triangle")])
def test_creative_build_options_out_of_range(emulator, option, value):
    parent = create_and_finish(emulator, "/openapi/creative-lab/keychain/v1/prototype",
                               {"image_url": PNG_URI})["id"]
    response = post(emulator, "/openapi/creative-lab/keychain/v1/build",
                    {"input_task_id": parent, "options": {option: value}})
    assert_error(response, 400, option)


def test_input_tasks_must_exist_succeed_and_be_of_an_allowed_kind(emulator):
    preview_id = create(emulator, T23D, {"mode": "preview", "prompt": "a chair"})
    # 10: refine of a preview that has not succeeded yet -> 400 "Task not ready".
    assert_error(post(emulator, T23D, {"mode": "refine", "preview_task_id": preview_id}), 400,
                 "not ready")
    # 10: unknown preview -> 404.
    assert_error(post(emulator, T23D, {"mode": "refine",
                                       "preview_task_id": "018a210d-8ba4-705c-b111-1f1776f7f578"}),
                 404, "not found")
    image_task = create_and_finish(emulator, "/openapi/v1/image-to-3d", {"image_url": PNG_URI})
    # 10: a refine must start from a text-to-3d preview.
    assert_error(post(emulator, T23D, {"mode": "refine", "preview_task_id": image_task["id"]}),
                 400, "text-to-3d-preview")
    # 11: image-to-3d's input task must be a text-to-image / image-to-image task with one image.
    assert_error(post(emulator, "/openapi/v1/image-to-3d", {"input_task_id": image_task["id"]}),
                 400, "input task")
    multi_view = create_and_finish(emulator, "/openapi/v1/text-to-image",
                                   {"ai_model": "nano-banana", "prompt": "a",
                                    "generate_multi_view": True})
    assert_error(post(emulator, "/openapi/v1/image-to-3d", {"input_task_id": multi_view["id"]}),
                 400, "exactly one image")
    # 12 accepts the multi-view task.
    create(emulator, "/openapi/v1/multi-image-to-3d", {"input_task_id": multi_view["id"]})
    # 17: unknown rig task -> 404; a task that is not a rig -> 400; unknown action -> 400.
    assert_error(post(emulator, "/openapi/v1/animations",
                      {"rig_task_id": "018b314a-a1b5-716d-c222-2f1776f7f579", "action_id": 92}),
                 404)
    assert_error(post(emulator, "/openapi/v1/animations",
                      {"rig_task_id": image_task["id"], "action_id": 92}), 400, "rig")
    rig = create_and_finish(emulator, "/openapi/v1/rigging", {"input_task_id": image_task["id"]})
    assert_error(post(emulator, "/openapi/v1/animations",
                      {"rig_task_id": rig["id"], "action_id": 99999}), 400, "action id")
    # 24: a build must chain from this product's own prototype (else 404).
    keychain = create_and_finish(emulator, "/openapi/creative-lab/keychain/v1/prototype",
                                 {"image_url": PNG_URI})
    assert_error(post(emulator, "/openapi/creative-lab/lamp/v1/build",
                      {"input_task_id": keychain["id"]}), 404)


def test_model_mismatch_on_refine(emulator):
    preview = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "a",
                                                 "ai_model": "meshy-5"})
    assert_error(post(emulator, T23D, {"mode": "refine", "preview_task_id": preview["id"],
                                       "ai_model": "meshy-6"}), 400, "mismatch")
    create(emulator, T23D, {"mode": "refine", "preview_task_id": preview["id"]})


def test_tasks_belong_to_their_account(emulator):
    task = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "a"})
    # Another account cannot see it (404), and analyze says 403 as its page documents.
    assert get(emulator, f"{T23D}/{task['id']}", emulator.test_key).status_code == 404
    assert_error(post(emulator, "/openapi/v1/print/analyze", {"input_task_id": task["id"]},
                      emulator.test_key), 403)
    assert_error(post(emulator, "/openapi/v1/print/repair", {"input_task_id": task["id"]},
                      emulator.test_key), 404)


def test_analyze_rejects_models_older_than_meshy_6(emulator):
    image = create_and_finish(emulator, "/openapi/v1/image-to-3d",
                              {"image_url": PNG_URI, "ai_model": "meshy-5"})
    assert_error(post(emulator, "/openapi/v1/print/analyze", {"input_task_id": image["id"]}), 404)


@pytest.mark.parametrize("auth", [None, "Token abc", "Bearer ", "Bearer msy_unknown_key"])
def test_401_without_a_valid_key(emulator, auth):
    response = requests.get(emulator.url + "/openapi/v1/balance",
                            headers={"Authorization": auth} if auth else {}, timeout=10)
    assert_error(response, 401)


def test_402_when_credits_run_out(emulator):
    emulator.set_balance(emulator.paid_key, 19)
    assert_error(post(emulator, T23D, {"mode": "preview", "prompt": "a"}), 402)
    create(emulator, T23D, {"mode": "preview", "prompt": "a", "ai_model": "meshy-5"})  # 5 credits
    assert emulator.balance(emulator.paid_key) == 14
    assert emulator.tasks_created == 1


def test_403_for_browser_cors_requests(emulator):
    response = requests.get(emulator.url + "/openapi/v1/balance", timeout=10,
                            headers={**headers(emulator.paid_key), "Origin": "https://example.com"})
    assert_error(response, 403, "cors")


def test_403_for_expired_result_links(emulator):
    task = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "a"})
    url = task["model_urls"]["glb"]
    assert task["expires_at"] - task["finished_at"] == 3 * 24 * 3600 * 1000
    assert requests.get(url, timeout=10).status_code == 200
    emulator.advance_clock(3 * 24 * 3600 + 1)
    assert requests.get(url, timeout=10).status_code == 403


def test_404_for_unknown_tasks_and_wrong_stage(emulator):
    assert_error(get(emulator, f"{T23D}/018a210d-8ba4-705c-b111-1f1776f7f578"), 404)
    proto = create(emulator, "/openapi/creative-lab/figure/v1/prototype", {"image_url": PNG_URI})
    assert get(emulator, f"/openapi/creative-lab/figure/v1/build/{proto}").status_code == 404
    stream = get(emulator, f"/openapi/creative-lab/figure/v1/build/{proto}/stream", stream=True)
    assert sse_events(stream) == [("error", {"status_code": 404, "message": "Task not found"})]
    assert get(emulator, "/openapi/v1/text-to-3d").status_code == 404   # text-to-3d is v2


def test_422_when_pose_estimation_fails(emulator):
    # A cube is not a humanoid: the rigging page's 422.
    assert_error(post(emulator, "/openapi/v1/rigging", {"model_url": data_uri(cube_glb())}), 422,
                 "pose estimation")
    create(emulator, "/openapi/v1/rigging", {"model_url": data_uri(cube_glb(height=2.5))})
    emulator.faults(rig_pose_failure=1)
    assert_error(post(emulator, "/openapi/v1/rigging", {"model_url": data_uri(cube_glb(height=2.5))}),
                 422)
    assert emulator.tasks_created == 1


def test_creative_lab_content_flagged_is_a_400_without_a_task(emulator):
    # Pages 24-27: "Content flagged" is a 400 of the prototype create; nothing is made or charged.
    path = "/openapi/creative-lab/keychain/v1/prototype"
    balance = emulator.balance(emulator.paid_key)
    emulator.faults(content_flagged=1)
    assert_error(post(emulator, path, {"image_url": PNG_URI}), 400, "content flagged")
    assert emulator.tasks_created == 0
    assert emulator.balance(emulator.paid_key) == balance
    create(emulator, path, {"image_url": PNG_URI})   # one use only


def test_creative_lab_build_of_a_prototype_without_a_candidate_is_a_400(emulator):
    prototype = "/openapi/creative-lab/figure/v1/prototype"
    emulator.faults(no_candidate=1)
    task = create_and_finish(emulator, prototype, {"image_url": PNG_URI})
    assert task["status"] == "SUCCEEDED" and task["image_urls"] == []
    balance = emulator.balance(emulator.paid_key)
    assert_error(post(emulator, "/openapi/creative-lab/figure/v1/build",
                      {"input_task_id": task["id"]}), 400, "no candidate")
    assert emulator.tasks_created == 1
    assert emulator.balance(emulator.paid_key) == balance


def test_429_rate_limit_exceeded(emulator):
    emulator.rps = 5
    statuses = [get(emulator, "/openapi/v1/balance").status_code for _ in range(8)]
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:]
    limited = get(emulator, "/openapi/v1/balance")
    assert_error(limited, 429, "RateLimitExceeded")


def test_429_no_more_concurrent_tasks(emulator):
    emulator.queue_limit = 2
    emulator.task_seconds = 30
    for _ in range(2):
        create(emulator, T23D, {"mode": "preview", "prompt": "a"})
    response = post(emulator, T23D, {"mode": "preview", "prompt": "a"})
    assert_error(response, 429, "NoMoreConcurrentTasks")
    assert emulator.tasks_created == 2
    emulator.advance_clock(31)
    create(emulator, T23D, {"mode": "preview", "prompt": "a"})


def test_invalid_list_parameters(emulator):
    assert_error(get(emulator, T23D, params={"page_size": 51}), 400, "page_size")
    assert_error(get(emulator, T23D, params={"page_num": 0}), 400, "page_num")
    assert_error(get(emulator, T23D, params={"sort_by": "name"}), 400, "sort_by")
