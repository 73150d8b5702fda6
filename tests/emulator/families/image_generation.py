"""Text to Image and Image to Image (pages 19, 20): PNGs of the requested aspect ratio."""

import functools

from .. import assets, images, pricing, props
from ..store import Plan
from ..validation import bad_request, image_input

IMAGE_MODELS = ("nano-banana", "nano-banana-2", "nano-banana-pro", "gpt-image-2")
ASPECT_RATIOS = {"nano-banana": ("1:1", "16:9", "9:16", "4:3", "3:4"),
                 "nano-banana-2": ("1:1", "16:9", "9:16", "4:3", "3:4"),
                 "nano-banana-pro": ("1:1", "16:9", "9:16", "4:3", "3:4"),
                 "gpt-image-2": ("1:1", "3:2", "2:3")}
LONG_SIDE = 256   # small on purpose: the aspect ratio is what clients check, not the resolution


def image_dimensions(ratio_w, ratio_h, long_side=LONG_SIDE):
    if ratio_w >= ratio_h:
        return long_side, max(1, round(long_side * ratio_h / ratio_w))
    return max(1, round(long_side * ratio_w / ratio_h)), long_side


def _image_plan(kind, price, prompt, ai_model, size, multi_view, failure):
    count = 3 if multi_view else 1
    names = ["image.png"] if count == 1 else [f"image_{i}.png" for i in range(count)]
    files = {name: functools.partial(images.pattern_png, size[0], size[1], prompt, name)
             for name in names}
    prop = props.choose(prompt)
    if count == 1 and size == (LONG_SIDE, LONG_SIDE) and prop != props.DEFAULT:
        # A square picture of a prop the words name (rendered by make_fixtures.py), which Image
        # to 3D then turns into that prop.
        files["image.png"] = functools.partial(assets.fixture, f"prop_{prop}.png")
    return Plan(kind, price, {"ai_model": ai_model, "prompt": prompt}, {"image_urls": []},
                lambda url: {"image_urls": [url(name) for name in names]}, files, failure)


def text_to_image(p, ctx):
    ai_model = p.string("ai_model", required=True, choices=IMAGE_MODELS)
    prompt = p.string("prompt", required=True)
    multi_view = p.boolean("generate_multi_view")
    p.string("pose_mode", choices=("a-pose", "t-pose"))
    if multi_view and p.given("aspect_ratio"):
        raise bad_request("Conflict: generate_multi_view and aspect_ratio cannot be used "
                          "simultaneously")
    ratio = p.string("aspect_ratio", default="1:1", choices=ASPECT_RATIOS[ai_model])
    width, height = (int(v) for v in ratio.split(":"))
    return _image_plan("text-to-image", pricing.TEXT_TO_IMAGE[ai_model], prompt, ai_model,
                       image_dimensions(width, height), multi_view, None)


def image_to_image(p, ctx):
    ai_model = p.string("ai_model", required=True, choices=IMAGE_MODELS)
    prompt = p.string("prompt", required=True)
    references = p.string_list("reference_image_urls", required=True, min_items=1, max_items=5)
    first = None
    for index, url in enumerate(references):
        media = image_input(url, f"reference_image_urls[{index}]", resolve_local=ctx.resolve_local)
        first = first or media
    multi_view = p.boolean("generate_multi_view")
    # The edit keeps the first reference's proportions when the emulator can see its pixels.
    seen = images.image_size(first.data) if first.data else None
    size = image_dimensions(*seen) if seen else image_dimensions(1, 1)
    return _image_plan("image-to-image", pricing.IMAGE_TO_IMAGE[ai_model], prompt, ai_model, size,
                       multi_view, None)
