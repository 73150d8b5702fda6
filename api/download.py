# SPDX-License-Identifier: GPL-3.0-or-later
"""Result downloads: streamed, size-capped, checked, atomic, retried.

A file is streamed in 1 MiB blocks into a temporary file beside its destination and renamed into
place only after it passed every check: HTTP status, the declared Content-Length, the size cap,
and the format's own structure (GLB header, declared length and chunk layout; images verified and
decoded by Pillow; zip central directory; FBX and STL headers). A
truncated or corrupt file is fetched again; when the tries run out the caller gets a
DownloadError and nothing half-written is left behind, so a broken file is never imported.

File names come from task id, kind, role and format; the URL (whose path is the server's choice)
never decides where a file goes. Every hop, redirects included, passes the gate (gate.py): https
only (plain http only to this computer), online access, and nothing handed over by another
computer may lead into this one or a private network. Downloads carry no API key: result URLs
are pre-signed.
"""

import contextlib
import hashlib
import json
import os
import re
import struct
import tempfile
import zipfile

import requests
import urllib3

from . import retry
from .cancel import interrupt_on_cancel
from .errors import Cancelled, DownloadError, MeshyError
from .gate import Gate, check_url
from .secret import get_logger
from .transport import describe_connection_error
from .urls import for_log, host_of

log = get_logger(__name__)
PURPOSE = "downloading results"

_BLOCK = 1024 * 1024
_MAX_REDIRECTS = 5
# Beyond this a JSON chunk is not parsed (it is still length-checked).
_MAX_GLB_JSON = 64 * 1024 * 1024
_READ_ERRORS = (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError)


class _Retryable(Exception):
    def __init__(self, reason, retry_after=None):
        super().__init__(reason)
        self.retry_after = retry_after


def _safe(part):
    text = re.sub(r"[^A-Za-z0-9_-]+", "_", str(part)).strip("_")
    return text[:80] or "x"


# What a Meshy task id looks like (UUID-like): such ids name folders and files as they are.
_PLAIN_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# Names Windows reserves for devices, whatever follows them.
_WINDOWS_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
                              *(f"LPT{i}" for i in range(10))})


def task_folder_name(task_id):
    """A folder (or file name part) for a task id that the server chose, safe on every system.

    A plain id (letters, digits, "-" and "_", at most 64) is used as it is, so folders stay
    recognisable; anything else (a "/", "..", a drive letter, NUL, other scripts, a very long
    id) becomes "id-" and a hash of it: distinct ids never share a folder, and no id can climb
    out of the folder it is joined to.
    """
    text = str(task_id)
    if _PLAIN_TASK_ID.fullmatch(text) and text.upper() not in _WINDOWS_DEVICES:
        return text
    return "id-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def task_folder(root, task_id):
    """root/<task_folder_name(task_id)>, checked to be inside root (raises DownloadError)."""
    root = os.path.abspath(root)
    folder = os.path.join(root, task_folder_name(task_id))
    if not is_inside(folder, root):
        raise DownloadError("The task id cannot name a folder; nothing was written.")
    return folder


def is_inside(path, folder):
    """True when `path` (after resolving links and "..") is `folder` or lies under it."""
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # different drives on Windows
        return False


def file_name(task_id, kind, role, fmt):
    """"<task id>_<kind>_<role>.<fmt>", each part reduced to letters, digits, _ and -; the task id
    by the same rule as its folder (task_folder_name)."""
    return f"{task_folder_name(task_id)}_{_safe(kind)}_{_safe(role)}.{_safe(fmt).lower()}"


def fetch(session, url, dest_dir, name, fmt, *, max_bytes, policy, timeout, cancel=None,
          user_agent=None, gate=None, source=None):
    """Download `url` to dest_dir/name, checked as `fmt`; returns the path.

    gate: the Gate every hop passes (an always-online one when None). source: the URL of the
    server that handed us `url` (the API base URL); the gate holds `url` to the same rule as a
    redirect from there.
    """
    gate = gate or Gate()
    check_url(url, PURPOSE)  # a URL that can never be fetched fails before any folder is made
    os.makedirs(dest_dir, exist_ok=True)
    destination = os.path.join(dest_dir, name)
    last = None
    for attempt in range(policy.attempts):
        try:
            return _attempt(session, url, destination, fmt, max_bytes, timeout, cancel,
                            user_agent, gate, source)
        except _Retryable as exc:
            last = exc
            if attempt + 1 >= policy.attempts:
                break
            if exc.retry_after is not None and exc.retry_after > policy.max_retry_after:
                break
            delay = policy.delay(attempt, exc.retry_after)
            log.info("download %s: %s; retry %d/%d in %.1f s", for_log(url), exc, attempt + 1,
                     policy.attempts - 1, delay)
            retry.wait(delay, cancel, "The download")
    raise DownloadError(f"Could not download the {fmt.upper()} file from {host_of(url)}: {last}. "
                        "It was not imported; try again later.")


