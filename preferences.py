# SPDX-License-Identifier: GPL-3.0-or-later
"""Add-on preferences, and the connection policy built on them: which key, which server, whether
Blender may go online, the one gate every request passes, and the one client per (key, server).

Preferences live in Blender's user preferences, never in a .blend file, which is why the key is
kept here (PASSWORD subtype: drawn as dots, never printed). The key comes from the MESHY_API_KEY
environment variable when it is set (it wins), otherwise from these preferences. It is read at
the moment a client is made and never copied onto Scene data, into a log or into a message.
What is typed in is checked here (`base_url_problem`, `key_problem`); the draw shows the problem
under the field, and make_client refuses with the same sentence.

The gate (api/gate.py) is owned here: every client and image job gets it, and jobs.tick() hands
it Blender's online-access switch (`note_online_access`), which worker threads cannot read.
"""

import os

import bpy
from bpy.props import BoolProperty, EnumProperty, IntProperty, StringProperty

from .api.urls import DEFAULT_BASE_URL

ENV_KEY = "MESHY_API_KEY"
# Published in Meshy's quick start: answers like the real API and spends no credits.
TEST_MODE_KEY = "msy_dummy_api_key_for_test_mode_12345678"
LIBRARY_FOLDER = "library"  # the Meshy library's default folder, under the add-on's user folder


_clients = {}  # (key, base URL) -> MeshyClient
_gate = None   # the api.gate.Gate of this session, made with the first client


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


def gate():
    """The session's gate (api/gate.py), with Blender's online-access switch as last seen."""
    global _gate
    if _gate is None:
        # Imported here: the api package brings requests, which register() need not pay for.
        from .api.gate import Gate
        _gate = Gate(online=bpy.app.online_access)
    return _gate


def note_online_access():
    """Main thread: hand Blender's online-access switch to the gate (workers cannot read bpy).
    Cheap enough for every tick; nothing to do before the first client exists."""
    if _gate is not None:
        _gate.online = bpy.app.online_access


def base_url_problem(url, field="The API base URL"):
    """Why this base URL cannot be used (a sentence saying what to fix), or "" when it is fine."""
    from .api.urls import base_url_problem as problem
    return problem(url, field)


def key_problem(key, field="The API key"):
    """Why this key cannot be sent (a sentence saying what to fix), or "" when it can (an empty
    key is not a problem of the key: callers say "add one")."""
    from .api.secret import key_problem as problem
    return problem(key, field) if key.strip() else ""


def configured_key_problem(context=None):
    """key_problem() of the key in use, named after where it comes from."""
    field = ("The MESHY_API_KEY environment variable" if key_source(context) == "environment"
             else "The API key")
    return key_problem(api_key(context), field)


def base_url(context=None):
    return get(context).base_url.strip().rstrip("/") or DEFAULT_BASE_URL


def needs_online_access(url):
    """Loopback servers (the emulator, a local proxy) are not "online"."""
    return gate().needs_online_access(url)


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
    problem = configured_key_problem(context)
    if problem:
        raise ConnectionSetupError(problem)
    note_online_access()
    client = _clients.get((key, url))
    if client is None:
        from .api.client import MeshyClient
        from .api.errors import MeshyError
        # One client (one requests.Session, one connection pool) per key and server, shared by
        # every job and call: connections are reused instead of a TLS handshake per request.
        try:
            client = MeshyClient(key, base_url=url, gate=gate())
        except MeshyError as exc:  # the checks above should have said it; never a traceback
            raise ConnectionSetupError(str(exc)) from None
        _clients[(key, url)] = client
    return client


def image_source_problem(context=None):
    """Why concept images cannot be requested from the OpenAI-compatible endpoint, or ""."""
    prefs = get(context)
    url = prefs.image_base_url.strip().rstrip("/")
    if not url:
        return "Set the image endpoint in the add-on preferences"
    return (base_url_problem(url, "The Image API base URL")
            or key_problem(prefs.image_api_key, "The Image API key")
            or offline_reason(context, url))


def library_folder(context=None, create=False):
    """The Meshy library folder: the preference, or `library` under the add-on's user folder."""
    chosen = get(context).library_path.strip()
    if chosen:
        folder = os.path.abspath(bpy.path.abspath(chosen))
        if create:
            os.makedirs(folder, exist_ok=True)
        return folder
    return bpy.utils.extension_path_user(__package__, path=LIBRARY_FOLDER, create=create)


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
    keep_assets: BoolProperty(
        name="Keep Results as Assets",
        description="Mark every imported result as an asset (with Meshy's thumbnail, the prompt "
                    "and tags) and write it into the Meshy library as its own .blend file",
        default=True,
    )
    library_path: StringProperty(
        name="Meshy Library",
        description="Folder of the Meshy library: one small .blend per result, with catalogs. "
                    "Empty: a folder in the add-on's own user folder",
        subtype='DIR_PATH',
        default="",
    )

    def draw(self, context):
        layout = self.layout
        draw_key_status(layout, context)
        col = layout.column()
        row = col.row(align=True)
        row.enabled = key_source(context) != "environment"
        row.prop(self, "api_key")
        row.operator("meshy.use_test_key", text="Use Test-Mode Key")

        _draw_problem(col, configured_key_problem(context))

        col.prop(self, "base_url")
        problem = base_url_problem(self.base_url)
        _draw_problem(col, problem)
        if not problem and not bpy.app.online_access and needs_online_access(self.base_url):
            col.label(text="Online access is disabled: Preferences > System > Network", icon='INFO')
        col.operator("meshy.test_connection", icon='URL')

        col.separator()
        col.prop(self, "max_in_flight")
        col.prop(self, "model_format")
        col.prop(self, "texture_resolution")

        box = layout.box()
        box.label(text="Concept Images (OpenAI-compatible endpoint)")
        box.prop(self, "image_base_url")
        if self.image_base_url.strip():
            _draw_problem(box, base_url_problem(self.image_base_url, "The Image API base URL"))
        box.prop(self, "image_api_key")
        _draw_problem(box, key_problem(self.image_api_key, "The Image API key"))
        box.prop(self, "image_model")

        self.draw_library(layout.box(), context)

    def draw_library(self, box, context):
        from . import library
        box.label(text="Meshy Library")
        box.prop(self, "keep_assets")
        box.prop(self, "library_path")
        folder = library_folder(context)
        box.label(text=folder, icon='FILE_FOLDER')
        registered = library.registered_library(context)
        if registered is not None:
            box.label(text=f"In Blender's asset libraries as \"{registered.name}\"",
                      icon='CHECKMARK')
        else:
            box.operator("meshy.add_library", text="Add Meshy Library to Blender",
                         icon='ASSET_MANAGER')


def _draw_problem(layout, problem):
    """A problem with what was typed, under its field."""
    if problem:
        layout.label(text=problem, icon='ERROR')


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
