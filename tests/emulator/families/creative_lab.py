"""Creative Lab (pages 24-27): four products, each a prototype stage (a concept image) and a build
stage chained by `input_task_id`. Every stage is its own collection, so a build id fetched through
`/prototype/:id` is a 404, as the pages say. DELETE cancels rather than deletes."""

import functools
import json

from .. import assets, glb, images, meshes, pricing
from ..store import Plan
from ..validation import bad_request, image_input

CREATIVE_FORMATS = ("jpeg", "png", "webp")
RELIEF_DEFAULTS = {"keychain": {"badge_shape": "circle", "size_mm": 40, "relief_height_mm": 2.2,
                                "base_thickness_mm": 0.1},
                   "fridge-magnet": {"badge_shape": "rounded-rect", "size_mm": 60,
                                     "relief_height_mm": 3.3, "base_thickness_mm": 2.0}}


def prototype(product, p, ctx):
    name = p.string("name", default="", max_length=100, allow_empty=True)
    if product == "lamp":
        has_text, has_image = p.given("text"), p.given("image_url")
        if has_text == has_image:
            raise bad_request("Missing parameter: exactly one of text or image_url is required"
                              if not has_text else
                              "Both provided: text and image_url are mutually exclusive")
        text = p.string("text", max_length=800)
        p.string("image_subject", choices=("character", "landscape"))
        if has_image:
            image_input(p.body["image_url"], "image_url", CREATIVE_FORMATS, ctx.resolve_local)
        seed = text or p.body["image_url"][:128]
    else:
        if not p.given("image_url"):
            raise bad_request("Missing parameter: image_url is required")
        image_input(p.body["image_url"], "image_url", CREATIVE_FORMATS, ctx.resolve_local)
        seed = p.body["image_url"][:128]
    if ctx.faults.take("content_flagged", ctx.path) is not None:
        raise bad_request("Content flagged: The input image was flagged by NSFW or intellectual "
                          "property moderation")
    if ctx.faults.take("no_candidate", ctx.path) is not None:
        # Succeeds, but with no concept image: the build refuses it ("No candidate").
        return Plan(f"creative-lab-{product}-prototype", pricing.CREATIVE_LAB_PROTOTYPE,
                    {"name": name}, {"image_urls": []}, lambda url: {"image_urls": []}, {}, None,
                    extra={"no_candidate": True})
    files = {"concept.png": functools.partial(images.pattern_png, 256, 256, seed, product)}
    return Plan(f"creative-lab-{product}-prototype", pricing.CREATIVE_LAB_PROTOTYPE,
                {"name": name}, {"image_urls": []},
                lambda url: {"image_urls": [url("concept.png")]}, files, None)


def _prototype_of(product, p, ctx):
    if not p.given("input_task_id"):
        raise bad_request("Missing parameter: input_task_id is required")
    parent = ctx.input_task(p.body["input_task_id"], "input_task_id",
                            (f"creative-lab-{product}-prototype",), not_found=404,
                            wrong_kind=404, require_uuid=True)
    if parent.plan.extra.get("no_candidate"):
        raise bad_request("No candidate: the prototype task succeeded but produced no candidate "
                          "image")
    return parent


def build(product, p, ctx):
    parent = _prototype_of(product, p, ctx)
    name = p.string("name", default="", max_length=100, allow_empty=True)
    concept = functools.partial(parent.file, "concept.png")
    if product in RELIEF_DEFAULTS:
        model_urls, files = _relief_build(product, p.nested("options"), p.nested("output"), concept)
        fields, unfinished = {"name": name}, {"model_urls": {}}
        result = _urls_result(model_urls)
    elif product == "lamp":
        model_urls, files = _lamp_build(p.nested("options"), p.nested("output"))
        fields, unfinished = {"name": name}, {"model_urls": {}}
        result = _urls_result(model_urls)
    else:
        fields, unfinished, result, files = _figure_build(name, concept)
    return Plan(f"creative-lab-{product}-build", pricing.CREATIVE_LAB_BUILD, fields, unfinished,
                result, files, None)


def _urls_result(model_urls):
    return lambda url: {"model_urls": {key: url(name) for key, name in model_urls.items()}}


