"""Small helpers for emulator tests: authenticated calls, finishing tasks, reading GLBs."""

import base64
import json
import struct

import requests

from tests.emulator import glb

PNG_1x1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def headers(key):
    return {"Authorization": f"Bearer {key}"}


def post(emulator, path, body, key=None, **kwargs):
    return requests.post(emulator.url + path, json=body, headers=headers(key or emulator.paid_key),
                         timeout=10, **kwargs)


def get(emulator, path, key=None, **kwargs):
    return requests.get(emulator.url + path, headers=headers(key or emulator.paid_key), timeout=10,
                        **kwargs)


def create(emulator, path, body, key=None):
    response = post(emulator, path, body, key)
    assert response.status_code == 202, response.text
    return response.json()["result"]


def finish(emulator, path, task_id, key=None):
    """Jump the emulator's clock past the task's duration and return the finished task object."""
    emulator.advance_clock(emulator.task_seconds + 0.01)
    response = get(emulator, f"{path}/{task_id}", key)
    assert response.status_code == 200, response.text
    return response.json()


def create_and_finish(emulator, path, body, key=None):
    return finish(emulator, path, create(emulator, path, body, key), key)


def download(url):
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, (url, response.status_code, response.text[:200])
    return response.content


def data_uri(data, mime="application/octet-stream"):
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def glb_json(data):
    doc, _ = glb.read_glb(data)
    return doc


def glb_positions(data):
    """Raw POSITION accessor values of every primitive, in order (for round-trip checks)."""
    doc, binary = glb.read_glb(data)
    return [glb.read_accessor(doc, binary, p["attributes"]["POSITION"])
            for mesh in doc["meshes"] for p in mesh["primitives"]]


def cube_glb(with_uvs=True, height=1.0):
    """A minimal GLB cube (24 vertices) made without Blender, optionally without UVs."""
    from tests.emulator.meshes import Mesh
    corners = [(x, y * height, z) for x in (-0.5, 0.5) for y in (0, 1) for z in (-0.5, 0.5)]
    faces = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    positions, uvs, triangles = [], [], []
    for face in faces:
        base = len(positions)
        positions += [corners[i] for i in face]
        uvs += [(0, 0), (1, 0), (1, 1), (0, 1)]
        triangles += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
    mesh = Mesh(positions, [], uvs if with_uvs else [], triangles)
    mesh.normals = mesh.vertex_normals()
    data = glb.build_glb(mesh)
    doc, binary = glb.read_glb(data)
    doc.pop("materials", None)
    for m in doc["meshes"]:
        for p in m["primitives"]:
            p.pop("material", None)
    return glb.write_glb(doc, binary)


def sse_events(response):
    """(event, data) pairs of an SSE response, parsed by hand."""
    events, name, data = [], None, []
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and data:
            events.append((name, json.loads("\n".join(data))))
            name, data = None, []
    return events


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])
