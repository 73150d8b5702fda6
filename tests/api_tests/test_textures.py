"""Texture resolution (api/textures.py): a GLB with four 4096 x 4096 maps, made here with Pillow,
comes out with every embedded image halved or quartered, still a valid GLB with the same geometry,
and the downloaded originals untouched."""

import hashlib
import io
import json
import os
import struct

import pytest
from PIL import Image

from api import textures
from tests.emulator import glb, meshes

BIG = 4096
MAPS = ("base_color", "metallic_roughness", "normal", "emission")


def _png(image):
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def big_maps(size=BIG):
    """Four PBR maps with real structure (gradients), so a bad resize would show in the colours."""
    ramp = Image.linear_gradient("L").resize((size, size))
    across = ramp.transpose(Image.Transpose.ROTATE_90)
    flat = Image.new("L", (size, size), 255)
    return {
        "base_color": _png(Image.merge("RGB", (ramp, across, Image.new("L", (size, size), 60)))),
        "metallic_roughness": _png(Image.merge("RGB", (flat.point(lambda v: 0), ramp, across))),
        # A flat tangent-space normal map: (128, 128, 255) is "straight out of the surface".
        "normal": _png(Image.new("RGB", (size, size), (128, 128, 255))),
        "emission": _png(Image.merge("RGBA", (ramp, ramp, across, flat))),
    }


def quad_mesh():
    positions = [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (1.0, 1.0, 0.0), (0.0, 1.0, 0.0)]
    uvs = [(0.0, 1.0), (1.0, 1.0), (1.0, 0.0), (0.0, 0.0)]
    mesh = meshes.Mesh(positions, [], uvs, [(0, 1, 2), (0, 2, 3)])
    mesh.normals = mesh.vertex_normals()
    return mesh


@pytest.fixture(scope="module")
def big_glb(tmp_path_factory):
    folder = tmp_path_factory.mktemp("textures")
    path = folder / "task_text_to_3d_refine_model.glb"
    path.write_bytes(glb.build_glb(quad_mesh(), big_maps()))
    return path


