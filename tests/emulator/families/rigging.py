"""Auto-Rigging and Animation (pages 16, 17). Results are the Blender-made humanoid fixtures: the
emulator does not rig the uploaded mesh, but it does judge whether an upload could be a humanoid."""

from .. import assets, catalogue, glb, pricing
from ..store import Plan
from ..validation import ApiError, bad_request, image_input
from .base import input_or_model

MAX_RIG_FACES = 300_000
CLIP_FIXTURES = {"walking": "humanoid_walking", "running": "humanoid_running",
                 "action": "humanoid_action"}


def _pose_estimation_fails(media):
    """A stand-in for pose estimation: an uploaded GLB must contain a mesh that stands upright
    (taller than it is wide or deep); a cube, a plane or an empty scene fails with 422."""
    if media is None or media.data is None:
        return False
    try:
        low, high = glb.world_mesh(media.data).bounds()
    except glb.GlbError:
        return True
    width, height, depth = (h - l for l, h in zip(low, high))
    return height < 1.2 * max(width, depth)


def rigging(p, ctx):
    task, media = input_or_model(p, ctx, None, (".glb",))
    if task is not None:
        if task.kind in ("rig", "animate") or "model.glb" not in task.plan.files:
            raise bad_request("Invalid input task: input_task_id does not refer to a task with a "
                              "model that can be rigged")
        if len(glb.world_mesh(task.file("model.glb")).triangles) > MAX_RIG_FACES:
            raise bad_request("Face count exceeded: the input model has more than 300,000 faces; "
                              "use the Remesh API to reduce it first")
    elif media.data is not None and media.kind != "glb":
        raise bad_request("Invalid model format: model_url must be a .glb file")
    p.number("height_meters", default=1.7, low=0, low_open=True)
    if p.given("texture_image_url"):
        image_input(p.body["texture_image_url"], "texture_image_url", formats=("png",),
                    resolve_local=ctx.resolve_local)
    if ctx.faults.take("rig_pose_failure", ctx.path) is not None or _pose_estimation_fails(media):
        raise ApiError(422, "Pose estimation failed. The provided model may not be a valid "
                            "humanoid character.")
    files = {
        "Character_output.glb": lambda: assets.fixture("humanoid_rigged.glb"),
        "Character_output.fbx": lambda: assets.fixture("humanoid_rigged.fbx"),
        # Rigged characters chain into remesh/retexture/convert like any model result.
        "model.glb": lambda: assets.fixture("humanoid_rigged.glb"),
    }
    basic = {}
    for clip in ("Walking", "Running"):
        stem = f"Animation_{clip}_withSkin"
        fixture = f"humanoid_{clip.lower()}"
        files[stem + ".glb"] = _fixture(fixture + ".glb")
        files[stem + ".fbx"] = _fixture(fixture + ".fbx")
        files[stem + "_armature.glb"] = _fixture(fixture + "_armature.glb")
        basic[f"{clip.lower()}_glb_url"] = stem + ".glb"
        basic[f"{clip.lower()}_fbx_url"] = stem + ".fbx"
        basic[f"{clip.lower()}_armature_glb_url"] = stem + "_armature.glb"

    def result(url):
        return {"result": {
            "rigged_character_fbx_url": url("Character_output.fbx"),
            "rigged_character_glb_url": url("Character_output.glb"),
            "basic_animations": {key: url(name) for key, name in basic.items()}}}
    return Plan("rig", pricing.RIGGING, {}, {"result": None}, result, files,
                None)


def _fixture(name):
    return lambda: assets.fixture(name)


def animation(p, ctx):
    if not p.given("rig_task_id"):
        raise bad_request("Missing parameter: rig_task_id is required")
    action_id = p.integer("action_id", required=True)
    rig = ctx.input_task(p.body["rig_task_id"], "rig_task_id", ("rig",), not_found=404,
                         require_uuid=True)
    if action_id not in catalogue.BY_ID:
        raise bad_request(f"Invalid action ID: {action_id} does not correspond to a valid "
                          "animation")
    post = p.nested("post_process")
    operation = None
    if p.given("post_process"):
        operation = post.string("operation_type", required=True,
                                choices=("change_fps", "fbx2usdz", "extract_armature"))
        fps = post.integer("fps", default=30, choices=(24, 25, 30, 60))
    name, _, clip = catalogue.BY_ID[action_id]
    fixture = CLIP_FIXTURES[clip]
    stem = "Animation_" + name.replace(" ", "_") + "_withSkin"
    files = {stem + ".glb": _fixture(fixture + ".glb"), stem + ".fbx": _fixture(fixture + ".fbx")}
    urls = {"animation_glb_url": stem + ".glb", "animation_fbx_url": stem + ".fbx"}
    if operation == "fbx2usdz":
        files["processed.usdz"] = _fixture("humanoid_action.usdz")
        urls["processed_usdz_url"] = "processed.usdz"
    elif operation == "extract_armature":
        files["processed_armature.fbx"] = _fixture("humanoid_action_armature.fbx")
        urls["processed_armature_fbx_url"] = "processed_armature.fbx"
    elif operation == "change_fps":
        # The fixture clip is keyed at 30 fps; other rates are served as the same file.
        files[f"processed_{fps}fps.fbx"] = _fixture(fixture + ".fbx")
        urls["processed_animation_fps_fbx_url"] = f"processed_{fps}fps.fbx"

    def result(url):
        return {"result": {key: url(name) for key, name in urls.items()}}
    return Plan("animate", pricing.ANIMATION, {}, {"result": None}, result, files,
                None, {"rig_task_id": rig.id, "action_id": action_id})
