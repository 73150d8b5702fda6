"""Output files of tasks: which files a result has, built lazily from fixtures and pure-Python writers.

Every model result starts from one GLB (generated, re-textured or taken from a fixture); OBJ/MTL,
STL and 3MF are written from that GLB's own geometry, so all formats of a task agree. FBX, USDZ and
.blend cannot be written in pure Python and come from the Blender-made fixtures (see
make_fixtures.py): they show the sample object or the humanoid, not an uploaded mesh.
"""

import functools
import os
import threading

from . import glb, images, meshes, props

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
TEXTURE_FILES = {"base_color": "texture_0.png", "metallic": "texture_0_metallic.png",
                 "roughness": "texture_0_roughness.png", "normal": "texture_0_normal.png",
                 "emission": "texture_0_emission.png"}
CONTENT_TYPES = {".glb": "model/gltf-binary", ".png": "image/png", ".fbx": "application/octet-stream",
                 ".obj": "text/plain", ".mtl": "text/plain", ".stl": "model/stl",
                 ".usdz": "model/vnd.usdz+zip", ".3mf": "model/3mf", ".blend": "application/x-blender",
                 ".zip": "application/zip", ".json": "application/json"}
THUMBNAIL_SIZE = 128
# Side of the generated texture maps. Small keeps responses fast; a test of texture handling may
# raise it (the server runs in the test's own process) to get maps the size Meshy's HD ones are.
MAP_SIZE = 64


@functools.lru_cache(maxsize=None)
def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as handle:
        return handle.read()


@functools.lru_cache(maxsize=None)
def sample_mesh():
    return glb.world_mesh(fixture("object.glb"))


@functools.lru_cache(maxsize=None)
def prop_mesh(name):
    return glb.world_mesh(fixture(f"prop_{name}.glb"))


def mesh_for(*texts):
    """Producer of the geometry a request's words choose: a prop (props.py) or the sample."""
    prop = props.choose(*texts)
    return sample_mesh if prop == props.DEFAULT else functools.partial(prop_mesh, prop)


def content_type(name):
    return CONTENT_TYPES.get(os.path.splitext(name)[1], "application/octet-stream")


def lazy(producer):
    """A thread-safe memo of a zero-argument producer (derived meshes are shared by formats)."""
    lock, box = threading.Lock(), []

    def get():
        with lock:
            if not box:
                box.append(producer())
            return box[0]
    return get


def texture_maps(seed, pbr, emission, prop=props.DEFAULT):
    """(separate PNGs for texture_urls, maps to embed in the GLB). A prop wears the palette its
    UVs were laid out for; anything else a pattern seeded by the request."""
    if prop != props.DEFAULT:
        return _palette_maps(pbr, emission)
    separate = images.texture_set(seed, size=MAP_SIZE, pbr=pbr, emission=emission)
    embedded = {"base_color": separate["base_color"]}
    if pbr:
        embedded["metallic_roughness"] = images.metallic_roughness_png(MAP_SIZE)
        embedded["normal"] = separate["normal"]
        if emission:
            embedded["emission"] = separate["emission"]
    return separate, embedded


def _palette_maps(pbr, emission):
    palette = props.maps(MAP_SIZE)
    roles = ("base_color",) + (("metallic", "roughness", "normal") if pbr else ()) \
        + (("emission",) if pbr and emission else ())
    separate = {role: palette[role] for role in roles}
    embedded = {"base_color": palette["base_color"]}
    if pbr:
        embedded["metallic_roughness"] = palette["metallic_roughness"]
        embedded["normal"] = palette["normal"]
        if emission:
            embedded["emission"] = palette["emission"]
    return separate, embedded


