# SPDX-License-Identifier: GPL-3.0-or-later
"""Turning images and models into the data URIs Meshy accepts, with size limits.

Images come from a file path, encoded bytes, or a Blender pixel buffer; anything Pillow can read
is converted to PNG (when it has alpha or was lossless) or JPEG, with EXIF orientation applied,
16-bit and float data scaled to 8 bits, CMYK turned into RGB. PNG and JPEG that need no change are
passed through untouched. Models must be GLB.

A data URI is returned as a `DataURI`: the ASCII bytes of "data:<mime>;base64,<payload>". It is
not a `str` on purpose: a 50 MB model is a 67 MB base64 text, and turning that into a Python str
costs another full copy. The client writes a DataURI straight into the request body, so a model
is held once (base64) plus a small read buffer while it is encoded and sent.
"""

import binascii
import io
import os
import struct

from .errors import InputError

# Meshy documents no byte limit for images; this keeps a request reasonable and is overridable.
# (The model upload limit is a documented one: tasks.MAX_MODEL_UPLOAD_BYTES.)
DEFAULT_IMAGE_MAX_BYTES = 20 * 1024 * 1024
# Read (and encode) models in blocks of this size: a multiple of 3 so base64 blocks concatenate.
_ENCODE_BLOCK = 3 * 128 * 1024

GLB_MAGIC = b"glTF"
_EXR_MAGIC = b"\x76\x2f\x31\x01"

MIME_PNG = "image/png"
MIME_JPEG = "image/jpeg"
MIME_MODEL = "application/octet-stream"


class DataURI:
    """A data: URI held as ASCII bytes ("data:<mime>;base64,<payload>")."""

    __slots__ = ("mime", "_buffer")

    def __init__(self, mime, buffer):
        self.mime = mime
        self._buffer = buffer

    @classmethod
    def encode(cls, mime, payload):
        """Wrap encoded bytes (or any buffer) in a data URI."""
        return cls._build(mime, len(payload), _blocks_of(memoryview(payload)))

    @classmethod
    def _build(cls, mime, payload_size, blocks):
        prefix = f"data:{mime};base64,".encode("ascii")
        encoded_size = 4 * ((payload_size + 2) // 3)
        buffer = bytearray(len(prefix) + encoded_size)
        buffer[:len(prefix)] = prefix
        position = len(prefix)
        for block in blocks:
            encoded = binascii.b2a_base64(block, newline=False)
            buffer[position:position + len(encoded)] = encoded
            position += len(encoded)
        if position != len(buffer):
            raise InputError("The input changed size while it was being read; try again.")
        return cls(mime, buffer)

    def __len__(self):
        return len(self._buffer)

    def __bytes__(self):
        return bytes(self._buffer)

    def __str__(self):
        # A full copy: fine for thumbnails, avoid for models (the client never needs it).
        return self._buffer.decode("ascii")

    def __repr__(self):
        return f"<DataURI {self.mime}, {len(self._buffer):,} characters>"

    def __eq__(self, other):
        if isinstance(other, DataURI):
            return self._buffer == other._buffer
        if isinstance(other, str):
            return self._buffer == other.encode("ascii", "replace")
        return NotImplemented

    __hash__ = None

    def startswith(self, prefix):
        if isinstance(prefix, str):
            prefix = prefix.encode("ascii")
        return self._buffer.startswith(prefix)

    def view(self):
        """A read-only memoryview of the whole URI (no copy)."""
        return memoryview(self._buffer).toreadonly()

    def payload(self):
        """The decoded bytes (a copy; for tests and small images)."""
        comma = self._buffer.index(b",")
        return binascii.a2b_base64(self._buffer[comma + 1:])


def _blocks_of(view):
    for start in range(0, len(view), _ENCODE_BLOCK):
        yield view[start:start + _ENCODE_BLOCK]


def _file_blocks(handle, size):
    """Yield the file's bytes in encode-sized blocks, reusing one buffer."""
    block = bytearray(_ENCODE_BLOCK)
    view = memoryview(block)
    remaining = size
    while remaining > 0:
        count = handle.readinto(view[:min(_ENCODE_BLOCK, remaining)])
        if not count:
            break
        remaining -= count
        yield view[:count]


def data_uri_mime(value):
    """The MIME type of a data URI given as str or DataURI, or None if it is not one."""
    if isinstance(value, DataURI):
        return value.mime
    if isinstance(value, str) and value[:5].lower() == "data:":
        header = value[5:value.find(",")] if "," in value else ""
        return header.split(";")[0].strip().lower() or None
    return None


def _mb(size):
    return f"{size / (1024 * 1024):.1f} MB"


# --- models ---------------------------------------------------------------------------------

def check_glb_header(header, total_size):
    """Raise InputError unless `header` (the first 12 bytes) starts a GLB 2 of `total_size` bytes."""
    if len(header) < 12 or header[:4] != GLB_MAGIC:
        raise InputError("The model is not a GLB file (binary glTF); export it as .glb first.")
    version, declared = struct.unpack("<II", header[4:12])
    if version != 2:
        raise InputError(f"The model is GLB version {version}; Meshy needs glTF 2.0.")
    if declared != total_size:
        raise InputError(f"The GLB file is damaged: its header says {declared:,} bytes, "
                         f"the file has {total_size:,}.")


def model_data_uri(source, max_bytes=None):
    """A GLB model (path or bytes) as "data:application/octet-stream;base64,..." (a DataURI).

    max_bytes: None for Meshy's documented upload limit."""
    if max_bytes is None:
        from .tasks import MAX_MODEL_UPLOAD_BYTES as max_bytes  # tasks imports this module
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source).cast("B")
        _check_model_size(len(view), max_bytes)
        check_glb_header(bytes(view[:12]), len(view))
        return DataURI._build(MIME_MODEL, len(view), _blocks_of(view))
    path = os.fspath(source)
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            _check_model_size(size, max_bytes)
            check_glb_header(handle.read(12), size)
            handle.seek(0)
            return DataURI._build(MIME_MODEL, size, _file_blocks(handle, size))
    except OSError as exc:
        raise InputError(f"Cannot read the model file {os.path.basename(path)!r}: "
                         f"{exc.strerror or exc}.") from exc