def _relief_build(product, options, output, concept):
    defaults = RELIEF_DEFAULTS[product]
    shape = options.string("badge_shape", default=defaults["badge_shape"],
                           choices=("circle", "rounded-rect", "hexagon", "shield", "star"))
    size = options.number("size_mm", default=defaults["size_mm"], low=0, high=400, low_open=True)
    relief = options.number("relief_height_mm", default=defaults["relief_height_mm"], low=0, high=20)
    options.number("relief_offset_mm", default=0, low=0, high=20)
    base = options.number("base_thickness_mm", default=defaults["base_thickness_mm"], low=0, high=20)
    options.boolean("has_closed_back", default=True)
    options.string("relief_curve", choices=("linear", "gamma", "s-curve"))
    options.number("curve_param", low=0, high=10, low_open=True)
    options.boolean("invert_depth")
    options.number("smoothing", low=0, high=10)
    scale = options.number("relief_scale", default=1.0, low=0, high=10, low_open=True)
    options.number("depth_threshold", low=0, high=1)
    options.boolean("remove_background", default=True)
    options.integer("export_resolution", low=64, high=2048)
    fmt = output.string("format", default="glb", choices=("glb", "obj", "zip"))

    def model_glb():
        # Millimetres to metres: the GLB is in glTF units, the badge is `size` mm across.
        mesh = meshes.extrude([(x / 1000, y / 1000) for x, y in meshes.outline(shape, size / 2)],
                              0.0, (base + 0.01) / 1000,
                              lambda x, y: (base + relief * scale + 0.01) / 1000)
        mesh.uvs = glb.box_uvs(mesh.positions)
        return glb.build_glb(mesh, {"base_color": concept()}, "Keychain")

    def obj_files():
        mesh = glb.world_mesh(model_glb())
        obj, mtl = meshes.to_obj(mesh, "model.mtl", "texture.png")
        return {"model.obj": obj, "model.mtl": mtl, "texture.png": concept()}

    if fmt == "glb":
        return {"glb": "model.glb"}, {"model.glb": model_glb}
    if fmt == "obj":
        return {"obj": "model_obj.zip"}, {"model_obj.zip": lambda: meshes.zip_bundle(obj_files())}
    return {"bundle_zip": "bundle.zip"}, {
        "bundle.zip": lambda: meshes.zip_bundle({"model.glb": model_glb(), **obj_files()})}


def _lamp_build(options, output):
    diameter = options.number("diameter_mm", default=80, low=50, high=400)
    thickness = options.number("thickness_mm", default=1.5, low=0, high=10, low_open=True)
    cut = options.number("cut_amount_percent", default=35, low=1, high=100)
    preset = options.string("light_source_preset", default="bambu_mh001_60mm",
                            choices=("bambu_mh001_60mm", "none"))
    for key in ("fixture_offset_x_mm", "fixture_offset_z_mm"):
        options.number(key, default=0, low=-80, high=80)
    for key in ("rotate_x_deg", "rotate_y_deg", "rotate_z_deg"):
        options.number(key, default=0, low=-360, high=360)
    include_json = options.boolean("include_result_json")
    fmt = output.string("format", default="stl", choices=("stl", "zip"))
    radius = diameter / 2
    height = diameter * 1.2 * (1 - cut / 200)

    def lamp_stl():
        # STL in millimetres, as slicers read it; Mesh is Y up, to_stl writes Z up.
        shade = meshes.lathe([(radius * 0.8, 0.0), (radius, height * 0.35),
                              (radius * 0.75, height * 0.8), (radius * 0.4, height)])
        return meshes.to_stl(shade)

    def base_stl():
        return meshes.to_stl(meshes.lathe([(30.0, 0.0), (30.0, 3.0)]))

    def result_json():
        return json.dumps({"diameter_mm": diameter, "thickness_mm": thickness,
                           "cut_amount_percent": cut, "light_source_preset": preset,
                           "height_mm": round(height, 3)}, indent=2).encode()

    if fmt == "stl":
        urls, files = {"lamp_stl": "lamp.stl"}, {"lamp.stl": lamp_stl}
        if preset != "none":
            urls["base_stl"], files["base.stl"] = "base.stl", base_stl
        return urls, files

    def bundle():
        contents = {"lamp.stl": lamp_stl()}
        if preset != "none":
            contents["base.stl"] = base_stl()
        if include_json:
            contents["result.json"] = result_json()
        return meshes.zip_bundle(contents)
    return {"bundle_zip": "bundle.zip"}, {"bundle.zip": bundle}


def _figure_build(name, concept):
    """Figure builds run the Image to 3D pipeline: a textured GLB plus OBJ/MTL and base colour."""
    def model_glb():
        return glb.build_glb(assets.sample_mesh(), {"base_color": concept()}, "Figure")
    output = assets.ModelOutput(model_glb, ["glb", "obj"], name or "figure", {"base_color": concept})
    fields = {"name": name, "prompt": "", "negative_prompt": "", "texture_prompt": "",
              "texture_image_url": ""}
    unfinished = {"model_urls": {}, "thumbnail_url": "", "texture_urls": []}
    return fields, unfinished, output.fields, output.files
