# Page: 00-overview-for-llms.md
# Section: 2. Asynchronous Task Model, "Correct pattern"
# Copied from the Meshy API pages (shared/meshy-api) with the line breaks the saved page
# lost restored; otherwise the page's text. tests/emulator_tests/test_doc_examples.py runs
# it against the emulator with only the base URL changed, and checks that it still matches
# the page whenever the pages are at hand.

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