def _open(session, url, timeout, cancel, user_agent, gate, source):
    """GET with redirects followed by hand, so every hop passes the gate. Returns the response
    and the URL it came from."""
    headers = {"Accept-Encoding": "identity"}
    if user_agent:
        headers["User-Agent"] = user_agent
    if source:
        gate.admit_from(source, url, PURPOSE)
    else:
        gate.admit(url, PURPOSE)
    for _ in range(_MAX_REDIRECTS + 1):
        if cancel is not None and cancel.is_set():
            raise Cancelled("The download")
        try:
            response = session.get(url, headers=headers, stream=True, timeout=timeout,
                                   allow_redirects=False, verify=True)
        except requests.exceptions.SSLError as exc:
            raise DownloadError(f"The secure connection to {host_of(url)} failed (certificate "
                                "could not be verified).") from exc
        except requests.exceptions.ConnectionError as exc:
            raise _Retryable(describe_connection_error(exc)[0]) from None
        except requests.exceptions.RequestException as exc:
            raise _Retryable(f"no answer ({type(exc).__name__})") from None
        if response.is_redirect:
            target = requests.compat.urljoin(url, response.headers.get("Location", ""))
            response.close()
            gate.admit_from(url, target, PURPOSE)
            url = target
            continue
        return response, url
    raise DownloadError(f"Too many redirects while downloading from {host_of(url)}.")


def _attempt(session, url, destination, fmt, max_bytes, timeout, cancel, user_agent, gate,
             source):
    response, final_url = _open(session, url, timeout, cancel, user_agent, gate, source)
    with response, interrupt_on_cancel(cancel, response, gate.cut_off(final_url)):
        status = response.status_code
        if status in (403, 404, 410):
            raise DownloadError(
                f"The file is no longer available (HTTP {status}): Meshy keeps results for 3 days "
                "and download links expire. Fetch the task again for fresh links.")
        if status == 429 or status >= 500:
            raise _Retryable(f"HTTP {status}",
                             retry.parse_retry_after(response.headers.get("Retry-After")))
        if status != 200:
            raise DownloadError(f"The download failed with HTTP {status}.")
        declared = _declared_length(response)
        if declared is not None and max_bytes is not None and declared > max_bytes:
            raise DownloadError(f"The file is {declared:,} bytes, over the {max_bytes:,}-byte "
                                "limit for downloads.")
        with atomic_file(destination) as out:
            received = _write_body(response, out, max_bytes, cancel)
            if declared is not None and received != declared:
                raise _Retryable(f"truncated: {received:,} of {declared:,} bytes arrived")
            out.flush()
            problem = check_file(out.name, fmt, received)
            if problem:
                raise _Retryable(f"the {fmt.upper()} file is corrupt ({problem})")
    log.debug("downloaded %s (%d bytes) to %s", for_log(url), received, destination)
    return destination


def _declared_length(response):
    try:
        length = int(response.headers["Content-Length"])
        return length if length >= 0 else None
    except (KeyError, ValueError):
        return None


def _write_body(response, out, max_bytes, cancel):
    received = 0
    try:
        for block in response.iter_content(_BLOCK):
            if cancel is not None and cancel.is_set():
                raise Cancelled("The download")
            received += len(block)
            if max_bytes is not None and received > max_bytes:
                raise DownloadError(f"The file is larger than the {max_bytes:,}-byte limit "
                                    "for downloads.")
            out.write(block)
    except MeshyError:
        raise
    except _READ_ERRORS as exc:
        if cancel is not None and cancel.is_set():
            raise Cancelled("The download") from None
        raise _Retryable(f"the connection broke after {received:,} bytes "
                         f"({type(exc).__name__})") from None
    return received


