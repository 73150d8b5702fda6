# SPDX-License-Identifier: GPL-3.0-or-later
"""Concept images from an OpenAI-compatible `POST /v1/images/generations` (Mesh API).

`generate_images` makes the request; `ConceptImages` is the job runner the engine calls on a
worker thread in place of a Meshy task's create/follow/download, writing the images into the
job's cache folder.

Base URL, key and model are the caller's; answers may carry `url` or `b64_json` items (Vertex
models always answer b64_json, whatever was asked). With `stream=True` the server keeps the
connection alive with SSE: `data:` chunks whose `data` list is empty while it works, `: ping`
comments, a chunk with the images, and `data: [DONE]`.

A generation is paid for, and the endpoint has no way to look up a request whose answer was lost,
so it is never sent again once it may have reached the server. For the same reason an image
stream is not cut when online access goes off: the gate is asked before the request is sent.
"""

import base64
import binascii
import io
import json
import os
import re
import uuid

import requests

from . import download as _download
from . import retry
from .cancel import interrupt_on_cancel
from .errors import Cancelled, ConnectionFailed, DownloadError, MeshyError, ServerError, \
    ValidationError, request_error
from .gate import Gate
from .retry import as_policy, parse_retry_after
from .secret import Secret, get_logger, redact
from .transport import describe_connection_error, server_message, stream_chunks
from .urls import for_log, host_of, normalize_base_url

log = get_logger(__name__)

SERVICE = "the image service"
_ADVICE = {401: "Check the image service key in the add-on preferences.",
           402: "The image service account has no credit left; top it up, then try again."}
_SIZE = re.compile(r"^(auto|\d{2,5}x\d{2,5}|\d{1,2}:\d{1,2})$")
_QUALITIES = ("low", "medium", "high", "hd", "standard", "auto")
_OUTPUT_FORMATS = ("png", "jpeg", "webp")


def endpoint(base_url):
    """The generations URL for a base like https://api.meshapi.ai (or one ending in /v1)."""
    base = normalize_base_url(base_url, "image generation")
    return base + ("/images/generations" if base.endswith("/v1") else "/v1/images/generations")


def generate_images(base_url, api_key, model, prompt, n=1, size=None, response_format="url",
                    stream=False, timeout=(5, 180), quality=None, output_format=None,
                    session=None, retries=2, cancel=None, on_event=None, gate=None):
    """Generate `n` images; returns a list with a URL (str) or the image bytes for each.

    on_event(dict(status=...)) is called for stream progress chunks. Raises the same errors as
    the Meshy client (AuthError, RateLimited, ConnectionFailed, ...), naming this service.
    gate: the Gate the request passes (an always-online one when None).
    """
    key = Secret(api_key)
    gate = gate or Gate()
    if not key:
        raise MeshyError("No API key for the image service; add one in the add-on preferences.")
    body = _request_body(model, prompt, n, size, response_format, stream, quality, output_format)
    url = endpoint(base_url)
    policy = as_policy(retries)
    own_session = session is None
    session = session or requests.Session()
    try:
        for attempt in range(policy.attempts):
            gate.admit(url, "image generation")
            response = _post(session, url, key, body, stream, timeout, cancel)
            with response, interrupt_on_cancel(cancel, response):
                if response.status_code == 429:
                    error = _error(response, key, stream)
                    # A rejected request was not processed: it may be sent again.
                    if attempt + 1 < policy.attempts and (
                            error.retry_after is None
                            or error.retry_after <= policy.max_retry_after):
                        delay = policy.delay(attempt, error.retry_after)
                        log.info("image generation rate limited; retry in %.1f s", delay)
                        retry.wait(delay, cancel)
                        continue
                    raise error
                if not response.ok:
                    raise _error(response, key, stream)
                if stream and "text/event-stream" in response.headers.get("Content-Type", ""):
                    items = _read_stream(response, cancel, on_event)
                else:
                    items = _items(_json(response))
            return [_decode(item) for item in items]
        raise AssertionError("unreachable")
    finally:
        if own_session:
            session.close()


