# SPDX-License-Identifier: GPL-3.0-or-later
"""Every property group: what is saved with the file (Scene.meshy) and the live view
(WindowManager.meshy).

Scene.meshy holds the generation settings an artist picks in the sidebar (names and ranges follow
the API pages), with Scene.meshy.tools for working on what is in the scene (retexture, remesh,
convert, resize, rig, animate, print checks). Deprecated API fields (symmetry_mode, is_a_t_pose,
art_style) are not offered: they no longer change results.

WindowManager data is neither saved nor part of undo, which is exactly right for the job view: a
job's truth lives in jobs.py and the journal; these properties are only what the UI draws.
"""

import bpy
from bpy.props import (
    BoolProperty, CollectionProperty, EnumProperty, FloatProperty, IntProperty, PointerProperty,
    StringProperty,
)

from .api import tasks


# --- shared by generation and the scene tools ---------------------------------------------

# Model names, limits and formats are facts of the API: they live in api/tasks.py.
AI_MODELS_3D = tasks.AI_MODEL_CHOICES

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


class MESHY_PG_remesh(bpy.types.PropertyGroup):
    """Remesh controls: the remesh phase of a generation, and the Remesh tool."""
    topology: EnumProperty(
        name="Topology",
        items=(('triangle', "Triangles", "A decimated triangle mesh"),
               ('quad', "Quads", "A quad-dominant mesh")),
        default='triangle')
    target_polycount: IntProperty(
        name="Polycount",
        description=f"Target number of polygons ({tasks.POLYCOUNT_RANGE[0]:,} to "
                    f"{tasks.POLYCOUNT_RANGE[1]:,})",
        default=30000, min=tasks.POLYCOUNT_RANGE[0], max=tasks.POLYCOUNT_RANGE[1],
        soft_max=100000)
    use_adaptive_decimation: BoolProperty(
        name="Adaptive Polycount", default=False,
        description="Let Meshy choose the polycount for the shape (ignores Polycount)")
    decimation_mode: EnumProperty(
        name="Detail",
        items=(('1', "Ultra", ""), ('2', "High", ""), ('3', "Medium", ""), ('4', "Low", "")),
        default='3')


# --- Scene.meshy.tools: working on what is in the scene --------------------------------------

EXPORT_FORMATS = tuple((fmt, "Blend" if fmt == "blend" else fmt.upper(), "")
                       for fmt in tasks.EXPORT_FORMATS)


class MESHY_PG_tools(bpy.types.PropertyGroup):
    # --- retexture ---
    style_source: EnumProperty(
        name="Style From",
        items=(('TEXT', "Text", "Describe the new look"), ('IMAGE', "Image", "Match a picture")),
        default='TEXT')
    style_prompt: StringProperty(
        name="Style", description=f"The new look, up to {tasks.PROMPT_LIMIT} characters")
    style_image: PointerProperty(type=MESHY_PG_image_input)
    retexture_ai_model: EnumProperty(name="AI Model", items=AI_MODELS_3D,
                                     default=tasks.AI_MODELS[0])
    enable_original_uv: BoolProperty(
        name="Keep Original UVs", default=True,
        description="Texture the mesh's own UVs; the result then replaces the object's material "
                    "and keeps its mesh. Off: Meshy unwraps it and the result is a new object")
    enable_pbr: BoolProperty(name="PBR Maps", default=True)
    hd_texture: BoolProperty(name="HD Texture", default=False, description="4K base colour")
    remove_lighting: BoolProperty(name="Remove Lighting", default=True)

    # --- remesh ---
    remesh: PointerProperty(type=MESHY_PG_remesh)

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
        _history_kinds.extend((kind, tasks.family(kind).label, "") for kind in tasks.KINDS
                              if tasks.family(kind).list_path and kind != "text_to_3d_refine")
    return _history_kinds


# --- Scene.meshy.creative: Creative Lab -------------------------------------------------------

CREATIVE_PRODUCTS = tuple((name, label, f"Creative Lab {label}")
                          for name, label in tasks.CREATIVE_PRODUCTS)
