# SPDX-License-Identifier: GPL-3.0-or-later
"""Concept images from an OpenAI-compatible endpoint, saved into the cache as files.

Runs on a job's worker thread (no bpy): the engine calls `ConceptImages(...)(folder, cancel)` in
place of the create/follow/download of a Meshy task, and imports the files it returns like any
image result.
"""

import os
import tempfile
import uuid

from .api import download as _download
from .api import images_openai
from .api.errors import DownloadError

MAX_IMAGE_BYTES = 50 * 1024 * 1024


class ConceptImages:
    """A picklable-enough description of one request; the key stays inside the object."""

    def __init__(self, base_url, api_key, model, prompt, size=None, n=1):
        self.base_url = base_url
        self._api_key = api_key
        self.model = model
        self.prompt = prompt
        self.size = size
        self.n = n
        self.description = f"concept image from {model}"

    def __repr__(self):
        return f"<ConceptImages {self.model} {self.prompt[:30]!r}>"

    def __call__(self, folder, cancel):
        items = images_openai.generate_images(
            self.base_url, self._api_key, self.model, self.prompt, n=self.n, size=self.size,
            response_format="b64_json", stream=True, cancel=cancel)
        name = uuid.uuid4().hex[:12]
        files = {}
        for index, item in enumerate(items):
            role = "image" if index == 0 else f"image_{index}"
            if isinstance(item, str):
                import requests
                from .api.retry import RetryPolicy
                with requests.Session() as session:
                    files[role] = _download.fetch(
                        session, item, folder, f"{name}_{role}.png", "png",
                        max_bytes=MAX_IMAGE_BYTES, policy=RetryPolicy(), timeout=(5, 60),
                        cancel=cancel)
            else:
                files[role] = _write_image(folder, f"{name}_{role}", item)
        return files


def _write_image(folder, stem, data):
    """Write image bytes atomically, named by what they are (PNG, JPEG or WebP)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        ext = "png"
    elif data.startswith(b"\xff\xd8\xff"):
        ext = "jpg"
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        ext = "webp"
    else:
        raise DownloadError("The image service answered with something that is not an image")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{stem}.{ext}")
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return path
