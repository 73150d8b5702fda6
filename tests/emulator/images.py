"""PNG writing and image sniffing in pure Python (zlib + struct), for generated textures and images.

Every image the emulator serves is generated here at request time from a seed (the prompt), so a
retexture visibly differs from the texture it replaces and text-to-image honours the aspect ratio.
"""

import hashlib
import struct
import zlib


def _chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def encode_png(width, height, rows, alpha=False):
    """rows: `height` bytes objects of width*channels bytes each (RGB or RGBA, 8 bits)."""
    colour_type = 6 if alpha else 2
    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b""))


def seed_colour(seed, salt=""):
    digest = hashlib.sha256(f"{salt}:{seed}".encode()).digest()
    return digest[0], digest[1], digest[2]


def pattern_png(width, height, seed, salt="", alpha=False):
    """A two-colour diagonal-stripe image whose colours come from the seed: cheap and recognisable."""
    first = seed_colour(seed, salt)
    second = tuple(255 - c for c in first)
    channels = 4 if alpha else 3
    stripe = max(1, min(width, height) // 8)
    pixel_a = bytes(first) + (b"\xff" if alpha else b"")
    pixel_b = bytes(second) + (b"\x80" if alpha else b"")
    period = pixel_a * stripe + pixel_b * stripe
    # One long row, sliced at a per-line offset, draws the diagonal without per-pixel Python work.
    long_row = period * (width // (2 * stripe) + 2)
    rows = []
    for y in range(height):
        offset = (y % (2 * stripe)) * channels
        rows.append(long_row[offset:offset + width * channels])
    return encode_png(width, height, rows, alpha)


def flat_png(width, height, rgb):
    row = bytes(rgb) * width
    return encode_png(width, height, [row] * height)


# Texture maps for PBR materials. Values follow glTF conventions: metallic in B, roughness in G.
def texture_set(seed, size=64, pbr=False, emission=False):
    maps = {"base_color": pattern_png(size, size, seed, "base_color")}
    if pbr:
        maps["metallic"] = flat_png(size, size, (0, 0, 40))
        maps["roughness"] = flat_png(size, size, (0, 180, 0))
        maps["normal"] = flat_png(size, size, (128, 128, 255))
        if emission:
            maps["emission"] = pattern_png(size, size, seed, "emission")
    return maps


def metallic_roughness_png(size=64):
    """The packed glTF metallicRoughness map (G = roughness, B = metallic) embedded in GLBs."""
    return flat_png(size, size, (0, 180, 40))


def image_kind(data):
    """'png', 'jpeg', 'webp' or None, from magic bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def image_size(data):
    """(width, height) of a PNG, JPEG or WebP, or None when the header cannot be read."""
    kind = image_kind(data)
    try:
        if kind == "png":
            return struct.unpack(">II", data[16:24])
        if kind == "jpeg":
            return _jpeg_size(data)
        if kind == "webp":
            return _webp_size(data)
    except (struct.error, IndexError):
        return None
    return None


def _jpeg_size(data):
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        length = struct.unpack(">H", data[index + 2:index + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[index + 5:index + 9])
            return width, height
        index += 2 + length
    return None


def _webp_size(data):
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None
