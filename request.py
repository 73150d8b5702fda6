# SPDX-License-Identifier: GPL-3.0-or-later
"""From settings and a selection to a request: (kind, payload, label, options), and the reason it
cannot be sent yet.

- The Generate panel (Scene.meshy): `problem(context)` says in one sentence why the settings
  cannot be sent (the button shows it as its poll message); `build(context)` makes the request.
  Both take `settings=`: any object with Scene.meshy's attributes (a batch sheet's row is the
  add-on's defaults + the sheet's settings + the row, batches.row_settings), so the payload rules
  are written once.
- The Selected Object tools (Scene.meshy.tools): `tool_problem(context, kind)` and
  `tool_request(context, kind, objects, task_id)`; what to send for the selection (its Meshy task
  id, or an uploaded GLB) is `selection.source()`'s decision. `animation_request()` for a rig.

Facts (limits, model names) come from api/tasks.py. Images become `Deferred` inputs: what Blender
holds (an unsaved image's pixels) is read on the main thread when the job is submitted, and the
encoding (Pillow, base64) happens on the worker. Building a request is therefore cheap enough to
price it in a panel's draw code.
"""

import os
from dataclasses import dataclass, field

import bpy

from . import preferences, selection
from .api import results, tasks
from .engine import Deferred, stand_in_payload
from .properties import SUPPORTED_IMAGE_EXTENSIONS

PROMPT_LIMIT = tasks.PROMPT_LIMIT


class NotReady(Exception):
    """The settings cannot be sent as they are; the message says what to change."""


@dataclass
class Request:
    kind: str
    payload: dict
    label: str
    options: dict = field(default_factory=dict)
    follow_up: dict = None
    notes: list = field(default_factory=list)   # sentences worth telling the artist (reports)
    runner: object = None   # work that is not a Meshy task (engine.Job.runner), e.g. ConceptImages
    service: str = "Meshy"  # who does the work, for the report

    def cost(self):
        """Meshy credits this request will use, from the pricing page (follower included); None
        for work another service prices."""
        if self.runner is not None:
            return None
        total = tasks.cost(self.kind, self.payload)
        if self.follow_up:
            total += tasks.cost(self.follow_up["kind"], self.follow_up["payload"])
        return total

    def validate(self):
        """Check the payload against the task table before anything is sent (images are checked
        when they are encoded, on the worker)."""
        if self.runner is None:
            tasks.validate(self.kind, stand_in_payload(self.payload))
        return self


# --- what is wrong with the settings ----------------------------------------------------------

def _prompt_problem(text, what="prompt", required=True):
    text = text.strip()
    if required and not text:
        return f"Write a {what} first"
    if len(text) > PROMPT_LIMIT:
        return f"The {what} is {len(text)} characters; Meshy accepts up to {PROMPT_LIMIT}"
    return ""


def image_input_problem(item, what="image", source=None):
    if (source or item.source) == 'DATABLOCK':
        if item.image is None:
            return f"Choose a Blender image for the {what}"
        image = item.image
        if image.type not in ('RENDER_RESULT', 'COMPOSITING') and not image.has_data and not (
                image.filepath and os.path.isfile(bpy.path.abspath(image.filepath))):
            if image.source == 'FILE' and image.filepath:
                return f"The {what} '{image.name}' points at a missing file"
        return ""
    path = bpy.path.abspath(item.filepath) if item.filepath else ""
    if not path:
        return f"Choose an {what} file"
    if not os.path.isfile(path):
        return f"The {what} file does not exist: {os.path.basename(path) or path}"
    if os.path.splitext(path)[1].lower() not in SUPPORTED_IMAGE_EXTENSIONS:
        return (f"{os.path.basename(path)} is not a supported picture "
                f"(use PNG, JPEG, WebP, TGA, BMP, TIFF or EXR)")
    return ""


def settings_of(context, settings=None):
    """The generation settings to build from: `settings` when given (e.g. a batch sheet row: any
    object with Scene.meshy's attributes), else the open file's sidebar (Scene.meshy)."""
    return context.scene.meshy if settings is None else settings