# How each documented option reads in the sidebar. Its range, choices and default are the task
# table's (api/tasks.py), read when the property groups below are made.
CREATIVE_OPTION_TEXT = {
    "badge_shape": ("Shape", "Outline of the medallion"),
    "size_mm": ("Size (mm)", "Edge of the square the piece fits in, in millimetres"),
    "relief_height_mm": ("Relief Height (mm)", "Highest point of the relief above the base"),
    "relief_offset_mm": ("Relief Offset (mm)", "Raise the relief before it is extruded"),
    "base_thickness_mm": ("Base Thickness (mm)", "Flat plate behind the relief"),
    "has_closed_back": ("Closed Back", "Seal the back (off: an open shell)"),
    "relief_curve": ("Relief Curve", "How the depth map's values become relief height"),
    "curve_param": ("Curve Shape", "Shape of the gamma curve (only used with Gamma)"),
    "invert_depth": ("Invert Depth", "Darker regions become higher"),
    "smoothing": ("Smoothing", "Smooth the depth map before the relief is made"),
    "relief_scale": ("Relief Scale", "Multiplier on top of the relief height"),
    "depth_threshold": ("Depth Threshold", "Depth values below this become flat"),
    "remove_background": ("Remove Background", "Remove the concept image's background first"),
    "export_resolution": ("Mesh Resolution", "Resolution of the exported mesh"),
    "diameter_mm": ("Diameter (mm)", "Largest dimension of the lampshade"),
    "thickness_mm": ("Wall Thickness (mm)", "Wall thickness of the hollow shade"),
    "cut_amount_percent": ("Flatten Top (%)",
                           "Part of the height flattened so the print sits on the bed"),
    "light_source_preset": ("Light Fixture", "Fixture the base disk is made for (None: no base)"),
    "fixture_offset_x_mm": ("Fixture Offset X (mm)", "Fixture cut-out, from the shade's centre"),
    "fixture_offset_z_mm": ("Fixture Offset Z (mm)", "Fixture cut-out, from the shade's bottom"),
    "rotate_x_deg": ("Rotate X (°)", "Rotation of the mesh before it is processed"),
    "rotate_y_deg": ("Rotate Y (°)", "Rotation of the mesh before it is processed"),
    "rotate_z_deg": ("Rotate Z (°)", "Rotation of the mesh before it is processed"),
    "include_result_json": ("Include Metrics", "Put result.json (measurements) in the zip"),
    "format": ("File Format", "What the build delivers"),
}
CREATIVE_CHOICE_LABELS = {
    "rounded-rect": "Rounded Rectangle", "s-curve": "S-Curve", "none": "None",
    "bambu_mh001_60mm": "Bambu MH001 (60 mm base)", "glb": "GLB", "obj": "OBJ (zip)",
    "zip": "Zip Bundle", "stl": "STL",
}
# A range open at its low end ("above 0") starts this far above it in the sidebar.
OPEN_RANGE_MARGIN = 0.01


def _creative_property(spec):
    """A bpy property for one option Field: its range, choices and default from the table."""
    label, description = CREATIVE_OPTION_TEXT.get(spec.name, (spec.name, ""))
    if spec.type == "boolean":
        return BoolProperty(name=label, description=description, default=bool(spec.default))
    if spec.type == "string":
        items = [(c, CREATIVE_CHOICE_LABELS.get(c, c.replace("-", " ").title()), "")
                 for c in spec.choices]
        return EnumProperty(name=label, description=description, items=items,
                            default=spec.default or spec.choices[0])
    low = spec.minimum + (OPEN_RANGE_MARGIN if spec.exclusive_minimum else 0)
    if spec.type == "integer":
        return IntProperty(name=label, description=description, default=int(spec.default),
                           min=int(low), max=int(spec.maximum))
    return FloatProperty(name=label, description=description, default=float(spec.default),
                         min=low, max=spec.maximum, precision=2, step=10)


def creative_option_fields(kind):
    """The build's documented option Fields (the `options` group), or () when it has none."""
    try:
        return tasks.family(kind).field("options").fields
    except KeyError:
        return ()


def creative_output_field(kind):
    try:
        return tasks.family(kind).field("output.format")
    except KeyError:
        return None


def _creative_options_group(product):
    """A property group holding one product's build options (and its output format)."""
    kind = f"{product}_build"
    annotations = {spec.name: _creative_property(spec) for spec in creative_option_fields(kind)}
    output = creative_output_field(kind)
    if output is not None:
        annotations["output_format"] = _creative_property(output)
    return type(f"MESHY_PG_{product}_options", (bpy.types.PropertyGroup,),
                {"__annotations__": annotations,
                 "__doc__": f"Build options of {tasks.family(kind).label}"})


# Products whose build takes options (the figure's takes none).
CREATIVE_OPTION_GROUPS = {product: _creative_options_group(product)
                          for product, _label in tasks.CREATIVE_PRODUCTS
                          if creative_option_fields(f"{product}_build")}

_LAMP = tasks.family("lamp_prototype")


def _is_concept_image(self, image):
    """Only concept images of the chosen product can be shown for approval."""
    return image.get("meshy_kind", "") == f"{self.product}_prototype"


