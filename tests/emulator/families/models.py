"""Model generation and processing families: Text to 3D (v2), Image to 3D, Multi-Image to 3D,
Retexture, Remesh, Convert and Resize (pages 10-15 and 18)."""

from .. import assets, faults, glb, images, meshes, pricing, props
from ..store import Plan
from ..validation import bad_request, image_input
from .base import (AI_MODELS, DEFAULT_MODEL_FORMATS, MODEL_FORMATS, input_or_model,
                   resolve_ai_model, source_glb, source_mesh, upload_failure)

MODEL_EXTENSIONS = (".glb", ".gltf", ".obj", ".fbx", ".stl")
PROCESS_FORMATS = ("glb", "fbx", "obj", "usdz", "blend", "stl", "3mf")
GENERATED_KINDS = ("text-to-3d-preview", "text-to-3d-refine", "image-to-3d", "retexture")
IMAGE_TASK_KINDS = ("text-to-image", "image-to-image")
MODEL_UNFINISHED = {"model_urls": {}, "texture_urls": [], "thumbnail_url": ""}


def _geometry_options(p, ai_model):
    """The remesh/pose/size options shared by the generation endpoints; returns a target
    triangle count when the output should be reduced (low poly or an explicit remesh)."""
    p.string("model_type", choices=("standard", "lowpoly"))
    should_remesh = p.boolean("should_remesh", default=resolve_ai_model(ai_model) != "meshy-6")
    p.string("topology", choices=("quad", "triangle"))
    polycount = p.integer("target_polycount", low=100, high=300_000)
    decimation = p.integer("decimation_mode", choices=(1, 2, 3, 4))
    p.string("symmetry_mode", choices=("off", "auto", "on"))
    p.string("pose_mode", choices=("a-pose", "t-pose", ""), allow_empty=True)
    p.boolean("is_a_t_pose")
    p.boolean("moderation")
    p.boolean("alpha_thumbnail")
    p.boolean("auto_size")
    p.string("origin_at", choices=("bottom", "center"))
    if p.body.get("model_type") == "lowpoly":
        return 150
    if should_remesh and decimation:
        return (None, 250, 200, 150, 100)[decimation]
    if should_remesh and polycount:
        return polycount
    return None


def _reduced(mesh_producer, target):
    if target is None:
        return mesh_producer
    return lambda: (meshes.decimate(mesh_producer(), target)
                    if target < len(mesh_producer().triangles) else mesh_producer())


def _auto_sized(glb_producer, p):
    if not p.boolean("auto_size"):
        return glb_producer
    return assets.resized_glb(glb_producer, height=1.0, origin_at=p.string("origin_at",
                                                                           default="bottom"))


def _finish_output(output, p):
    if p.boolean("alpha_thumbnail"):
        output.add_alpha_thumbnail()
    if p.boolean("multi_view_thumbnails"):
        output.add_multi_view_thumbnails()
    return output


# --- Text to 3D ---------------------------------------------------------------------------------

def text_to_3d(p, ctx):
    mode = p.string("mode", required=True, choices=("preview", "refine"))
    return _preview(p, ctx) if mode == "preview" else _refine(p, ctx)


def _preview(p, ctx):
    prompt = p.string("prompt", required=True, max_length=600)
    ai_model = p.string("ai_model", default="latest", choices=AI_MODELS)
    model_type = p.string("model_type", default="standard", choices=("standard", "lowpoly"))
    art_style = p.string("art_style", choices=("realistic", "sculpture"))
    target = _geometry_options(p, ai_model)
    formats = p.string_list("target_formats", default=DEFAULT_MODEL_FORMATS, choices=MODEL_FORMATS,
                            min_items=1)
    # The prompt's words choose the shape (a robot, a chair, ...); the refine keeps it.
    mesh = _reduced(assets.mesh_for(prompt), target)
    model = _auto_sized(assets.untextured_glb(mesh), p)
    # The page's preview example carries a base_color texture even though the mesh is untextured.
    grey = images.flat_png(64, 64, (160, 160, 160))
    output = _finish_output(assets.ModelOutput(model, formats, prompt, {"base_color": grey},
                                               fbx="object_untextured.fbx"), p)
    fields = {"prompt": prompt}
    if art_style is not None:
        fields["art_style"] = art_style
    return Plan("text-to-3d-preview", pricing.text_to_3d_preview(ai_model, model_type), fields,
                MODEL_UNFINISHED, output.fields, output.files,
                ctx.moderation_failure(prompt if p.boolean("moderation") else ""),
                {"ai_model": resolve_ai_model(ai_model), "model_type": model_type,
                 "prompt": prompt})