def uses_image_source(context, settings=None):
    """True when the sidebar's Text to Image goes to the OpenAI-compatible image source."""
    s = settings_of(context, settings)
    return s.mode == 'TEXT_TO_IMAGE' and s.use_openai_images


def problem(context, settings=None):
    """Why the current settings (or `settings`) cannot be sent, or "" when they can."""
    s = settings_of(context, settings)
    mode = s.mode
    if uses_image_source(context, s):
        return _prompt_problem(s.prompt) or preferences.image_source_problem(context)
    if mode in ('TEXT_TO_3D', 'TEXT_TO_IMAGE', 'IMAGE_TO_IMAGE'):
        found = _prompt_problem(s.prompt)
        if found:
            return found
    if mode in ('TEXT_TO_3D', 'IMAGE_TO_3D', 'MULTI_IMAGE_TO_3D'):
        found = _prompt_problem(s.texture_prompt, "texture prompt", required=False)
        if found:
            return found
        if s.use_texture_image and _textures(s, mode):
            found = image_input_problem(s.texture_image, "texture image")
            if found:
                return found
    if mode == 'IMAGE_TO_3D':
        if s.image_source == 'TASK':
            if not s.input_task_id.strip():
                return "Choose a finished Text to Image or Image to Image task"
        else:
            found = image_input_problem(s.image_input, source=s.image_source)
            if found:
                return found
    if mode == 'MULTI_IMAGE_TO_3D':
        found = _image_list_problem(s.views, tasks.MAX_VIEWS, "views of the object", "view")
        if found:
            return found
    if mode == 'TEXT_TO_IMAGE' and not s.generate_multi_view and not s.use_openai_images:
        ratios = tasks.IMAGE_ASPECT_RATIOS[s.image_ai_model]
        if s.aspect_ratio not in ratios:
            return (f"{s.image_ai_model} does not make {s.aspect_ratio} images; "
                    f"choose {', '.join(ratios)}")
    if mode == 'IMAGE_TO_IMAGE':
        return _image_list_problem(s.references, tasks.MAX_REFERENCES, "reference images",
                                   "reference image")
    return ""


def _image_list_problem(items, limit, plural, singular):
    if not items:
        return f"Add 1 to {limit} {plural}"
    if len(items) > limit:
        return f"Meshy takes at most {limit} {plural}; remove {len(items) - limit}"
    for index, item in enumerate(items, start=1):
        found = image_input_problem(item, f"{singular} {index}")
        if found:
            return found
    return ""


# --- payloads -----------------------------------------------------------------------------------

def _textures(s, mode):
    return mode == 'TEXT_TO_3D' or s.should_texture


def _is_meshy6(s):
    return s.ai_model in tasks.MESHY_6


def _geometry(s, payload, allow_lowpoly=True):
    payload["ai_model"] = s.ai_model
    if allow_lowpoly and s.model_type == 'lowpoly':
        payload["model_type"] = "lowpoly"
    else:
        payload["should_remesh"] = s.should_remesh
        if s.should_remesh:
            payload.update(remesh_fields(s.remesh))
    if s.pose_mode != 'NONE':
        payload["pose_mode"] = s.pose_mode
    if s.auto_size:
        payload["auto_size"] = True
        payload["origin_at"] = s.origin_at
    if s.moderation:
        payload["moderation"] = True
    if s.alpha_thumbnail:
        payload["alpha_thumbnail"] = True
    return payload


def remesh_fields(remesh):
    """topology and polycount (or adaptive detail) from a MESHY_PG_remesh."""
    fields = {"topology": remesh.topology}
    if remesh.use_adaptive_decimation:
        fields["decimation_mode"] = int(remesh.decimation_mode)
    else:
        fields["target_polycount"] = remesh.target_polycount
    return fields


