"""The Python examples of shared/meshy-api/00 and 01 run against the emulator with only the base URL
changed. The pages lost their line breaks when they were saved, so each example is transcribed here
with its lines restored, and the test first proves the transcription is the page's text (same
tokens, whitespace aside) before running it."""

import re
import time
from pathlib import Path

import pytest

from tests.emulator.glb import read_glb

DOCS = Path(__file__).resolve().parents[3] / "shared" / "meshy-api"

CORRECT_PATTERN = '''
import requests, time, os
headers = {"Authorization": f"Bearer {os.environ['MESHY_API_KEY']}"}

# Step 1: Create a task
response = requests.post(
    "https://api.meshy.ai/openapi/v2/text-to-3d",
    headers=headers,
    json={"mode": "preview", "prompt": "a monster mask"},
)
task_id = response.json()["result"]

# Step 2: Poll until completion
while True:
    task = requests.get(
        f"https://api.meshy.ai/openapi/v2/text-to-3d/{task_id}",
        headers=headers,
    ).json()
    if task["status"] == "SUCCEEDED":
        break
    if task["status"] == "FAILED":
        raise Exception(task["task_error"]["message"])
    time.sleep(5)

# Step 3: Download result
model_url = task["model_urls"]["glb"]
'''

SSE_LOOP = '''
import requests, json
headers = { "Authorization": f"Bearer {API_KEY}", "Accept": "text/event-stream" }
response = requests.get(
    f"https://api.meshy.ai/openapi/v2/text-to-3d/{task_id}/stream",
    headers=headers,
    stream=True
)
for line in response.iter_lines():
    if line and line.startswith(b"data:"):
        data = json.loads(line.decode("utf-8")[5:])
        print(data["status"], data.get("progress"))
        if data["status"] in ["SUCCEEDED", "FAILED", "CANCELED"]:
            break
response.close()
'''

PREVIEW_REFINE = '''
import requests, os, time
headers = {"Authorization": f"Bearer {os.environ['MESHY_API_KEY']}"}
# 1. Create preview task
preview_resp = requests.post(
    "https://api.meshy.ai/openapi/v2/text-to-3d",
    headers=headers,
    json={ "mode": "preview", "prompt": "a monster mask", "should_remesh": True, },
)
preview_resp.raise_for_status()
preview_task_id = preview_resp.json()["result"]
# 2. Poll preview task
while True:
    task = requests.get(
        f"https://api.meshy.ai/openapi/v2/text-to-3d/{preview_task_id}",
        headers=headers,
    ).json()
    if task["status"] == "SUCCEEDED":
        break
    if task["status"] == "FAILED":
        raise Exception(task["task_error"]["message"])
    time.sleep(5)
# 3. Download preview model
with open("preview_model.glb", "wb") as f:
    f.write(requests.get(task["model_urls"]["glb"]).content)
# 4. Create refine task (texturing)
refine_resp = requests.post(
    "https://api.meshy.ai/openapi/v2/text-to-3d",
    headers=headers,
    json={ "mode": "refine", "preview_task_id": preview_task_id, "enable_pbr": True, },
)
refine_resp.raise_for_status()
refine_task_id = refine_resp.json()["result"]
# 5. Poll refine task
while True:
    task = requests.get(
        f"https://api.meshy.ai/openapi/v2/text-to-3d/{refine_task_id}",
        headers=headers,
    ).json()
    if task["status"] == "SUCCEEDED":
        break
    if task["status"] == "FAILED":
        raise Exception(task["task_error"]["message"])
    time.sleep(5)
# 6. Download refined (textured) model
with open("refined_model.glb", "wb") as f:
    f.write(requests.get(task["model_urls"]["glb"]).content)
'''

IMAGE_TO_3D = '''
import requests, os, time
headers = {"Authorization": f"Bearer {os.environ['MESHY_API_KEY']}"}
response = requests.post(
    "https://api.meshy.ai/openapi/v1/image-to-3d",
    headers=headers,
    json={ "image_url": "https://example.com/photo.jpg", "should_texture": True, "enable_pbr": True, },
)
response.raise_for_status()
task_id = response.json()["result"]
while True:
    task = requests.get(
        f"https://api.meshy.ai/openapi/v1/image-to-3d/{task_id}",
        headers=headers,
    ).json()
    if task["status"] == "SUCCEEDED":
        break
    if task["status"] == "FAILED":
        raise Exception(task["task_error"]["message"])
    time.sleep(5)
with open("model.glb", "wb") as f:
    f.write(requests.get(task["model_urls"]["glb"]).content)
'''