class ModelOutput:
    """The files and URL fields of a model result (model_urls, texture_urls, thumbnails)."""

    def __init__(self, model_glb, formats, seed, textures=None, mtl=True,
                 fbx="object.fbx", usdz="object.usdz", blend="object.blend"):
        self.model_glb = lazy(model_glb)
        self.mesh = lazy(lambda: glb.world_mesh(self.model_glb()))
        self.seed = seed
        self.textures = textures or {}
        self.files = {}
        self.model_names = {}
        has_texture = "base_color" in self.textures
        producers = {
            "glb": ("model.glb", self.model_glb),
            "obj": ("model.obj", lambda: meshes.to_obj(self.mesh(), "model.mtl" if mtl else None,
                                                        "texture_0.png" if has_texture else None)[0]),
            "stl": ("model.stl", lambda: meshes.to_stl(self.mesh())),
            "3mf": ("model.3mf", lambda: meshes.to_3mf(self.mesh())),
            "fbx": ("model.fbx", lambda: fixture(fbx)),
            "usdz": ("model.usdz", lambda: fixture(usdz)),
            "blend": ("model.blend", lambda: fixture(blend)),
        }
        for fmt in formats:
            name, producer = producers[fmt]
            self.files[name] = producer
            self.model_names[fmt] = name
            if fmt == "obj" and mtl:
                self.files["model.mtl"] = lambda: meshes.to_obj(
                    self.mesh(), "model.mtl", "texture_0.png" if has_texture else None)[1]
                self.model_names["mtl"] = "model.mtl"
        for key, png in self.textures.items():
            # Texture entries are PNG bytes or producers of them.
            self.files[TEXTURE_FILES[key]] = png if callable(png) else functools.partial(bytes, png)
        self.files["preview.png"] = lambda: images.pattern_png(
            THUMBNAIL_SIZE, THUMBNAIL_SIZE, seed, "thumbnail")

    def add_alpha_thumbnail(self):
        self.files["preview_alpha.png"] = lambda: images.pattern_png(
            THUMBNAIL_SIZE, THUMBNAIL_SIZE, self.seed, "thumbnail", alpha=True)

    def add_multi_view_thumbnails(self):
        for view in ("front", "right", "back", "left"):
            self.files[f"preview_{view}.png"] = functools.partial(
                images.pattern_png, 512, 512, self.seed, "thumbnail" if view == "front" else view)

    def add_model(self, key, name, producer):
        self.files[name] = producer
        self.model_names[key] = name

    def model_urls(self, url):
        return {key: url(name) for key, name in self.model_names.items()}

    def texture_urls(self, url):
        if not self.textures:
            return []
        return [{key: url(TEXTURE_FILES[key]) for key in self.textures}]

    def fields(self, url, textures=True, thumbnail=True):
        result = {"model_urls": self.model_urls(url)}
        if textures:
            result["texture_urls"] = self.texture_urls(url)
        if thumbnail:
            result["thumbnail_url"] = url("preview.png")
            if "preview_alpha.png" in self.files:
                result["alpha_thumbnail_url"] = url("preview_alpha.png")
            if "preview_front.png" in self.files:
                result["thumbnail_urls"] = {view: url(f"preview_{view}.png")
                                            for view in ("front", "right", "back", "left")}
        return result


def textured_glb(mesh_producer, seed, pbr, emission, prop=props.DEFAULT):
    """(glb producer, separate texture PNGs) for a textured result of `mesh_producer()`."""
    separate, embedded = texture_maps(seed, pbr, emission, prop)

    def build():
        mesh = mesh_producer()
        if not mesh.uvs:
            mesh = meshes.Mesh(mesh.positions, mesh.normals, glb.box_uvs(mesh.positions),
                               mesh.triangles)
        return glb.build_glb(mesh, embedded)
    return build, separate


def untextured_glb(mesh_producer):
    return lambda: glb.build_glb(mesh_producer())


def resized_glb(glb_producer, height=None, longest_side=None, origin_at="bottom"):
    """The model scaled so its height (Y) or longest side matches, origin at bottom or centre."""
    def build():
        data = glb_producer()
        low, high = glb.world_mesh(data).bounds()
        extent = [h - l for l, h in zip(low, high)]
        current = extent[1] if height is not None else max(extent)
        scale = (height if height is not None else longest_side) / (current or 1.0)
        centre = [(l + h) / 2 for l, h in zip(low, high)]
        pivot_y = low[1] if origin_at == "bottom" else centre[1]
        return glb.with_root_transform(data, scale, (-centre[0] * scale, -pivot_y * scale,
                                                     -centre[2] * scale))
    return build


def mesh_from_upload(data, kind):
    """The geometry of an uploaded model the emulator can read (GLB, STL, OBJ), else None.
    Raises glb.GlbError for a GLB that is corrupt or uses an unsupported variation."""
    if data is None:
        return None
    if kind == "glb":
        return glb.world_mesh(data)
    if kind == "stl":
        return meshes.parse_stl(data)
    if kind == "obj":
        return meshes.parse_obj(data)
    return None