def _request_body(model, prompt, n, size, response_format, stream, quality, output_format):
    if not isinstance(model, str) or not model.strip():
        raise ValidationError("model", "is required (for example openai/gpt-image-1)")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValidationError("prompt", "is required")
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10:
        raise ValidationError("n", "must be a whole number from 1 to 10")
    if response_format not in ("url", "b64_json"):
        raise ValidationError("response_format", "must be 'url' or 'b64_json'")
    body = {"model": model, "prompt": prompt, "n": n, "response_format": response_format}
    if size is not None:
        if not isinstance(size, str) or not _SIZE.match(size):
            raise ValidationError("size", "must look like 1024x1024, an aspect ratio or 'auto'")
        body["size"] = size
    if quality is not None:
        if quality not in _QUALITIES:
            raise ValidationError("quality", f"must be one of {', '.join(_QUALITIES)}")
        body["quality"] = quality
    if output_format is not None:
        if output_format not in _OUTPUT_FORMATS:
            raise ValidationError("output_format", "must be png, jpeg or webp")
        body["output_format"] = output_format
    if stream:
        body["stream"] = True
    return json.dumps(body).encode("utf-8")


def _post(session, url, key, body, stream, timeout, cancel):
    if cancel is not None and cancel.is_set():
        raise Cancelled()
    headers = {"Authorization": key.bearer(), "Content-Type": "application/json",
               "Accept": "text/event-stream" if stream else "application/json"}
    try:
        response = session.post(url, data=body, headers=headers, timeout=timeout, stream=stream,
                                allow_redirects=False, verify=True)
    except requests.exceptions.SSLError as exc:
        raise ConnectionFailed(host_of(url), "the secure connection failed", service=SERVICE) \
            from exc
    except requests.exceptions.ConnectTimeout:
        raise ConnectionFailed(host_of(url), "no connection could be made in time",
                               service=SERVICE) from None
    except requests.exceptions.ReadTimeout:
        raise ConnectionFailed(host_of(url), "no answer in time", maybe_created=True,
                               service=SERVICE) from None
    except requests.exceptions.ConnectionError as exc:
        reason, sent = describe_connection_error(exc)
        raise ConnectionFailed(host_of(url), reason, maybe_created=sent, service=SERVICE) \
            from None
    except requests.exceptions.RequestException as exc:
        raise ConnectionFailed(host_of(url), f"the answer was unreadable ({type(exc).__name__})",
                               maybe_created=True, service=SERVICE) from None
    log.debug("POST %s -> %s", for_log(url), response.status_code)
    if response.is_redirect:
        response.close()
        raise ServerError(response.status_code, "the image service answered with a redirect",
                          service=SERVICE)
    return response


def _error(response, key, streamed):
    message = redact(server_message(response, streamed), key)
    return request_error(response.status_code, message, service=SERVICE,
                         retry_after=parse_retry_after(response.headers.get("Retry-After")),
                         advice=_ADVICE.get(response.status_code))


def _json(response):
    try:
        return response.json()
    except ValueError:
        raise ServerError(response.status_code, "the answer was not valid JSON",
                          service=SERVICE) from None


def _items(answer):
    if isinstance(answer, dict) and answer.get("error"):
        _raise_answer_error(answer["error"])
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, list) or not data:
        raise ServerError(200, "the answer held no images", service=SERVICE)
    return data


def _raise_answer_error(error):
    message = error.get("message") if isinstance(error, dict) else str(error)
    raise ServerError(502, redact(str(message or "generation failed"))[:500], service=SERVICE)


