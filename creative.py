# SPDX-License-Identifier: GPL-3.0-or-later
"""Creative Lab's Blender side: what is known here about prototypes, and results into the scene.

A Creative Lab product (keychain, fridge magnet, figure, lamp) is made in two paid stages: a
prototype (a concept image from a photo or, for a lamp, text) that the artist approves, then a
build from that prototype's task id. This module:
- says what this file and this session know about a prototype task id (`prototype_problem`), so
  a build that cannot work (a prototype still running, one of another product, a build's id) is
  refused before anything is paid for;
- imports a prototype's concept image (packed, with a fake user, shown for approval) and a build's
  model (GLB, OBJ, or the lamp's STLs, also from the zip bundles), placed like other models.
Main thread only.
"""

import os
import time

import bpy

from . import importer
from .api import bundle, tasks

PROTOTYPE, BUILD = "prototype", "build"
# STL has no unit; Creative Lab's are in millimetres (page 27), Blender's scene unit is the metre.
STL_SCALE = 0.001


def product_label(product):
    return dict(tasks.CREATIVE_PRODUCTS).get(product, product)


def kind_of(product, stage):
    return f"{product}_{stage}"


def split_kind(kind):
    """("keychain", "build") for "keychain_build"; (None, None) for any other kind."""
    for product, _label in tasks.CREATIVE_PRODUCTS:
        for stage in (PROTOTYPE, BUILD):
            if kind == kind_of(product, stage):
                return product, stage
    return None, None


def is_prototype(kind):
    return split_kind(kind)[1] == PROTOTYPE


def is_build(kind):
    return split_kind(kind)[1] == BUILD


# --- what is known about a prototype ------------------------------------------------------------

def concept_images(product=None):
    """Concept images in this file (of `product`, when given), newest first."""
    found = [image for image in bpy.data.images
             if is_prototype(str(image.get("meshy_kind", "")))
             and (product is None or image["meshy_kind"] == kind_of(product, PROTOTYPE))]
    return sorted(found, key=lambda image: image.get("meshy_imported_at", 0.0), reverse=True)


def concept_image(task_id):
    return next((image for image in bpy.data.images
                 if image.get("meshy_task_id") == task_id
                 and is_prototype(str(image.get("meshy_kind", "")))), None)


def _job_with_task(task_id):
    from . import jobs
    engine = jobs.engine()
    if engine is None:
        return None
    return next((job for job in reversed(list(engine.jobs.values()))
                 if job.task_id == task_id), None)


def prototype_problem(task_id, product):
    """Why `task_id` cannot be built as `product` from what is known here ("" when it may be sent:
    an id known nowhere here, e.g. pasted from elsewhere, is for Meshy to judge)."""
    label = product_label(product)
    if not task_id:
        return f"Make a {label} prototype and approve its concept image first"
    image = concept_image(task_id)
    job = _job_with_task(task_id)
    kind = image["meshy_kind"] if image is not None else (job.kind if job else "")
    if not kind:
        return ""
    other, stage = split_kind(kind)
    if stage != PROTOTYPE:
        return (f"The approved task is a {tasks.family(kind).label}, not a prototype; approve a "
                f"{label} prototype")
    if other != product:
        return (f"The approved prototype is a {product_label(other)} prototype; a {label} build "
                f"needs a {label} prototype")
    if image is None and job is not None:
        if job.active:
            return "The prototype is still being made; build once its concept image is shown"
        return "That prototype did not finish with a concept image; make a new prototype"
    return ""


# --- results into the scene ---------------------------------------------------------------------

def import_prototype(context, job):
    """The concept image, packed into the file with a fake user, shown for approval."""
    path = job.files.get(tasks.family(job.kind).image_role)
    if not path:
        raise importer.ImportFailed(
            "The prototype finished without a concept image (Meshy made no candidate), so there "
            "is nothing to approve or build. Make a new prototype.")
    image = importer.load_image(path, f"{importer.object_name(job.label)} concept")
    image.use_fake_user = True   # nothing else uses it yet: it must survive saving
    image["meshy_task_id"] = job.task_id
    image["meshy_kind"] = job.kind
    image["meshy_prompt"] = job.label
    image["meshy_imported_at"] = time.time()   # image names sort by name, not by age
    settings = context.scene.meshy.creative
    product, _stage = split_kind(job.kind)
    if settings.product == product:
        settings.shown_prototype = image
    return [image.name]


def import_build(context, job):
    """A build's model(s), placed at the 3D cursor in the Meshy collection, tagged."""
    files = _model_files(job)
    common = dict(task_id=job.task_id, kind=job.kind, expires_at=job.expires_at,
                  placement=job.options.get("placement", "cursor"))
    if "lamp" in files:
        made = []
        for role, suffix in (("base", " base"), ("lamp", "")):
            if files.get(role):
                made += _import_stl(context, files[role], label=job.label + suffix, **common)
        return [obj.name for obj in made]
    objects = importer.import_model(context, files, label=job.label, **common)
    return [obj.name for obj in objects]


def _import_stl(context, path, **kwargs):
    objects = importer.import_model(context, {"model": path}, **kwargs)
    for obj in objects:
        if obj.type == 'MESH':
            # Scale the mesh, not the object: its dimensions then read true in metres.
            obj.data.transform([[STL_SCALE, 0, 0, 0], [0, STL_SCALE, 0, 0],
                                [0, 0, STL_SCALE, 0], [0, 0, 0, 1]])
            importer.record_geometry(obj)
    return objects


def _model_files(job):
    """{role: path} the importer can read: zip bundles are unpacked into the cache first."""
    files = dict(job.files)
    packed = next((files.pop(role) for role in ("model_bundle", "bundle") if role in files), None)
    if packed:
        folder = os.path.splitext(packed)[0] + "_files"
        try:
            unpacked = bundle.extract(packed, folder)
        except bundle.BundleError as exc:
            raise importer.ImportFailed(f"The build's zip could not be opened: {exc}") from None
        files.update(bundle.model_roles(unpacked))
    if "lamp" not in files and "model" not in files:
        raise importer.ImportFailed("The build delivered no model Blender can import")
    return files
