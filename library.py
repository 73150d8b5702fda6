# SPDX-License-Identifier: GPL-3.0-or-later
"""The Meshy library: every result as a Blender asset, and a library of them on disk.

After each successful import (jobs.import_result, main thread) `after_import`:
- marks the result as an asset: a single object as itself; several objects (a rig with its mesh,
  a lamp with its base) as one collection holding them all, so one drag brings the whole result;
  an animation as its Action; an image result as a Material using the image as its base colour
  (the Asset Browser of Blender 4.2 does not show Image assets; a material is what an artist
  drags onto an object anyway);
- gives the asset Meshy's thumbnail as its preview, the prompt as description, tags (Meshy, the
  kind, the model, words of the prompt) and the task id, kind, credits and date as metadata;
- writes it, with everything it uses (images packed), as its own small .blend in the library
  folder, and adds its catalog to the folder's blender_assets.cats.txt;
- when the job says `keep_in_file: False` (batch sheets), removes what the import made from the
  running file, so memory stays flat over hundreds of results.

Several Blender processes may add to one library at once: every result has a file of its own
(named by a hash of its task id, written beside its final name and renamed into place), catalog
ids are derived from the catalog path (uuid5), and the catalog file is rewritten under a
cross-process lock, so nothing one process adds is lost to another.
"""

import contextlib
import hashlib
import os
import re
import tempfile
import time
import uuid

import bpy

from . import importer, preferences
from .api import tasks
from .api.download import is_inside
from .api.results import IMAGE_KINDS

CATALOG_FILE = "blender_assets.cats.txt"
LOCK_FILE = ".meshy-library.lock"
LIBRARY_NAME = "Meshy"
MESHY_TAG = "Meshy"
# Catalog ids are uuid5(CATALOG_NAMESPACE, path): every process names a catalog the same way.
CATALOG_NAMESPACE = uuid.UUID("5b0f7a1e-3c1d-4a52-9d0e-6d65736879a1")
CATALOG_HEADER = (
    "# This is an Asset Catalog Definition file for Blender.\n"
    "#\n"
    "# Empty lines and lines starting with `#` will be ignored.\n"
    "# The first non-ignored line should be the version indicator.\n"
    "# Other lines are of the format \"UUID:catalog/path/for/assets:simple catalog name\"\n"
    "\n"
    "VERSION 1\n"
    "\n")
PROMPT_TAGS = 8        # at most this many words of the prompt become tags
NAME_LIMIT = 60        # characters of the asset name kept in its file name
SIMPLE_NAME_LIMIT = 63  # Blender keeps 63 bytes of a catalog's simple name
STOP_WORDS = frozenset("""
    a an and are as at be by for from has have in into is it its of on or that the this to with
    without very some made make look looks like style styled high low detailed """.split())
# Kinds whose result is not something new to keep: a report on the artist's own object.
NOT_ASSETS = frozenset({"analyze_printability"})


# --- after an import ------------------------------------------------------------------------------

def after_import(context, job, names):
    """Main thread, right after a result was imported: returns its library .blend path or "".

    Never raises: the result is already in the scene, so a library problem only adds a note to
    the job's message.
    """
    explicit_folder = job.options.get("library_folder") or ""
    if explicit_folder:
        explicit_folder = os.path.abspath(bpy.path.abspath(explicit_folder))
    keep_assets = preferences.get(context).keep_assets
    if not keep_assets and not explicit_folder:
        return ""
    result = None
    try:
        result = _Result(job, names)
        if not result.assets:
            return ""
        result.mark()
        folder = explicit_folder or preferences.library_folder(context, create=True)
        catalog_id = ensure_catalog(folder, result.catalog_path)
        for asset in result.assets:
            asset.asset_data.catalog_id = str(catalog_id)
        path = write_blend(folder, result.assets, result.name, job.task_id or job.id)
    except Exception as exc:  # disk full, read-only folder, a bug: the import itself stands
        if result is not None:
            result.unmark_unless(keep_assets)
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
        job.message = (f"Imported; could not add it to the Meshy library: {why}{where}. "
                       "Choose a folder you can write to in Preferences > Add-ons > "
                       "Meshy for Blender > Meshy Library")
        return ""
    if job.options.get("keep_in_file", True) is False:
        result.remove_from_file()
    else:
        result.unmark_unless(keep_assets)
    return path


