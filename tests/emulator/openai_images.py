"""The OpenAI-compatible `POST /v1/images/generations` of shared/mesh-api/image-generation.page.txt.

Answers carry `url` (served from the emulator) or `b64_json`; Vertex models always answer b64_json,
as the page says. With `stream: true` the body is the documented keep-alive sequence: a processing
chunk, `: ping` comments while "generating", the final chunk with the data, then `data: [DONE]`.
Errors use the OpenAI shape `{"error": {"message", "type"}}`, since the service is OpenAI-compatible
and the page documents no other. Images are always PNG (reported as such in `output_format`).
"""

import base64
import json
import re
import time
import uuid

from . import images

QUALITIES = ("low", "medium", "high", "hd", "standard", "auto")
OUTPUT_FORMATS = ("png", "jpeg", "webp")


class ImageRequestError(ValueError):
    def __init__(self, message):
        super().__init__(message)
        self.body = {"error": {"message": message, "type": "invalid_request_error"}}


def _size(value):
    if value in (None, "auto"):
        return 1024, 1024
    match = re.fullmatch(r"(\d{2,5})x(\d{2,5})", value) if isinstance(value, str) else None
    if match:
        return int(match.group(1)), int(match.group(2))
    match = re.fullmatch(r"(\d{1,2}):(\d{1,2})", value) if isinstance(value, str) else None
    if match:
        w, h = int(match.group(1)), int(match.group(2))
        return (1024, round(1024 * h / w)) if w >= h else (round(1024 * w / h), 1024)
    raise ImageRequestError(f"Invalid size {value!r}: use WIDTHxHEIGHT, an aspect ratio or auto")


def parse(body):
    if not isinstance(body.get("prompt"), str) or not body["prompt"]:
        raise ImageRequestError("prompt is required")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise ImageRequestError("model is required")
    n = body.get("n", 1)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10:
        raise ImageRequestError("n must be an integer between 1 and 10")
    quality = body.get("quality", "auto")
    if quality not in QUALITIES:
        raise ImageRequestError("quality must be one of " + ", ".join(QUALITIES))
    if body.get("output_format", "png") not in OUTPUT_FORMATS:
        raise ImageRequestError("output_format must be one of " + ", ".join(OUTPUT_FORMATS))
    response_format = body.get("response_format", "url")
    if response_format not in ("url", "b64_json"):
        raise ImageRequestError("response_format must be url or b64_json")
    if body["model"].startswith("vertex/"):
        response_format = "b64_json"
    if not isinstance(body.get("stream", False), bool):
        raise ImageRequestError("stream must be a boolean")
    width, height = _size(body.get("size"))
    return {"prompt": body["prompt"], "model": body["model"], "n": n, "quality": quality,
            "response_format": response_format, "width": width, "height": height,
            "stream": body.get("stream", False)}


def generate(request, store, base_url):
    """The response body (without streaming); PNGs are kept in the store for `url` answers."""
    image_id = "img-" + uuid.uuid4().hex
    data, files = [], {}
    for index in range(request["n"]):
        png = images.pattern_png(request["width"], request["height"],
                                 f"{request['prompt']}|{index}", "openai")
        if request["response_format"] == "b64_json":
            item = {"b64_json": base64.b64encode(png).decode()}
        else:
            name = f"image_{index}.png"
            files[name] = png
            item = {"url": f"{base_url}/assets/{image_id}/{name}?Expires="
                           f"{int(store.now()) + 3 * 24 * 3600}"}
        item["revised_prompt"] = request["prompt"]
        data.append(item)
    with store.lock:
        store.blobs[image_id] = (store.now() + 3 * 24 * 3600, files)
    body = {"created": int(time.time()), "data": data, "output_format": "png",
            "quality": request["quality"], "size": f"{request['width']}x{request['height']}"}
    if not request["model"].startswith("vertex/"):
        tokens = len(request["prompt"].split())
        body["usage"] = {"prompt_tokens": tokens, "completion_tokens": 1000 * request["n"],
                         "total_tokens": tokens + 1000 * request["n"]}
    return image_id, body


def stream(handler, emulator, request, base_url):
    """The documented keep-alive sequence, written as chunked SSE."""
    from .sse import EventWriter
    writer = EventWriter(handler)
    writer.start()
    created = int(time.time())
    first = {"id": "img-pending", "object": "image.chunk", "created": created,
             "model": request["model"], "data": [], "status": "processing"}
    writer.write(f"data: {json.dumps(first)}\n\n".encode())
    deadline = time.monotonic() + emulator.task_seconds
    while time.monotonic() < deadline and not emulator.stopping:
        time.sleep(min(emulator.sse_interval * 2, max(0.0, deadline - time.monotonic())))
        writer.write(b": ping\n\n")
    image_id, body = generate(request, emulator.store, base_url)
    final = {"id": image_id, "object": "image.chunk", "created": created, "data": body["data"]}
    writer.write(f"data: {json.dumps(final)}\n\n".encode())
    writer.write(b"data: [DONE]\n\n")
    writer.end()


def stream_error(handler, message):
    """A stream that starts as usual and then fails: the processing chunk, then an error chunk in
    the OpenAI shape (the HTTP status, 200, was sent before the failure)."""
    from .sse import EventWriter
    writer = EventWriter(handler)
    writer.start()
    first = {"id": "img-pending", "object": "image.chunk", "created": int(time.time()),
             "data": [], "status": "processing"}
    writer.write(f"data: {json.dumps(first)}\n\n".encode())
    error = {"error": {"message": message, "type": "invalid_request_error"}}
    writer.write(f"data: {json.dumps(error)}\n\n".encode())
    writer.write(b"data: [DONE]\n\n")
    writer.end()
