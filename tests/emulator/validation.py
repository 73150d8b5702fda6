"""Request validation shared by every task family: typed parameter access and media inputs.

A failed check raises ApiError, which the server turns into `{"message": ...}` with the status the
page documents (400 unless a family says otherwise). Messages name the parameter, as Meshy's own do
("Invalid model file extension: .3dm" is the errors page's example).
"""

import base64
import binascii
import re
import uuid
from urllib.parse import urlsplit

from . import images

UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                          r"[0-9a-fA-F]{12}$")
IMAGE_EXTENSIONS = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp"}
IMAGE_MIME_TYPES = {"jpeg": ("image/jpeg", "image/jpg"), "png": ("image/png",), "webp": ("image/webp",),
                    None: ()}


def _binary_stl(data):
    return len(data) >= 84 and len(data) == 84 + 50 * int.from_bytes(data[80:84], "little")


MODEL_MAGIC = {"glb": lambda d: d[:4] == b"glTF",
               "fbx": lambda d: d[:18] == b"Kaydara FBX Binary",
               "gltf": lambda d: d.lstrip()[:1] == b"{",
               "obj": lambda d: re.search(rb"(?m)^v\s", d[:65536]) is not None,
               "stl": lambda d: d[:5] == b"solid" or _binary_stl(d)}


