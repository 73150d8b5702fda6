"""Zip bundles (Creative Lab's obj and zip outputs) unpack only plain names, flat, into our folder,
and stop at the size limit."""

import os
import zipfile

import pytest

from api import bundle


def make_zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return str(path)


def test_server_names_never_leave_the_folder(tmp_path):
    packed = make_zip(tmp_path / "bundle.zip", {
        "../../escape.glb": b"glTF", "/etc/absolute.obj": b"v 0 0 0", "nested/dir/model.mtl": b"",
        "texture.png": b"png", "run.sh": b"#!", ".hidden.png": b"x", "lamp.stl": b"solid"})
    folder = tmp_path / "out"
    written = bundle.extract(packed, str(folder))
    assert set(written) == {"escape.glb", "absolute.obj", "model.mtl", "texture.png", "lamp.stl"}
    assert {os.path.dirname(p) for p in written.values()} == {str(folder)}
    assert sorted(os.listdir(tmp_path)) == ["bundle.zip", "out"]
    assert bundle.model_roles(written) == {"model": written["escape.glb"],
                                           "lamp": written["lamp.stl"]}


def test_a_zip_bomb_stops_at_the_limit(tmp_path):
    packed = make_zip(tmp_path / "bomb.zip", {"model.obj": b"\0" * (4 * 1024 * 1024)})
    with pytest.raises(bundle.BundleError) as caught:
        bundle.extract(packed, str(tmp_path / "out"), max_bytes=1024 * 1024)
    assert "more than 1 MB" in str(caught.value)


def test_a_lamp_bundle_gives_the_shade_and_its_base(tmp_path):
    packed = make_zip(tmp_path / "lamp.zip", {"lamp.stl": b"s", "base.stl": b"b",
                                              "result.json": b"{}"})
    roles = bundle.model_roles(bundle.extract(packed, str(tmp_path / "out")))
    assert set(roles) == {"lamp", "base"}


def test_not_a_zip_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK not really")
    with pytest.raises(bundle.BundleError) as caught:
        bundle.extract(str(path), str(tmp_path / "out"))
    assert "not a readable zip" in str(caught.value)