def _texturing(s, payload, image):
    payload["enable_pbr"] = s.enable_pbr
    if _is_meshy6(s):
        payload["hd_texture"] = s.hd_texture
        payload["remove_lighting"] = s.remove_lighting
    if s.texture_prompt.strip():
        payload["texture_prompt"] = s.texture_prompt.strip()
    elif s.use_texture_image:
        payload["texture_image_url"] = image(s.texture_image, "texture image")
    return payload


def with_formats(context, payload):
    """Ask for GLB plus the format the artist imports (preferences), nothing more."""
    fmt = preferences.get(context).model_format
    payload["target_formats"] = sorted({"glb", fmt})
    return payload


def refine_payload(context, settings=None):
    """The texturing (refine) payload for the current settings, without preview_task_id."""
    s = settings_of(context, settings)
    payload = _texturing(s, {"mode": "refine", "ai_model": s.ai_model}, image_value)
    return with_formats(context, payload)


def label_for(text, fallback):
    text = " ".join(text.split())
    return text[:60] if text else fallback


def build(context, settings=None):
    """The request for the current settings (or `settings`); NotReady says why there is none.
    Reads no pixels."""
    reason = problem(context, settings)
    if reason:
        raise NotReady(reason)
    return _build(context, settings_of(context, settings)).validate()


def refine_request(context, preview_task_id, label=""):
    """Texture a finished Text to 3D preview with the current texture settings."""
    if not preview_task_id:
        raise NotReady("Choose the preview to texture (its task id)")
    payload = refine_payload(context)
    payload["preview_task_id"] = preview_task_id
    hd_texture = bool(context.scene.meshy.hd_texture)
    return Request("text_to_3d_refine", payload, label or "Text to 3D",
                   {"hd_texture": hd_texture}).validate()


def _concept_request(context):
    from .api.images import ConceptImages
    prefs = preferences.get(context)
    prompt = context.scene.meshy.prompt.strip()
    runner = ConceptImages(prefs.image_base_url.strip().rstrip("/"), prefs.image_api_key.strip(),
                           prefs.image_model.strip(), prompt, gate=preferences.gate())
    return Request(results.CONCEPT_IMAGE, {}, label_for(prompt, "Concept image"), runner=runner,
                   service=prefs.image_model.strip() or "the image service")


def _build(context, s):
    image = image_value
    if uses_image_source(context, s):
        return _concept_request(context)
    mode = s.mode
    options = {"hd_texture": bool(s.hd_texture and _is_meshy6(s))}
    if mode == 'TEXT_TO_3D':
        preview = with_formats(context, _geometry(s, {"mode": "preview",
                                                      "prompt": s.prompt.strip()}))
        refine = refine_payload(context, s)
        label = label_for(s.prompt, "Text to 3D")
        follow_up = None
        if s.auto_refine:
            follow_up = {"kind": "text_to_3d_refine", "payload": refine, "id_field": "preview_task_id",
                         "label": label, "options": options}
        preview_options = {"import": bool(s.import_preview or not s.auto_refine)}
        return Request("text_to_3d_preview", preview, label, preview_options, follow_up)

    if mode in ('IMAGE_TO_3D', 'MULTI_IMAGE_TO_3D'):
        payload = _geometry(s, {}, allow_lowpoly=mode == 'IMAGE_TO_3D')
        payload["should_texture"] = s.should_texture
        if s.should_texture:
            _texturing(s, payload, image)
        if _is_meshy6(s):
            payload["image_enhancement"] = s.image_enhancement
        if s.multi_view_thumbnails:
            payload["multi_view_thumbnails"] = True
        if s.save_pre_remeshed_model and payload.get("should_remesh"):
            payload["save_pre_remeshed_model"] = True
        with_formats(context, payload)
        if mode == 'IMAGE_TO_3D':
            if s.image_source == 'TASK':
                payload["input_task_id"] = s.input_task_id.strip()
                label = "Image to 3D"
            else:
                payload["image_url"] = image(s.image_input, "image", s.image_source)
                label = _image_label(s.image_input, "Image to 3D", s.image_source)
            return Request("image_to_3d", payload, label, options)
        payload["image_urls"] = [image(v, f"view {i}") for i, v in enumerate(s.views, 1)]
        return Request("multi_image_to_3d", payload, _image_label(s.views[0], "Multi-image to 3D"),
                       options)

    if mode == 'TEXT_TO_IMAGE':
        payload = {"ai_model": s.image_ai_model, "prompt": s.prompt.strip()}
        if s.generate_multi_view:
            payload["generate_multi_view"] = True
        else:
            payload["aspect_ratio"] = s.aspect_ratio
        if s.image_pose_mode != 'NONE':
            payload["pose_mode"] = s.image_pose_mode
        return Request("text_to_image", payload, label_for(s.prompt, "Text to Image"))

    payload = {"ai_model": s.image_ai_model, "prompt": s.prompt.strip(),
               "reference_image_urls": [image(r, f"reference {i}")
                                        for i, r in enumerate(s.references, 1)]}
    if s.generate_multi_view:
        payload["generate_multi_view"] = True
    return Request("image_to_image", payload, label_for(s.prompt, "Image to Image"))


