# SPDX-License-Identifier: GPL-3.0-or-later
"""Settings shared by the generation and scene-tool property groups: models and image inputs."""

import bpy
from bpy.props import EnumProperty, PointerProperty, StringProperty

AI_MODELS_3D = (
    ('latest', "Latest (Meshy 6)", "The newest model"),
    ('meshy-6', "Meshy 6", "Best quality; PBR includes an emission map"),
    ('meshy-5', "Meshy 5", "The previous generation (cheaper)"),
)

IMAGE_SOURCES = (
    ('FILE', "File", "An image file on disk"),
    ('DATABLOCK', "Blender Image", "An image in this .blend (a render, or one open in the Image Editor)"),
    ('TASK', "Meshy Image Task", "The result of a finished Text to Image / Image to Image task"),
)

SUPPORTED_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".tga", ".bmp", ".tif", ".tiff",
                              ".exr", ".gif")


class MESHY_PG_image_input(bpy.types.PropertyGroup):
    """One input picture: a file or a Blender image."""
    source: EnumProperty(name="Source", items=IMAGE_SOURCES[:2], default='FILE')
    filepath: StringProperty(name="File", subtype='FILE_PATH')
    image: PointerProperty(name="Image", type=bpy.types.Image)
