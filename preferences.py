# SPDX-License-Identifier: GPL-3.0-or-later
"""Add-on preferences, and the connection policy built on them: which key, which server, whether
Blender may go online, and the one client per (key, server).

Preferences live in Blender's user preferences, never in a .blend file, which is why the key is
kept here (PASSWORD subtype: drawn as dots, never printed). The key comes from the MESHY_API_KEY
environment variable when it is set (it wins), otherwise from these preferences. It is read at
the moment a client is made and never copied onto Scene data, into a log or into a message.
"""

import os
from urllib.parse import urlsplit

import bpy
from bpy.props import EnumProperty, IntProperty, StringProperty

from .api.urls import DEFAULT_BASE_URL, is_loopback_host

ENV_KEY = "MESHY_API_KEY"
# Published in Meshy's quick start: answers like the real API and spends no credits.
TEST_MODE_KEY = "msy_dummy_api_key_for_test_mode_12345678"


_clients = {}  # (key, base URL) -> MeshyClient


class ConnectionSetupError(Exception):
    """The add-on cannot talk to Meshy as configured; the message says what to change."""


def get(context=None):
    """This add-on's preferences."""
    return (context or bpy.context).preferences.addons[__package__].preferences


def api_key(context=None):
    """The key to use, or "" when none is set."""
    return os.environ.get(ENV_KEY, "").strip() or get(context).api_key.strip()


def key_source(context=None):
    """One of "environment", "test", "preferences", "missing", for the account strip."""
    if os.environ.get(ENV_KEY, "").strip():
        return "environment"
    key = get(context).api_key.strip()
    if not key:
        return "missing"
    return "test" if key == TEST_MODE_KEY else "preferences"


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
    return get(context).base_url.strip().rstrip("/") or DEFAULT_BASE_URL


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
    client = _clients.get((key, url))
    if client is None:
        from .api.client import MeshyClient
        # One client (one requests.Session, one connection pool) per key and server, shared by
        # every job and call: connections are reused instead of a TLS handshake per request.
        client = _clients[(key, url)] = MeshyClient(key, base_url=url)
    return client


def close_clients():
    """Close every client's session (unregister)."""
    for client in _clients.values():
        client.close()
    _clients.clear()


class MESHY_AddonPreferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    api_key: StringProperty(
        name="API Key",
        description="Your Meshy API key (starts with msy_). Create one at meshy.ai > Settings > API",
        subtype='PASSWORD',
    )
    base_url: StringProperty(
        name="API Base URL",
        description="Where the Meshy API is served. Plain http is accepted only for this computer",
        default=DEFAULT_BASE_URL,
    )
    max_in_flight: IntProperty(
        name="Tasks in Flight",
        description="How many Meshy tasks run at once; more wait here in order "
                    "(10 on Meshy's Pro tier, 20 on Studio)",
        default=10, min=1, max=50,
    )
    model_format: EnumProperty(
        name="Model Format",
        description="Which file to import when a task offers several",
        items=(
            ('glb', "GLB", "glTF binary: materials and animation come through best"),
            ('fbx', "FBX", "Autodesk FBX, when the task provides it"),
            ('obj', "OBJ", "Wavefront OBJ, when the task provides it"),
        ),
        default='glb',
    )
    texture_resolution: EnumProperty(
        name="Texture Resolution",
        description="Largest side of the textures brought into Blender. Smaller textures load "
                    "and draw faster; the files as Meshy sent them stay in the cache",
        items=(
            ('ORIGINAL', "Original", "Textures as Meshy made them (up to 4096 pixels)"),
            ('2048', "2048", "At most 2048 pixels on the longest side"),
            ('1024', "1024", "At most 1024 pixels on the longest side"),
        ),
        default='ORIGINAL',
    )
    image_base_url: StringProperty(
        name="Image API Base URL",
        description="An OpenAI-compatible /v1/images/generations endpoint for concept images "
                    "(leave empty to use Meshy's own Text to Image)",
        default="",
    )
    image_api_key: StringProperty(
        name="Image API Key",
        description="Key for the OpenAI-compatible image endpoint",
        subtype='PASSWORD',
    )
    image_model: StringProperty(
        name="Image Model",
        description="Model name sent to the OpenAI-compatible image endpoint",
        default="gpt-image-1",
    )

    def draw(self, context):
        layout = self.layout
        draw_key_status(layout, context)
        col = layout.column()
        row = col.row(align=True)
        row.enabled = key_source(context) != "environment"
        row.prop(self, "api_key")
        row.operator("meshy.use_test_key", text="Use Test-Mode Key")

        col.prop(self, "base_url")
        problem = base_url_problem(self.base_url)
        if problem:
            col.label(text=problem, icon='ERROR')
        if not bpy.app.online_access and needs_online_access(self.base_url):
            col.label(text="Online access is disabled: Preferences > System > Network", icon='INFO')
        col.operator("meshy.test_connection", icon='URL')

        col.separator()
        col.prop(self, "max_in_flight")
        col.prop(self, "model_format")
        col.prop(self, "texture_resolution")

        box = layout.box()
        box.label(text="Concept Images (OpenAI-compatible endpoint)")
        box.prop(self, "image_base_url")
        box.prop(self, "image_api_key")
        box.prop(self, "image_model")


def draw_key_status(layout, context):
    """One line telling where the key comes from; shared by preferences and the sidebar."""
    source = key_source(context)
    text, icon = {
        "environment": ("Using the key from the MESHY_API_KEY environment variable", 'CHECKMARK'),
        "test": ("Test-mode key: results are samples and cost no credits", 'INFO'),
        "preferences": ("API key set", 'CHECKMARK'),
        "missing": ("No API key set", 'ERROR'),
    }[source]
    layout.label(text=text, icon=icon)


classes = (MESHY_AddonPreferences,)
_register_classes, _unregister_classes = bpy.utils.register_classes_factory(classes)


def register():
    _register_classes()


def unregister():
    close_clients()
    _unregister_classes()