def _image_label(item, fallback, source=None):
    if (source or item.source) == 'DATABLOCK' and item.image is not None:
        return item.image.name
    if item.filepath:
        return os.path.splitext(os.path.basename(bpy.path.abspath(item.filepath)))[0] or fallback
    return fallback


# --- the Selected Object tools ---------------------------------------------------------------

TOOL_VERBS = {
    "retexture": "Retexture", "remesh": "Remesh", "convert": "Convert", "resize": "Resize",
    "rigging": "Rig", "analyze_printability": "Printability of", "repair_printability": "Repair",
    "multi_color_print": "Multi-color print of",
}
# Result files a tool needs (None: every file the importer may use).
_TOOL_ROLES = {"rigging": ["rigged_character", "walking", "running", "thumbnail"]}


def tool_problem(context, kind):
    """Why the tool's settings cannot be sent, or "" when they can (the selection aside)."""
    tools = context.scene.meshy.tools
    if kind == "retexture":
        if tools.style_source == 'TEXT':
            if not tools.style_prompt.strip():
                return "Describe the new style (Style) or switch to an image style"
            return _prompt_problem(tools.style_prompt, "style")
        return image_input_problem(tools.style_image, "style image")
    if kind == "convert" and not tools.convert_formats:
        return "Choose at least one format"
    if kind == "rigging" and tools.use_rig_texture:
        return image_input_problem(tools.rig_texture, "base colour image")
    return ""


def tool_request(context, kind, objects=(), task_id="", options=None):
    """The request for a tool on the selected `objects` (already checked by
    selection.check_selection) or, with `task_id`, on that Meshy task. Raises NotReady,
    selection.SelectionError or a MeshyError; nothing is sent."""
    problem_text = tool_problem(context, kind)
    if problem_text:
        raise NotReady(problem_text)
    verb = TOOL_VERBS[kind]
    options = dict(options or {})
    if _TOOL_ROLES.get(kind):
        options["roles"] = _TOOL_ROLES[kind]
    notes = []
    if task_id:
        payload, label = {"input_task_id": task_id}, f"{verb} {task_id[:8]}"
        options["placement"] = "cursor"
    else:
        first = objects[0]
        label = f"{verb} {first.name}" if len(objects) == 1 else f"{verb} {len(objects)} objects"
        payload, source_options, notes = selection.source(context, kind, objects)
        options.update(source_options)
    try:
        payload.update(_TOOL_PAYLOADS.get(kind, _nothing)(context, context.scene.meshy.tools,
                                                          objects))
        if kind == "retexture":
            tools = context.scene.meshy.tools
            # With the mesh's own UVs kept, the new textures fit the object as it is: swap
            # materials.
            options.update(apply_material=bool(tools.enable_original_uv and len(objects) == 1),
                           hd_texture=bool(tools.hd_texture))
        elif kind == "convert":
            options["all_formats"] = True
        return Request(kind, payload, label, options, notes=notes).validate()
    except BaseException:
        selection.discard_uploads(payload)  # exported for a request that will not be sent
        raise