def _refine(p, ctx):
    preview = ctx.input_task(p.body.get("preview_task_id"), "preview_task_id",
                             ("text-to-3d-preview",), not_found=404)
    preview_model = preview.plan.extra["ai_model"]
    ai_model = p.string("ai_model", choices=AI_MODELS)
    if ai_model is not None and preview.plan.extra["model_type"] != "lowpoly" \
            and resolve_ai_model(ai_model) != preview_model:
        raise bad_request(f"Model mismatch: the preview task was generated with {preview_model}, "
                          f"which cannot be refined with {ai_model}")
    ai_model = resolve_ai_model(ai_model or preview_model)
    pbr = p.boolean("enable_pbr")
    p.boolean("hd_texture")
    p.boolean("remove_lighting", default=True)
    texture_prompt = p.string("texture_prompt", max_length=600)
    texture_image = p.body.get("texture_image_url")
    if texture_image is not None:
        image_input(texture_image, "texture_image_url", resolve_local=ctx.resolve_local)
    moderation = p.boolean("moderation")
    p.boolean("alpha_thumbnail")
    p.boolean("auto_size")
    p.string("origin_at", choices=("bottom", "center"))
    formats = p.string_list("target_formats", default=DEFAULT_MODEL_FORMATS, choices=MODEL_FORMATS,
                            min_items=1)
    preview_glb = preview.file
    prompt = preview.plan.extra["prompt"]
    model, textures = assets.textured_glb(lambda: glb.world_mesh(preview_glb("model.glb")),
                                          f"{prompt}|{texture_prompt or ''}", pbr,
                                          ai_model == "meshy-6", props.choose(prompt))
    output = _finish_output(assets.ModelOutput(_auto_sized(model, p), formats, prompt, textures), p)
    fields = {"prompt": prompt, "texture_prompt": texture_prompt or "",
              "texture_image_url": _echo_url(texture_image)}
    return Plan("text-to-3d-refine", pricing.REFINE, fields, MODEL_UNFINISHED, output.fields,
                output.files, ctx.moderation_failure((texture_prompt or "") if moderation else ""),
                # The preview it textures: not on the task object, but tests check what was chained.
                {"ai_model": ai_model, "prompt": prompt, "preview_task_id": preview.id})


def _echo_url(value):
    """Public URLs are echoed; data URIs are not (the real API stores them and links a copy)."""
    return value if isinstance(value, str) and value.startswith("http") else ""


# --- Image to 3D and Multi-Image to 3D ------------------------------------------------------

def _texture_options(p, ai_model):
    textured = p.boolean("should_texture", default=True)
    pbr = p.boolean("enable_pbr")
    if pbr and not textured:
        raise bad_request("Invalid parameter combination: enable_pbr is only supported when "
                          "should_texture is true")
    p.boolean("hd_texture")
    p.boolean("image_enhancement", default=True)
    p.boolean("remove_lighting", default=True)
    p.boolean("save_pre_remeshed_model")
    p.boolean("multi_view_thumbnails")
    texture_prompt = p.string("texture_prompt", max_length=600)
    return textured, pbr, texture_prompt


def _image_input_task(ctx, task_id, single):
    task = ctx.input_task(task_id, "input_task_id", IMAGE_TASK_KINDS)
    outputs = [name for name in task.plan.files if name.startswith("image")]
    if single and len(outputs) != 1:
        raise bad_request("Invalid input task: input_task_id must refer to a task that produced "
                          "exactly one image")
    return task


