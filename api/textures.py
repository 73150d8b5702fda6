# SPDX-License-Identifier: GPL-3.0-or-later
"""Texture resolution: smaller copies of a result's textures, made on the worker thread.

A 4096 x 4096 map costs Blender a long decode and a large GPU upload the first time the object is
drawn. When the artist asks for 2048 or 1024 (the "Texture Resolution" preference), every image
embedded in a downloaded GLB and every separate texture map (base colour, metallic, roughness,
normal, emission) is resized here, with Pillow, before the import. The downloads themselves are
never changed: the copies sit beside them with a suffix ("..._1024px.glb"), so choosing
"Original" and importing the task again uses the files exactly as Meshy sent them.

Plain Python (Pillow, imported where used); no bpy.
"""

import io
import json
import logging
import os
import struct
import tempfile

log = logging.getLogger(__name__)

ORIGINAL = "ORIGINAL"
# The preference's choices, largest first: (identifier, longest side in pixels or 0 for as sent).
RESOLUTIONS = ((ORIGINAL, 0), ("2048", 2048), ("1024", 1024))
# Roles of separate texture maps (texture_urls); thumbnails and concept images are left alone.
MAP_ROLES = ("base_color", "metallic", "roughness", "normal", "emission")

_GLB_MAGIC = b"glTF"
_JSON_CHUNK = 0x4E4F534A
_BIN_CHUNK = 0x004E4942
# Pillow's format name for each glTF image MIME type (the only ones glTF core and EXT_texture_webp
# allow); anything else (KTX2) is left as it is.
_MIME_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
# The copies are a local cache: fast zlib (level 1) encodes about four times faster than the
# default for files only ~25% larger.
_SAVE_OPTIONS = {"PNG": {"compress_level": 1}, "JPEG": {"quality": 92}, "WEBP": {"quality": 92}}


class TextureError(ValueError):
    """A file could not be rewritten; the original is used instead."""


def longest_side(resolution):
    """The longest side in pixels for a preference value ("ORIGINAL", "2048", 2048...), 0 = as
    sent. Unknown values mean "as sent": an odd option must never damage a result."""
    if resolution in (None, "", ORIGINAL):
        return 0
    try:
        size = int(resolution)
    except (TypeError, ValueError):
        return 0
    return size if size > 0 else 0


def resize_results(files, resolution):
    """Main entry (worker thread): {role: path} -> {role: path} with every GLB and texture map
    resized to `resolution`. Files that need no change, or cannot be read, keep their original
    path; the originals are never modified."""
    size = longest_side(resolution)
    if not size:
        return dict(files)
    from PIL import Image

    result = {}
    for role, path in files.items():
        result[role] = path
        try:
            if path.lower().endswith(".glb"):
                result[role] = resize_glb_file(path, size)
            elif role in MAP_ROLES:
                result[role] = resize_image_file(path, size)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            # A smaller texture is an optimisation: the result as sent still imports.
            log.warning("textures of %s kept at their original size: %s", role, exc)
    return result


def resized_path(path, size):
    stem, ext = os.path.splitext(path)
    return f"{stem}_{size}px{ext}"


# --- separate images --------------------------------------------------------------------------

def resize_image_file(path, size):
    """A copy of the image at `path` no larger than `size` on its longest side, beside it; the
    original path when it is small enough already."""
    from PIL import Image

    with Image.open(path) as image:
        if max(image.size) <= size:
            return path
        data = _encode(_resized(image, size), image.format)
    target = resized_path(path, size)
    _write_atomically(target, data)
    return target