class _Result:
    """What one import made, seen as assets: `assets` are the IDs marked, `made` the IDs made only
    to hold the result as an asset (a collection around several objects, an image's material)."""

    def __init__(self, job, names):
        self.job = job
        self.name = importer.object_name(job.options.get("asset_name") or job.label)
        self.catalog_path = catalog_path(job.options.get("catalog") or kind_catalog(job.kind))
        self.objects = []
        self.made = []
        self.assets = self._assets(job, names) if job.kind not in NOT_ASSETS else []

    def _assets(self, job, names):
        images = [bpy.data.images[n] for n in names if n in bpy.data.images]
        if images and (job.kind in IMAGE_KINDS or
                       tasks.creative_stage(job.kind) == tasks.PROTOTYPE):
            self.made = [image_material(image, self._numbered(index, len(images)))
                         for index, image in enumerate(images, start=1)]
            return list(self.made)
        objects = [bpy.data.objects[n] for n in names if n in bpy.data.objects]
        objects = [o for o in objects if not importer.is_importer_helper(o)]
        if job.kind == "animation" and objects and objects[0].name == \
                job.options.get("target_armature"):
            action = next((a for a in reversed(bpy.data.actions)
                           if a.get("meshy_task_id") == job.task_id), None)
            return [action] if action is not None else []
        source = job.options.get("source_object")
        if job.options.get("apply_material") and [o.name for o in objects] == [source]:
            # A retexture that kept the artist's mesh: its result is the new material.
            return list(dict.fromkeys(slot.material for obj in objects
                                      for slot in obj.material_slots if slot.material))
        self.objects = objects
        if len(objects) == 1:
            return objects
        if objects:
            # Dragging one object never brings its children or the rig deforming it; a
            # collection holding them all does.
            group = bpy.data.collections.new(self.name)
            for obj in objects:
                group.objects.link(obj)
            self.made = [group]
            return [group]
        return []

    def _numbered(self, index, count):
        return self.name if count == 1 else f"{self.name} {index}"

    def mark(self):
        job = self.job
        thumbnail = job.files.get("thumbnail", "")
        renamed = bool(job.options.get("asset_name"))
        for index, asset in enumerate(self.assets, start=1):
            if renamed and asset not in self.made:
                asset.name = self._numbered(index, len(self.assets))
            asset.asset_mark()
            describe(asset.asset_data, job)
            if _has_preview(asset):
                continue  # the importer already gave it Meshy's thumbnail
            if not _set_preview(asset, thumbnail or _image_file(asset)):
                if not bpy.app.background:
                    # Renders in the background in an interactive session; without a window
                    # (blender -b) it would hold this thread for seconds, so there it is skipped.
                    asset.asset_generate_preview()

    def unmark_unless(self, keep_assets):
        """The preference is off (the library was asked for explicitly): leave the running file
        as it would be without the library."""
        if keep_assets:
            return
        for asset in self.assets:
            if asset not in self.made:
                asset.asset_clear()
        if self.made:
            bpy.data.batch_remove(self.made)
        self.assets, self.made = [], []

    def remove_from_file(self):
        """Remove what the import made (objects, meshes, materials, images, actions ...) from the
        running file; what the artist's own data still uses stays."""
        doomed = set(self.assets) | set(self.made) | set(self.objects)
        doomed |= dependencies(doomed)
        doomed = {i for i in doomed if i.library is None}
        users = bpy.data.user_map(subset=doomed)
        forced = set(self.assets) | set(self.made) | set(self.objects)
        changed = True
        while changed:
            changed = False
            for id_block in list(doomed - forced):
                if any(u not in doomed and not _holds(u, id_block)
                       for u in users.get(id_block, ())):
                    doomed.discard(id_block)  # still used by something that stays
                    changed = True
        # Collections an importer made to hide its helpers (glTF's bone shapes) go when empty.
        hiding = {u for i in doomed if isinstance(i, bpy.types.Object) for u in users.get(i, ())
                  if isinstance(u, bpy.types.Collection) and u.hide_viewport}
        bpy.data.batch_remove(doomed)
        empty = [c for c in hiding if not c.all_objects and not c.children]
        if empty:
            bpy.data.batch_remove(empty)
        self.assets, self.made, self.objects = [], [], []