def image_to_3d(p, ctx, multi=False):
    words = ""   # what chooses the prop: the texture prompt, or the prompt of an input image
    if p.given("input_task_id"):
        image_task = _image_input_task(ctx, p.body["input_task_id"], single=not multi)
        source, words = image_task.id, image_task.plan.fields.get("prompt", "")
    elif multi:
        urls = p.string_list("image_urls", required=True, min_items=1, max_items=4)
        for index, url in enumerate(urls):
            image_input(url, f"image_urls[{index}]", resolve_local=ctx.resolve_local)
        source = "|".join(u[:64] for u in urls)
    elif p.given("image_url"):
        image_input(p.body["image_url"], "image_url", resolve_local=ctx.resolve_local)
        source = p.body["image_url"][:128]
    else:
        raise bad_request("Missing parameter: either image_url or input_task_id must be provided")
    ai_model = p.string("ai_model", default="latest", choices=AI_MODELS)
    model_type = "standard" if multi else p.string("model_type", default="standard",
                                                   choices=("standard", "lowpoly"))
    textured, pbr, texture_prompt = _texture_options(p, ai_model)
    texture_image = p.body.get("texture_image_url")
    if texture_image is not None:
        image_input(texture_image, "texture_image_url", resolve_local=ctx.resolve_local)
    target = _geometry_options(p, ai_model)
    formats = p.string_list("target_formats", default=DEFAULT_MODEL_FORMATS, choices=MODEL_FORMATS,
                            min_items=1)
    prop = props.choose(texture_prompt, words)
    mesh = _reduced(assets.mesh_for(prop), target)
    if textured:
        model, textures = assets.textured_glb(mesh, f"{source}|{texture_prompt or ''}", pbr,
                                              resolve_ai_model(ai_model) == "meshy-6", prop)
    else:
        model, textures = assets.untextured_glb(mesh), {}
    output = _finish_output(assets.ModelOutput(_auto_sized(model, p), formats, source, textures,
                                               fbx="object.fbx" if textured else
                                               "object_untextured.fbx"), p)
    if target is not None and p.boolean("save_pre_remeshed_model"):
        output.add_model("pre_remeshed_glb", "pre_remeshed_model.glb",
                         assets.untextured_glb(assets.mesh_for(prop)))
    kind = "multi-image-to-3d" if multi else "image-to-3d"
    moderated = (texture_prompt or "") if p.boolean("moderation") else ""
    return Plan(kind, pricing.image_to_3d(ai_model, model_type, textured),
                {"texture_prompt": texture_prompt or "", "texture_image_url": _echo_url(texture_image)},
                MODEL_UNFINISHED, output.fields, output.files, ctx.moderation_failure(moderated),
                {"ai_model": resolve_ai_model(ai_model)})


def multi_image_to_3d(p, ctx):
    return image_to_3d(p, ctx, multi=True)


# --- Retexture ------------------------------------------------------------------------------

def retexture(p, ctx):
    task, media = input_or_model(p, ctx, ("text-to-3d-preview", "text-to-3d-refine",
                                          "image-to-3d", "remesh"), MODEL_EXTENSIONS)
    if p.given("image_style_url"):
        image_input(p.body["image_style_url"], "image_style_url", resolve_local=ctx.resolve_local)
        style = p.body["image_style_url"][:128]
    elif p.given("text_style_prompt"):
        style = p.string("text_style_prompt", required=True, max_length=600)
    else:
        raise bad_request("Missing style: either text_style_prompt or image_style_url must be "
                          "provided")
    text_style = p.string("text_style_prompt", max_length=600)
    ai_model = resolve_ai_model(p.string("ai_model", default="latest", choices=AI_MODELS))
    keep_uv = p.boolean("enable_original_uv")
    pbr = p.boolean("enable_pbr")
    p.boolean("hd_texture")
    p.boolean("remove_lighting", default=True)
    formats = p.string_list("target_formats", default=DEFAULT_MODEL_FORMATS, choices=MODEL_FORMATS,
                            min_items=1)
    failure = upload_failure(media, need_uv=keep_uv)
    if failure is None and task is not None and keep_uv and not glb.world_mesh(
            task.file("model.glb")).uvs:
        failure = faults.task_error("invalid_input", "model_missing_uv")
    original = source_glb(task, media)
    separate, embedded = assets.texture_maps(style, pbr, ai_model == "meshy-6")
    model = (lambda: glb.retexture_glb(original(), embedded, keep_uv)) if failure is None \
        else original
    output = _finish_output(assets.ModelOutput(model, formats, style, separate), p)
    fields = {"text_style_prompt": text_style or "",
              "image_style_url": _echo_url(p.body.get("image_style_url"))}
    return Plan("retexture", pricing.RETEXTURE, fields, MODEL_UNFINISHED, output.fields,
                output.files, failure, {"ai_model": ai_model})