def _nothing(context, tools, objects):
    return {}


def _retexture(context, tools, objects):
    payload = {"ai_model": tools.retexture_ai_model,
               "enable_original_uv": tools.enable_original_uv,
               "enable_pbr": tools.enable_pbr}
    if tools.retexture_ai_model in tasks.MESHY_6:
        payload["hd_texture"] = tools.hd_texture
        payload["remove_lighting"] = tools.remove_lighting
    if tools.style_source == 'TEXT':
        payload["text_style_prompt"] = tools.style_prompt.strip()
    else:
        payload["image_style_url"] = image_value(tools.style_image, "style image")
    return with_formats(context, payload)


def _remesh(context, tools, objects):
    return with_formats(context, remesh_fields(tools.remesh))


def _convert(context, tools, objects):
    return {"target_formats": sorted(set(tools.convert_formats) | {"glb"})}


def _resize(context, tools, objects):
    payload = {"origin_at": tools.origin_at}
    if tools.resize_mode == 'AUTO':
        payload["auto_size"] = True
    elif tools.resize_mode == 'HEIGHT':
        payload["resize_height"] = round(tools.resize_value, 4)
    else:
        payload["resize_longest_side"] = round(tools.resize_value, 4)
    return payload


def _rig(context, tools, objects):
    height = tools.height_meters or (selection.world_height(objects) if objects else 0.0)
    payload = {"height_meters": round(height, 3) if height > 0 else 1.7}
    if tools.use_rig_texture:
        payload["texture_image_url"] = image_value(tools.rig_texture, "base colour image")
    return payload


def rig_payload(context, tools, objects=()):
    """The rigging payload (without its input) for `tools` settings (Scene.meshy.tools or a
    batch row's defaults)."""
    return _rig(context, tools, objects)


def _multi_color_print(context, tools, objects):
    return {"max_colors": tools.max_colors, "max_depth": tools.max_depth}


_TOOL_PAYLOADS = {"retexture": _retexture, "remesh": _remesh, "convert": _convert,
                  "resize": _resize, "rigging": _rig, "multi_color_print": _multi_color_print}


def animation_request(context, armature, rig_task_id):
    """An animation from Meshy's library for a Meshy rig (Scene.meshy.tools settings)."""
    tools = context.scene.meshy.tools
    payload = {"rig_task_id": rig_task_id, "action_id": tools.action_id}
    if tools.fps != '0':
        payload["post_process"] = {"operation_type": "change_fps", "fps": int(tools.fps)}
    name = tools.action_name or f"Action {tools.action_id}"
    roles = ["processed_animation_fps"] if tools.fps != '0' else ["animation"]
    options = {"target_armature": armature.name, "action_name": name, "roles": roles}
    return Request("animation", payload, f"{name} ({armature.name})", options).validate()


# --- images -------------------------------------------------------------------------------------

# A tiny PNG data URI: what an image input is validated as until the real one is encoded.
STAND_IN_IMAGE = "data:image/png;base64,iVBORw0KGgo="


def image_value(item, what="image", source=None):
    """A Deferred data URI for an image input."""
    from .api import media
    if (source or item.source) == 'FILE':
        path = bpy.path.abspath(item.filepath)
        return Deferred(f"{what} {os.path.basename(path)}", media.image_data_uri,
                        stand_in=STAND_IN_IMAGE, gather=lambda: _file_source(path, what))
    return datablock_value(item.image, what)


EXR_MAGIC = b"\x76\x2f\x31\x01"
EXR_FORMATS = ('OPEN_EXR', 'OPEN_EXR_MULTILAYER')


