# SPDX-License-Identifier: GPL-3.0-or-later
"""Request bodies: a payload as JSON bytes, with large data URIs spliced in without copies.

`json.dumps` on a payload holding a 67 MB data URI string would make a second 67 MB string and
`.encode()` a third. Instead each `DataURI` is replaced by a short placeholder, the rest is
serialised normally, and the body is handed to requests as a sized iterable whose parts are
memoryviews of the original buffers; requests sends it with a Content-Length, block by block.
"""

import json
import uuid

from .media import DataURI

# Blocks handed to the socket; large enough that a 67 MB body is ~67 send calls.
_SEND_BLOCK = 1024 * 1024


class SplicedBody:
    """A JSON body made of byte parts; iterable any number of times (a retry re-sends it)."""

    def __init__(self, parts):
        self._parts = parts
        self._length = sum(len(part) for part in parts)

    def __len__(self):
        return self._length

    def __iter__(self):
        for part in self._parts:
            view = memoryview(part)
            for start in range(0, len(view), _SEND_BLOCK):
                yield view[start:start + _SEND_BLOCK]

    def __bytes__(self):
        return b"".join(bytes(part) for part in self._parts)

    def __repr__(self):
        return f"<SplicedBody {self._length:,} bytes>"


def _swap_data_uris(value, found, token):
    if isinstance(value, DataURI):
        found.append(value)
        return f"{token}{len(found) - 1}@"
    if isinstance(value, dict):
        return {key: _swap_data_uris(item, found, token) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_swap_data_uris(item, found, token) for item in value]
    return value


def encode(payload):
    """JSON for `payload`: bytes, or a SplicedBody when it holds DataURI values."""
    found = []
    token = f"@@meshy-data-uri-{uuid.uuid4().hex}-"
    swapped = _swap_data_uris(payload, found, token)
    text = json.dumps(swapped, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if not found:
        return text
    parts = []
    rest = text
    marker = token.encode("ascii")
    for index, data_uri in enumerate(found):
        placeholder = marker + f"{index}@".encode("ascii")
        before, _, rest = rest.partition(placeholder)
        parts.append(before)
        # Base64 and the "data:<mime>;base64," prefix contain nothing JSON needs escaped.
        parts.append(data_uri.view())
    parts.append(rest)
    return SplicedBody(parts)
