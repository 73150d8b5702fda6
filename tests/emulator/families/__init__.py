"""The table of task families: one entry per collection path of pages 10-27.

Each entry names its create function (validation + plan) and the few ways the pages differ in how
a task object looks (`task_error` on success, `preceding_tasks`) or what DELETE means.
"""

import functools

from . import creative_lab, image_generation, models, printing, rigging
from .base import Family, task_object  # noqa: F401  (re-exported for the server)

CREATIVE_LAB_PRODUCTS = ("keychain", "fridge-magnet", "figure", "lamp")

FAMILIES = [
    Family("Text to 3D", "/openapi/v2/text-to-3d", models.text_to_3d),
    Family("Image to 3D", "/openapi/v1/image-to-3d", models.image_to_3d),
    Family("Multi-Image to 3D", "/openapi/v1/multi-image-to-3d", models.multi_image_to_3d),
    Family("Remesh", "/openapi/v1/remesh", models.remesh),
    Family("Convert", "/openapi/v1/convert", models.convert),
    Family("Resize", "/openapi/v1/resize", models.resize),
    # The rigging and animation pages document no list endpoint; the emulator serves one anyway
    # (the issue asks for it) and says so in README.md.
    Family("Rigging", "/openapi/v1/rigging", rigging.rigging, documented_list=False),
    Family("Animation", "/openapi/v1/animations", rigging.animation, documented_list=False),
    Family("Retexture", "/openapi/v1/retexture", models.retexture,
           preceding_only_when_pending=True),
    Family("Text to Image", "/openapi/v1/text-to-image", image_generation.text_to_image),
    Family("Image to Image", "/openapi/v1/image-to-image", image_generation.image_to_image),
    Family("Multi-Color Print", "/openapi/v1/print/multi-color", printing.multi_color,
           ok_task_error=None),
    Family("Analyze Printability", "/openapi/v1/print/analyze", printing.analyze,
           ok_task_error=None),
    Family("Repair Printability", "/openapi/v1/print/repair", printing.repair, ok_task_error=None),
]
for product in CREATIVE_LAB_PRODUCTS:
    for stage, create in (("prototype", creative_lab.prototype), ("build", creative_lab.build)):
        FAMILIES.append(Family(f"Creative Lab {product} {stage}",
                               f"/openapi/creative-lab/{product}/v1/{stage}",
                               functools.partial(create, product), ok_task_error=None,
                               cancel_on_delete=True))

BY_PATH = {family.path: family for family in FAMILIES}
