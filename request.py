# SPDX-License-Identifier: GPL-3.0-or-later
"""From the sidebar's settings (Scene.meshy) to a request: task kind, payload, label, cost.

`problem()` says, in one sentence, why the current settings cannot be sent (the Generate button
shows it as its poll message); `build()` makes the request. Reading images happens here on the main
thread only as far as bpy requires (pixels of an unsaved Blender image); encoding them (Pillow,
base64) is deferred to the worker thread.
"""

import os
from dataclasses import dataclass, field

import bpy

from . import preferences, selection
from .engine import Deferred
from .properties import ASPECT_RATIOS, PROMPT_LIMIT, SUPPORTED_IMAGE_EXTENSIONS

MAX_VIEWS = 4
MAX_REFERENCES = 5


@dataclass
class Request:
    kind: str
    payload: dict
    label: str
    options: dict = field(default_factory=dict)
    follow_up: dict = None

    def cost(self):
        """Credits this request will use, from the pricing page (follower included)."""
        from .api import tasks
        total = tasks.cost(self.kind, self.payload)
        if self.follow_up:
            total += tasks.cost(self.follow_up["kind"], self.follow_up["payload"])
        return total


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


def problem(context):
    """Why the current settings cannot be sent, or "" when they can."""
    s = context.scene.meshy
    mode = s.mode
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
        found = _image_list_problem(s.views, MAX_VIEWS, "views of the object", "view")
        if found:
            return found
    if mode == 'TEXT_TO_IMAGE' and not s.generate_multi_view and not s.use_openai_images:
        if s.aspect_ratio not in ASPECT_RATIOS[s.image_ai_model]:
            return (f"{s.image_ai_model} does not make {s.aspect_ratio} images; "
                    f"choose {', '.join(ASPECT_RATIOS[s.image_ai_model])}")
    if mode == 'IMAGE_TO_IMAGE':
        return _image_list_problem(s.references, MAX_REFERENCES, "reference images",
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
    return s.ai_model in ("latest", "meshy-6")


def _geometry(s, payload, allow_lowpoly=True):
    payload["ai_model"] = s.ai_model
    if allow_lowpoly and s.model_type == 'lowpoly':
        payload["model_type"] = "lowpoly"
    else:
        payload["should_remesh"] = s.should_remesh
        if s.should_remesh:
            payload["topology"] = s.topology
            if s.use_adaptive_decimation:
                payload["decimation_mode"] = int(s.decimation_mode)
            else:
                payload["target_polycount"] = s.target_polycount
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


def refine_payload(context, image=None):
    """The texturing (refine) payload for the current settings, without preview_task_id."""
    s = context.scene.meshy
    payload = _texturing(s, {"mode": "refine", "ai_model": s.ai_model}, image or image_value)
    return with_formats(context, payload)


def label_for(text, fallback):
    text = " ".join(text.split())
    return text[:60] if text else fallback


def build(context, read_images=True):
    """The request for the current settings (call problem() first).

    With read_images=False, images are stood in for by a tiny placeholder: enough to price and
    validate the request from a panel's draw code without reading any pixels.
    """
    image = image_value if read_images else _placeholder
    s = context.scene.meshy
    mode = s.mode
    options = {"hd_texture": bool(s.hd_texture and _is_meshy6(s))}
    if mode == 'TEXT_TO_3D':
        preview = with_formats(context, _geometry(s, {"mode": "preview",
                                                      "prompt": s.prompt.strip()}))
        refine = refine_payload(context, image)
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


# --- images -------------------------------------------------------------------------------------

PLACEHOLDER_IMAGE = "data:image/png;base64,iVBORw0KGgo="


def _placeholder(item, what="image", source=None):
    return PLACEHOLDER_IMAGE


def image_value(item, what="image", source=None):
    """A Deferred data URI for an image input; bpy is read here, encoding happens in the worker."""
    from .api import media
    if (source or item.source) == 'FILE':
        path = bpy.path.abspath(item.filepath)
        if _is_exr_file(path):
            return _exr_file_value(path, what)
        return Deferred(f"{what} {os.path.basename(path)}", media.image_data_uri, path,
                        stand_in=PLACEHOLDER_IMAGE)
    return datablock_value(item.image, what)


EXR_MAGIC = b"\x76\x2f\x31\x01"
EXR_FORMATS = ('OPEN_EXR', 'OPEN_EXR_MULTILAYER')


def _is_exr_file(path):
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == EXR_MAGIC
    except OSError:
        return False  # the encoder reports an unreadable file with its name


def _exr_file_value(path, what):
    """OpenEXR is beyond Pillow: Blender reads the file into a temporary image, and its pixels
    are sent like those of any Blender image."""
    from .api.errors import InputError
    name = os.path.basename(path)
    try:
        image = bpy.data.images.load(path, check_existing=False)
    except RuntimeError:
        raise InputError(f"Blender cannot read the {what} {name}") from None
    try:
        return _pixels_value(image, f"{what} {name}")
    finally:
        bpy.data.images.remove(image)


def datablock_value(image, what="image"):
    from .api import media
    if image.type in ('RENDER_RESULT', 'COMPOSITING'):
        # A render's pixels are not readable from Python; saving it is the supported way out.
        path = os.path.join(selection.new_upload_folder("render"), "render.png")
        image.save_render(path)
        return Deferred(f"{what} {image.name}", media.image_data_uri, path,
                        stand_in=PLACEHOLDER_IMAGE)
    if image.file_format in EXR_FORMATS:
        # Pillow cannot decode OpenEXR, packed or on disk; Blender already has the pixels.
        return _pixels_value(image, f"{what} {image.name}")
    if image.packed_file is not None:
        data = bytes(image.packed_file.data)
        return Deferred(f"{what} {image.name}", media.image_data_uri, data,
                        stand_in=PLACEHOLDER_IMAGE)
    path = bpy.path.abspath(image.filepath) if image.filepath else ""
    if path and os.path.isfile(path) and not image.is_dirty:
        return Deferred(f"{what} {image.name}", media.image_data_uri, path,
                        stand_in=PLACEHOLDER_IMAGE)
    return _pixels_value(image, f"{what} {image.name}")


def _pixels_value(image, description):
    """The image's pixels, read now (main thread), as a Deferred PNG for the worker to encode."""
    from .api import media
    width, height = image.size
    channels = image.channels
    if width == 0 or height == 0:
        from .api.errors import InputError
        raise InputError(f"The Blender image '{image.name}' has no pixels")
    import array
    pixels = array.array("f", bytes(4 * width * height * channels))
    image.pixels.foreach_get(pixels)
    buffer = {"width": width, "height": height, "channels": channels, "pixels": pixels,
              # Float images hold linear values; byte images hold their file's (sRGB) values.
              "linear": bool(image.is_float)}
    return Deferred(description, media.image_data_uri, buffer, stand_in=PLACEHOLDER_IMAGE)
