# SPDX-License-Identifier: GPL-3.0-or-later
"""Which of a finished task's files to download. Plain Python: runs on worker threads.

api.tasks knows where each family keeps its files (roles such as "model", "base_color",
"thumbnail", "rigged_character", "walking"); this picks one format per role, preferring what the
artist chose in the preferences and what Blender imports best.
"""

from . import tasks

# Results that are not a Meshy task: concept images from the OpenAI-compatible source.
CONCEPT_IMAGE = "concept_image"
# Kinds whose result is pictures rather than a model.
IMAGE_KINDS = frozenset({kind for kind in tasks.KINDS
                         if tasks.family(kind).results == ("image_urls",)} | {CONCEPT_IMAGE})

# Roles that are never needed to build the scene result.
SKIPPED_ROLES = ("alpha_thumbnail", "thumbnail_front", "thumbnail_right", "thumbnail_back",
                 "thumbnail_left", "pre_remeshed")
# After the preferred model format: the order in which Blender's importers serve us best.
FORMAT_ORDER = ("glb", "fbx", "obj", "png", "jpg", "3mf", "stl", "usdz", "zip", "blend", "bin")


def choose_files(kind, task, options):
    """ResultFiles to download for this job, one per role."""
    found = tasks.result_files(kind, task)
    if options.get("import") is False:
        # The result is not imported (e.g. a preview that goes straight on to texturing); keep
        # only the small thumbnail for the job list.
        found = [f for f in found if f.role == "thumbnail"]
    wanted = options.get("roles")
    preferred = options.get("model_format", "glb")
    order = (preferred,) + tuple(f for f in FORMAT_ORDER if f != preferred)

    def rank(result):
        return order.index(result.fmt) if result.fmt in order else len(order)

    best = {}
    extra = []
    for result in found:
        if result.role in SKIPPED_ROLES or (wanted and result.role not in wanted):
            continue
        if result.role not in best or rank(result) < rank(best[result.role]):
            if result.role in best and options.get("all_formats"):
                extra.append(best[result.role])
            best[result.role] = result
        elif options.get("all_formats"):
            extra.append(result)
    # Convert: every requested format is kept, each under "<role>_<format>".
    extra = [tasks.ResultFile(f"{r.role}_{r.fmt}", r.url, r.fmt) for r in extra]
    return list(best.values()) + extra
