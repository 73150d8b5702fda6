# SPDX-License-Identifier: GPL-3.0-or-later
"""Which key, which server, and whether Blender may go online: the add-on's single answer.

The key comes from the MESHY_API_KEY environment variable when it is set (it wins), otherwise
from the add-on preferences. It is read at the moment a client is made and never copied onto
Scene data, into a log or into an exception message.
"""

import os
from urllib.parse import urlsplit

import bpy

ENV_KEY = "MESHY_API_KEY"
# Published in Meshy's quick start: answers like the real API and spends no credits.
TEST_MODE_KEY = "msy_dummy_api_key_for_test_mode_12345678"
DEFAULT_BASE_URL = "https://api.meshy.ai"


class ConnectionSetupError(Exception):
    """The add-on cannot talk to Meshy as configured; the message says what to change."""


def preferences(context=None):
    return (context or bpy.context).preferences.addons[__package__].preferences


def api_key(context=None):
    """The key to use, or "" when none is set."""
    return os.environ.get(ENV_KEY, "").strip() or preferences(context).api_key.strip()


def key_source(context=None):
    """One of "environment", "test", "preferences", "missing", for the account strip."""
    if os.environ.get(ENV_KEY, "").strip():
        return "environment"
    key = preferences(context).api_key.strip()
    if not key:
        return "missing"
    return "test" if key == TEST_MODE_KEY else "preferences"


def is_loopback_host(host):
    # Imported here: the api package brings requests, which register() need not pay for.
    from .api.urls import is_loopback_host as check
    return check(host)


def base_url_problem(url):
    """Why this base URL cannot be used, or "" when it is fine."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "The API base URL must look like https://api.meshy.ai"
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return ("Plain http is only allowed for this computer (localhost, 127.0.0.1); "
                "use https:// for " + parts.hostname)
    return ""


def base_url(context=None):
    return preferences(context).base_url.strip().rstrip("/") or DEFAULT_BASE_URL


def needs_online_access(url):
    """Loopback servers (the emulator, a local proxy) are not "online"."""
    return not is_loopback_host(urlsplit(url).hostname)


def offline_reason(context=None, url=None):
    """Why the network may not be used right now for `url` (default: the Meshy API), or ""."""
    if needs_online_access(url or base_url(context)) and not bpy.app.online_access:
        return ("Online access is disabled. Allow it in Preferences > System > Network "
                "(\"Allow Online Access\"), then try again")
    return ""


def make_client(context=None):
    """A MeshyClient for the configured key and server, or ConnectionSetupError saying why not.

    Call on the main thread (it reads preferences); the client itself is then safe to hand to a
    worker thread.
    """
    url = base_url(context)
    problem = base_url_problem(url)
    if problem:
        raise ConnectionSetupError(problem)
    reason = offline_reason(context)
    if reason:
        raise ConnectionSetupError(reason)
    key = api_key(context)
    if not key:
        raise ConnectionSetupError(
            "No Meshy API key. Add one in Edit > Preferences > Add-ons > Meshy for Blender, "
            "or set the MESHY_API_KEY environment variable")
    from .api.client import MeshyClient
    return MeshyClient(key, base_url=url)