def _file_source(path, what):
    """What media.image_data_uri should read for an image file (main thread, at submission):
    the file, or for OpenEXR (beyond Pillow) its pixels as Blender reads them."""
    try:
        with open(path, "rb") as fh:
            exr = fh.read(4) == EXR_MAGIC
    except OSError:
        return path  # the encoder reports an unreadable file with its name
    if not exr:
        return path
    from .api.errors import InputError
    try:
        image = bpy.data.images.load(path, check_existing=False)
    except RuntimeError:
        raise InputError(f"Blender cannot read the {what} {os.path.basename(path)}") from None
    try:
        return _pixels(image)
    finally:
        bpy.data.images.remove(image)


def datablock_value(image, what="image"):
    """A Deferred data URI for a Blender image; its pixels (or file) are read at submission."""
    from .api import media
    return Deferred(f"{what} {image.name}", media.image_data_uri, stand_in=STAND_IN_IMAGE,
                    gather=lambda: _image_source(image))


def _image_source(image):
    """What media.image_data_uri should read for a Blender image (main thread): a file, the
    packed bytes, or the pixels."""
    if image.type in ('RENDER_RESULT', 'COMPOSITING'):
        # A render's pixels are not readable from Python; saving it is the supported way out.
        path = os.path.join(selection.new_upload_folder("render"), "render.png")
        image.save_render(path)
        return path
    if image.file_format in EXR_FORMATS:
        # Pillow cannot decode OpenEXR, packed or on disk; Blender already has the pixels.
        return _pixels(image)
    if image.packed_file is not None:
        return bytes(image.packed_file.data)
    path = bpy.path.abspath(image.filepath) if image.filepath else ""
    if path and os.path.isfile(path) and not image.is_dirty:
        return path
    return _pixels(image)


def _pixels(image):
    """The image's pixels as media.image_data_uri reads a Blender pixel buffer (main thread)."""
    width, height = image.size
    channels = image.channels
    if width == 0 or height == 0:
        from .api.errors import InputError
        raise InputError(f"The Blender image '{image.name}' has no pixels")
    import array
    pixels = array.array("f", bytes(4 * width * height * channels))
    image.pixels.foreach_get(pixels)
    # Float images hold linear values; byte images hold their file's (sRGB) values.
    return {"width": width, "height": height, "channels": channels, "pixels": pixels,
            "linear": bool(image.is_float)}


# --- Creative Lab (Scene.meshy.creative) -----------------------------------------------------------

def _creative_settings(context):
    return context.scene.meshy.creative


def _uses_text(c):
    return c.product == "lamp" and c.lamp_source == 'TEXT'


# --- Creative Lab: what is known here about a prototype ---------------------------------------

def concept_images(product=None):
    """Concept images in this file (of `product`, when given), newest first."""
    found = [image for image in bpy.data.images
             if tasks.creative_stage(str(image.get("meshy_kind", ""))) == tasks.PROTOTYPE
             and (product is None or image["meshy_kind"] == tasks.creative_kind(product, tasks.PROTOTYPE))]
    return sorted(found, key=lambda image: image.get("meshy_imported_at", 0.0), reverse=True)


def concept_image(task_id):
    return next((image for image in bpy.data.images
                 if image.get("meshy_task_id") == task_id
                 and tasks.creative_stage(str(image.get("meshy_kind", ""))) == tasks.PROTOTYPE), None)


def _job_with_task(task_id):
    from . import jobs  # jobs imports this module
    engine = jobs.engine()
    if engine is None:
        return None
    return next((job for job in reversed(list(engine.jobs.values()))
                 if job.task_id == task_id), None)