QUICK_START = '''
import requests
import os
import time
headers = { "Authorization": f"Bearer {os.environ['MESHY_API_KEY']}" }
# 1. Generate a preview model and get the task ID
generate_preview_request = { "mode": "preview", "prompt": "a monster mask", "should_remesh": True, }
generate_preview_response = requests.post(
    "https://api.meshy.ai/openapi/v2/text-to-3d",
    headers=headers,
    json=generate_preview_request,
)
generate_preview_response.raise_for_status()
preview_task_id = generate_preview_response.json()["result"]
print("Preview task created. Task ID:", preview_task_id)
# 2. Poll the preview task status until it's finished
preview_task = None
while True:
    preview_task_response = requests.get(
        f"https://api.meshy.ai/openapi/v2/text-to-3d/{preview_task_id}",
        headers=headers,
    )
    preview_task_response.raise_for_status()
    preview_task = preview_task_response.json()
    if preview_task["status"] == "SUCCEEDED":
        print("Preview task finished.")
        break
    print("Preview task status:", preview_task["status"], "| Progress:", preview_task["progress"], "| Retrying in 5 seconds...")
    time.sleep(5)
# 3. Download the preview model in glb format
preview_model_url = preview_task["model_urls"]["glb"]
preview_model_response = requests.get(preview_model_url)
preview_model_response.raise_for_status()
with open("preview_model.glb", "wb") as f:
    f.write(preview_model_response.content)
print("Preview model downloaded.")
# 4. Generate a refined model and get the task ID
generate_refined_request = { "mode": "refine", "preview_task_id": preview_task_id, }
generate_refined_response = requests.post(
    "https://api.meshy.ai/openapi/v2/text-to-3d",
    headers=headers,
    json=generate_refined_request,
)
generate_refined_response.raise_for_status()
refined_task_id = generate_refined_response.json()["result"]
print("Refined task created. Task ID:", refined_task_id)
# 5. Poll the refined task status until it's finished
refined_task = None
while True:
    refined_task_response = requests.get(
        f"https://api.meshy.ai/openapi/v2/text-to-3d/{refined_task_id}",
        headers=headers,
    )
    refined_task_response.raise_for_status()
    refined_task = refined_task_response.json()
    if refined_task["status"] == "SUCCEEDED":
        print("Refined task finished.")
        break
    print("Refined task status:", refined_task["status"], "| Progress:", refined_task["progress"], "| Retrying in 5 seconds...")
    time.sleep(5)
# 6. Download the refined model in glb format
refined_model_url = refined_task["model_urls"]["glb"]
refined_model_response = requests.get(refined_model_url)
refined_model_response.raise_for_status()
with open("refined_model.glb", "wb") as f:
    f.write(refined_model_response.content)
print("Refined model downloaded.")
'''


def squash(text):
    return re.sub(r"\s+", "", text)


@pytest.fixture
def run_example(emulator, monkeypatch, tmp_path):
    """exec() a doc example with only the base URL changed, the test key in MESHY_API_KEY, fast
    sleeps and the working directory in tmp_path. The examples wait 5 s between polls; scaled to
    0.2 s they still stay under the documented 20 requests per second."""
    real_sleep = time.sleep
    monkeypatch.setattr(time, "sleep", lambda seconds: real_sleep(seconds * 0.04))
    monkeypatch.setenv("MESHY_API_KEY", emulator.test_key)
    monkeypatch.chdir(tmp_path)

    def run(source, page, **names):
        assert squash(source) in squash((DOCS / page).read_text()), "transcription drifted"
        namespace = dict(names)
        exec(compile(source.replace("https://api.meshy.ai", emulator.url), page, "exec"), namespace)
        return namespace
    return run


def test_overview_correct_pattern(run_example):
    result = run_example(CORRECT_PATTERN, "00-overview-for-llms.md")
    assert result["task"]["status"] == "SUCCEEDED"
    assert result["model_url"].endswith(".glb?Expires=" + result["model_url"].rsplit("=", 1)[1])


def test_overview_preview_then_refine(run_example, tmp_path):
    result = run_example(PREVIEW_REFINE, "00-overview-for-llms.md")
    assert result["task"]["type"] == "text-to-3d-refine"
    for name in ("preview_model.glb", "refined_model.glb"):
        read_glb((tmp_path / name).read_bytes())
    refined, _ = read_glb((tmp_path / "refined_model.glb").read_bytes())
    assert len(refined["images"]) >= 3          # enable_pbr: base colour, metallic-roughness, normal


def test_overview_image_to_3d(run_example, tmp_path):
    run_example(IMAGE_TO_3D, "00-overview-for-llms.md")
    doc, _ = read_glb((tmp_path / "model.glb").read_bytes())
    assert doc["materials"][0]["pbrMetallicRoughness"]["baseColorTexture"]


def test_overview_sse_loop(run_example, emulator, capsys):
    from .helpers import create
    task_id = create(emulator, "/openapi/v2/text-to-3d", {"mode": "preview", "prompt": "a mask"},
                     emulator.test_key)
    run_example(SSE_LOOP, "00-overview-for-llms.md", API_KEY=emulator.test_key, task_id=task_id)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("PENDING")
    assert any(line.startswith("IN_PROGRESS") for line in lines)
    assert lines[-1] == "SUCCEEDED 100"


def test_quick_start_put_it_together(run_example, tmp_path, capsys):
    run_example(QUICK_START, "01-quick-start.md")
    output = capsys.readouterr().out
    assert "Refined model downloaded." in output
    assert "| Progress:" in output                 # the examples saw a running task at least once
    read_glb((tmp_path / "refined_model.glb").read_bytes())


def test_test_mode_key_consumes_no_credits(run_example, emulator):
    before = emulator.balance(emulator.test_key)
    run_example(PREVIEW_REFINE, "00-overview-for-llms.md")
    assert emulator.balance(emulator.test_key) == before
    assert emulator.tasks_created_by(emulator.test_key) == 2
