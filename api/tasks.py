# SPDX-License-Identifier: GPL-3.0-or-later
"""Every Meshy task family, as one declarative table, and what can be derived from it.

A row (`Family`) says where a family lives (path and API version, list endpoint), what a create
request may contain (fields with their types, choices, ranges, lengths; "only one of" rules),
which earlier tasks its task-id inputs may come from, what it costs (shared/meshy-api/04-pricing),
how to recognise a task we created in a listing, and where its result files sit in the task
object. Adding a family is adding a row.

Public: `KINDS`, `family(kind)`, `validate(kind, payload)`, `cost(kind, payload)`,
`result_files(kind, task)` and `ResultFile`.
"""

import math
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field as _member
from types import MappingProxyType
from typing import Callable
from urllib.parse import urlsplit

from .errors import ValidationError
from .media import DataURI, MIME_MODEL, data_uri_mime

TERMINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED", "CANCELED"})

# --- vocabularies from the reference pages ----------------------------------------------------

# The 3D models as (name the API takes, label, description); the interface lists them in this order.
AI_MODEL_CHOICES = (
    ("latest", "Latest (Meshy 6)", "The newest model"),
    ("meshy-6", "Meshy 6", "Best quality; PBR includes an emission map"),
    ("meshy-5", "Meshy 5", "The previous generation (cheaper)"),
)
AI_MODELS = tuple(name for name, _label, _description in AI_MODEL_CHOICES)
MESHY_6 = ("meshy-6", "latest")  # "latest" resolves to Meshy 6 (overview, section 9)
IMAGE_AI_MODEL_CHOICES = (
    ("nano-banana", "Nano Banana", "Standard model"),
    ("nano-banana-2", "Nano Banana 2", "Balanced model"),
    ("nano-banana-pro", "Nano Banana Pro", "Enhanced quality"),
    ("gpt-image-2", "GPT Image 2", "High fidelity (aspect ratios 1:1, 3:2, 2:3 only)"),
)
IMAGE_AI_MODELS = tuple(name for name, _label, _description in IMAGE_AI_MODEL_CHOICES)
# Which aspect ratios each image model makes (19-text-to-image).
_NANO_BANANA_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4")
IMAGE_ASPECT_RATIOS = MappingProxyType({
    "nano-banana": _NANO_BANANA_RATIOS, "nano-banana-2": _NANO_BANANA_RATIOS,
    "nano-banana-pro": _NANO_BANANA_RATIOS, "gpt-image-2": ("1:1", "3:2", "2:3"),
})
ASPECT_RATIOS = tuple(dict.fromkeys(r for ratios in IMAGE_ASPECT_RATIOS.values() for r in ratios))

# Limits from the reference pages.
PROMPT_LIMIT = 600                         # prompt, texture prompt, retexture style (characters)
POLYCOUNT_RANGE = (100, 300_000)           # target_polycount
RIG_FACE_LIMIT = 300_000                   # rigging: faces of the character
MAX_MODEL_UPLOAD_BYTES = 100 * 1024 * 1024  # analyze/repair document 100 MB; used for every upload
MAX_VIEWS = 4                              # multi-image to 3D
MAX_REFERENCES = 5                         # image to image
TARGET_FORMATS = ("glb", "obj", "fbx", "stl", "usdz", "3mf")
EXPORT_FORMATS = ("glb", "fbx", "obj", "usdz", "blend", "stl", "3mf")  # remesh / convert
IMAGE_TYPES = ("png", "jpeg")
CREATIVE_IMAGE_TYPES = ("png", "jpeg", "webp")
MODEL_TYPES = ("glb", "gltf", "obj", "fbx", "stl")
BADGE_SHAPES = ("circle", "rounded-rect", "hexagon", "shield", "star")
RELIEF_CURVES = ("linear", "gamma", "s-curve")

_EXTENSIONS = {"png": ("png",), "jpeg": ("jpg", "jpeg"), "webp": ("webp",), "glb": ("glb",),
               "gltf": ("gltf",), "obj": ("obj",), "fbx": ("fbx",), "stl": ("stl",)}
_IMAGE_MIMES = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/webp": "webp"}
# Suffixes that name a file format in result keys ("pre_remeshed_glb", "walking_fbx_url").
FILE_FORMATS = ("glb", "gltf", "fbx", "obj", "mtl", "usdz", "stl", "3mf", "blend", "zip",
                "png", "jpg", "jpeg", "webp", "mp4")


