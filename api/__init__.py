# SPDX-License-Identifier: GPL-3.0-or-later
"""The Meshy API client: plain Python (requests, sseclient-py, Pillow), never bpy.

    from .api import MeshyClient, image_data_uri
    client = MeshyClient(key)
    task_id = client.create("text_to_3d_preview", {"prompt": "a monster mask"})
    task = client.follow("text_to_3d_preview", task_id, on_event=print, cancel=stop_event)
    for f in result_files("text_to_3d_preview", task):
        client.download(f.url, cache_dir, task_id, "text_to_3d_preview", f.role, f.fmt)

Modules: client (HTTP, retries, create-once), gate (the one gate every request passes: https,
online access, redirects), secret (keys kept out of every message and log), tasks (the family table: validation, cost, result
files), stream (following a task), download (checked, atomic downloads), media (data URIs),
images (concept images from an OpenAI-compatible service, and the job runner for them), errors (what can go wrong).
Pillow and sseclient are imported only by the functions that need them.
"""

from .client import DEFAULT_BASE_URL, MeshyClient
from .errors import (AuthError, BadRequest, Cancelled, ConnectionFailed, DownloadError,
                     FollowTimeout, Forbidden, InputError, InsecureURL, InsufficientCredits,
                     InvalidKey, MeshyError, NotFound, NotMeshyAPI, OnlineAccessDisabled,
                     RateLimited, RequestError, ServerError, TaskCanceled, TaskFailed,
                     Unprocessable, ValidationError)
from .gate import Gate
from .images import ConceptImages, generate_images
from .media import DataURI, image_data_uri, model_data_uri
from .retry import RetryPolicy
from .tasks import KINDS, ResultFile, cost, family, result_files, validate

__all__ = [
    "MeshyClient", "DEFAULT_BASE_URL", "RetryPolicy", "Gate",
    "KINDS", "family", "validate", "cost", "result_files", "ResultFile",
    "image_data_uri", "model_data_uri", "DataURI", "generate_images", "ConceptImages",
    "MeshyError", "ValidationError", "InputError", "InsecureURL", "Cancelled",
    "ConnectionFailed", "DownloadError", "FollowTimeout", "RequestError", "BadRequest",
    "AuthError", "InsufficientCredits", "Forbidden", "NotFound", "Unprocessable", "RateLimited",
    "ServerError", "TaskFailed", "TaskCanceled", "InvalidKey", "NotMeshyAPI",
    "OnlineAccessDisabled",
]