def resize_image_bytes(data, size, fmt=None):
    """Encoded image bytes resized to at most `size` (same format), or None when no change is
    needed."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        if image.format != fmt and fmt is not None:
            raise TextureError(f"declared as {fmt} but holds {image.format}")
        if max(image.size) <= size:
            return None
        return _encode(_resized(image, size), fmt or image.format)


def _resized(image, size):
    """The image scaled so its longest side is `size`, in its own mode: a normal map stays an
    RGB normal map, a greyscale roughness map stays greyscale, alpha stays alpha."""
    from PIL import Image

    width, height = image.size
    scale = size / max(width, height)
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if image.mode in ("P", "1"):
        # Palette and bilevel images cannot be filtered; their full-colour equivalent can.
        image = image.convert("RGBA" if "transparency" in image.info else
                              ("L" if image.mode == "1" else "RGB"))
    # Lanczos gives sharp, ringing-free (clamped) results; reducing_gap first box-averages by an
    # integer factor, which is both faster and exact for the usual power-of-two steps.
    return image.resize(new_size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def _encode(image, fmt):
    fmt = fmt if fmt in _SAVE_OPTIONS else "PNG"
    if fmt == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, fmt, **_SAVE_OPTIONS[fmt])
    return out.getvalue()


def _write_atomically(path, data):
    folder = os.path.dirname(path) or "."
    handle, temp = tempfile.mkstemp(dir=folder, prefix=".resize-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        try:
            os.remove(temp)
        except OSError:
            pass
        raise


# --- GLB ----------------------------------------------------------------------------------------

def resize_glb_file(path, size):
    """A copy of the GLB at `path` with every embedded image at most `size` on its longest side,
    beside it; the original path when no image needed it."""
    with open(path, "rb") as handle:
        data = handle.read()
    rewritten = resize_glb(data, size)
    if rewritten is None:
        return path
    target = resized_path(path, size)
    _write_atomically(target, rewritten)
    return target


def read_glb(data):
    """(json document, BIN chunk bytes) of a GLB; TextureError when it is not one."""
    if len(data) < 20 or data[:4] != _GLB_MAGIC:
        raise TextureError("not a GLB file")
    version, length = struct.unpack_from("<II", data, 4)
    if version != 2 or length > len(data):
        raise TextureError("not a complete glTF 2.0 binary")
    doc, binary, offset = None, b"", 12
    while offset + 8 <= length:
        chunk_length, chunk_type = struct.unpack_from("<II", data, offset)
        start, end = offset + 8, offset + 8 + chunk_length
        if end > length:
            raise TextureError("a chunk runs past the end of the file")
        if chunk_type == _JSON_CHUNK and doc is None:
            try:
                doc = json.loads(data[start:end].decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise TextureError(f"the JSON chunk cannot be read ({exc})") from None
        elif chunk_type == _BIN_CHUNK and not binary:
            binary = data[start:end]
        offset = end
    if not isinstance(doc, dict):
        raise TextureError("no JSON chunk")
    return doc, binary


def write_glb(doc, binary):
    """GLB bytes of a document and its BIN chunk (both padded to 4 bytes as the format asks)."""
    text = json.dumps(doc, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 4)
    out = [struct.pack("<II", len(text), _JSON_CHUNK), text]
    if binary:
        binary = bytes(binary) + b"\x00" * (-len(binary) % 4)
        out += [struct.pack("<II", len(binary), _BIN_CHUNK), binary]
    body = b"".join(out)
    return _GLB_MAGIC + struct.pack("<II", 2, 12 + len(body)) + body


def _views_of_accessors(doc):
    """Buffer views that hold geometry or animation data (dense and sparse accessors)."""
    found = set()
    for accessor in doc.get("accessors", []):
        found.add(accessor.get("bufferView"))
        sparse = accessor.get("sparse", {})
        found.update(part.get("bufferView") for part in (sparse.get("indices", {}),
                                                         sparse.get("values", {})))
    found.discard(None)
    return found


def resize_glb(data, size):
    """GLB bytes with each embedded image resized to at most `size`, or None when none needed it.

    Only images stored in the GLB's own BIN chunk are touched (Meshy embeds its maps so); a buffer
    view shared with geometry is left alone. Every buffer view of the BIN chunk is then laid out
    again in order, 4-byte aligned (enough for any accessor component), with new offsets and
    lengths; strides, targets and everything else in the document are kept.
    """
    from PIL import Image

    doc, binary = read_glb(data)
    views = doc.get("bufferViews", [])
    buffers = doc.get("buffers", [])
    if not buffers or "uri" in buffers[0] or not binary:
        return None
    geometry_views = _views_of_accessors(doc)
    replaced = {}
    for image in doc.get("images", []):
        index = image.get("bufferView")
        fmt = _MIME_FORMATS.get(image.get("mimeType"))
        if index is None or fmt is None or index in geometry_views or index in replaced:
            continue
        view = views[index]
        if view.get("buffer", 0) != 0:
            continue
        start = view.get("byteOffset", 0)
        original = binary[start:start + view["byteLength"]]
        try:
            smaller = resize_image_bytes(original, size, fmt)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            log.warning("embedded image %r kept at its original size: %s", image.get("name"), exc)
            continue
        if smaller is not None:
            replaced[index] = smaller
    if not replaced:
        return None
    new_binary = bytearray()
    for index, view in enumerate(views):
        if view.get("buffer", 0) != 0:
            continue
        start = view.get("byteOffset", 0)
        chunk = replaced.get(index, binary[start:start + view["byteLength"]])
        new_binary += b"\x00" * (-len(new_binary) % 4)
        view["byteOffset"] = len(new_binary)
        view["byteLength"] = len(chunk)
        new_binary += chunk
    new_binary += b"\x00" * (-len(new_binary) % 4)
    buffers[0]["byteLength"] = len(new_binary)
    return write_glb(doc, new_binary)