def prototype_problem(task_id, product):
    """Why `task_id` cannot be built as `product` from what is known here ("" when it may be sent:
    an id known nowhere here, e.g. pasted from elsewhere, is for Meshy to judge)."""
    label = tasks.product_label(product)
    if not task_id:
        return f"Make a {label} prototype and approve its concept image first"
    image = concept_image(task_id)
    job = _job_with_task(task_id)
    kind = image["meshy_kind"] if image is not None else (job.kind if job else "")
    if not kind:
        return ""
    other, stage = tasks.split_creative_kind(kind)
    if stage != tasks.PROTOTYPE:
        return (f"The approved task is a {tasks.family(kind).label}, not a prototype; approve a "
                f"{label} prototype")
    if other != product:
        return (f"The approved prototype is a {tasks.product_label(other)} prototype; a {label} build "
                f"needs a {label} prototype")
    if image is None and job is not None:
        if job.active:
            return "The prototype is still being made; build once its concept image is shown"
        return "That prototype did not finish with a concept image; make a new prototype"
    return ""


def creative_problem(context, stage):
    """Why the Creative Lab's `stage` ("prototype" or "build") cannot be sent ("" when it can)."""
    c = _creative_settings(context)
    name_limit = tasks.family(tasks.creative_kind(c.product, stage)).field("name").max_length
    if len(c.name) > name_limit:
        return f"The name is {len(c.name)} characters; Meshy accepts up to {name_limit}"
    if stage == tasks.BUILD:
        return prototype_problem(c.prototype_task_id.strip(), c.product)
    if _uses_text(c):
        limit = tasks.family("lamp_prototype").field("text").max_length
        text = c.text.strip()
        if not text:
            return "Describe the lampshade's subject first"
        if len(text) > limit:
            return f"The subject is {len(text)} characters; Meshy accepts up to {limit}"
        return ""
    if c.source_image.source == 'FILE' and not c.source_image.filepath:
        return f"Choose the photo the {tasks.product_label(c.product)} is made from"
    return image_input_problem(c.source_image, "photo")


def creative_prototype_request(context):
    """The prototype (concept image) request for the chosen product; NotReady says what is
    missing. Reads no pixels (the picture is a Deferred input)."""
    reason = creative_problem(context, tasks.PROTOTYPE)
    if reason:
        raise NotReady(reason)
    c = _creative_settings(context)
    kind = tasks.creative_kind(c.product, tasks.PROTOTYPE)
    product = tasks.product_label(c.product)
    if _uses_text(c):
        payload = {"text": c.text.strip()}
        subject = c.text
    else:
        payload = {"image_url": image_value(c.source_image, "photo")}
        subject = _image_label(c.source_image, "")
        if c.product == "lamp":
            payload["image_subject"] = c.image_subject
    if c.name.strip():
        payload["name"] = c.name.strip()
    return Request(kind, payload, label_for(c.name, f"{product} {subject}".strip())).validate()


def creative_build_request(context):
    """The build request from the approved prototype, with every option the artist changed from
    its documented default (the pages: "send only the ones you want to override")."""
    reason = creative_problem(context, tasks.BUILD)
    if reason:
        raise NotReady(reason)
    c = _creative_settings(context)
    kind = tasks.creative_kind(c.product, tasks.BUILD)
    prototype_id = c.prototype_task_id.strip()
    payload = {"input_task_id": prototype_id}
    if c.name.strip():
        payload["name"] = c.name.strip()
    group = c.options_of()
    if group is not None:
        options = {spec.name: _option_value(spec, getattr(group, spec.name))
                   for spec in tasks.family(kind).field("options").fields}
        options = {name: value for name, value in options.items()
                   if value != tasks.family(kind).field(f"options.{name}").default}
        if options:
            payload["options"] = options
        output = tasks.family(kind).field("output.format")
        if group.output_format != output.default:
            payload["output"] = {"format": group.output_format}
    concept = concept_image(prototype_id)
    subject = concept.get("meshy_prompt", "") if concept is not None else ""
    fallback = subject or f"{tasks.product_label(c.product)} {prototype_id[:8]}"
    return Request(kind, payload, label_for(c.name, fallback), {"placement": "cursor"}).validate()


def _option_value(spec, value):
    # Single-precision floats (2.2 is 2.2000000476...) are sent as the number the artist typed.
    return round(value, 4) if spec.type == "number" else value
