"""Triangle meshes in pure Python: decimation, printability metrics, OBJ/STL/3MF writers and the
simple procedural shapes the 3D-print products return (badge reliefs, lampshades, base disks).

Coordinates follow glTF (Y up, metres) unless a function says otherwise; STL and 3MF are written
Z up, as slicers expect.
"""

import io
import math
import struct
import zipfile
from dataclasses import dataclass, field


@dataclass
class Mesh:
    positions: list = field(default_factory=list)   # [(x, y, z)]
    normals: list = field(default_factory=list)     # [(x, y, z)] per vertex, or []
    uvs: list = field(default_factory=list)         # [(u, v)] per vertex, or []
    triangles: list = field(default_factory=list)   # [(i, j, k)]

    def bounds(self):
        low = tuple(min(p[i] for p in self.positions) for i in range(3))
        high = tuple(max(p[i] for p in self.positions) for i in range(3))
        return low, high

    def vertex_normals(self):
        sums = [[0.0, 0.0, 0.0] for _ in self.positions]
        for tri in self.triangles:
            n = _face_normal(*(self.positions[i] for i in tri))
            for i in tri:
                for axis in range(3):
                    sums[i][axis] += n[axis]
        return [_normalise(s) for s in sums]


def _sub(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _normalise(v):
    length = math.sqrt(v[0] ** 2 + v[1] ** 2 + v[2] ** 2)
    return (v[0] / length, v[1] / length, v[2] / length) if length > 1e-12 else (0.0, 1.0, 0.0)


def _face_normal(a, b, c):
    return _cross(_sub(b, a), _sub(c, a))


def weld(mesh, precision=1e-6):
    """Merge vertices with the same position (UV seams split them); returns (positions, triangles)."""
    index_of, positions, remap = {}, [], []
    for p in mesh.positions:
        key = tuple(round(c / precision) for c in p)
        if key not in index_of:
            index_of[key] = len(positions)
            positions.append(p)
        remap.append(index_of[key])
    triangles = [tuple(remap[i] for i in tri) for tri in mesh.triangles]
    return positions, triangles


def decimate(mesh, target_triangles):
    """Vertex-clustering decimation: the finest grid whose result has at most `target_triangles`
    (and always fewer than the input). Crude, but the output is visibly a reduced version of the
    input, which is what a remesh test needs to see."""
    positions, triangles = weld(mesh)
    low, high = mesh.bounds()
    size = max(h - l for l, h in zip(low, high)) or 1.0
    goal = min(target_triangles, max(4, len(triangles) * 6 // 10))
    best = None
    for cells in (2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64):
        candidate = _cluster(positions, triangles, low, size / cells)
        if len(candidate.triangles) > goal:
            break
        best = candidate
    best = best or _cluster(positions, triangles, low, size / 2)
    best.normals = best.vertex_normals()
    return best


def _cluster(positions, triangles, origin, cell):
    cluster_of, sums = {}, {}
    for index, p in enumerate(positions):
        key = tuple(int((p[a] - origin[a]) / cell) for a in range(3))
        cluster_of[index] = key
        total = sums.setdefault(key, [0.0, 0.0, 0.0, 0])
        for a in range(3):
            total[a] += p[a]
        total[3] += 1
    keys = list(sums)
    number = {key: i for i, key in enumerate(keys)}
    new_positions = [tuple(sums[k][a] / sums[k][3] for a in range(3)) for k in keys]
    seen, new_triangles = set(), []
    for tri in triangles:
        mapped = tuple(number[cluster_of[i]] for i in tri)
        if len(set(mapped)) == 3 and frozenset(mapped) not in seen:
            seen.add(frozenset(mapped))
            new_triangles.append(mapped)
    return Mesh(new_positions, [], [], new_triangles)


def printability(mesh):
    """The metrics block of the Analyze Printability page, computed from the real geometry."""
    positions, triangles = weld(mesh)
    edge_uses = {}
    degenerate = 0
    volume = 0.0
    for a, b, c in triangles:
        pa, pb, pc = positions[a], positions[b], positions[c]
        n = _face_normal(pa, pb, pc)
        if math.sqrt(n[0] ** 2 + n[1] ** 2 + n[2] ** 2) < 1e-12:
            degenerate += 1
        volume += (pa[0] * (pb[1] * pc[2] - pb[2] * pc[1]) - pa[1] * (pb[0] * pc[2] - pb[2] * pc[0])
                   + pa[2] * (pb[0] * pc[1] - pb[1] * pc[0])) / 6.0
        for edge in ((a, b), (b, c), (c, a)):
            key = (min(edge), max(edge))
            edge_uses[key] = edge_uses.get(key, 0) + 1
    boundary = [edge for edge, uses in edge_uses.items() if uses == 1]
    non_manifold = sum(1 for uses in edge_uses.values() if uses > 2)
    return {
        "is_watertight": not boundary,
        "volume": abs(volume),
        "non_manifold_edges": non_manifold,
        "degenerate_faces": degenerate,
        "holes": _count_loops(boundary),
    }


def _count_loops(edges):
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        parent[find(a)] = find(b)
    return len({find(v) for edge in edges for v in edge})


def printability_status(metrics):
    errors = (not metrics["is_watertight"]) + (metrics["volume"] <= 0) \
        + (metrics["non_manifold_edges"] > 0)
    warnings = (metrics["degenerate_faces"] > 0) + (metrics["holes"] > 0)
    status = "error" if errors else "warning" if warnings else "healthy"
    return status, int(errors), int(warnings)


def close_holes(mesh):
    """Repair for printability: weld vertices, drop degenerate faces and fan-fill boundary loops."""
    positions, triangles = weld(mesh)
    triangles = [t for t in triangles if len(set(t)) == 3 and
                 sum(c * c for c in _face_normal(*(positions[i] for i in t))) > 1e-24]
    directed = {}
    for a, b, c in triangles:
        for edge in ((a, b), (b, c), (c, a)):
            directed[edge] = directed.get(edge, 0) + 1
    # A boundary edge (a, b) has no twin (b, a); the hole's loop runs the other way round.
    following = {b: a for (a, b) in directed if (b, a) not in directed}
    visited = set()
    for start in list(following):
        if start in visited:
            continue
        loop, vertex = [], start
        while vertex not in visited and vertex in following:
            visited.add(vertex)
            loop.append(vertex)
            vertex = following[vertex]
        if len(loop) >= 3:
            centre = tuple(sum(positions[v][a] for v in loop) / len(loop) for a in range(3))
            positions.append(centre)
            hub = len(positions) - 1
            triangles.extend((loop[i], loop[(i + 1) % len(loop)], hub) for i in range(len(loop)))
    repaired = Mesh(positions, [], [], triangles)
    repaired.normals = repaired.vertex_normals()
    return repaired


def to_obj(mesh, material_library="model.mtl", texture="texture_0.png"):
    """(obj bytes, mtl bytes); the MTL points at the base-colour PNG served beside it."""
    lines = [f"mtllib {material_library}", "o MeshyObject"]
    lines += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in mesh.positions]
    if mesh.uvs:
        lines += [f"vt {u:.6f} {1.0 - v:.6f}" for u, v in mesh.uvs]
    if mesh.normals:
        lines += [f"vn {x:.6f} {y:.6f} {z:.6f}" for x, y, z in mesh.normals]
    lines.append("usemtl MeshyMaterial")

    def corner(i):
        i += 1
        if mesh.uvs and mesh.normals:
            return f"{i}/{i}/{i}"
        if mesh.normals:
            return f"{i}//{i}"
        return f"{i}/{i}" if mesh.uvs else str(i)

    lines += ["f " + " ".join(corner(i) for i in tri) for tri in mesh.triangles]
    mtl = ["newmtl MeshyMaterial", "Kd 1.000 1.000 1.000", "Ka 0 0 0", "Ks 0 0 0", "d 1", "illum 1"]
    if texture:
        mtl.append(f"map_Kd {texture}")
    return ("\n".join(lines) + "\n").encode(), ("\n".join(mtl) + "\n").encode()


def _z_up(p, scale=1.0):
    return (p[0] * scale, -p[2] * scale, p[1] * scale)


def to_stl(mesh, scale=1.0, name=b"Meshy emulator"):
    """Binary STL, Z up."""
    out = bytearray(name.ljust(80, b" ")[:80])
    out += struct.pack("<I", len(mesh.triangles))
    for tri in mesh.triangles:
        a, b, c = (_z_up(mesh.positions[i], scale) for i in tri)
        out += struct.pack("<12fH", *_normalise(_face_normal(a, b, c)), *a, *b, *c, 0)
    return bytes(out)


def to_3mf(mesh, colours=None, scale=1000.0):
    """A 3MF package (millimetres, Z up). With `colours` (list of sRGB tuples) every triangle is
    assigned one palette entry by height band, which is what a multi-colour print file looks like."""
    vertices = "".join('<vertex x="%.4f" y="%.4f" z="%.4f"/>' % _z_up(p, scale)
                       for p in mesh.positions)
    resources, object_attrs, heights = "", "", [p[1] for p in mesh.positions]
    low, high = (min(heights), max(heights)) if heights else (0.0, 1.0)
    span = (high - low) or 1.0
    if colours:
        entries = "".join('<base name="colour%d" displaycolor="#%02X%02X%02XFF"/>' % (i, *c)
                          for i, c in enumerate(colours))
        resources = f'<basematerials id="1">{entries}</basematerials>'
        object_attrs = ' pid="1" pindex="0"'

    def triangle(tri):
        attrs = ""
        if colours:
            mean = sum(mesh.positions[i][1] for i in tri) / 3
            band = min(len(colours) - 1, int((mean - low) / span * len(colours)))
            attrs = f' pid="1" p1="{band}"'
        return '<triangle v1="%d" v2="%d" v3="%d"%s/>' % (*tri, attrs)

    model = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             '<model unit="millimeter" xml:lang="en-US" '
             'xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">'
             f'<resources>{resources}<object id="2" type="model"{object_attrs}><mesh>'
             f'<vertices>{vertices}</vertices><triangles>'
             + "".join(triangle(t) for t in mesh.triangles)
             + '</triangles></mesh></object></resources><build><item objectid="2"/></build></model>')
    content_types = ('<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.'
                     'openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
                     'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                     '<Default Extension="model" ContentType="application/vnd.ms-package.'
                     '3dmanufacturing-3dmodel+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/3dmodel.'
            'model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/'
            '3dmodel"/></Relationships>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", content_types)
        package.writestr("_rels/.rels", rels)
        package.writestr("3D/3dmodel.model", model)
    return buffer.getvalue()


def zip_bundle(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


# --- procedural shapes for the print products (millimetres) ---------------------------------

def outline(shape, radius, points=48):
    """2D outline of a badge shape, counter-clockwise, filling a square 2*radius on its long side
    (the pages size badges by their bounding square)."""
    ring = _outline(shape, radius, points)
    xs, ys = [x for x, _ in ring], [y for _, y in ring]
    scale = 2 * radius / max(max(xs) - min(xs), max(ys) - min(ys))
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return [((x - cx) * scale, (y - cy) * scale) for x, y in ring]


def _outline(shape, radius, points):
    if shape == "star":
        return [((radius if i % 2 == 0 else radius * 0.5) * math.cos(math.pi * i / 5 + math.pi / 2),
                 (radius if i % 2 == 0 else radius * 0.5) * math.sin(math.pi * i / 5 + math.pi / 2))
                for i in range(10)]
    if shape == "hexagon":
        return [(radius * math.cos(math.pi * i / 3), radius * math.sin(math.pi * i / 3))
                for i in range(6)]
    if shape == "shield":
        top = [(radius, radius * 0.8), (-radius, radius * 0.8)]
        bottom = [(-radius * math.cos(a), -radius * 0.2 - radius * 0.8 * math.sin(a))
                  for a in (i * math.pi / 12 for i in range(13))]
        return [top[1]] + bottom + [top[0]]
    if shape == "rounded-rect":
        corner = radius * 0.25
        result = []
        for cx, cy, start in ((1, 1, 0), (-1, 1, 90), (-1, -1, 180), (1, -1, 270)):
            for step in range(5):
                angle = math.radians(start + step * 22.5)
                result.append((cx * (radius - corner) + corner * math.cos(angle),
                               cy * (radius - corner) + corner * math.sin(angle)))
        return result
    return [(radius * math.cos(2 * math.pi * i / points), radius * math.sin(2 * math.pi * i / points))
            for i in range(points)]


def extrude(points, bottom, top, top_height=None):
    """A closed prism over a convex-ish outline (fan caps from the centre); `top_height(x, y)`
    raises the centre of the top cap into a relief. Y is up, so the outline lies in X/Z."""
    n = len(points)
    centre_height = top_height(0.0, 0.0) if top_height else top
    positions = [(x, bottom, -y) for x, y in points] + [(x, top, -y) for x, y in points]
    positions += [(0.0, bottom, 0.0), (0.0, centre_height, 0.0)]
    low_centre, high_centre = 2 * n, 2 * n + 1
    triangles = []
    for i in range(n):
        j = (i + 1) % n
        triangles += [(i, j, n + j), (i, n + j, n + i)]
        triangles += [(low_centre, j, i), (high_centre, n + i, n + j)]
    mesh = Mesh(positions, [], [], triangles)
    mesh.normals = mesh.vertex_normals()
    return mesh


def lathe(profile, segments=32):
    """A surface of revolution around Y from (radius, height) pairs, capped at both ends."""
    positions = [(r * math.cos(2 * math.pi * s / segments), h, r * math.sin(2 * math.pi * s / segments))
                 for r, h in profile for s in range(segments)]
    triangles = []
    for ring in range(len(profile) - 1):
        for s in range(segments):
            a = ring * segments + s
            b = ring * segments + (s + 1) % segments
            triangles += [(a, b + segments, b), (a, a + segments, b + segments)]
    for ring, flip in ((0, True), (len(profile) - 1, False)):
        positions.append((0.0, profile[ring][1], 0.0))
        hub = len(positions) - 1
        for s in range(segments):
            a, b = ring * segments + s, ring * segments + (s + 1) % segments
            triangles.append((hub, a, b) if flip else (hub, b, a))
    mesh = Mesh(positions, [], [], triangles)
    mesh.normals = mesh.vertex_normals()
    return mesh


# --- readers for uploaded STL and OBJ (GLB is read by glb.py) ---------------------------------

def parse_stl(data):
    """Binary or ASCII STL (Z up) into a Y-up Mesh, or None when nothing can be read."""
    positions = []
    if len(data) >= 84 and len(data) == 84 + 50 * int.from_bytes(data[80:84], "little"):
        for index in range(int.from_bytes(data[80:84], "little")):
            values = struct.unpack_from("<12f", data, 84 + 50 * index)
            positions.extend(values[3 + 3 * k:6 + 3 * k] for k in range(3))
    else:
        for line in data.decode("ascii", "replace").splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[0] == "vertex":
                positions.append(tuple(float(v) for v in parts[1:]))
    if len(positions) < 3:
        return None
    positions = [(x, z, -y) for x, y, z in positions]
    triangles = [(i, i + 1, i + 2) for i in range(0, len(positions) - 2, 3)]
    mesh = Mesh(positions, [], [], triangles)
    mesh.normals = mesh.vertex_normals()
    return mesh


def parse_obj(data):
    """Positions and faces of an OBJ (fan-triangulated), or None."""
    positions, triangles = [], []
    for line in data.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "v" and len(parts) >= 4:
            positions.append(tuple(float(v) for v in parts[1:4]))
        elif parts[0] == "f" and len(parts) >= 4:
            corners = []
            for corner in parts[1:]:
                index = int(corner.split("/")[0])
                corners.append(index - 1 if index > 0 else len(positions) + index)
            triangles.extend((corners[0], corners[i], corners[i + 1])
                             for i in range(1, len(corners) - 1))
    if not triangles:
        return None
    mesh = Mesh(positions, [], [], triangles)
    mesh.normals = mesh.vertex_normals()
    return mesh
