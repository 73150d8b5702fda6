"""Image and model inputs: every format Pillow reads becomes a PNG or JPEG data URI the API
accepts; Blender pixel buffers are flipped; models stay GLB; size limits; memory."""

import base64
import io
import json
import os
import struct
import tracemalloc

import pytest
from PIL import Image

from api import DataURI, InputError, image_data_uri, model_data_uri
from api import jsonbody
from api.media import MIME_MODEL


def decoded(uri):
    assert isinstance(uri, DataURI)
    head, _, payload = bytes(uri).partition(b",")
    mime = head[5:].split(b";")[0].decode()
    data = base64.b64decode(payload, validate=True)
    assert data == uri.payload()
    return mime, Image.open(io.BytesIO(data))


def save(path, image, **options):
    image.save(path, **options)
    return path


def test_rgb_png_passes_through_unchanged(tmp_path):
    path = save(tmp_path / "a.png", Image.new("RGB", (8, 6), (1, 2, 3)))
    uri = image_data_uri(path)
    assert uri.mime == "image/png" and uri.payload() == path.read_bytes()
    assert str(uri).startswith("data:image/png;base64,")


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path):
    image = Image.new("I;16", (4, 4), 32768)   # half of 65535
    path = save(tmp_path / "deep.png", image)
    mime, result = decoded(image_data_uri(path))
    assert mime == "image/png" and result.mode == "L"
    assert 126 <= result.getpixel((0, 0)) <= 129


def test_cmyk_jpeg_becomes_rgb_jpeg(tmp_path):
    path = save(tmp_path / "print.jpg", Image.new("CMYK", (10, 10), (0, 255, 255, 0)))
    mime, result = decoded(image_data_uri(path))
    assert mime == "image/jpeg" and result.mode == "RGB"
    red, green, blue = result.getpixel((5, 5))
    assert red > 200 and green < 60 and blue < 60


def test_rgba_keeps_alpha_as_png(tmp_path):
    image = Image.new("RGBA", (8, 8), (10, 20, 30, 0))
    image.putpixel((1, 1), (255, 0, 0, 255))
    mime, result = decoded(image_data_uri(save(tmp_path / "cut.png", image)))
    assert mime == "image/png" and result.mode == "RGBA"
    assert result.getpixel((0, 0))[3] == 0 and result.getpixel((1, 1)) == (255, 0, 0, 255)


def test_rgba_asked_as_jpeg_is_flattened_on_white(tmp_path):
    image = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    mime, result = decoded(image_data_uri(save(tmp_path / "t.png", image), fmt="jpeg"))
    assert mime == "image/jpeg" and result.getpixel((2, 2))[0] > 245


def test_webp_and_tga_and_bmp_are_converted(tmp_path):
    for name, options in (("a.webp", {"lossless": True}), ("a.tga", {}), ("a.bmp", {})):
        path = save(tmp_path / name, Image.new("RGB", (9, 7), (0, 128, 255)), **options)
        mime, result = decoded(image_data_uri(path))
        assert mime == "image/png" and result.size == (9, 7)
        assert result.getpixel((3, 3)) == (0, 128, 255)


def test_palette_with_transparency_keeps_it(tmp_path):
    image = Image.new("P", (4, 4), 0)
    image.putpalette([255, 0, 0] + [0, 255, 0] * 255)
    image.putpixel((1, 1), 1)
    # A GIF must be converted; its transparent index becomes real alpha.
    mime, result = decoded(image_data_uri(save(tmp_path / "p.gif", image, transparency=0)))
    assert mime == "image/png" and result.mode == "RGBA"
    assert result.getpixel((0, 0))[3] == 0 and result.getpixel((1, 1)) == (0, 255, 0, 255)
    # An 8-bit palette PNG is already acceptable and is sent as it is.
    path = save(tmp_path / "p.png", image, transparency=0)
    assert image_data_uri(path).payload() == path.read_bytes()


def test_exif_orientation_is_applied(tmp_path):
    image = Image.new("RGB", (40, 20), (255, 0, 0))
    for x in range(20):
        for y in range(20):
            image.putpixel((x, y), (0, 0, 255))   # left half blue
    exif = Image.Exif()
    exif[0x0112] = 6   # "rotate 90 CW to display"
    path = save(tmp_path / "phone.jpg", image, exif=exif, quality=95)
    mime, result = decoded(image_data_uri(path))
    assert mime == "image/jpeg"
    assert result.size == (20, 40)
    # Rotated 90 degrees clockwise: the left (blue) half is now on top.
    top, bottom = result.getpixel((10, 5)), result.getpixel((10, 35))
    assert top[2] > 200 and bottom[0] > 200
    assert result.getexif().get(0x0112) in (None, 1)


def test_plain_jpeg_passes_through_unchanged(tmp_path):
    path = save(tmp_path / "plain.jpg", Image.new("RGB", (8, 8), (9, 9, 9)))
    uri = image_data_uri(path)
    assert uri.mime == "image/jpeg" and uri.payload() == path.read_bytes()


def test_bytes_source_and_forced_png(tmp_path):
    data = save(tmp_path / "b.jpg", Image.new("RGB", (5, 5), (0, 255, 0))).read_bytes()
    mime, result = decoded(image_data_uri(data, fmt="png"))
    assert mime == "image/png" and result.size == (5, 5)


