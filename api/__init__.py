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
Pillow and sseclient are imported only by the functions that need them, and the package itself
imports its modules only when a name is first used.
"""

import importlib

# Where each public name lives. Loaded on first use (PEP 562), so `from .api import tasks` (the
# interface reads its facts from there at registration) does not import requests and the client.
_HOMES = {
    "MeshyClient": "client", "DEFAULT_BASE_URL": "client", "RetryPolicy": "retry",
    "Gate": "gate",
    "KINDS": "tasks", "family": "tasks", "validate": "tasks", "cost": "tasks",
    "result_files": "tasks", "ResultFile": "tasks",
    "image_data_uri": "media", "model_data_uri": "media", "DataURI": "media",
    "generate_images": "images", "ConceptImages": "images",
    **{name: "errors" for name in (
        "MeshyError", "ValidationError", "InputError", "InsecureURL", "Cancelled",
        "ConnectionFailed", "DownloadError", "FollowTimeout", "RequestError", "BadRequest",
        "AuthError", "InsufficientCredits", "Forbidden", "NotFound", "Unprocessable",
        "RateLimited", "ServerError", "TaskFailed", "TaskCanceled", "InvalidKey", "NotMeshyAPI",
        "OnlineAccessDisabled")},
}

__all__ = list(_HOMES)


def __getattr__(name):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value
