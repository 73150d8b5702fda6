# Page: 00-overview-for-llms.md
# Section: 3. SSE Streaming (Alternative to Polling); expects API_KEY, task_id
# Copied from the Meshy API pages (shared/meshy-api) with the line breaks the saved page
# lost restored; otherwise the page's text. tests/emulator_tests/test_doc_examples.py runs
# it against the emulator with only the base URL changed, and checks that it still matches
# the page whenever the pages are at hand.

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