def _check_model_size(size, max_bytes):
    if size == 0:
        raise InputError("The model file is empty.")
    if max_bytes is not None and size > max_bytes:
        raise InputError(f"The model is {_mb(size)}; the limit is {_mb(max_bytes)}. "
                         "Reduce its polygon count or texture sizes and try again.")


# --- images ---------------------------------------------------------------------------------

def image_data_uri(source, max_bytes=DEFAULT_IMAGE_MAX_BYTES, fmt="auto"):
    """An image as a PNG or JPEG data URI (a DataURI).

    `source`: a path, encoded image bytes, or a Blender pixel buffer (a mapping or object with
    `width`, `height`, `channels` (default 4) and `pixels`: floats 0..1 or 8-bit bytes, rows
    bottom-up as `Image.pixels` gives them; optional `linear=True` for scene-linear floats).
    `fmt`: "auto", "png" or "jpeg".
    """
    fmt = {"jpg": "jpeg"}.get(str(fmt).lower(), str(fmt).lower())
    if fmt not in ("auto", "png", "jpeg"):
        raise ValueError("fmt must be 'auto', 'png' or 'jpeg'")
    if _is_pixel_buffer(source):
        image = _image_from_pixels(source)
        return _encode(image, fmt, max_bytes, lossless_source=True)
    data, name = _read_image_source(source, max_bytes)
    image = _open_image(data, name, load=False)  # reads the header: what the image is
    passthrough = _passthrough_mime(image, data, fmt)
    if passthrough and len(data) <= max_bytes:
        return DataURI.encode(passthrough, data)
    _load(image, name)
    return _encode(image, fmt, max_bytes, lossless_source=image.format != "JPEG")


