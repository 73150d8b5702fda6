# SPDX-License-Identifier: GPL-3.0-or-later
"""Result downloads: streamed, size-capped, checked, atomic, retried.

A file is streamed in 1 MiB blocks into a temporary file beside its destination and renamed into
place only after it passed every check: HTTP status, the declared Content-Length, the size cap,
and the format's own structure (GLB header, declared length and chunk layout; PNG chunk CRCs and
IEND; JPEG start and end markers; zip central directory; FBX, STL, WebP, .blend headers). A
truncated or corrupt file is fetched again; when the tries run out the caller gets a
DownloadError and nothing half-written is left behind, so a broken file is never imported.

File names come from task id, kind, role and format; the URL (whose path is the server's choice)
never decides where a file goes. Every hop, redirects included, passes the gate (gate.py): https
only (plain http only to this computer), online access, and nothing handed over by another
computer may lead into this one or a private network. Downloads carry no API key: result URLs
are pre-signed.
"""

import codecs
import contextlib
import json
import os
import re
import struct
import tempfile
import zipfile
import zlib

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


def file_name(task_id, kind, role, fmt):
    """"<task id>_<kind>_<role>.<fmt>", each part reduced to letters, digits, _ and -."""
    return f"{_safe(task_id)}_{_safe(kind)}_{_safe(role)}.{_safe(fmt).lower()}"


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


def _check_png(handle, size):
    if handle.read(8) != b"\x89PNG\r\n\x1a\n":
        return "no PNG signature"
    while True:
        header = handle.read(8)
        if len(header) < 8:
            return "ends before IEND"
        length, kind = struct.unpack(">I4s", header)
        crc = zlib.crc32(kind)
        remaining = length
        while remaining:
            block = handle.read(min(remaining, _BLOCK))
            if not block:
                return "a chunk is cut short"
            crc = zlib.crc32(block, crc)
            remaining -= len(block)
        stored = handle.read(4)
        if len(stored) < 4 or struct.unpack(">I", stored)[0] != crc & 0xFFFFFFFF:
            return f"bad checksum in the {kind.decode('latin-1')} chunk"
        if kind == b"IEND":
            return ""


def _check_jpeg(handle, size):
    if handle.read(3) != b"\xff\xd8\xff":
        return "no JPEG start marker"
    handle.seek(max(0, size - 4096))
    # Some encoders append bytes after the end marker; it must still be there near the end.
    return "" if b"\xff\xd9" in handle.read() else "no JPEG end marker"


def _check_webp(handle, size):
    header = handle.read(12)
    if header[:4] != b"RIFF" or header[8:12] != b"WEBP":
        return "no WebP header"
    declared = struct.unpack("<I", header[4:8])[0] + 8
    return "" if declared in (size, size - 1) else f"RIFF declares {declared:,} bytes"


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


def _check_blend(handle, size):
    head = handle.read(7)
    # .blend files may be stored zstd- or gzip-compressed.
    if head.startswith(b"BLENDER") or head.startswith(b"\x28\xb5\x2f\xfd") or head[:2] == b"\x1f\x8b":
        return ""
    return "no .blend header"


def _check_text(handle, size):
    # OBJ/MTL/glTF are UTF-8 text: a NUL byte or an invalid UTF-8 sequence means damage.
    decoder = codecs.getincrementaldecoder("utf-8")()
    while True:
        block = handle.read(_BLOCK)
        if not block:
            break
        if b"\x00" in block:
            return "binary data in a text format"
        try:
            decoder.decode(block)
        except UnicodeDecodeError:
            return "bytes that are not UTF-8 text"
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "text cut inside a character"
    return ""


_CHECKS = {"glb": _check_glb, "png": _check_png, "jpg": _check_jpeg, "jpeg": _check_jpeg,
           "webp": _check_webp, "zip": _check_zip, "usdz": _check_zip, "3mf": _check_zip,
           "fbx": _check_fbx, "stl": _check_stl, "blend": _check_blend, "obj": _check_text,
           "mtl": _check_text, "gltf": _check_text}