def _read_stream(response, cancel, on_event):
    """Collect the image items from an SSE answer; stops at [DONE]."""
    import sseclient

    items = []
    events = sseclient.SSEClient(stream_chunks(response)).events()
    while True:
        # Only reading is guarded, so an error from on_event reaches the caller as it is.
        try:
            event = next(events, None)
        except Exception as exc:  # noqa: BLE001 - a broken stream, whatever the layer reports
            if cancel is not None and cancel.is_set():
                raise Cancelled() from None
            raise ConnectionFailed(host_of(response.url), f"the stream broke "
                                   f"({type(exc).__name__})", maybe_created=True,
                                   service=SERVICE) from None
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        if event is None:
            if not items:
                raise ConnectionFailed(host_of(response.url), "the stream ended before [DONE]",
                                       maybe_created=True, service=SERVICE)
            break
        if event.data.strip() == "[DONE]":
            break
        try:
            chunk = json.loads(event.data)
        except ValueError:
            continue
        if not isinstance(chunk, dict):
            continue
        if chunk.get("error"):
            _raise_answer_error(chunk["error"])
        data = chunk.get("data")
        if isinstance(data, list) and data:
            items.extend(item for item in data if isinstance(item, dict))
        elif on_event is not None:
            on_event({"status": chunk.get("status", "processing")})
    if not items:
        raise ServerError(200, "the stream finished without images", service=SERVICE)
    return items


def _decode(item):
    if isinstance(item.get("b64_json"), str):
        try:
            return base64.b64decode(item["b64_json"], validate=True)
        except (binascii.Error, ValueError):
            raise ServerError(200, "an image in the answer was not valid base64",
                              service=SERVICE) from None
    if isinstance(item.get("url"), str) and item["url"]:
        return item["url"]
    raise ServerError(200, "an image in the answer had neither url nor b64_json", service=SERVICE)


# --- the job runner ---------------------------------------------------------------------------

MAX_IMAGE_BYTES = 50 * 1024 * 1024
# What Pillow may call the formats we keep, and the extension each is stored under.
_IMAGE_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


class ConceptImages:
    """One concept-image request, run as a job: `runner(folder, cancel)` -> {role: path}.

    The key stays inside the object as a Secret (its repr never shows it). gate: the Gate its
    requests pass; the job engine also makes its worker wait there while online access is off.
    """

    def __init__(self, base_url, api_key, model, prompt, size=None, n=1, gate=None):
        self.base_url = base_url
        self._api_key = Secret(api_key)
        self.gate = gate or Gate()
        self.model = model
        self.prompt = prompt
        self.size = size
        self.n = n
        self.description = f"concept image from {model}"

    def __repr__(self):
        return f"<ConceptImages {self.model} {self.prompt[:30]!r}>"

    def __call__(self, folder, cancel):
        items = generate_images(
            self.base_url, self._api_key, self.model, self.prompt, n=self.n, size=self.size,
            response_format="b64_json", stream=True, cancel=cancel, gate=self.gate)
        name = uuid.uuid4().hex[:12]
        files = {}
        with requests.Session() as session:
            for index, item in enumerate(items):
                role = "image" if index == 0 else f"image_{index}"
                if isinstance(item, str):
                    files[role] = _download.fetch(
                        session, item, folder, f"{name}_{role}.png", "png",
                        max_bytes=MAX_IMAGE_BYTES, policy=retry.RetryPolicy(), timeout=(5, 60),
                        cancel=cancel, gate=self.gate, source=self.base_url)
                else:
                    files[role] = write_image(folder, f"{name}_{role}", item)
        return files


def write_image(folder, stem, data):
    """Write image bytes atomically as <stem>.<ext>, the extension from what Pillow finds."""
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        kind = None
    if kind not in _IMAGE_EXTENSIONS:
        raise DownloadError("The image service answered with something that is not a PNG, "
                            "JPEG or WebP image")
    path = os.path.join(folder, f"{stem}.{_IMAGE_EXTENSIONS[kind]}")
    with _download.atomic_file(path) as handle:
        handle.write(data)
    return path
