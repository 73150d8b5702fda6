"""GLB (binary glTF 2.0) reading and writing in pure Python.

The emulator builds its model outputs here at request time: an untextured preview, a textured
refine with every PBR map embedded, a retexture that keeps the *uploaded* geometry byte for byte
and swaps only the material, and a resize that wraps the scene in a scaled root node.
"""

import json
import struct

from .meshes import Mesh

GLB_MAGIC = b"glTF"
JSON_CHUNK = 0x4E4F534A
BIN_CHUNK = 0x004E4942

COMPONENTS = {5120: ("b", 1), 5121: ("B", 1), 5122: ("h", 2), 5123: ("H", 2), 5125: ("I", 4),
              5126: ("f", 4)}
WIDTHS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
# Extensions the emulator can pass through untouched; anything else required (Draco, meshopt)
# means it cannot read the geometry, which the errors page lists as an `invalid_input` cause.
READABLE_EXTENSIONS = {"KHR_materials_emissive_strength", "KHR_texture_transform",
                       "KHR_materials_unlit", "KHR_mesh_quantization"}


class GlbError(ValueError):
    """The bytes are not a GLB the emulator can read; the message is meant for `task_error`."""


def read_glb(data):
    if len(data) < 20 or data[:4] != GLB_MAGIC:
        raise GlbError("The uploaded model is not a valid GLB file.")
    version, length = struct.unpack_from("<II", data, 4)
    if version != 2 or length > len(data):
        raise GlbError("The uploaded model is empty or corrupted.")
    doc, binary, offset = None, b"", 12
    while offset + 8 <= length:
        chunk_length, chunk_type = struct.unpack_from("<II", data, offset)
        chunk = data[offset + 8:offset + 8 + chunk_length]
        if chunk_type == JSON_CHUNK:
            try:
                doc = json.loads(chunk.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise GlbError("The uploaded model is empty or corrupted.") from error
        elif chunk_type == BIN_CHUNK:
            binary = bytes(chunk)
        offset += 8 + chunk_length
    if not isinstance(doc, dict):
        raise GlbError("The uploaded model is empty or corrupted.")
    unreadable = set(doc.get("extensionsRequired", [])) - READABLE_EXTENSIONS
    if unreadable:
        raise GlbError("Unsupported file format variation: " + ", ".join(sorted(unreadable)))
    for buffer in doc.get("buffers", []):
        if "uri" in buffer:
            raise GlbError("GLB files with external buffers are not supported.")
    return doc, binary


def write_glb(doc, binary):
    doc = dict(doc)
    if binary:
        binary += b"\x00" * (-len(binary) % 4)
        doc["buffers"] = [{"byteLength": len(binary)}]
    else:
        doc.pop("buffers", None)
    text = json.dumps(doc, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 4)
    chunks = struct.pack("<II", len(text), JSON_CHUNK) + text
    if binary:
        chunks += struct.pack("<II", len(binary), BIN_CHUNK) + binary
    return GLB_MAGIC + struct.pack("<II", 2, 12 + len(chunks)) + chunks


def read_accessor(doc, binary, index):
    """The accessor's elements as tuples (or ints for SCALAR)."""
    accessor = doc["accessors"][index]
    fmt, size = COMPONENTS[accessor["componentType"]]
    width = WIDTHS[accessor["type"]]
    count = accessor["count"]
    if "bufferView" not in accessor:
        return [0] * count if width == 1 else [(0.0,) * width] * count
    view = doc["bufferViews"][accessor["bufferView"]]
    start = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
    stride = view.get("byteStride") or size * width
    unpack = struct.Struct("<" + fmt * width).unpack_from
    if stride * max(count - 1, 0) + size * width + start > len(binary):
        raise GlbError("The uploaded model is empty or corrupted.")
    values = [unpack(binary, start + i * stride) for i in range(count)]
    return [value[0] for value in values] if width == 1 else values


class GlbBuilder:
    """Accumulates binary data, buffer views and accessors for a GLB being written."""

    def __init__(self, doc=None, binary=b""):
        self.doc = doc if doc is not None else {"asset": {"version": "2.0",
                                                          "generator": "Meshy emulator"}}
        self.binary = bytearray(binary)

    def _view(self, data, target=None):
        self.binary += b"\x00" * (-len(self.binary) % 4)
        view = {"buffer": 0, "byteOffset": len(self.binary), "byteLength": len(data)}
        if target:
            view["target"] = target
        self.binary += data
        views = self.doc.setdefault("bufferViews", [])
        views.append(view)
        return len(views) - 1

    def accessor(self, values, kind, component=5126, target=34962):
        width = WIDTHS[kind]
        fmt = COMPONENTS[component][0]
        flat = [c for v in values for c in v] if width > 1 else list(values)
        data = struct.pack("<" + fmt * len(flat), *flat)
        accessor = {"bufferView": self._view(data, target), "componentType": component,
                    "count": len(values), "type": kind}
        if kind == "VEC3" and component == 5126:
            accessor["min"] = [min(v[i] for v in values) for i in range(3)]
            accessor["max"] = [max(v[i] for v in values) for i in range(3)]
        accessors = self.doc.setdefault("accessors", [])
        accessors.append(accessor)
        return len(accessors) - 1

    def image(self, png, name):
        images = self.doc.setdefault("images", [])
        images.append({"bufferView": self._view(png), "mimeType": "image/png", "name": name})
        textures = self.doc.setdefault("textures", [])
        if not self.doc.get("samplers"):
            self.doc["samplers"] = [{"magFilter": 9729, "minFilter": 9987}]
        textures.append({"sampler": 0, "source": len(images) - 1})
        return len(textures) - 1

    def material(self, maps, name):
        """maps: base_color / metallic_roughness / normal / emission PNG bytes (any subset)."""
        pbr = {"metallicFactor": 0.0, "roughnessFactor": 0.8}
        material = {"name": name, "pbrMetallicRoughness": pbr}
        if "base_color" in maps:
            pbr["baseColorTexture"] = {"index": self.image(maps["base_color"], "base_color")}
        if "metallic_roughness" in maps:
            pbr["metallicFactor"] = pbr["roughnessFactor"] = 1.0
            pbr["metallicRoughnessTexture"] = {
                "index": self.image(maps["metallic_roughness"], "metallic_roughness")}
        if "normal" in maps:
            material["normalTexture"] = {"index": self.image(maps["normal"], "normal")}
        if "emission" in maps:
            material["emissiveTexture"] = {"index": self.image(maps["emission"], "emission")}
            material["emissiveFactor"] = [1.0, 1.0, 1.0]
        materials = self.doc.setdefault("materials", [])
        materials.append(material)
        return len(materials) - 1

    def to_bytes(self):
        return write_glb(self.doc, bytes(self.binary))


def build_glb(mesh, maps=None, name="MeshyObject"):
    """A one-node GLB of `mesh`; textured with `maps` when given (the mesh must then carry UVs)."""
    builder = GlbBuilder()
    attributes = {"POSITION": builder.accessor(mesh.positions, "VEC3")}
    if mesh.normals:
        attributes["NORMAL"] = builder.accessor(mesh.normals, "VEC3")
    if mesh.uvs:
        attributes["TEXCOORD_0"] = builder.accessor(mesh.uvs, "VEC2")
    flat = [i for tri in mesh.triangles for i in tri]
    component = 5123 if len(mesh.positions) < 65536 else 5125
    primitive = {"attributes": attributes, "mode": 4,
                 "indices": builder.accessor(flat, "SCALAR", component, 34963)}
    primitive["material"] = builder.material(maps or {}, name + "Material")
    builder.doc["meshes"] = [{"name": name, "primitives": [primitive]}]
    builder.doc["nodes"] = [{"name": name, "mesh": 0}]
    builder.doc["scenes"] = [{"nodes": [0]}]
    builder.doc["scene"] = 0
    return builder.to_bytes()


def retexture_glb(data, maps, keep_original_uv):
    """The uploaded GLB with its geometry untouched and one new textured material on every primitive.

    Missing UVs are generated (box projection) unless `keep_original_uv`, in which case the task
    must fail with `model_missing_uv`, as the errors page documents; that case raises MissingUV.
    """
    doc, binary = read_glb(data)
    primitives = [p for mesh in doc.get("meshes", []) for p in mesh.get("primitives", [])]
    if not primitives:
        raise GlbError("No valid 3D objects found in the uploaded model.")
    for key in ("images", "textures", "samplers", "materials"):
        doc.pop(key, None)
    builder = GlbBuilder(doc, binary)
    for primitive in primitives:
        if "TEXCOORD_0" not in primitive["attributes"]:
            if keep_original_uv:
                raise MissingUV("The uploaded model has no UV coordinates, but "
                                "enable_original_uv is true.")
            positions = read_accessor(doc, binary, primitive["attributes"]["POSITION"])
            primitive["attributes"]["TEXCOORD_0"] = builder.accessor(box_uvs(positions), "VEC2")
    material = builder.material(maps, "MeshyRetexture")
    for primitive in primitives:
        primitive["material"] = material
    return builder.to_bytes()


class MissingUV(GlbError):
    pass


def box_uvs(positions):
    """Planar UVs from the two largest bounding-box axes: crude, but every vertex gets a UV."""
    low = [min(p[i] for p in positions) for i in range(3)]
    high = [max(p[i] for p in positions) for i in range(3)]
    extent = [h - l or 1.0 for l, h in zip(low, high)]
    u_axis, v_axis = sorted(range(3), key=lambda i: -extent[i])[:2]
    return [((p[u_axis] - low[u_axis]) / extent[u_axis], 1.0 - (p[v_axis] - low[v_axis]) /
             extent[v_axis]) for p in positions]


def _node_matrix(node):
    if "matrix" in node:
        m = node["matrix"]
        return [[m[c * 4 + r] for c in range(4)] for r in range(4)]
    tx, ty, tz = node.get("translation", (0, 0, 0))
    qx, qy, qz, qw = node.get("rotation", (0, 0, 0, 1))
    sx, sy, sz = node.get("scale", (1, 1, 1))
    rotation = [
        [1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qz * qw), 2 * (qx * qz + qy * qw)],
        [2 * (qx * qy + qz * qw), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qx * qw)],
        [2 * (qx * qz - qy * qw), 2 * (qy * qz + qx * qw), 1 - 2 * (qx * qx + qy * qy)],
    ]
    scale = (sx, sy, sz)
    return [[rotation[r][c] * scale[c] for c in range(3)] + [(tx, ty, tz)[r]] for r in range(3)] \
        + [[0, 0, 0, 1]]