class MESHY_PG_creative(bpy.types.PropertyGroup):
    """Creative Lab: a photo (or, for a lamp, text) -> a concept image -> a printable model."""
    product: EnumProperty(name="Product", items=CREATIVE_PRODUCTS,
                          default=CREATIVE_PRODUCTS[0][0])
    source_image: PointerProperty(type=MESHY_PG_image_input)
    lamp_source: EnumProperty(
        name="Lamp From",
        items=(('IMAGE', "Photo", "Use a photo as the reference"),
               ('TEXT', "Text", "Describe the lampshade's subject")),
        default='IMAGE')
    text: StringProperty(
        name="Subject",
        description=f"The lampshade's subject (up to {_LAMP.field('text').max_length} "
                    "characters)")
    image_subject: EnumProperty(
        name="Subject Type",
        items=[(c, c.title(), "") for c in _LAMP.field("image_subject").choices],
        default=_LAMP.field("image_subject").default)
    name: StringProperty(
        name="Name",
        description=f"Optional task name (up to {_LAMP.field('name').max_length} characters)")
    prototype_task_id: StringProperty(
        name="Approved Prototype",
        description="Task id of the approved prototype the build starts from")
    shown_prototype: PointerProperty(
        name="Prototype", type=bpy.types.Image, poll=_is_concept_image,
        description="The prototype's concept image shown for approval")
    __annotations__.update({product: PointerProperty(type=group)
                            for product, group in CREATIVE_OPTION_GROUPS.items()})

    def options_of(self, product=None):
        """The build options group of `product` (the chosen one by default), or None."""
        product = product or self.product
        return getattr(self, product) if product in CREATIVE_OPTION_GROUPS else None


# --- Scene.meshy.picker: the preview picker ----------------------------------------------------
# Several cheap Text to 3D previews of one prompt, shown side by side; only the ticked ones are
# refined. The picks are saved with the file: Meshy keeps a preview for three days, so a file
# reopened tomorrow can still refine them by task id. picker.py keeps them in step with the jobs.

# How many previews one press makes: enough to choose from, few enough to judge side by side.
PREVIEW_COUNT_RANGE = (2, 8)


def _keep_untickable_unticked(pick, _context):
    # Only a preview Meshy finished can be judged and refined (a failed or running one cannot).
    if pick.ticked and not pick.tickable:
        pick.ticked = False


class MESHY_PG_pick(bpy.types.PropertyGroup):
    """One preview of the picker, and what became of its refine."""
    group: StringProperty(description="The press of Generate Previews it came from")
    prompt: StringProperty()
    number: IntProperty(description="Its place among the previews of its press (1-based)")
    ai_model: StringProperty(description="The model that made it: its refine must use the same")
    job_id: StringProperty()
    task_id: StringProperty()
    status: StringProperty(description="The preview job's status, as last seen")
    succeeded: BoolProperty(description="Meshy finished the preview (even if its thumbnail "
                                        "could not be fetched)")
    message: StringProperty()
    thumbnail: StringProperty(subtype='FILE_PATH')
    ticked: BoolProperty(name="Refine", default=False, update=_keep_untickable_unticked,
                         description="Texture (refine) this preview")
    refine_job_id: StringProperty()
    refine_task_id: StringProperty()
    refine_status: StringProperty(description="The refine job's status, as last seen")
    refine_succeeded: BoolProperty(description="Meshy finished the refine (it is paid for, "
                                               "even if its download failed)")

    @property
    def tickable(self):
        return (self.succeeded or self.status == "DONE") and bool(self.task_id)


class MESHY_PG_picker(bpy.types.PropertyGroup):
    count: IntProperty(
        name="Previews", default=4, min=PREVIEW_COUNT_RANGE[0], max=PREVIEW_COUNT_RANGE[1],
        description="How many previews of the prompt to make and choose from")
    picks: CollectionProperty(type=MESHY_PG_pick)


# --- Scene.meshy: generation settings -----------------------------------------------------

PROMPT_LIMIT = tasks.PROMPT_LIMIT

MODES = (
    ('TEXT_TO_3D', "Text to 3D", "Generate a model from a description", 'FONT_DATA', 0),
    ('IMAGE_TO_3D', "Image to 3D", "Generate a model from one picture", 'IMAGE_DATA', 1),
    ('MULTI_IMAGE_TO_3D', "Multi-image to 3D", "Generate a model from 1-4 views of one object",
     'IMAGE_REFERENCE', 2),
    ('TEXT_TO_IMAGE', "Text to Image", "Generate a concept image from a description", 'IMAGE', 3),
    ('IMAGE_TO_IMAGE', "Image to Image", "Transform pictures with a prompt", 'IMAGE_RGB', 4),
)

