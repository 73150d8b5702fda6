# SPDX-License-Identifier: GPL-3.0-or-later
"""Zip bundles a task delivers (Creative Lab's `obj` and `zip` outputs), unpacked safely.

Member names come from the server, so they never become paths as they are: only plain names
(letters, digits, dot, dash, underscore) of the file types an importer reads are written, flat,
into a folder of ours, and the unpacked size is bounded (a zip bomb stops at the limit).
"""

import os
import re
import zipfile

from .download import atomic_file
from .errors import MeshyError

MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
KEPT_TYPES = (".glb", ".obj", ".mtl", ".png", ".jpg", ".jpeg", ".webp", ".stl", ".json")
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class BundleError(MeshyError):
    """A bundle could not be unpacked; the message says why."""


def extract(zip_path, folder, max_bytes=MAX_UNPACKED_BYTES):
    """Unpack the kept members of `zip_path` into `folder`; returns {member name: path}."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BundleError(f"{os.path.basename(zip_path)} is not a readable zip ({exc})") from None
    written, total = {}, 0
    with archive:
        for info in archive.infolist():
            name = info.filename.rsplit("/", 1)[-1]
            if info.is_dir() or not _PLAIN_NAME.match(name) or name in written \
                    or os.path.splitext(name)[1].lower() not in KEPT_TYPES:
                continue
            total += info.file_size
            if total > max_bytes:
                raise BundleError(f"it unpacks to more than {max_bytes // (1024 * 1024)} MB")
            os.makedirs(folder, exist_ok=True)
            destination = os.path.join(folder, name)
            try:
                with archive.open(info) as source, atomic_file(destination) as out:
                    _copy_bounded(source, out, info.file_size)
            except (OSError, zipfile.BadZipFile, RuntimeError) as exc:
                raise BundleError(f"the member {name} is damaged ({exc})") from None
            written[name] = destination
    return written


def _copy_bounded(source, out, declared):
    # The declared size was counted against the limit; a member that inflates beyond it is lying.
    copied = 0
    while True:
        block = source.read(1024 * 1024)
        if not block:
            return
        copied += len(block)
        if copied > declared:
            raise OSError("it is larger than the zip says")
        out.write(block)


def model_roles(unpacked):
    """{role: path} for an importer from unpacked members: a GLB (else an OBJ with its MTL and
    texture beside it) as "model"; a lamp's lamp.stl and base.stl as "lamp" and "base"."""
    by_type = {}
    for name, path in sorted(unpacked.items()):
        by_type.setdefault(os.path.splitext(name)[1].lower(), []).append((name, path))
    roles = {}
    model = (by_type.get(".glb") or by_type.get(".obj") or [(None, None)])[0][1]
    if model:
        roles["model"] = model
    for name, path in by_type.get(".stl", ()):
        role = "base" if os.path.splitext(name)[0].lower() == "base" else "lamp"
        roles.setdefault(role, path)
    return roles


__all__ = ["extract", "model_roles", "BundleError"]