# --- field specifications ---------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    """One request parameter.

    type: "string", "integer", "number", "boolean", "formats" (list of choices), "image",
    "images", "model", "task_id" or "object" (with `fields`).
    """

    name: str
    type: str
    required: bool = False
    choices: tuple = ()
    minimum: float = None
    maximum: float = None
    exclusive_minimum: bool = False
    max_length: int = None
    min_items: int = None
    max_items: int = None
    accepts: tuple = ()   # file types an image/model input may have
    refs: tuple = ()      # kinds whose task id a task_id input takes
    fields: tuple = ()    # members of an object
    deprecated: bool = False
    default: object = None  # what the server uses when the field is left out (where documented)


def text(name, max_length=None, required=False):
    return Field(name, "string", required, max_length=max_length)


def choice(name, *choices, required=False, deprecated=False, default=None):
    return Field(name, "string", required, choices=choices, deprecated=deprecated,
                 default=default)


def flag(name, deprecated=False, default=None):
    return Field(name, "boolean", deprecated=deprecated, default=default)


def integer(name, minimum=None, maximum=None, choices=(), required=False, default=None):
    return Field(name, "integer", required, choices=choices, minimum=minimum, maximum=maximum,
                 default=default)


def number(name, minimum=None, maximum=None, above=None, required=False, deprecated=False,
           default=None):
    """A number in [minimum, maximum], or in (above, maximum] when `above` is given."""
    if above is not None:
        return Field(name, "number", required, minimum=above, maximum=maximum,
                     exclusive_minimum=True, deprecated=deprecated, default=default)
    return Field(name, "number", required, minimum=minimum, maximum=maximum,
                 deprecated=deprecated, default=default)


def formats(name, *choices, required=False):
    return Field(name, "formats", required, choices=choices, min_items=1)


def image(name, accepts=IMAGE_TYPES, required=False):
    return Field(name, "image", required, accepts=accepts)


def images(name, min_items, max_items, accepts=IMAGE_TYPES, required=False):
    return Field(name, "images", required, accepts=accepts, min_items=min_items,
                 max_items=max_items)


def model(name, accepts=MODEL_TYPES, required=False):
    return Field(name, "model", required, accepts=accepts)


def task_ref(name, *kinds, required=False):
    return Field(name, "task_id", required, refs=kinds)


def group(name, *fields, required=False):
    return Field(name, "object", required, fields=fields)


# --- rules across fields ----------------------------------------------------------------------

def _is_set(value):
    """False, "", [] and None mean "not given" for the rules below (auto_size=False is no mode)."""
    return value is not None and value is not False and value != "" and value != []


def _get(payload, path):
    value = payload
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


@dataclass(frozen=True)
class OneOf:
    """Exactly one of `fields` (`required`), or at most one (not `required`)."""

    fields: tuple
    required: bool = True

    def check(self, payload, label):
        given = [name for name in self.fields if _is_set(_get(payload, name))]
        if len(given) > 1:
            raise ValidationError(given[1], f"cannot be combined with {given[0]}; give only one "
                                  f"of {_or(self.fields)}", label)
        if not given and self.required:
            others = _or(self.fields[1:])
            raise ValidationError(self.fields[0], f"is required (or give {others} instead)", label)


@dataclass(frozen=True)
class OnlyWith:
    """`field`, when set, needs `other` to be one of `values` (`default` when `other` is absent)."""

    field: str
    other: str
    values: tuple
    default: object = None

    def check(self, payload, label):
        if not _is_set(_get(payload, self.field)):
            return
        other = _get(payload, self.other)
        other = self.default if other is None else other
        if other not in self.values:
            raise ValidationError(self.field, f"only applies when {self.other} is "
                                  f"{_or(repr(v) for v in self.values)}", label)


@dataclass(frozen=True)
class Needs:
    """`field`, when set, needs `other` set too."""

    field: str
    other: str

    def check(self, payload, label):
        if _is_set(_get(payload, self.field)) and not _is_set(_get(payload, self.other)):
            raise ValidationError(self.other, f"is required when {self.field} is set", label)


@dataclass(frozen=True)
class ChoicesBy:
    """`field` must be one of `choices[value of on]` (absent `on` counts as `default`)."""

    field: str
    on: str
    choices: Mapping
    default: str

    def check(self, payload, label):
        value = _get(payload, self.field)
        if value is None:
            return
        key = _get(payload, self.on) or self.default
        allowed = self.choices.get(key, ())
        if value not in allowed:
            raise ValidationError(self.field, f"must be one of {_or(allowed)} when {self.on} is "
                                  f"{key!r} (got {value!r})", label)


def _or(names):
    names = [str(n) for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


# --- costs (04-pricing.md) --------------------------------------------------------------------

def flat(credits):
    return lambda payload: credits


def _is_meshy6(payload):
    return payload.get("ai_model", "latest") in MESHY_6


def _preview_cost(payload):
    # Meshy-6 and low-poly previews: 20; other models: 5.
    return 20 if payload.get("model_type") == "lowpoly" or _is_meshy6(payload) else 5


def _image_to_3d_cost(payload, lowpoly_counts=True):
    # Meshy-6 (and low poly for single images): 20 without texture, 30 with; others 5 / 15.
    premium = _is_meshy6(payload) or (lowpoly_counts and payload.get("model_type") == "lowpoly")
    base = 20 if premium else 5
    textured = payload.get("should_texture", True) is not False
    return base + 10 if textured else base


def _multi_image_cost(payload):
    return _image_to_3d_cost(payload, lowpoly_counts=False)


def _per_model(table):
    # Priced per call by ai_model; an unknown (not yet documented) model costs what the dearest does,
    # so the sidebar never shows less than will be charged.
    return lambda payload: table.get(payload.get("ai_model"), max(table.values()))


TEXT_TO_IMAGE_PRICES = {"nano-banana": 3, "nano-banana-2": 6, "nano-banana-pro": 9, "gpt-image-2": 9}
IMAGE_TO_IMAGE_PRICES = {"nano-banana": 3, "nano-banana-2": 6, "nano-banana-pro": 9, "gpt-image-2": 12}


# --- the family row ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Family:
    kind: str
    label: str
    path: str                 # create / retrieve / stream base path
    version: str              # the API version in that path
    fields: tuple
    cost: Callable
    task_type: str            # the `type` its task objects carry
    results: tuple            # where result files are: "model_urls", "texture_urls",
                              # "thumbnails", "image_urls", "result"
    list_path: str = None     # None: the API documents no list endpoint for this family
    rules: tuple = ()
    fixed: Mapping = _member(default_factory=lambda: MappingProxyType({}))  # always sent (mode)
    echoes: tuple = ()        # request fields the task object repeats (to find our own task)
    # model_urls keys that are not plain format names -> (role, fmt)
    model_roles: Mapping = _member(default_factory=lambda: MappingProxyType({}))
    image_role: str = "image"
    queued: bool = True       # counts against the account's concurrent-task queue
    # (status, server message) -> the sentence that says what to do, or None for the default
    advice: Callable = None

    def __post_init__(self):
        if f"/{self.version}/" not in f"{self.path}/":
            raise ValueError(f"{self.kind}: version {self.version} is not in {self.path}")

    def field(self, name):
        """The Field called `name` (dotted for object members: "options.size_mm")."""
        fields = self.fields
        spec = None
        for part in name.split("."):
            spec = next((f for f in fields if f.name == part), None)
            if spec is None:
                raise KeyError(name)
            fields = spec.fields
        return spec


# Shared field groups.
def _remesh_controls():
    return (choice("topology", "quad", "triangle"),
            integer("target_polycount", *POLYCOUNT_RANGE),
            integer("decimation_mode", choices=(1, 2, 3, 4)))


def _generation_common():
    return (choice("symmetry_mode", "off", "auto", "on", deprecated=True),
            choice("pose_mode", "a-pose", "t-pose", ""),
            flag("is_a_t_pose", deprecated=True),
            flag("moderation"),
            formats("target_formats", *TARGET_FORMATS),
            flag("alpha_thumbnail"),
            flag("auto_size"),
            choice("origin_at", "bottom", "center"))


def _texturing(prompt_limit=PROMPT_LIMIT):
    return (flag("enable_pbr"), flag("hd_texture"),
            text("texture_prompt", max_length=prompt_limit),
            image("texture_image_url"),
            flag("remove_lighting"))


def _relief_options(badge_shape, size_mm, relief_height_mm, base_thickness_mm):
    """Keychain and fridge magnet share the relief options; four defaults differ (pages 24, 25)."""
    return group("options",
                 choice("badge_shape", *BADGE_SHAPES, default=badge_shape),
                 number("size_mm", above=0, maximum=400, default=size_mm),
                 number("relief_height_mm", 0, 20, default=relief_height_mm),
                 number("relief_offset_mm", 0, 20, default=0),
                 number("base_thickness_mm", 0, 20, default=base_thickness_mm),
                 flag("has_closed_back", default=True),
                 choice("relief_curve", *RELIEF_CURVES, default="linear"),
                 number("curve_param", above=0, maximum=10, default=1.0),
                 flag("invert_depth", default=False),
                 number("smoothing", 0, 10, default=0.24),
                 number("relief_scale", above=0, maximum=10, default=1.0),
                 number("depth_threshold", 0, 1, default=0.1),
                 flag("remove_background", default=True),
                 integer("export_resolution", 64, 2048, default=512))


def _creative_advice(label, stage):
    """What a refused Creative Lab create means to a person (pages 24-27's failure modes)."""
    def advice(status, message):
        text = (message or "").lower()
        if stage == "prototype" and status == 400 and ("flagged" in text
                                                       or "moderation" in text):
            return ("Meshy's moderation refused the source picture (NSFW or intellectual "
                    "property). Choose a different picture; nothing was charged.")
        if stage != "build":
            return None
        if status == 404:
            return (f"A {label} build takes only a finished {label} prototype made through the "
                    "API with this key; prototypes made on meshy.ai, by another account, for "
                    f"another product, or build tasks are refused. Make a {label} prototype "
                    "here first; nothing was charged.")
        if status == 400 and "candidate" in text:
            return ("That prototype finished without a concept image, so there is nothing to "
                    "build. Make a new prototype; nothing was charged for this build.")
        if status == 400 and ("succeeded" in text or "not ready" in text):
            return ("That prototype has not finished yet. Wait until its concept image is "
                    "shown, then build; nothing was charged.")
        return None
    return advice


MODEL_KINDS = ("text_to_3d_preview", "text_to_3d_refine", "image_to_3d", "multi_image_to_3d",
               "remesh", "retexture", "convert", "resize", "repair_printability", "figure_build")
PRINT_SOURCE_KINDS = ("image_to_3d", "multi_image_to_3d", "text_to_3d_preview",
                      "text_to_3d_refine", "remesh", "retexture")
IMAGE_SOURCE_KINDS = ("text_to_image", "image_to_image")
TEXTURED_RESULTS = ("model_urls", "texture_urls", "thumbnails")


_CREATIVE_PRODUCTS = []


def _creative(product, label, prototype_fields, prototype_rules, build_options, build_output,
              model_roles=MappingProxyType({}), build_results=("model_urls",)):
    base = f"/openapi/creative-lab/{product}/v1"
    kind = product.replace("-", "_")
    _CREATIVE_PRODUCTS.append((kind, label))
    prototype = Family(
        kind=f"{kind}_prototype", label=f"Creative Lab {label} (prototype)",
        path=f"{base}/prototype", version="v1", list_path=f"{base}/prototype",
        fields=(*prototype_fields, text("name", max_length=100)), rules=prototype_rules,
        cost=flat(6), task_type=f"creative-lab-{product}-prototype", echoes=("name",),
        results=("image_urls",), image_role="concept",
        advice=_creative_advice(label, "prototype"))
    build_fields = [task_ref("input_task_id", f"{kind}_prototype", required=True),
                    text("name", max_length=100)]
    if build_options is not None:
        build_fields.append(build_options)
    if build_output:
        build_fields.append(group("output", choice("format", *build_output,
                                                   default=build_output[0])))
    build = Family(
        kind=f"{kind}_build", label=f"Creative Lab {label} (build)",
        path=f"{base}/build", version="v1", list_path=f"{base}/build",
        fields=tuple(build_fields), cost=flat(30), task_type=f"creative-lab-{product}-build",
        echoes=("name",), results=build_results, model_roles=model_roles,
        advice=_creative_advice(label, "build"))
    return prototype, build


_FAMILIES = (
    Family(
        kind="text_to_3d_preview", label="Text to 3D (preview)",
        path="/openapi/v2/text-to-3d", version="v2", list_path="/openapi/v2/text-to-3d",
        fixed=MappingProxyType({"mode": "preview"}),
        fields=(text("prompt", max_length=PROMPT_LIMIT, required=True),
                choice("model_type", "standard", "lowpoly"),
                choice("ai_model", *AI_MODELS),
                flag("should_remesh"), *_remesh_controls(),
                choice("art_style", "realistic", "sculpture", deprecated=True),
                *_generation_common()),
        cost=_preview_cost, task_type="text-to-3d-preview", echoes=("prompt", "art_style"),
        results=("model_urls", "thumbnails")),
    Family(
        kind="text_to_3d_refine", label="Text to 3D (refine)",
        path="/openapi/v2/text-to-3d", version="v2", list_path="/openapi/v2/text-to-3d",
        fixed=MappingProxyType({"mode": "refine"}),
        fields=(task_ref("preview_task_id", "text_to_3d_preview", required=True),
                *_texturing(), choice("ai_model", *AI_MODELS), flag("moderation"),
                formats("target_formats", *TARGET_FORMATS), flag("alpha_thumbnail"),
                flag("auto_size"), choice("origin_at", "bottom", "center")),
        rules=(OneOf(("texture_prompt", "texture_image_url"), required=False),),
        cost=flat(10), task_type="text-to-3d-refine", echoes=("texture_prompt",),
        results=TEXTURED_RESULTS),
    Family(
        kind="image_to_3d", label="Image to 3D",
        path="/openapi/v1/image-to-3d", version="v1", list_path="/openapi/v1/image-to-3d",
        fields=(task_ref("input_task_id", *IMAGE_SOURCE_KINDS), image("image_url"),
                choice("model_type", "standard", "lowpoly"), choice("ai_model", *AI_MODELS),
                flag("should_texture"), *_texturing(),
                flag("should_remesh"), *_remesh_controls(), flag("save_pre_remeshed_model"),
                flag("image_enhancement"), flag("multi_view_thumbnails"),
                *_generation_common()),
        rules=(OneOf(("input_task_id", "image_url")),
               OneOf(("texture_prompt", "texture_image_url"), required=False),
               OnlyWith("enable_pbr", "should_texture", (True,), default=True)),
        cost=_image_to_3d_cost, task_type="image-to-3d", echoes=("texture_prompt",),
        results=TEXTURED_RESULTS),
    Family(
        kind="multi_image_to_3d", label="Multi-Image to 3D",
        path="/openapi/v1/multi-image-to-3d", version="v1",
        list_path="/openapi/v1/multi-image-to-3d",
        fields=(task_ref("input_task_id", *IMAGE_SOURCE_KINDS), images("image_urls", 1, MAX_VIEWS),
                choice("ai_model", *AI_MODELS), flag("should_texture"), *_texturing(),
                flag("should_remesh"), *_remesh_controls(), flag("save_pre_remeshed_model"),
                flag("image_enhancement"), flag("multi_view_thumbnails"),
                *_generation_common()),
        rules=(OneOf(("input_task_id", "image_urls")),
               OneOf(("texture_prompt", "texture_image_url"), required=False),
               OnlyWith("enable_pbr", "should_texture", (True,), default=True)),
        cost=_multi_image_cost, task_type="multi-image-to-3d", echoes=("texture_prompt",),
        results=TEXTURED_RESULTS),
    Family(
        kind="remesh", label="Remesh",
        path="/openapi/v1/remesh", version="v1", list_path="/openapi/v1/remesh",
        fields=(task_ref("input_task_id", "text_to_3d_preview", "text_to_3d_refine",
                         "image_to_3d", "retexture"),
                model("model_url"), formats("target_formats", *EXPORT_FORMATS),
                *_remesh_controls(),
                number("resize_height", 0, deprecated=True),
                number("resize_longest_side", 0, deprecated=True),
                flag("auto_size", deprecated=True),
                choice("origin_at", "bottom", "center", deprecated=True),
                flag("convert_format_only", deprecated=True), flag("alpha_thumbnail")),
        rules=(OneOf(("input_task_id", "model_url")),
               OneOf(("auto_size", "resize_height", "resize_longest_side"), required=False),
               Needs("convert_format_only", "target_formats")),
        cost=flat(5), task_type="remesh", results=("model_urls", "thumbnails")),
    Family(
        kind="convert", label="Convert",
        path="/openapi/v1/convert", version="v1", list_path="/openapi/v1/convert",
        fields=(task_ref("input_task_id", *MODEL_KINDS), model("model_url"),
                formats("target_formats", *EXPORT_FORMATS, required=True)),
        rules=(OneOf(("input_task_id", "model_url")),),
        cost=flat(1), task_type="convert", results=("model_urls",)),
    Family(
        kind="resize", label="Resize",
        path="/openapi/v1/resize", version="v1", list_path="/openapi/v1/resize",
        fields=(task_ref("input_task_id", *MODEL_KINDS), model("model_url"),
                number("resize_height", above=0), number("resize_longest_side", above=0),
                flag("auto_size"), choice("origin_at", "bottom", "center")),
        rules=(OneOf(("input_task_id", "model_url")),
               OneOf(("resize_height", "resize_longest_side", "auto_size"))),
        cost=flat(1), task_type="resize", results=("model_urls",)),
    Family(
        kind="rigging", label="Auto-Rigging",
        path="/openapi/v1/rigging", version="v1",
        fields=(task_ref("input_task_id", *MODEL_KINDS), model("model_url", accepts=("glb",)),
                number("height_meters", above=0), image("texture_image_url", accepts=("png",))),
        rules=(OneOf(("input_task_id", "model_url")),),
        cost=flat(5), task_type="rig", results=("result",)),
    Family(
        kind="animation", label="Animation",
        path="/openapi/v1/animations", version="v1",
        fields=(task_ref("rig_task_id", "rigging", required=True),
                integer("action_id", 0, required=True),
                group("post_process",
                      choice("operation_type", "change_fps", "fbx2usdz", "extract_armature",
                             required=True),
                      integer("fps", choices=(24, 25, 30, 60)))),
        rules=(OnlyWith("post_process.fps", "post_process.operation_type", ("change_fps",)),),
        cost=flat(3), task_type="animate", results=("result",)),
    Family(
        kind="retexture", label="Retexture",
        path="/openapi/v1/retexture", version="v1", list_path="/openapi/v1/retexture",
        fields=(task_ref("input_task_id", "text_to_3d_preview", "text_to_3d_refine",
                         "image_to_3d", "remesh"),
                model("model_url"), text("text_style_prompt", max_length=PROMPT_LIMIT),
                image("image_style_url"), choice("ai_model", *AI_MODELS),
                flag("enable_original_uv"), flag("enable_pbr"), flag("hd_texture"),
                flag("remove_lighting"), formats("target_formats", *TARGET_FORMATS),
                flag("alpha_thumbnail")),
        rules=(OneOf(("input_task_id", "model_url")),
               OneOf(("text_style_prompt", "image_style_url"))),
        cost=flat(10), task_type="retexture", echoes=("text_style_prompt",),
        results=TEXTURED_RESULTS),
    Family(
        kind="text_to_image", label="Text to Image",
        path="/openapi/v1/text-to-image", version="v1", list_path="/openapi/v1/text-to-image",
        fields=(choice("ai_model", *IMAGE_AI_MODELS, required=True),
                text("prompt", required=True), flag("generate_multi_view"),
                choice("pose_mode", "a-pose", "t-pose"),
                choice("aspect_ratio", *ASPECT_RATIOS)),
        rules=(OneOf(("generate_multi_view", "aspect_ratio"), required=False),
               ChoicesBy("aspect_ratio", "ai_model", IMAGE_ASPECT_RATIOS, default="nano-banana")),
        cost=_per_model(TEXT_TO_IMAGE_PRICES), task_type="text-to-image",
        echoes=("ai_model", "prompt"), results=("image_urls",)),
    Family(
        kind="image_to_image", label="Image to Image",
        path="/openapi/v1/image-to-image", version="v1", list_path="/openapi/v1/image-to-image",
        fields=(choice("ai_model", *IMAGE_AI_MODELS, required=True),
                text("prompt", required=True),
                images("reference_image_urls", 1, MAX_REFERENCES, required=True),
                flag("generate_multi_view")),
        cost=_per_model(IMAGE_TO_IMAGE_PRICES), task_type="image-to-image",
        echoes=("ai_model", "prompt"), results=("image_urls",)),
    Family(
        kind="multi_color_print", label="3D Print (multi-color)",
        path="/openapi/v1/print/multi-color", version="v1",
        list_path="/openapi/v1/print/multi-color",
        fields=(task_ref("input_task_id", *PRINT_SOURCE_KINDS),
                model("model_url", accepts=("glb", "fbx")),
                integer("max_colors", 1, 16), integer("max_depth", 3, 6)),
        rules=(OneOf(("input_task_id", "model_url")),),
        cost=flat(10), task_type="print-multi-color", results=("model_urls",)),
    Family(
        kind="analyze_printability", label="3D Print (analyze printability)",
        path="/openapi/v1/print/analyze", version="v1", list_path="/openapi/v1/print/analyze",
        fields=(task_ref("input_task_id", *PRINT_SOURCE_KINDS), model("model_url")),
        rules=(OneOf(("input_task_id", "model_url")),),
        cost=flat(0), task_type="print-analyze", results=()),
    Family(
        kind="repair_printability", label="3D Print (repair printability)",
        path="/openapi/v1/print/repair", version="v1", list_path="/openapi/v1/print/repair",
        fields=(task_ref("input_task_id", *PRINT_SOURCE_KINDS),
                model("model_url", accepts=("glb", "stl", "obj")), flag("alpha_thumbnail")),
        rules=(OneOf(("input_task_id", "model_url")),),
        cost=flat(10), task_type="print-repair", results=("model_urls", "thumbnails")),
    *_creative("keychain", "Keychain",
               (image("image_url", CREATIVE_IMAGE_TYPES, required=True),), (),
               _relief_options("circle", 40, 2.2, 0.1), ("glb", "obj", "zip"),
               # output.format "obj" is a zip of obj + mtl + texture under model_urls.obj.
               model_roles=MappingProxyType({"obj": ("model_bundle", "zip")})),
    *_creative("fridge-magnet", "Fridge Magnet",
               (image("image_url", CREATIVE_IMAGE_TYPES, required=True),), (),
               _relief_options("rounded-rect", 60, 3.3, 2.0), ("glb", "obj", "zip"),
               model_roles=MappingProxyType({"obj": ("model_bundle", "zip")})),
    *_creative("figure", "Figure",
               (image("image_url", CREATIVE_IMAGE_TYPES, required=True),), (),
               None, (), build_results=TEXTURED_RESULTS),
    *_creative("lamp", "Lamp",
               (text("text", max_length=800), image("image_url", CREATIVE_IMAGE_TYPES),
                choice("image_subject", "character", "landscape", default="character")),
               (OneOf(("text", "image_url")),),
               group("options",
                     number("diameter_mm", 50, 400, default=80),
                     number("thickness_mm", above=0, maximum=10, default=1.5),
                     number("cut_amount_percent", 1, 100, default=35),
                     choice("light_source_preset", "bambu_mh001_60mm", "none",
                            default="bambu_mh001_60mm"),
                     number("fixture_offset_x_mm", -80, 80, default=0),
                     number("fixture_offset_z_mm", -80, 80, default=0),
                     number("rotate_x_deg", -360, 360, default=0),
                     number("rotate_y_deg", -360, 360, default=0),
                     number("rotate_z_deg", -360, 360, default=0),
                     flag("include_result_json", default=False)),
               ("stl", "zip")),
)

_BY_KIND = MappingProxyType({f.kind: f for f in _FAMILIES})
KINDS = tuple(_BY_KIND)
# Creative Lab products as (name, label): "<name>_prototype" and "<name>_build" are their kinds.
CREATIVE_PRODUCTS = tuple(_CREATIVE_PRODUCTS)
# A Creative Lab product is made in two paid stages: a prototype the artist approves, then a build
# from the prototype's task id. Their kinds are "<product>_prototype" and "<product>_build".
PROTOTYPE, BUILD = "prototype", "build"


def creative_kind(product, stage):
    return f"{product}_{stage}"


def creative_stage(kind):
    """PROTOTYPE or BUILD for a Creative Lab kind, else None."""
    return split_creative_kind(kind)[1]


def split_creative_kind(kind):
    """("keychain", BUILD) for "keychain_build"; (None, None) for any other kind."""
    for product, _label in CREATIVE_PRODUCTS:
        for stage in (PROTOTYPE, BUILD):
            if kind == creative_kind(product, stage):
                return product, stage
    return None, None


def product_label(product):
    return dict(CREATIVE_PRODUCTS).get(product, product)


def family(kind):
    """The Family row for `kind`; ValidationError for an unknown kind."""
    try:
        return _BY_KIND[kind]
    except (KeyError, TypeError):
        raise ValidationError("kind", f"{kind!r} is not a Meshy task kind (known: "
                              f"{', '.join(KINDS)})") from None


# --- validation -------------------------------------------------------------------------------

def validate(kind, payload):
    """A normalised copy of `payload` for `kind`, or ValidationError naming the field and why.

    Fields set to None are dropped; fixed values (text-to-3d's mode) are added; unknown fields are
    refused (a misspelt field would otherwise be silently ignored by the server).
    """
    fam = family(kind)
    if not isinstance(payload, Mapping):
        raise ValidationError("payload", "must be a mapping of field names to values", fam.label)
    clean = _check_members(fam.fields, payload, "", fam)
    for name, value in payload.items():
        if name in fam.fixed:
            if value is not None and value != fam.fixed[name]:
                raise ValidationError(name, f"is always {fam.fixed[name]!r} here", fam.label)
    for rule in fam.rules:
        rule.check(clean, fam.label)
    return {**fam.fixed, **clean}


def _check_members(fields, payload, prefix, fam):
    specs = {f.name: f for f in fields}
    clean = {}
    for name, value in payload.items():
        if value is None or (not prefix and name in fam.fixed):
            continue
        spec = specs.get(name)
        if spec is None:
            raise ValidationError(prefix + str(name), "is not a known parameter here (check the "
                                  "spelling)", fam.label)
        clean[name] = _check_value(spec, value, prefix + name, fam)
    for spec in fields:
        if spec.required and spec.name not in clean:
            raise ValidationError(prefix + spec.name, "is required", fam.label)
    return clean


def _fail(path, reason, fam):
    raise ValidationError(path, reason, fam.label)


def _check_value(spec, value, path, fam):
    kind = spec.type
    if kind == "string":
        if not isinstance(value, str):
            _fail(path, f"must be text, not {type(value).__name__}", fam)
        if spec.choices:
            if value not in spec.choices:
                _fail(path, f"must be one of {_or(repr(c) for c in spec.choices)} (got {value!r})",
                      fam)
            return value
        if spec.required and not value.strip():
            _fail(path, "is empty", fam)
        if spec.max_length is not None and len(value) > spec.max_length:
            _fail(path, f"is {len(value)} characters long; the limit is {spec.max_length}", fam)
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            _fail(path, f"must be true or false, not {value!r}", fam)
        return value
    if kind in ("integer", "number"):
        return _check_number(spec, value, path, fam)
    if kind == "formats":
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            _fail(path, "must be a list of formats", fam)
        if len(value) < (spec.min_items or 0):
            _fail(path, "needs at least one format", fam)
        for item in value:
            if item not in spec.choices:
                _fail(path, f"has {item!r}; formats are {_or(spec.choices)}", fam)
        return list(dict.fromkeys(value))
    if kind == "task_id":
        if not isinstance(value, str) or not value.strip():
            _fail(path, "must be a task id (text)", fam)
        if len(value) > 128 or any(c.isspace() for c in value):
            _fail(path, "does not look like a Meshy task id", fam)
        return value
    if kind == "image":
        return _check_file_input(value, spec.accepts, path, fam, "image")
    if kind == "images":
        if isinstance(value, (str, DataURI)) or not isinstance(value, (list, tuple)):
            _fail(path, "must be a list of images", fam)
        if not spec.min_items <= len(value) <= spec.max_items:
            _fail(path, f"has {len(value)} images; give {spec.min_items} to {spec.max_items}", fam)
        return [_check_file_input(v, spec.accepts, f"{path}[{i}]", fam, "image")
                for i, v in enumerate(value)]
    if kind == "model":
        return _check_file_input(value, spec.accepts, path, fam, "model")
    if kind == "object":
        if not isinstance(value, Mapping):
            _fail(path, "must be an object of named settings", fam)
        return _check_members(spec.fields, value, path + ".", fam)
    raise AssertionError(f"unknown field type {kind}")


def _check_number(spec, value, path, fam):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(path, f"must be a number, not {value!r}", fam)
    if isinstance(value, float) and not math.isfinite(value):
        _fail(path, "must be a finite number", fam)
    if spec.type == "integer":
        if isinstance(value, float):
            if not value.is_integer():
                _fail(path, f"must be a whole number (got {value!r})", fam)
            value = int(value)
    if spec.choices and value not in spec.choices:
        _fail(path, f"must be one of {_or(spec.choices)} (got {value!r})", fam)
    low, high = spec.minimum, spec.maximum
    too_low = low is not None and (value <= low if spec.exclusive_minimum else value < low)
    too_high = high is not None and value > high
    if too_low or too_high:
        _fail(path, f"is {value!r}; it must be {_range_text(spec)}", fam)
    return value


def _range_text(spec):
    low, high = spec.minimum, spec.maximum
    if low is not None and high is not None:
        return f"{'above' if spec.exclusive_minimum else 'from'} {low:g} " \
               f"{'and at most' if spec.exclusive_minimum else 'to'} {high:g}"
    if low is not None:
        return f"{'above' if spec.exclusive_minimum else 'at least'} {low:g}"
    return f"at most {high:g}"


def _check_file_input(value, accepts, path, fam, what):
    names = _or("." + ext for t in accepts for ext in _EXTENSIONS.get(t, (t,)))
    if isinstance(value, DataURI) or (isinstance(value, str) and value[:5].lower() == "data:"):
        mime = data_uri_mime(value)
        if what == "model":
            if mime != MIME_MODEL:
                _fail(path, f"must be a data URI of type {MIME_MODEL} (got {mime})", fam)
        elif _IMAGE_MIMES.get(mime) not in accepts:
            _fail(path, f"must be a {names} image (the data URI is {mime})", fam)
        if isinstance(value, str) and (";base64," not in value[:100] or value.endswith(",")):
            _fail(path, "is a data URI without base64 content", fam)
        return value
    if not isinstance(value, str) or not value.strip():
        _fail(path, f"must be an {what} URL or data URI", fam)
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        _fail(path, f"must be an http(s) URL or a data URI (got scheme {parts.scheme!r})", fam)
    extension = posixpath.splitext(parts.path)[1].lower().lstrip(".")
    # A URL without an extension (a signed link, say) cannot be judged here; the server will.
    if extension and extension not in {e for t in accepts for e in _EXTENSIONS.get(t, (t,))}:
        _fail(path, f"must be a {names} {what} (got .{extension})", fam)
    return value


# --- cost -------------------------------------------------------------------------------------

def cost(kind, payload):
    """Credits a create of `kind` with `payload` costs (04-pricing.md), for showing before sending."""
    return int(family(kind).cost(payload or {}))


# --- result files -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ResultFile:
    role: str   # "model", "base_color", "thumbnail", "rigged_character", "concept", ...
    url: str
    fmt: str    # "glb", "fbx", "png", "zip", ... ("bin" when unknown)


def _url_format(url, default):
    extension = posixpath.splitext(urlsplit(url).path)[1].lower().lstrip(".")
    if extension == "jpeg":
        extension = "jpg"
    return extension if extension in FILE_FORMATS else default


def _split_key(key, url, default_role):
    """("model", "glb") for "glb"; ("pre_remeshed", "glb") for "pre_remeshed_glb"."""
    if key in FILE_FORMATS:
        return default_role, key
    for fmt in sorted(FILE_FORMATS, key=len, reverse=True):
        if key.endswith("_" + fmt):
            return key[:-len(fmt) - 1], fmt
    return key, _url_format(url, "bin")


def _usable(url):
    return isinstance(url, str) and url.strip() != ""


def _model_files(fam, task):
    urls = task.get("model_urls")
    for key, url in (urls.items() if isinstance(urls, Mapping) else ()):
        if _usable(url):
            role, fmt = fam.model_roles.get(key) or _split_key(str(key), url, "model")
            yield ResultFile(role, url, fmt)


def _texture_files(fam, task):
    sets = task.get("texture_urls")
    for index, maps in enumerate(sets if isinstance(sets, list) else ()):
        for name, url in (maps.items() if isinstance(maps, Mapping) else ()):
            if _usable(url):
                role = name if index == 0 else f"{name}_{index}"
                yield ResultFile(role, url, _url_format(url, "png"))


def _thumbnail_files(fam, task):
    for key, role in (("thumbnail_url", "thumbnail"), ("alpha_thumbnail_url", "alpha_thumbnail")):
        url = task.get(key)
        if _usable(url):
            yield ResultFile(role, url, _url_format(url, "png"))
    views = task.get("thumbnail_urls")
    for view, url in (views.items() if isinstance(views, Mapping) else ()):
        if _usable(url):
            yield ResultFile(f"thumbnail_{view}", url, _url_format(url, "png"))


def _image_files(fam, task):
    urls = task.get("image_urls")
    for index, url in enumerate(urls if isinstance(urls, list) else ()):
        if _usable(url):
            role = fam.image_role if index == 0 else f"{fam.image_role}_{index}"
            yield ResultFile(role, url, _url_format(url, "png"))


def _result_files(fam, task):
    """Rigging/animation: every "*_url" in `result`, nested objects included."""
    def walk(node):
        for key, value in (node.items() if isinstance(node, Mapping) else ()):
            if isinstance(value, Mapping):
                yield from walk(value)
            elif str(key).endswith("_url") and _usable(value):
                role, fmt = _split_key(str(key)[:-4], value, "result")
                yield ResultFile(role, value, fmt)
    yield from walk(task.get("result"))


_SECTIONS = {"model_urls": _model_files, "texture_urls": _texture_files,
             "thumbnails": _thumbnail_files, "image_urls": _image_files, "result": _result_files}


def result_files(kind, task):
    """The downloadable files of a finished task, in the places its family keeps them.

    Empty strings (formats not generated) are skipped; unknown keys are passed through with a
    role derived from the key, so a format Meshy adds later is still offered.
    """
    fam = family(kind)
    found = []
    for section in fam.results:
        found.extend(_SECTIONS[section](fam, task))
    return found
