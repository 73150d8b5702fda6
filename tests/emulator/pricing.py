"""Credits per call, from shared/meshy-api/04-pricing.md (the changelog of Jun 12 agrees that every
Creative Lab build costs 30, although some task-object examples still show 20)."""

MESHY_6_MODELS = ("meshy-6", "latest")

TEXT_TO_IMAGE = {"nano-banana": 3, "nano-banana-2": 6, "nano-banana-pro": 9, "gpt-image-2": 9}
IMAGE_TO_IMAGE = {"nano-banana": 3, "nano-banana-2": 6, "nano-banana-pro": 9, "gpt-image-2": 12}

REFINE = 10
RETEXTURE = 10
REMESH = 5
CONVERT = 1
RESIZE = 1
RIGGING = 5
ANIMATION = 3
PRINT_MULTI_COLOR = 10
PRINT_ANALYZE = 0
PRINT_REPAIR = 10
CREATIVE_LAB_PROTOTYPE = 6
CREATIVE_LAB_BUILD = 30


def text_to_3d_preview(ai_model, model_type):
    return 20 if ai_model in MESHY_6_MODELS or model_type == "lowpoly" else 5


def image_to_3d(ai_model, model_type, textured):
    """Image to 3D and Multi-Image to 3D (which has no low-poly type) share one price table."""
    if ai_model in MESHY_6_MODELS or model_type == "lowpoly":
        return 30 if textured else 20
    return 15 if textured else 5
