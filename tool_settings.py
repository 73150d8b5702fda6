# SPDX-License-Identifier: GPL-3.0-or-later
"""Scene.meshy.tools: settings for working on what is in the scene (retexture, remesh, convert,
resize, rig, animate, print checks). Names and ranges follow the API pages 13-18 and 21-23."""

import bpy
from bpy.props import (
    BoolProperty, EnumProperty, FloatProperty, IntProperty, PointerProperty, StringProperty,
)

from .settings_common import AI_MODELS_3D, MESHY_PG_image_input

EXPORT_FORMATS = (
    ('glb', "GLB", ""), ('fbx', "FBX", ""), ('obj', "OBJ", ""), ('usdz', "USDZ", ""),
    ('blend', "Blend", ""), ('stl', "STL", ""), ('3mf', "3MF", ""),
)


class MESHY_PG_tools(bpy.types.PropertyGroup):
    # --- retexture ---
    style_source: EnumProperty(
        name="Style From",
        items=(('TEXT', "Text", "Describe the new look"), ('IMAGE', "Image", "Match a picture")),
        default='TEXT')
    style_prompt: StringProperty(name="Style", description="The new look, up to 600 characters")
    style_image: PointerProperty(type=MESHY_PG_image_input)
    retexture_ai_model: EnumProperty(name="AI Model", items=AI_MODELS_3D, default='latest')
    enable_original_uv: BoolProperty(
        name="Keep Original UVs", default=True,
        description="Texture the mesh's own UVs; the result then replaces the object's material "
                    "and keeps its mesh. Off: Meshy unwraps it and the result is a new object")
    enable_pbr: BoolProperty(name="PBR Maps", default=True)
    hd_texture: BoolProperty(name="HD Texture", default=False, description="4K base colour")
    remove_lighting: BoolProperty(name="Remove Lighting", default=True)

    # --- remesh ---
    topology: EnumProperty(
        name="Topology",
        items=(('triangle', "Triangles", ""), ('quad', "Quads", "")), default='triangle')
    target_polycount: IntProperty(name="Polycount", default=30000, min=100, max=300000,
                                  soft_max=100000)
    use_adaptive_decimation: BoolProperty(name="Adaptive Polycount", default=False)
    decimation_mode: EnumProperty(
        name="Detail",
        items=(('1', "Ultra", ""), ('2', "High", ""), ('3', "Medium", ""), ('4', "Low", "")),
        default='3')

    # --- convert ---
    convert_formats: EnumProperty(name="Formats", items=EXPORT_FORMATS, options={'ENUM_FLAG'},
                                  default={'fbx'})

    # --- resize ---
    resize_mode: EnumProperty(
        name="Resize By",
        items=(('HEIGHT', "Height", "Scale so the model is this tall"),
               ('LONGEST', "Longest Side", "Scale so the longest side is this long"),
               ('AUTO', "Real-World Size", "Let Meshy estimate the real size")),
        default='HEIGHT')
    resize_value: FloatProperty(name="Size", default=1.8, min=0.001, soft_max=100.0,
                                unit='LENGTH', subtype='DISTANCE')
    origin_at: EnumProperty(name="Origin", items=(('bottom', "Bottom", ""), ('center', "Center", "")),
                            default='bottom')

    # --- rig ---
    height_meters: FloatProperty(
        name="Character Height", default=0.0, min=0.0, soft_max=5.0, unit='LENGTH',
        description="The character's height in metres (0: measure the selected object)")
    use_rig_texture: BoolProperty(name="Base Colour Image", default=False,
                                  description="Send the character's UV base colour texture too")
    rig_texture: PointerProperty(type=MESHY_PG_image_input)

    # --- animate ---
    action_id: IntProperty(name="Action ID", default=92, min=0,
                           description="Animation from Meshy's library (the list fills it in)")
    action_name: StringProperty(name="Animation")
    fps: EnumProperty(
        name="Frame Rate",
        items=(('0', "As Is", "Keep the clip's frame rate (30)"), ('24', "24", ""), ('25', "25", ""),
               ('30', "30", ""), ('60', "60", "")),
        default='0')

    # --- print ---
    max_colors: IntProperty(name="Colours", default=4, min=1, max=16)
    max_depth: IntProperty(name="Colour Detail", default=4, min=3, max=6,
                           description="Finer colour boundaries at higher values")

    # --- history ---
    history_kind: EnumProperty(name="Family", items=lambda self, context: history_kinds())
    history_page: IntProperty(name="Page", default=1, min=1)


_history_kinds = []


def history_kinds():
    """Families Meshy lets us list (rigging and animation have no documented list endpoint).

    Built on first use, not at registration, and kept: Blender needs the list to stay alive.
    """
    if not _history_kinds:
        from .api import tasks
        _history_kinds.extend((kind, tasks.family(kind).label, "") for kind in tasks.KINDS
                              if tasks.family(kind).list_path and kind != "text_to_3d_refine")
    return _history_kinds
