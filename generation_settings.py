# SPDX-License-Identifier: GPL-3.0-or-later
"""Scene.meshy: the generation settings an artist picks in the sidebar, saved with the .blend.

Names and ranges follow the API pages (shared/meshy-api 10, 11, 12, 19, 20). Deprecated API
fields (symmetry_mode, is_a_t_pose, art_style) are not offered: they no longer change results.
"""

import bpy
from bpy.props import (
    BoolProperty, CollectionProperty, EnumProperty, IntProperty, PointerProperty, StringProperty,
)

from .settings_common import AI_MODELS_3D, IMAGE_SOURCES, MESHY_PG_image_input
from .tool_settings import MESHY_PG_tools

PROMPT_LIMIT = 600

MODES = (
    ('TEXT_TO_3D', "Text to 3D", "Generate a model from a description", 'FONT_DATA', 0),
    ('IMAGE_TO_3D', "Image to 3D", "Generate a model from one picture", 'IMAGE_DATA', 1),
    ('MULTI_IMAGE_TO_3D', "Multi-image to 3D", "Generate a model from 1-4 views of one object",
     'IMAGE_REFERENCE', 2),
    ('TEXT_TO_IMAGE', "Text to Image", "Generate a concept image from a description", 'IMAGE', 3),
    ('IMAGE_TO_IMAGE', "Image to Image", "Transform pictures with a prompt", 'IMAGE_RGB', 4),
)

IMAGE_MODELS = (
    ('nano-banana', "Nano Banana", "Standard model"),
    ('nano-banana-2', "Nano Banana 2", "Balanced model"),
    ('nano-banana-pro', "Nano Banana Pro", "Enhanced quality"),
    ('gpt-image-2', "GPT Image 2", "High fidelity (aspect ratios 1:1, 3:2, 2:3 only)"),
)

ASPECT_RATIOS = {
    "nano-banana": ("1:1", "16:9", "9:16", "4:3", "3:4"),
    "nano-banana-2": ("1:1", "16:9", "9:16", "4:3", "3:4"),
    "nano-banana-pro": ("1:1", "16:9", "9:16", "4:3", "3:4"),
    "gpt-image-2": ("1:1", "3:2", "2:3"),
}
_ALL_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3")

POSES = (
    ('NONE', "No Pose", "No pose preset"),
    ('a-pose', "A-Pose", "Arms angled down: good for rigging"),
    ('t-pose', "T-Pose", "Arms straight out: good for rigging"),
)

class MESHY_PG_generate(bpy.types.PropertyGroup):
    mode: EnumProperty(name="Mode", items=MODES, default='TEXT_TO_3D')
    prompt: StringProperty(
        name="Prompt",
        description=f"Describe the object (up to {PROMPT_LIMIT} characters)")

    # --- model generation (text, image, multi-image to 3D) ---
    ai_model: EnumProperty(name="AI Model", items=AI_MODELS_3D, default='latest')
    model_type: EnumProperty(
        name="Mesh Type",
        items=(('standard', "Standard", "Regular high-detail mesh"),
               ('lowpoly', "Low Poly", "Clean low-poly mesh (ignores model, remesh and polycount)")),
        default='standard')
    should_remesh: BoolProperty(
        name="Remesh", default=True,
        description="Run the remesh phase; off returns the highest-precision triangle mesh")
    topology: EnumProperty(
        name="Topology",
        items=(('triangle', "Triangles", "A decimated triangle mesh"),
               ('quad', "Quads", "A quad-dominant mesh")),
        default='triangle')
    target_polycount: IntProperty(
        name="Polycount", description="Target number of polygons (100 to 300,000)",
        default=30000, min=100, max=300000, soft_max=100000)
    use_adaptive_decimation: BoolProperty(
        name="Adaptive Polycount", default=False,
        description="Let Meshy choose the polycount for the shape (ignores Polycount)")
    decimation_mode: EnumProperty(
        name="Detail",
        items=(('1', "Ultra", ""), ('2', "High", ""), ('3', "Medium", ""), ('4', "Low", "")),
        default='3')
    pose_mode: EnumProperty(name="Pose", items=POSES, default='NONE')
    auto_size: BoolProperty(
        name="Real-World Size", default=False,
        description="Let Meshy estimate the object's real height and scale it")
    origin_at: EnumProperty(
        name="Origin", items=(('bottom', "Bottom", ""), ('center', "Center", "")), default='bottom')
    moderation: BoolProperty(name="Moderation", default=False,
                             description="Screen the inputs for harmful content first")
    alpha_thumbnail: BoolProperty(name="Transparent Thumbnail", default=False)
    save_pre_remeshed_model: BoolProperty(
        name="Keep Pre-Remesh Model", default=False,
        description="Also store the model as it was before remeshing")
    image_enhancement: BoolProperty(
        name="Enhance Input Image", default=True,
        description="Optimise the input picture first (Meshy 6 only)")

    # --- texturing ---
    should_texture: BoolProperty(name="Texture", default=True,
                                 description="Generate textures (off: a bare mesh, cheaper)")
    enable_pbr: BoolProperty(
        name="PBR Maps", default=True,
        description="Metallic, roughness and normal maps too (and emission with Meshy 6)")
    hd_texture: BoolProperty(name="HD Texture", default=False,
                             description="4K base colour (Meshy 6 only)")
    remove_lighting: BoolProperty(
        name="Remove Lighting", default=True,
        description="Remove baked highlights and shadows from the base colour (Meshy 6 only)")
    texture_prompt: StringProperty(
        name="Texture Prompt",
        description=f"Extra guidance for the texture (up to {PROMPT_LIMIT} characters)")
    texture_image: PointerProperty(type=MESHY_PG_image_input)
    use_texture_image: BoolProperty(name="Texture Image", default=False,
                                    description="Guide the texture with a picture")

    # --- text to 3D ---
    auto_refine: BoolProperty(
        name="Texture Automatically", default=True,
        description="Run the texturing (refine) step as soon as the shape (preview) is done")
    import_preview: BoolProperty(
        name="Import Untextured Preview", default=False,
        description="Also import the untextured preview to judge the shape first")

    # --- image inputs ---
    image_source: EnumProperty(name="Image From", items=IMAGE_SOURCES, default='FILE')
    image_input: PointerProperty(type=MESHY_PG_image_input)
    input_task_id: StringProperty(
        name="Image Task", description="Task id of a finished Text to Image or Image to Image task")
    multi_view_thumbnails: BoolProperty(name="Four View Thumbnails", default=False)
    views: CollectionProperty(type=MESHY_PG_image_input, name="Views")
    active_view: IntProperty()

    # --- images ---
    image_ai_model: EnumProperty(name="Image Model", items=IMAGE_MODELS, default='nano-banana')
    aspect_ratio: EnumProperty(
        name="Aspect Ratio", items=[(r, r, "") for r in _ALL_RATIOS], default="1:1")
    generate_multi_view: BoolProperty(
        name="Multi-View", default=False,
        description="One image showing the subject from several angles (no aspect ratio)")
    image_pose_mode: EnumProperty(name="Pose", items=POSES, default='NONE')
    use_openai_images: BoolProperty(
        name="Use OpenAI-Compatible Endpoint", default=False,
        description="Generate concept images with the endpoint set in the preferences")
    references: CollectionProperty(type=MESHY_PG_image_input, name="Reference Images")
    active_reference: IntProperty()

    # --- working on the selected object (retexture, remesh, rig, ...) ---
    tools: PointerProperty(type=MESHY_PG_tools)


settings_classes = (MESHY_PG_image_input, MESHY_PG_tools, MESHY_PG_generate)