IMAGE_MODELS = tasks.IMAGE_AI_MODEL_CHOICES

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
    ai_model: EnumProperty(name="AI Model", items=AI_MODELS_3D, default=tasks.AI_MODELS[0])
    model_type: EnumProperty(
        name="Mesh Type",
        items=(('standard', "Standard", "Regular high-detail mesh"),
               ('lowpoly', "Low Poly", "Clean low-poly mesh (ignores model, remesh and polycount)")),
        default='standard')
    should_remesh: BoolProperty(
        name="Remesh", default=True,
        description="Run the remesh phase; off returns the highest-precision triangle mesh")
    remesh: PointerProperty(type=MESHY_PG_remesh)
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
    image_ai_model: EnumProperty(name="Image Model", items=IMAGE_MODELS,
                                 default=tasks.IMAGE_AI_MODELS[0])
    aspect_ratio: EnumProperty(
        name="Aspect Ratio", items=[(r, r, "") for r in tasks.ASPECT_RATIOS], default="1:1")
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

    # --- Creative Lab ---
    creative: PointerProperty(type=MESHY_PG_creative)

    # --- the preview picker ---
    picker: PointerProperty(type=MESHY_PG_picker)


# --- WindowManager.meshy: the live view ------------------------------------------------------

class MESHY_PG_job(bpy.types.PropertyGroup):
    """One row of the Jobs list, mirrored from jobs.Job by jobs.tick()."""
    job_id: StringProperty()
    kind: StringProperty()
    label: StringProperty()
    status: StringProperty()
    progress: FloatProperty(min=0.0, max=1.0, subtype='FACTOR')
    queue_position: IntProperty(description="Tasks ahead of this one on Meshy (0 when running)")
    message: StringProperty()
    waiting: BoolProperty(description="Waiting for online access to be allowed again")
    doc_url: StringProperty()
    credits: IntProperty()
    task_id: StringProperty()
    thumbnail: StringProperty(subtype='FILE_PATH')
    # Times are seconds since jobs.SESSION_EPOCH (see there: why not time.time()).
    started: FloatProperty(description="When the job was submitted")
    finished: FloatProperty(description="When the job finished (0: not yet)")
    eta: FloatProperty(description="When Meshy should be done, as far as its progress tells "
                                   "(0: cannot be estimated)")
    result_path: StringProperty(subtype='FILE_PATH')
    result_name: StringProperty(description="The first object or image the result became")


class MESHY_PG_animation(bpy.types.PropertyGroup):
    """One entry of Meshy's animation library (name comes from PropertyGroup.name)."""
    action_id: IntProperty()
    category: StringProperty()


class MESHY_PG_history_item(bpy.types.PropertyGroup):
    """One past task from a list endpoint."""
    task_id: StringProperty()
    kind: StringProperty()
    status: StringProperty()
    label: StringProperty()
    created_at: FloatProperty()
    expires_at: FloatProperty()
    thumbnail: StringProperty(subtype='FILE_PATH')


class MESHY_PG_batch(bpy.types.PropertyGroup):
    """A batch sheet's one grouped row in the Jobs panel, mirrored by batches.py."""
    sheet_id: StringProperty()
    title: StringProperty()
    total: IntProperty()
    done: IntProperty()
    failed: IntProperty(description="Rows that failed, could not be sent or were stopped")
    credits: IntProperty(description="Credits the sheet's tasks cost")
    running: BoolProperty()
    report: StringProperty(description="The report file (or Text) of the sheet")
    eta: FloatProperty(description="Seconds left when last updated (-1: not known yet)")
    updated: FloatProperty(description="When eta was computed (jobs.session_time())")


class MESHY_PG_window(bpy.types.PropertyGroup):
    jobs: CollectionProperty(type=MESHY_PG_job)
    batches: CollectionProperty(type=MESHY_PG_batch)
    animations: CollectionProperty(type=MESHY_PG_animation)
    active_animation: IntProperty()
    history: CollectionProperty(type=MESHY_PG_history_item)
    active_history: IntProperty()
    history_message: StringProperty()
    active_job: IntProperty()
    balance: IntProperty(description="Credits left, as last fetched")
    balance_known: BoolProperty()
    balance_message: StringProperty()


classes = (
    MESHY_PG_image_input,
    MESHY_PG_remesh,
    MESHY_PG_tools,
    *CREATIVE_OPTION_GROUPS.values(),
    MESHY_PG_creative,
    MESHY_PG_pick,
    MESHY_PG_picker,
    MESHY_PG_generate,
    MESHY_PG_job,
    MESHY_PG_animation,
    MESHY_PG_history_item,
    MESHY_PG_batch,
    MESHY_PG_window,
)


def register():
    for cls in classes:
        bpy.utils.register_class(cls)
    bpy.types.Scene.meshy = PointerProperty(type=MESHY_PG_generate)
    bpy.types.WindowManager.meshy = PointerProperty(type=MESHY_PG_window)


def unregister():
    del bpy.types.WindowManager.meshy
    del bpy.types.Scene.meshy
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