def _holds(user, id_block):
    """A collection or scene only holds an object: it does not need it (an importer's hidden
    collection of helper objects, the Meshy collection)."""
    return isinstance(id_block, bpy.types.Object) and \
        isinstance(user, (bpy.types.Collection, bpy.types.Scene))


def dependencies(ids):
    """Every ID that `ids` use, directly or through others (not `ids` themselves)."""
    uses = {}
    for used, users in bpy.data.user_map().items():
        for user in users:
            uses.setdefault(user, set()).add(used)
    found, todo = set(), list(ids)
    while todo:
        for used in uses.get(todo.pop(), ()):
            if used not in found and used not in ids:
                found.add(used)
                todo.append(used)
    return found


def image_material(image, name):
    """A material using `image` as its base colour: how an image result becomes an asset."""
    material = bpy.data.materials.new(name)
    if material.node_tree is None:  # Blender 4.2 makes materials without nodes
        material.use_nodes = True
    tree = material.node_tree
    bsdf = next((n for n in tree.nodes if n.type == 'BSDF_PRINCIPLED'), None)
    if bsdf is None:
        bsdf = importer.wire_pbr(material, {})
    node = tree.nodes.new("ShaderNodeTexImage")
    node.image = image
    node.location = (bsdf.location.x - 400, bsdf.location.y)
    tree.links.new(node.outputs["Color"], bsdf.inputs["Base Color"])
    material["meshy_task_id"] = image.get("meshy_task_id", "")
    return material


def _image_file(asset):
    """An image result's own file, as the preview of its material."""
    if isinstance(asset, bpy.types.Material) and asset.node_tree is not None:
        for node in asset.node_tree.nodes:
            if node.type == 'TEX_IMAGE' and node.image is not None:
                return bpy.path.abspath(node.image.filepath)
    return ""


def _has_preview(asset):
    preview = asset.preview
    return preview is not None and preview.image_size[0] > 0


def _set_preview(asset, path):
    return bool(path) and os.path.isfile(path) and importer.set_preview(asset, path)


# --- what an asset says about itself ----------------------------------------------------------