def embedded_images(data):
    """[(name, mode, size, mime)] of every image embedded in GLB bytes, read independently of
    api.textures (the emulator's own GLB reader and Pillow)."""
    doc, binary = glb.read_glb(data)
    found = []
    for image in doc["images"]:
        view = doc["bufferViews"][image["bufferView"]]
        start = view.get("byteOffset", 0)
        with Image.open(io.BytesIO(binary[start:start + view["byteLength"]])) as opened:
            opened.load()
            found.append((image["name"], opened.mode, opened.size, image["mimeType"], opened.copy()))
    return found


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("resolution, expected", [("2048", 2048), ("1024", 1024)])
def test_every_embedded_image_is_resized_and_the_glb_stays_valid(big_glb, resolution, expected):
    before = digest(big_glb)
    original_data = big_glb.read_bytes()
    files = textures.resize_results({"model": str(big_glb)}, resolution)

    resized = files["model"]
    assert resized != str(big_glb) and resized.endswith(f"_{expected}px.glb")
    assert os.path.dirname(resized) == str(big_glb.parent)
    assert digest(big_glb) == before, "the downloaded original must never change"

    data = open(resized, "rb").read()
    # The container: header length is the file length, chunks are 4-byte aligned and add up.
    magic, version, length = struct.unpack_from("<4sII", data)
    assert (magic, version, length) == (b"glTF", 2, len(data))
    json_length, json_type = struct.unpack_from("<II", data, 12)
    bin_length, bin_type = struct.unpack_from("<II", data, 20 + json_length)
    assert json_type == 0x4E4F534A and bin_type == 0x004E4942
    assert json_length % 4 == 0 and bin_length % 4 == 0
    assert 20 + json_length + 8 + bin_length == len(data)
    doc = json.loads(data[20:20 + json_length])
    assert doc["buffers"] == [{"byteLength": bin_length}]
    for view in doc["bufferViews"]:
        assert view["byteOffset"] % 4 == 0
        assert view["byteOffset"] + view["byteLength"] <= bin_length

    images = embedded_images(data)
    originals = embedded_images(original_data)
    assert [name for name, *_ in images] == list(MAPS)
    for (name, mode, size, mime, image), (_, old_mode, old_size, old_mime, old) in zip(
            images, originals):
        assert old_size == (BIG, BIG)
        assert size == (expected, expected), name
        assert (mode, mime) == (old_mode, old_mime), f"{name} changed mode or format"
        # The picture is the same picture, only smaller.
        reference = old.resize(size, Image.Resampling.BOX)
        for point in ((0, 0), (expected // 2, expected // 3), (expected - 1, expected - 1)):
            assert all(abs(a - b) <= 3 for a, b in zip(image.getpixel(point),
                                                       reference.getpixel(point))), (name, point)
    normal = next(image for name, *_, image in images if name == "normal")
    assert normal.getextrema() == ((128, 128), (128, 128), (255, 255)), "the normal map changed"

    # Same geometry, same material wiring: only image bytes and buffer layout changed.
    assert glb.world_mesh(data).positions == glb.world_mesh(original_data).positions
    assert glb.world_mesh(data).uvs == glb.world_mesh(original_data).uvs
    old_doc, _ = glb.read_glb(original_data)
    assert doc["materials"] == old_doc["materials"] and doc["meshes"] == old_doc["meshes"]


def test_separate_maps_are_resized_beside_the_originals(tmp_path):
    maps = big_maps(2048)
    files = {"thumbnail": tmp_path / "t_preview.png"}
    Image.new("RGB", (2048, 2048), (20, 30, 40)).save(files["thumbnail"])
    for role, key in (("base_color", "base_color"), ("normal", "normal"),
                      ("emission", "emission")):
        files[role] = tmp_path / f"t_{role}.png"
        files[role].write_bytes(maps[key])
    files["roughness"] = tmp_path / "t_roughness.jpg"
    Image.linear_gradient("L").resize((2048, 1024)).save(files["roughness"], "JPEG")
    before = {role: digest(path) for role, path in files.items()}

    result = textures.resize_results({r: str(p) for r, p in files.items()}, "1024")

    assert result["thumbnail"] == str(files["thumbnail"]), "thumbnails are not texture maps"
    for role in ("base_color", "normal", "emission", "roughness"):
        stem, ext = os.path.splitext(str(files[role]))
        assert result[role] == f"{stem}_1024px{ext}"
        with Image.open(result[role]) as small, Image.open(files[role]) as big:
            assert small.format == big.format and small.mode == big.mode, role
            expected = (1024, 512) if role == "roughness" else (1024, 1024)
            assert small.size == expected, role
    assert {role: digest(path) for role, path in files.items()} == before


def test_original_and_small_results_are_left_as_they_are(tmp_path, big_glb):
    small = tmp_path / "small.glb"
    small.write_bytes(glb.build_glb(quad_mesh(), {"base_color": _png(Image.new("RGB", (64, 64)))}))
    files = {"model": str(big_glb), "base_color": str(tmp_path / "missing.png")}
    assert textures.resize_results(files, "ORIGINAL") == files
    assert textures.resize_results(files, None) == files
    assert textures.resize_results({"model": str(small)}, "1024") == {"model": str(small)}
    assert sorted(os.listdir(tmp_path)) == ["small.glb"], "nothing written when nothing changes"


def test_an_unreadable_file_keeps_its_original(tmp_path):
    broken = tmp_path / "broken.glb"
    broken.write_bytes(b"glTF\x02\x00\x00\x00" + b"\x00" * 40)
    not_an_image = tmp_path / "normal.png"
    not_an_image.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    files = {"model": str(broken), "normal": str(not_an_image)}
    assert textures.resize_results(files, "1024") == files