@contextlib.contextmanager
def atomic_file(destination):
    """An open binary file that becomes `destination` only if the block ends without error.

    It is written beside the destination (same file system, so the rename is atomic) under a
    hidden ".part" name; on any error it is removed, so nothing half-written is ever left.
    """
    directory, name = os.path.split(destination)
    os.makedirs(directory or ".", exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory or ".")
    os.close(handle)
    try:
        # Opened by name so that `out.name` is the temporary path (checks read the file back).
        with open(temporary, "wb") as out:
            yield out
        os.replace(temporary, destination)
    except BaseException:
        try:
            os.remove(temporary)
        except OSError:
            pass
        raise


# --- format checks ------------------------------------------------------------------------------

def check_file(path, fmt, size):
    """What is wrong with the file as a `fmt` file, or "" when it looks whole."""
    if size == 0:
        return "it is empty"
    checker = _CHECKS.get(fmt.lower())
    if checker is None:
        return ""
    with open(path, "rb") as handle:
        try:
            return checker(handle, size)
        except (struct.error, ValueError, OSError, EOFError) as exc:
            return f"unreadable structure: {exc}"


def _check_glb(handle, size):
    header = handle.read(12)
    if len(header) < 12 or header[:4] != b"glTF":
        return "no glTF header"
    version, declared = struct.unpack("<II", header[4:])
    if version != 2:
        return f"glTF version {version}"
    if declared != size:
        return f"header declares {declared:,} bytes, file has {size:,}"
    offset, index = 12, 0
    while offset < size:
        chunk_header = handle.read(8)
        if len(chunk_header) < 8:
            return "chunk header cut short"
        length, kind = struct.unpack("<II", chunk_header)
        if offset + 8 + length > size:
            return "a chunk runs past the end of the file"
        if index == 0:
            if kind != 0x4E4F534A:  # "JSON"
                return "the first chunk is not JSON"
            if length <= _MAX_GLB_JSON:
                try:
                    json.loads(handle.read(length).rstrip(b" \x00"))
                except ValueError:
                    return "the JSON chunk is not valid JSON"
            else:
                handle.seek(length, os.SEEK_CUR)
        else:
            handle.seek(length, os.SEEK_CUR)
        offset += 8 + length
        index += 1
    return "" if offset == size else "chunks do not add up to the file length"


def _image_check(expected):
    """A check that the file is a whole `expected` image ("PNG", "JPEG", "WEBP"), by Pillow."""
    def check(handle, size):
        from PIL import Image, UnidentifiedImageError
        try:
            with Image.open(handle) as image:
                if image.format != expected:
                    return f"not a {expected} image"
                image.verify()  # PNG: every chunk's checksum, up to IEND
            if expected != "PNG":
                # JPEG and WebP have no checksums: decoding is what finds damage or truncation.
                handle.seek(0)
                with Image.open(handle) as image:
                    image.load()
        except Image.DecompressionBombError:
            return "too many pixels to check"
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            return f"not a readable {expected} image ({exc})"
        return ""
    return check


def _check_zip(handle, size):
    if handle.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):
        return "no zip header"
    handle.seek(0)
    if not zipfile.is_zipfile(handle):
        return "no zip directory at the end"
    handle.seek(0)
    with zipfile.ZipFile(handle) as archive:
        broken = archive.testzip()
    return f"damaged member {broken}" if broken else ""


def _check_fbx(handle, size):
    head = handle.read(64)
    # Binary FBX starts with its magic; ASCII FBX with a "; FBX 7.x project file" comment.
    if head.startswith(b"Kaydara FBX Binary  \x00") or head.lstrip().startswith(b"; FBX"):
        return ""
    return "no FBX header"


def _check_stl(handle, size):
    head = handle.read(84)
    if len(head) == 84 and 84 + 50 * struct.unpack("<I", head[80:84])[0] == size:
        return ""
    if head.lstrip().startswith(b"solid"):
        handle.seek(max(0, size - 1024))
        return "" if b"endsolid" in handle.read() else "ASCII STL without endsolid"
    return "neither a binary STL of the right length nor an ASCII STL"


# Formats Blender imports or the artist keeps get a check; others (OBJ, .blend, ...) are taken
# as they come: a damaged one fails in the importer with a message, and nothing is lost.
_CHECKS = {"glb": _check_glb, "png": _image_check("PNG"), "jpg": _image_check("JPEG"),
           "jpeg": _image_check("JPEG"), "webp": _image_check("WEBP"), "zip": _check_zip,
           "usdz": _check_zip, "3mf": _check_zip, "fbx": _check_fbx, "stl": _check_stl}