def _read_image_source(source, max_bytes):
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = "the image"
    else:
        path = os.fspath(source)
        name = repr(os.path.basename(path))
        try:
            size = os.path.getsize(path)
            # Conversion can shrink a file a lot (TGA, 16-bit PNG), so allow a larger source,
            # but not one so large that decoding it would exhaust memory.
            if size > max(max_bytes * 8, 256 * 1024 * 1024):
                raise InputError(f"The image {name} is {_mb(size)}; that is too large to send.")
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise InputError(f"Cannot read the image {name}: {exc.strerror or exc}.") from exc
    if not data:
        raise InputError(f"The image {name} is empty.")
    return data, name


def _passthrough_mime(image, data, fmt):
    """The MIME type when `data` can be sent exactly as it is, else None."""
    if image.format == "PNG" and fmt in ("auto", "png"):
        # Pillow reports a 16-bit RGB PNG as plain RGB: the IHDR chunk's bit depth (byte 24,
        # right after the signature and chunk header) says whether it is 8-bit or less.
        return MIME_PNG if len(data) > 26 and data[24] <= 8 else None
    if image.format == "JPEG" and fmt in ("auto", "jpeg"):
        if image.mode in ("RGB", "L") and _exif_orientation(image) in (None, 1):
            return MIME_JPEG
    return None


def _exif_orientation(image):
    try:
        return image.getexif().get(0x0112)
    except Exception:  # noqa: BLE001 - a damaged EXIF block must not make the image unusable
        return None


def _open_image(data, name, load=True):
    from PIL import Image, UnidentifiedImageError

    if data.startswith(_EXR_MAGIC):
        # Pillow cannot read OpenEXR; say what to do rather than "not an image".
        raise InputError(f"The image {name} is OpenEXR, which cannot be read here; save it as "
                         "PNG or JPEG (or pass the Blender image so its pixels are used).")
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise InputError(f"The image {name} has too many pixels to convert safely.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"Cannot read the image {name}: the file is damaged or not an image "
                         "format that can be read (PNG, JPEG, WebP, TGA, BMP, TIFF...). Save it "
                         "again as PNG or JPEG and choose that file.") from exc
    if load:
        _load(image, name)
    return image


def _load(image, name):
    from PIL import Image

    try:
        image.load()
    except Image.DecompressionBombError as exc:
        raise InputError(f"The image {name} has too many pixels to convert safely.") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"Cannot read the image {name}: the file is damaged or cut short. "
                         "Save it again as PNG or JPEG and choose that file.") from exc


def _to_8bit(image):
    """An image in RGB, RGBA, L or LA with 8 bits per channel, orientation applied."""
    from PIL import ImageOps

    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - a broken orientation tag: keep the pixels as stored
        pass
    mode = image.mode
    if mode.startswith("I;16") or mode == "I":
        # 16-bit (or 32-bit integer) grey: scale into 0..255 instead of clipping at 255.
        scale = 1 / 257 if mode.startswith("I;16") or _max_value(image) > 255 else 1
        image = image.convert("I").point(lambda v: v * scale).convert("L")
    elif mode == "F":
        image = image.point(lambda v: v * 255).convert("L")
    elif mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode in ("RGBa", "La", "PA"):
        image = image.convert("RGBA")
    elif mode == "1":
        image = image.convert("L")
    elif mode not in ("RGB", "RGBA", "L", "LA"):
        # CMYK, YCbCr, LAB, HSV, 16-bit RGB variants...
        has_alpha = "A" in mode or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    return image


def _max_value(image):
    extrema = image.getextrema()
    return extrema[1] if isinstance(extrema, tuple) else 0


def _has_alpha(image):
    if image.mode not in ("RGBA", "LA"):
        return False
    alpha = image.getchannel("A")
    return alpha.getextrema()[0] < 255


