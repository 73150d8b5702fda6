# Page: 00-overview-for-llms.md
# Section: Complete Code Example: Image to 3D
# Copied from the Meshy API pages (shared/meshy-api) with the line breaks the saved page
# lost restored; otherwise the page's text. tests/emulator_tests/test_doc_examples.py runs
# it against the emulator with only the base URL changed, and checks that it still matches
# the page whenever the pages are at hand.

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