class ApiError(Exception):
    """An immediate request error: HTTP status + the `message` body field."""

    def __init__(self, status, message, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def bad_request(message):
    return ApiError(400, message)


_MISSING = object()


class Params:
    """Typed, documented access to a JSON request body (or a nested object of it)."""

    def __init__(self, body, prefix=""):
        if not isinstance(body, dict):
            raise bad_request(f"Invalid parameter: {prefix.rstrip('.') or 'body'} must be an object")
        self.body = body
        self.prefix = prefix

    def name(self, key):
        return self.prefix + key

    def given(self, key):
        return self.body.get(key) is not None

    def _value(self, key, required):
        value = self.body.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise bad_request(f"Missing required parameter: {self.name(key)}")
            return _MISSING
        return value

    def string(self, key, required=False, default=None, max_length=None, choices=None,
               allow_empty=False):
        value = self._value(key, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str):
            raise bad_request(f"Invalid parameter: {self.name(key)} must be a string")
        if not value and not allow_empty and required:
            raise bad_request(f"Missing required parameter: {self.name(key)}")
        if max_length is not None and len(value) > max_length:
            raise bad_request(f"Invalid parameter: {self.name(key)} exceeds the maximum length of "
                              f"{max_length} characters")
        if choices is not None and value not in choices:
            raise bad_request(f"Invalid parameter: {self.name(key)} must be one of "
                              + ", ".join(repr(c) for c in choices))
        return value

    def boolean(self, key, default=False):
        value = self._value(key, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            raise bad_request(f"Invalid parameter: {self.name(key)} must be a boolean")
        return value

    def integer(self, key, default=None, low=None, high=None, choices=None, required=False):
        value = self._value(key, required)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"Invalid parameter: {self.name(key)} must be an integer")
        if choices is not None and value not in choices:
            raise bad_request(f"Invalid parameter: {self.name(key)} must be one of "
                              + ", ".join(str(c) for c in choices))
        self._check_range(key, value, low, high, False, False)
        return value

    def number(self, key, default=None, low=None, high=None, low_open=False, high_open=False):
        value = self._value(key, False)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad_request(f"Invalid parameter: {self.name(key)} must be a number")
        self._check_range(key, value, low, high, low_open, high_open)
        return value

    def _check_range(self, key, value, low, high, low_open, high_open):
        too_low = low is not None and (value <= low if low_open else value < low)
        too_high = high is not None and (value >= high if high_open else value > high)
        if too_low or too_high:
            left = "(" if low_open else "["
            right = ")" if high_open else "]"
            raise bad_request(f"Invalid parameter: {self.name(key)} must be in the range "
                              f"{left}{low if low is not None else '-inf'}, "
                              f"{high if high is not None else 'inf'}{right}")

    def string_list(self, key, required=False, default=None, choices=None, min_items=None,
                    max_items=None):
        value = self._value(key, required)
        if value is _MISSING:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad_request(f"Invalid parameter: {self.name(key)} must be an array of strings")
        if min_items is not None and len(value) < min_items or \
                max_items is not None and len(value) > max_items:
            raise bad_request(f"Invalid parameter: {self.name(key)} must contain between "
                              f"{min_items} and {max_items} items")
        for item in value:
            if choices is not None and item not in choices:
                raise bad_request(f"Invalid parameter: {self.name(key)} contains unsupported value "
                                  f"{item!r}; available values: " + ", ".join(choices))
        return value

    def nested(self, key):
        value = self._value(key, False)
        return Params({} if value is _MISSING else value, self.name(key) + ".")


def check_uuid(value, key):
    if not UUID_PATTERN.match(value):
        raise bad_request(f"Invalid UUID: {key} is not a valid UUID")


def new_task_id(clock_seconds):
    """A k-sortable UUID (version 7 layout), like Meshy's ids."""
    millis = int(clock_seconds * 1000) & ((1 << 48) - 1)
    rand = uuid.uuid4().int
    value = (millis << 80) | (0x7 << 76) | (rand & ((1 << 76) - 1))
    value = (value & ~(0xC << 60)) | (0x8 << 60)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


class Media:
    """An image or model input: where it came from and, when the emulator can see them, its bytes.

    Public URLs are never fetched (the emulator only talks to 127.0.0.1): they are accepted on their
    extension alone, except hosts under `.invalid`, which stand in for unreachable URLs. URLs that
    point back at the emulator's own assets are resolved locally, so chaining by URL works."""

    def __init__(self, source, data=None, kind=None):
        self.source = source
        self.data = data
        self.kind = kind


def _data_uri(value, key):
    match = re.match(r"^data:([\w.+/-]*)((?:;[\w=.-]+)*);base64,(.*)$", value, re.S)
    if not match:
        raise bad_request(f"Invalid Data URI: {key} must be a base64-encoded data URI")
    try:
        data = base64.b64decode(match.group(3), validate=True)
    except (binascii.Error, ValueError) as error:
        raise bad_request(f"Invalid Data URI: the base64 string in {key} is malformed") from error
    if not data:
        raise bad_request(f"Invalid Data URI: {key} is empty")
    return match.group(1).lower(), data


def _public_url(value, key, resolve_local):
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise bad_request(f"Invalid parameter: {key} must be a publicly accessible URL or a data URI")
    host = (parts.hostname or "").lower()
    if host.endswith(".invalid"):
        raise bad_request(f"Unreachable URL: {key} could not be downloaded")
    local = resolve_local(parts) if resolve_local else None
    if local is False:
        raise bad_request(f"Unreachable URL: {key} could not be downloaded")
    path = parts.path.lower()
    extension = path[path.rfind("."):] if "." in path.rsplit("/", 1)[-1] else ""
    return extension, local


def image_input(value, key, formats=("jpeg", "png"), resolve_local=None):
    """Validate an image URL or data URI; formats from {'jpeg', 'png', 'webp'}."""
    if not isinstance(value, str) or not value:
        raise bad_request(f"Missing required parameter: {key}")
    allowed_ext = ", ".join(sorted(e for e, f in IMAGE_EXTENSIONS.items() if f in formats))
    if value.startswith("data:"):
        mime, data = _data_uri(value, key)
        kind = images.image_kind(data)
        if kind not in formats or mime not in IMAGE_MIME_TYPES[kind]:
            raise bad_request(f"Invalid image format: {key} must be one of {allowed_ext}")
        return Media("data", data, kind)
    extension, local = _public_url(value, key, resolve_local)
    if extension and IMAGE_EXTENSIONS.get(extension) not in formats:
        raise bad_request(f"Invalid image format: {key} must be one of {allowed_ext} "
                          f"(got {extension})")
    if local is not None and images.image_kind(local) not in formats:
        raise bad_request(f"Invalid image format: {key} must be one of {allowed_ext}")
    return Media("url", local, images.image_kind(local) if local else IMAGE_EXTENSIONS.get(extension))


def model_input(value, key, extensions, resolve_local=None, data_bypasses_extension=False):
    """Validate a model URL or data URI; extensions like ('.glb', '.fbx')."""
    if not isinstance(value, str) or not value:
        raise bad_request(f"Missing required parameter: {key}")
    if value.startswith("data:"):
        _, data = _data_uri(value, key)
        kind = sniff_model(data)
        if kind is None and not data_bypasses_extension:
            raise bad_request(f"Invalid model file: {key} is not one of " + ", ".join(extensions))
        if kind is not None and "." + kind not in extensions and not data_bypasses_extension:
            raise bad_request(f"Invalid model file extension: .{kind}")
        return Media("data", data, kind)
    extension, local = _public_url(value, key, resolve_local)
    if extension not in extensions:
        raise bad_request(f"Invalid model file extension: {extension or '(none)'}")
    return Media("url", local, extension.lstrip("."))


def sniff_model(data):
    for kind, test in MODEL_MAGIC.items():
        if test(data):
            return kind
    return None