def describe(data, job):
    """Description, tags and Meshy's facts on an asset's metadata."""
    prompt = job.payload.get("prompt") or job.payload.get("texture_prompt") or job.label
    data.description = prompt
    model = job.payload.get("ai_model", "")
    for tag in (MESHY_TAG, kind_catalog(job.kind).split("/")[-1], model, *prompt_words(prompt)):
        if tag:
            data.tags.new(tag[:63], skip_if_exists=True)
    data["meshy_task_id"] = job.task_id
    data["meshy_kind"] = job.kind
    data["meshy_credits"] = int(job.credits or 0)
    data["meshy_date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    data["meshy_created"] = time.time()  # seconds since 1970: sortable, unlike names


def prompt_words(prompt, limit=PROMPT_TAGS):
    """Up to `limit` distinct lower-case words of the prompt worth searching for."""
    words = []
    for word in re.findall(r"[^\W\d_][\w'-]*", prompt.lower()):
        word = word.strip("'-")
        if len(word) > 2 and word not in STOP_WORDS and word not in words:
            words.append(word)
    return words[:limit]


def kind_catalog(kind):
    """The catalog a result of this kind goes to when the job names none."""
    if kind in IMAGE_KINDS:
        return "Images"
    if kind == "animation":
        return "Animations"
    if kind == "rigging":
        return "Rigged Characters"
    if tasks.creative_stage(kind):
        product, _stage = tasks.split_creative_kind(kind)
        return f"Creative Lab/{tasks.product_label(product)}"
    try:
        label = tasks.family(kind).label
    except tasks.ValidationError:
        return "Other"
    return re.sub(r"\s*\(.*\)$", "", label) or "Other"


def catalog_path(text):
    """A catalog path Blender accepts: "/"-separated, no ":" or control characters, no empty
    parts; "Other" when nothing is left."""
    parts = []
    for part in re.split(r"[/\\]", str(text)):
        part = re.sub(r"[\x00-\x1f\x7f:]", "", part).strip()
        if part:
            parts.append(part)
    return "/".join(parts) or "Other"


def catalog_id(path):
    return uuid.uuid5(CATALOG_NAMESPACE, path)


# --- the library on disk --------------------------------------------------------------------------

def result_file_name(name, task_id):
    """"<name made safe>-<hash of the task id>.blend": nothing the server sends names a file."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:NAME_LIMIT] or "meshy_result"
    digest = hashlib.sha256(str(task_id).encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{safe}-{digest}.blend"


def write_blend(folder, ids, name, task_id):
    """Write `ids` and what they use, images packed, as their own .blend in `folder`; atomically
    (a temporary file beside it, then renamed). Returns its path."""
    path = os.path.join(folder, result_file_name(name, task_id))
    if not is_inside(path, folder):
        raise ValueError("the result's file name would leave the library folder")
    for image in _images_of(ids):
        if image.packed_file is None and image.source == 'FILE' and image.has_data:
            image.pack()  # the library file must show its textures on any machine
    handle, temporary = tempfile.mkstemp(prefix=".meshy-", suffix=".tmp", dir=folder)
    os.close(handle)
    try:
        bpy.data.libraries.write(temporary, set(ids), fake_user=True, compress=True)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    return path


def _images_of(ids):
    return [i for i in dependencies(set(ids)) if isinstance(i, bpy.types.Image)]


@contextlib.contextmanager
def library_lock(folder):
    """Hold the library's lock file: one process at a time rewrites its catalog file.

    The holder only reads and rewrites a small text file, so waiting for it takes milliseconds.
    """
    with open(os.path.join(folder, LOCK_FILE), "a+b") as handle:
        if os.name == "nt":
            import msvcrt
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)  # retries for up to 10 s
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def read_catalogs(text):
    """{path: uuid} of a blender_assets.cats.txt's catalog lines."""
    found = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("VERSION"):
            continue
        parts = line.split(":", 2)
        if len(parts) >= 2:
            found.setdefault(parts[1], parts[0])
    return found


def ensure_catalog(folder, path):
    """The id of catalog `path` in the library, added to its catalog file (with its parents)
    when missing. A catalog the file already has keeps the id it has there."""
    path = catalog_path(path)
    os.makedirs(folder, exist_ok=True)
    cats = os.path.join(folder, CATALOG_FILE)
    parts = path.split("/")
    wanted = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    with library_lock(folder):
        try:
            with open(cats, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            text = ""
        known = read_catalogs(text)
        missing = [p for p in wanted if p not in known]
        if missing:
            if "VERSION" not in text:
                text = CATALOG_HEADER + text
            if text and not text.endswith("\n"):
                text += "\n"
            for each in missing:
                simple = each.replace("/", "-")[:SIMPLE_NAME_LIMIT]
                known[each] = str(catalog_id(each))
                text += f"{known[each]}:{each}:{simple}\n"
            _replace_text(cats, text)
    return known[path]


def _replace_text(path, text):
    folder, name = os.path.split(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


# --- Blender's asset libraries ---------------------------------------------------------------

def _same_folder(a, b):
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def registered_library(context=None):
    """The entry of Blender's asset libraries that is the Meshy library folder, or None."""
    context = context or bpy.context
    folder = preferences.library_folder(context)
    for entry in context.preferences.filepaths.asset_libraries:
        if entry.path and _same_folder(bpy.path.abspath(entry.path), folder):
            return entry
    return None


def register_library(context):
    """Add the Meshy library folder to Blender's asset libraries (once). Returns (entry, added)."""
    entry = registered_library(context)
    if entry is not None:
        return entry, False
    folder = preferences.library_folder(context, create=True)
    entry = context.preferences.filepaths.asset_libraries.new(name=LIBRARY_NAME, directory=folder)
    prefs = context.preferences
    if prefs.use_preferences_save:
        prefs.is_dirty = True  # saved with the other preferences when Blender quits
    else:
        bpy.ops.wm.save_userpref()  # Blender will not save it by itself
    return entry, True