def _multiply(a, b):
    return [[sum(a[r][k] * b[k][c] for k in range(4)) for c in range(4)] for r in range(4)]


def _apply(matrix, point):
    x, y, z = point
    return tuple(matrix[r][0] * x + matrix[r][1] * y + matrix[r][2] * z + matrix[r][3]
                 for r in range(3))


def world_mesh(data):
    """All triangles of the default scene in world space, merged into one Mesh (UVs kept if all
    primitives have them). Skinning is ignored: the bind pose is what the importer shows first."""
    doc, binary = read_glb(data)
    result = Mesh([], [], [], [])
    nodes = doc.get("nodes", [])
    scenes = doc.get("scenes") or [{"nodes": [i for i in range(len(nodes))]}]
    roots = scenes[doc.get("scene", 0)].get("nodes", [])
    all_have_uvs = True
    stack = [(index, [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]) for index in roots]
    while stack:
        index, parent = stack.pop()
        node = nodes[index]
        matrix = _multiply(parent, _node_matrix(node))
        stack.extend((child, matrix) for child in node.get("children", []))
        if "mesh" not in node:
            continue
        for primitive in doc["meshes"][node["mesh"]].get("primitives", []):
            if primitive.get("mode", 4) != 4:
                continue
            base = len(result.positions)
            positions = read_accessor(doc, binary, primitive["attributes"]["POSITION"])
            result.positions.extend(_apply(matrix, p) for p in positions)
            if "TEXCOORD_0" in primitive["attributes"]:
                result.uvs.extend(read_accessor(doc, binary, primitive["attributes"]["TEXCOORD_0"]))
            else:
                all_have_uvs = False
            if "indices" in primitive:
                flat = read_accessor(doc, binary, primitive["indices"])
            else:
                flat = list(range(len(positions)))
            result.triangles.extend((base + flat[i], base + flat[i + 1], base + flat[i + 2])
                                    for i in range(0, len(flat) - 2, 3))
    if not all_have_uvs:
        result.uvs = []
    if not result.triangles:
        raise GlbError("No valid 3D objects found in the uploaded model.")
    result.normals = result.vertex_normals()
    return result


def with_root_transform(data, scale, translation):
    """The GLB with every scene root moved under one new node carrying `scale` and `translation`,
    which is how a resize keeps materials, skins and animations intact."""
    doc, binary = read_glb(data)
    nodes = doc.setdefault("nodes", [])
    scene = doc.setdefault("scenes", [{"nodes": []}])[doc.get("scene", 0)]
    nodes.append({"name": "MeshyResize", "children": list(scene.get("nodes", [])),
                  "scale": [scale] * 3, "translation": list(translation)})
    scene["nodes"] = [len(nodes) - 1]
    return write_glb(doc, binary)

