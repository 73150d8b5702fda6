"""Every family of pages 10-27: create (202 + result id), retrieve, list, stream, delete, with the
task `type` its page names and the result fields it lists."""

import pytest
import requests

from .helpers import (PNG_1x1, create, create_and_finish, cube_glb, data_uri, download, get,
                      headers, sse_events)

T2I = "/openapi/v1/text-to-image"
PNG_URI = data_uri(PNG_1x1, "image/png")


def preview(emulator):
    return create_and_finish(emulator, "/openapi/v2/text-to-3d",
                             {"mode": "preview", "prompt": "a monster mask"})["id"]


def rig(emulator):
    return create_and_finish(emulator, "/openapi/v1/rigging",
                             {"input_task_id": preview(emulator)})["id"]


def prototype(product):
    def make(emulator):
        body = {"text": "a fox"} if product == "lamp" else {"image_url": PNG_URI}
        return create_and_finish(emulator, f"/openapi/creative-lab/{product}/v1/prototype",
                                 body)["id"]
    return make


# path, body builder, expected type, result fields that must be present once SUCCEEDED
RECIPES = [
    ("/openapi/v2/text-to-3d", lambda e: {"mode": "preview", "prompt": "a chair"},
     "text-to-3d-preview", ("model_urls", "thumbnail_url", "texture_urls")),
    ("/openapi/v2/text-to-3d", lambda e: {"mode": "refine", "preview_task_id": preview(e)},
     "text-to-3d-refine", ("model_urls", "texture_urls", "thumbnail_url")),
    ("/openapi/v1/image-to-3d", lambda e: {"image_url": "https://example.com/photo.jpg"},
     "image-to-3d", ("model_urls", "texture_urls", "thumbnail_url")),
    ("/openapi/v1/multi-image-to-3d", lambda e: {"image_urls": [PNG_URI, PNG_URI]},
     "multi-image-to-3d", ("model_urls", "texture_urls", "thumbnail_url")),
    ("/openapi/v1/remesh", lambda e: {"input_task_id": preview(e)}, "remesh",
     ("model_urls", "thumbnail_url")),
    ("/openapi/v1/convert", lambda e: {"input_task_id": preview(e), "target_formats": ["stl"]},
     "convert", ("model_urls",)),
    ("/openapi/v1/resize", lambda e: {"input_task_id": preview(e), "resize_height": 1.8},
     "resize", ("model_urls",)),
    ("/openapi/v1/rigging", lambda e: {"input_task_id": preview(e)}, "rig", ("result",)),
    ("/openapi/v1/animations", lambda e: {"rig_task_id": rig(e), "action_id": 92}, "animate",
     ("result",)),
    ("/openapi/v1/retexture", lambda e: {"model_url": data_uri(cube_glb()),
                                         "text_style_prompt": "rusty metal"},
     "retexture", ("model_urls", "texture_urls", "thumbnail_url")),
    (T2I, lambda e: {"ai_model": "nano-banana", "prompt": "a dragon"}, "text-to-image",
     ("image_urls",)),
    ("/openapi/v1/image-to-image", lambda e: {"ai_model": "nano-banana", "prompt": "cyberpunk",
                                              "reference_image_urls": [PNG_URI]},
     "image-to-image", ("image_urls",)),
    ("/openapi/v1/print/multi-color", lambda e: {"input_task_id": preview(e), "max_colors": 8},
     "print-multi-color", ("model_urls",)),
    ("/openapi/v1/print/analyze", lambda e: {"input_task_id": preview(e)}, "print-analyze",
     ("printability",)),
    ("/openapi/v1/print/repair", lambda e: {"input_task_id": preview(e)}, "print-repair",
     ("model_urls", "thumbnail_url")),   # texture_urls: always [] for a repair
]
for _product in ("keychain", "fridge-magnet", "figure", "lamp"):
    RECIPES.append((f"/openapi/creative-lab/{_product}/v1/prototype",
                    (lambda p: lambda e: {"text": "a fox"} if p == "lamp" else
                     {"image_url": PNG_URI})(_product),
                    f"creative-lab-{_product}-prototype", ("image_urls",)))
    RECIPES.append((f"/openapi/creative-lab/{_product}/v1/build",
                    (lambda p: lambda e: {"input_task_id": prototype(p)(e)})(_product),
                    f"creative-lab-{_product}-build", ("model_urls",)))


def _ids(recipe):
    return recipe[2]


@pytest.mark.parametrize("path,body,kind,result_fields", RECIPES, ids=[_ids(r) for r in RECIPES])
def test_family_create_get_list_stream_delete(emulator, path, body, kind, result_fields):
    task_id = create(emulator, path, body(emulator))

    running = get(emulator, f"{path}/{task_id}").json()
    assert running["id"] == task_id and running["type"] == kind
    assert running["status"] == "PENDING" and running["progress"] == 0
    assert running["created_at"] > 1_600_000_000_000          # milliseconds, not seconds

    stream = get(emulator, f"{path}/{task_id}/stream", stream=True)
    events = sse_events(stream)
    assert {name for name, _ in events} == {"message"}
    assert all(set(data) == {"id", "progress", "status"} for _, data in events[:-1])
    final = events[-1][1]
    assert final["status"] == "SUCCEEDED" and final["progress"] == 100
    for name in result_fields:
        assert final[name], name

    listed = get(emulator, path, params={"page_size": 50}).json()
    assert task_id in [task["id"] for task in listed]
    assert all(task["type"].startswith(kind.rsplit("-", 1)[0]) for task in listed)

    # Every URL in the result answers with a real, non-empty file.
    urls = []

    def collect(value):
        if isinstance(value, str) and value.startswith(emulator.url + "/assets/"):
            urls.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)
    collect(final)
    assert urls or kind == "print-analyze"   # analysis results are data, not files
    for url in urls:
        assert "?Expires=" in url
        assert download(url)

    deleted = requests.delete(f"{emulator.url}{path}/{task_id}", headers=headers(emulator.paid_key),
                              timeout=10)
    if path.startswith("/openapi/creative-lab/"):
        # Creative Lab DELETE cancels, and a finished task cannot be cancelled.
        assert deleted.status_code == 400
    else:
        assert deleted.status_code == 200
        assert get(emulator, f"{path}/{task_id}").status_code == 404


def test_every_documented_collection_has_a_recipe():
    from tests.emulator.families import FAMILIES
    assert {family.path for family in FAMILIES} == {recipe[0] for recipe in RECIPES}
