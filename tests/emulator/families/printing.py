"""3D printing families (pages 21-23): multi-colour 3MF, printability analysis computed from the
real geometry, and a repair that welds, drops degenerate faces and fills holes."""

from .. import assets, meshes, pricing
from ..store import Plan
from ..validation import ApiError
from .base import input_or_model, source_mesh, task_glb, upload_failure

PRINT_INPUT_KINDS = ("image-to-3d", "multi-image-to-3d", "text-to-3d-preview", "text-to-3d-refine",
                     "remesh", "retexture")
PALETTE = [(230, 57, 70), (241, 250, 238), (168, 218, 220), (69, 123, 157), (29, 53, 87),
           (255, 183, 3), (251, 133, 0), (2, 48, 71), (142, 202, 230), (33, 158, 188),
           (106, 76, 147), (25, 130, 196), (138, 201, 38), (255, 202, 58), (255, 89, 94),
           (64, 64, 64)]


def multi_color(p, ctx):
    task, media = input_or_model(p, ctx, PRINT_INPUT_KINDS, (".glb", ".fbx"))
    colours = p.integer("max_colors", default=4, low=1, high=16)
    p.integer("max_depth", default=4, low=3, high=6)
    mesh = source_mesh(task, media)
    files = {"model.3mf": lambda: meshes.to_3mf(mesh(), PALETTE[:colours])}
    return Plan("print-multi-color", pricing.PRINT_MULTI_COLOR, {}, {"model_urls": {}},
                lambda url: {"model_urls": {"3mf": url("model.3mf")}}, files,
                upload_failure(media))


def analyze(p, ctx):
    task, media = input_or_model(p, ctx, PRINT_INPUT_KINDS, (".glb", ".gltf", ".obj", ".fbx", ".stl"),
                                 not_found=404, wrong_kind=404, other_account=403,
                                 require_uuid=True, data_bypasses_extension=True)
    if task is not None and task.plan.extra.get("ai_model") == "meshy-5" \
            and task.kind != "text-to-3d-preview":
        raise ApiError(404, "Not found: the input task uses a model older than Meshy 6")
    mesh = source_mesh(task, media)

    def result(url):
        metrics = meshes.printability(mesh())
        status, errors, warnings = meshes.printability_status(metrics)
        return {"printability": {"_version": "v1", "status": status,
                                 "issue_count": errors + warnings, "error_count": errors,
                                 "warning_count": warnings, "metrics": metrics,
                                 "evaluated_at": int(ctx.now * 1000)}}
    return Plan("print-analyze", pricing.PRINT_ANALYZE, {}, {"printability": None}, result, {},
                upload_failure(media))


def repair(p, ctx):
    task, media = input_or_model(p, ctx, PRINT_INPUT_KINDS, (".glb", ".stl", ".obj"),
                                 not_found=404, other_account=404, require_uuid=True,
                                 data_bypasses_extension=True)
    if task is not None:
        task_glb(task, "input_task_id")
    p.boolean("alpha_thumbnail")
    # The repaired file keeps the input's format: GLB from a task, else the upload's own.
    fmt = "glb" if task is not None or media.kind not in ("stl", "obj") else media.kind
    mesh = source_mesh(task, media)
    output = assets.ModelOutput(assets.untextured_glb(lambda: meshes.close_holes(mesh())), [fmt],
                                "repair", mtl=False)
    if p.boolean("alpha_thumbnail"):
        output.add_alpha_thumbnail()

    def result(url):
        fields = output.fields(url)
        fields["model_urls"] = {key: fields["model_urls"].get(key, "")
                                for key in ("glb", "fbx", "obj", "stl", "usdz", "3mf", "mtl")}
        fields["texture_urls"] = []
        return fields
    return Plan("print-repair", pricing.PRINT_REPAIR, {},
                {"model_urls": {}, "texture_urls": [], "thumbnail_url": ""}, result, output.files,
                upload_failure(media))