# --- Remesh, Convert, Resize ------------------------------------------------------------------

def _resize_mode(p, required):
    height = p.number("resize_height", low=0)
    longest = p.number("resize_longest_side", low=0)
    auto = p.boolean("auto_size")
    chosen = [name for name, on in (("resize_height", bool(height)),
                                    ("resize_longest_side", bool(longest)),
                                    ("auto_size", auto)) if on]
    if len(chosen) > 1:
        raise bad_request("Mutually exclusive parameters: " + ", ".join(chosen)
                          + " cannot be combined")
    if required and not chosen:
        raise bad_request("Missing resize mode: one of resize_height, resize_longest_side or "
                          "auto_size must be specified")
    origin = p.string("origin_at", default="bottom", choices=("bottom", "center"))
    if height:
        return {"height": height, "origin_at": origin}
    if longest:
        return {"longest_side": longest, "origin_at": origin}
    if auto:
        return {"height": 1.0, "origin_at": origin}   # "AI vision" always guesses one metre
    return None


def remesh(p, ctx):
    task, media = input_or_model(p, ctx, GENERATED_KINDS, MODEL_EXTENSIONS)
    convert_only = p.boolean("convert_format_only")
    if convert_only and not p.given("target_formats"):
        raise bad_request("Missing parameter: target_formats must be provided when "
                          "convert_format_only is true")
    formats = p.string_list("target_formats", default=["glb"], choices=PROCESS_FORMATS,
                            min_items=1)
    p.string("topology", choices=("quad", "triangle"))
    polycount = p.integer("target_polycount", default=30_000, low=100, high=300_000)
    decimation = p.integer("decimation_mode", choices=(1, 2, 3, 4))
    p.boolean("alpha_thumbnail")
    resize = _resize_mode(p, required=False)
    target = (None, 250, 200, 150, 100)[decimation] if decimation else polycount
    mesh = source_mesh(task, media)
    if convert_only:
        model = source_glb(task, media)
    else:
        model = assets.untextured_glb(lambda: meshes.decimate(mesh(), target))
    if resize:
        model = assets.resized_glb(model, **resize)
    output = _finish_output(assets.ModelOutput(model, formats, f"remesh|{target}", mtl=False,
                                               fbx="object_untextured.fbx"), p)
    return Plan("remesh", pricing.REMESH, {}, {"model_urls": {}, "thumbnail_url": ""},
                lambda url: output.fields(url, textures=False), output.files,
                upload_failure(media))


def convert(p, ctx):
    task, media = input_or_model(p, ctx, None, MODEL_EXTENSIONS)
    formats = p.string_list("target_formats", required=True, choices=PROCESS_FORMATS, min_items=1)
    output = assets.ModelOutput(source_glb(task, media), formats, "convert", mtl=False)
    return Plan("convert", pricing.CONVERT, {}, {"model_urls": {}},
                lambda url: {"model_urls": output.model_urls(url)}, output.files,
                upload_failure(media))


def resize(p, ctx):
    task, media = input_or_model(p, ctx, None, MODEL_EXTENSIONS)
    mode = _resize_mode(p, required=True)
    # From a task the output is GLB; an upload keeps its own format (the page says so).
    fmt = "glb" if task is not None or media.kind in (None, "glb", "gltf") else media.kind
    if fmt in ("stl", "obj") and media.data is not None:
        mesh = source_mesh(task, media)
        model = assets.resized_glb(assets.untextured_glb(mesh), **mode)
    else:
        model = assets.resized_glb(source_glb(task, media), **mode)
    output = assets.ModelOutput(model, [fmt], "resize", mtl=False)
    return Plan("resize", pricing.RESIZE, {}, {"model_urls": {}},
                lambda url: {"model_urls": output.model_urls(url)}, output.files,
                upload_failure(media))

