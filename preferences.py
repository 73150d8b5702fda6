# SPDX-License-Identifier: GPL-3.0-or-later
"""Add-on preferences: the API key, the server, concurrency and import defaults.

Preferences live in Blender's user preferences, never in a .blend file, which is why the key is
kept here (PASSWORD subtype: drawn as dots, never printed).
"""

import bpy
from bpy.props import EnumProperty, IntProperty, StringProperty

from . import connection


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
        default=connection.DEFAULT_BASE_URL,
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
        row.enabled = connection.key_source(context) != "environment"
        row.prop(self, "api_key")
        row.operator("meshy.use_test_key", text="Use Test-Mode Key")

        col.prop(self, "base_url")
        problem = connection.base_url_problem(self.base_url)
        if problem:
            col.label(text=problem, icon='ERROR')
        if not bpy.app.online_access and connection.needs_online_access(self.base_url):
            col.label(text="Online access is disabled: Preferences > System > Network", icon='INFO')
        col.operator("meshy.test_connection", icon='URL')

        col.separator()
        col.prop(self, "max_in_flight")
        col.prop(self, "model_format")

        box = layout.box()
        box.label(text="Concept Images (OpenAI-compatible endpoint)")
        box.prop(self, "image_base_url")
        box.prop(self, "image_api_key")
        box.prop(self, "image_model")


def draw_key_status(layout, context):
    """One line telling where the key comes from; shared by preferences and the sidebar."""
    source = connection.key_source(context)
    text, icon = {
        "environment": ("Using the key from the MESHY_API_KEY environment variable", 'CHECKMARK'),
        "test": ("Test-mode key: results are samples and cost no credits", 'INFO'),
        "preferences": ("API key set", 'CHECKMARK'),
        "missing": ("No API key set", 'ERROR'),
    }[source]
    layout.label(text=text, icon=icon)


classes = (MESHY_AddonPreferences,)
register, unregister = bpy.utils.register_classes_factory(classes)
