"""Helpers shared by the api tests: running a task to the end and checking downloaded files with
tools independent of the client's own checks (Pillow, zipfile, struct)."""

import io
import json
import struct
import zipfile

from api import result_files


def run_task(client, kind, payload, dest_dir, events=None):
    """create -> follow -> download every result file; returns (task, {(role, fmt): path})."""
    task_id = client.create(kind, payload)
    task = client.follow(kind, task_id, on_event=events.append if events is not None else None)
    assert task["id"] == task_id and task["status"] == "SUCCEEDED"
    paths = {}
    for found in result_files(kind, task):
        paths[(found.role, found.fmt)] = client.download(found.url, dest_dir, task_id, kind,
                                                         found.role, found.fmt)
    return task, paths


def verify_file(path, fmt):
    """Assert the file is a whole, readable `fmt` file."""
    with open(path, "rb") as handle:
        data = handle.read()
    assert data, f"{path} is empty"
    if fmt == "glb":
        magic, version, length = struct.unpack("<4sII", data[:12])
        assert (magic, version, length) == (b"glTF", 2, len(data))
        json_length, json_type = struct.unpack("<II", data[12:20])
        assert json_type == 0x4E4F534A
        document = json.loads(data[20:20 + json_length])
        assert "asset" in document
    elif fmt in ("png", "jpg", "webp"):
        from PIL import Image
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            assert image.width > 0
    elif fmt in ("zip", "usdz", "3mf"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.testzip() is None
            assert archive.namelist()
    elif fmt == "fbx":
        assert data.startswith(b"Kaydara FBX Binary") or b"FBXHeaderExtension" in data[:4096]
    elif fmt == "stl":
        count = struct.unpack("<I", data[80:84])[0]
        assert len(data) == 84 + 50 * count or data.lstrip().startswith(b"solid")
    elif fmt in ("obj", "mtl"):
        text = data.decode("utf-8")
        assert ("v " in text) if fmt == "obj" else ("newmtl" in text)
    elif fmt == "blend":
        assert data[:7] == b"BLENDER" or data[:4] == b"\x28\xb5\x2f\xfd"
    else:
        raise AssertionError(f"no independent check for {fmt}")


def png_bytes(size=(32, 24), colour=(200, 40, 40), mode="RGB"):
    from PIL import Image
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes(size=(32, 24), colour=(40, 200, 40)):
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()