def _encode(image, fmt, max_bytes, lossless_source):
    from PIL import Image

    image = _to_8bit(image)
    alpha = _has_alpha(image)
    if fmt == "auto":
        fmt = "png" if (alpha or lossless_source) else "jpeg"
    if fmt == "jpeg" and image.mode in ("RGBA", "LA"):
        # JPEG has no alpha: flatten onto white, the usual "transparent" look for reference images.
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    elif image.mode in ("RGBA", "LA") and not alpha:
        image = image.convert("RGB" if image.mode == "RGBA" else "L")
    data = _save(image, fmt)
    if len(data) > max_bytes and fmt == "png" and not alpha:
        data, fmt = _save(image, "jpeg"), "jpeg"
    if len(data) > max_bytes:
        raise InputError(f"The image is {_mb(len(data))} after conversion; the limit is "
                         f"{_mb(max_bytes)}. Use a smaller image.")
    return DataURI.encode(MIME_PNG if fmt == "png" else MIME_JPEG, data)


def _save(image, fmt):
    out = io.BytesIO()
    if fmt == "png":
        image.save(out, format="PNG", compress_level=6)
    else:
        image.save(out, format="JPEG", quality=95)
    return out.getvalue()


# --- Blender pixel buffers ------------------------------------------------------------------

def _field(source, name, default=None):
    if isinstance(source, dict):
        return source.get(name, default)
    return getattr(source, name, default)


def _is_pixel_buffer(source):
    return (not isinstance(source, (str, bytes, bytearray, memoryview, os.PathLike))
            and _field(source, "pixels") is not None
            and _field(source, "width") is not None)


_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def _image_from_pixels(source):
    from PIL import Image

    try:
        width = int(_field(source, "width"))
        height = int(_field(source, "height"))
        channels = int(_field(source, "channels", 4))
    except (TypeError, ValueError) as exc:
        raise InputError("The pixel buffer has no usable width/height/channels.") from exc
    if width <= 0 or height <= 0 or channels not in _MODES:
        raise InputError(f"The pixel buffer is {width}x{height} with {channels} channels; "
                         "expected a positive size and 1 to 4 channels.")
    pixels = _field(source, "pixels")
    expected = width * height * channels
    if isinstance(pixels, (bytes, bytearray)) or (
            isinstance(pixels, memoryview) and pixels.format in ("B", "b", "c")):
        raw = bytes(pixels)
    else:
        linear = bool(_field(source, "linear", False))
        raw = _floats_to_bytes(pixels, expected, channels, linear)
    if len(raw) != expected:
        raise InputError(f"The pixel buffer holds {len(raw):,} values; a {width}x{height} image "
                         f"with {channels} channels needs {expected:,}.")
    image = Image.frombytes(_MODES[channels], (width, height), raw)
    # Blender stores rows bottom-up; images are top-down.
    return image.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def _floats_to_bytes(pixels, expected, channels, linear):
    """Floats 0..1 to 8-bit values; `linear` applies the sRGB curve to colour (not alpha)."""
    colour = 3 if channels >= 3 else 1
    try:
        import numpy
    except ImportError:
        numpy = None
    if numpy is not None:
        values = numpy.asarray(pixels, dtype=numpy.float32).reshape(-1)
        if values.size != expected:
            raise InputError(f"The pixel buffer holds {values.size:,} values; {expected:,} needed.")
        values = numpy.nan_to_num(values, nan=0.0, posinf=1.0, neginf=0.0).clip(0.0, 1.0)
        if linear:
            values = values.reshape(-1, channels)
            rgb = values[:, :colour]
            values[:, :colour] = numpy.where(rgb <= 0.0031308, rgb * 12.92,
                                             1.055 * numpy.power(rgb, 1 / 2.4) - 0.055)
        return (values * 255.0 + 0.5).astype(numpy.uint8).tobytes()
    out = bytearray()
    for index, value in enumerate(pixels):
        value = float(value)
        value = 0.0 if value != value else min(1.0, max(0.0, value))
        if linear and index % channels < colour:
            value = value * 12.92 if value <= 0.0031308 else 1.055 * value ** (1 / 2.4) - 0.055
        out.append(int(value * 255.0 + 0.5))
    return bytes(out)