def test_blender_float_buffer_is_flipped_and_scaled():
    # 2x2 RGBA, rows bottom-up as Image.pixels gives them: bottom row red, top row blue.
    pixels = [1, 0, 0, 1, 1, 0, 0, 1,
              0, 0, 1, 1, 0, 0, 1, 1]
    mime, result = decoded(image_data_uri({"width": 2, "height": 2, "channels": 4,
                                           "pixels": pixels}))
    assert mime == "image/png"
    assert result.convert("RGB").getpixel((0, 0)) == (0, 0, 255)   # top is blue
    assert result.convert("RGB").getpixel((0, 1)) == (255, 0, 0)


def test_blender_buffer_as_an_object_with_bytes_and_linear_floats():
    class Buffer:
        width, height, channels = 1, 2, 3
        pixels = bytes([0, 255, 0, 255, 0, 0])   # RGB bytes, bottom-up: green then red

    mime, result = decoded(image_data_uri(Buffer()))
    assert result.getpixel((0, 0)) == (255, 0, 0) and result.getpixel((0, 1)) == (0, 255, 0)
    import array
    linear = {"width": 1, "height": 1, "channels": 4, "pixels": array.array("f", [0.2, 0.2, 0.2, 0.2]),
              "linear": True}
    mime, result = decoded(image_data_uri(linear))
    red, _, _, alpha = result.getpixel((0, 0))
    assert 120 <= red <= 126       # sRGB of linear 0.2 is about 0.484
    assert alpha == 51             # alpha is not colour-managed


def test_blender_buffer_of_the_wrong_length_is_an_input_error():
    with pytest.raises(InputError) as caught:
        image_data_uri({"width": 4, "height": 4, "channels": 4, "pixels": [0.0] * 10})
    assert "64" in str(caught.value)


@pytest.mark.parametrize("content, words", [
    (b"\x76\x2f\x31\x01" + b"\x00" * 64, "OpenEXR"),
    (b"this is not an image at all", "not an image format"),
    (b"", "empty"),
])
def test_unreadable_images_are_input_errors(tmp_path, content, words):
    path = tmp_path / "bad.img"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        image_data_uri(path)
    assert words in str(caught.value)


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError) as caught:
        image_data_uri(tmp_path / "nowhere.png")
    assert "nowhere.png" in str(caught.value)


def test_image_over_the_size_limit(tmp_path):
    noise = Image.frombytes("RGB", (256, 256), os.urandom(256 * 256 * 3))
    path = save(tmp_path / "noise.bmp", noise)
    with pytest.raises(InputError) as caught:
        image_data_uri(path, max_bytes=10_000)
    assert "limit" in str(caught.value)


# --- models -----------------------------------------------------------------------------------

def glb_bytes(payload_size=1000):
    document = json.dumps({"asset": {"version": "2.0"}}).encode()
    document += b" " * (-len(document) % 4)
    binary = bytes(payload_size) + bytes(-payload_size % 4)
    body = (struct.pack("<II", len(document), 0x4E4F534A) + document
            + struct.pack("<II", len(binary), 0x004E4942) + binary)
    return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body


def test_model_data_uri_from_path_and_bytes(tmp_path):
    data = glb_bytes(5 * 1024 * 1024 + 7)
    path = tmp_path / "m.glb"
    path.write_bytes(data)
    from_path, from_bytes = model_data_uri(path), model_data_uri(data)
    assert from_path == from_bytes
    assert from_path.startswith("data:application/octet-stream;base64,")
    assert from_path.mime == MIME_MODEL and from_path.payload() == data
    assert "characters" in repr(from_path) and len(repr(from_path)) < 80


@pytest.mark.parametrize("mutate, words", [
    (lambda d: b"glTX" + d[4:], "not a GLB"),
    (lambda d: d[:4] + struct.pack("<I", 1) + d[8:], "version 1"),
    (lambda d: d[:-4], "damaged"),
])
def test_bad_glb_is_refused(tmp_path, mutate, words):
    with pytest.raises(InputError) as caught:
        model_data_uri(mutate(glb_bytes()))
    assert words in str(caught.value)


def test_model_over_the_limit_and_unreadable(tmp_path):
    with pytest.raises(InputError) as caught:
        model_data_uri(glb_bytes(4096), max_bytes=1024)
    assert "limit" in str(caught.value)
    with pytest.raises(InputError):
        model_data_uri(tmp_path / "missing.glb")


def test_model_data_uri_holds_about_one_base64_copy(tmp_path):
    size = 20 * 1024 * 1024
    path = tmp_path / "big.glb"
    path.write_bytes(glb_bytes(size))
    tracemalloc.start()
    try:
        uri = model_data_uri(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(uri) > size * 4 // 3
    assert peak < 1.5 * size, f"peak {peak / size:.2f}x the file"


def test_json_body_splices_data_uris_without_copies():
    uri = model_data_uri(glb_bytes(3 * 1024 * 1024))
    image = image_data_uri({"width": 1, "height": 1, "channels": 3, "pixels": b"\x01\x02\x03"})
    payload = {"model_url": uri, "text_style_prompt": "ünïcode \"quotes\"",
               "options": {"images": [image, image]}}
    body = jsonbody.encode(payload)
    assert len(body) == len(bytes(body))
    parsed = json.loads(bytes(body))
    assert parsed["model_url"] == str(uri)
    assert parsed["text_style_prompt"] == "ünïcode \"quotes\""
    assert parsed["options"]["images"] == [str(image), str(image)]
    assert bytes(body) == bytes(jsonbody.encode(payload))   # re-iterable for a retried POST
    plain = jsonbody.encode({"prompt": "a"})
    assert plain == b'{"prompt":"a"}'
