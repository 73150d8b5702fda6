"""The props the emulator returns for a prompt: a robot, a chair, a tower, a lamp or a tree, chosen
by the words of the request, else the default sample object.

Their geometry is made with Blender by make_fixtures.py (fixtures/prop_<name>.glb). Every prop is
UV-mapped into the cells of one shared palette, whose maps are generated here in pure Python at
any size: base colour, metallic, roughness, a flat normal map and emission (the lamp's bulb, the
robot's eyes, the tower's windows glow). make_fixtures.py textures the fixtures with the same
maps, so a result looks the same whether it came from the fixture or was built by the emulator.

No imports from the emulator package: make_fixtures.py (run under Blender) reads this file too.
"""

import re
import struct
import zlib

DEFAULT = "default"
# Prop -> the words that choose it (a plural "s" is accepted too).
WORDS = {
    "robot": ("robot", "android", "droid", "mech", "cyborg", "automaton"),
    "chair": ("chair", "armchair", "stool", "seat", "throne", "bench"),
    "tower": ("tower", "castle", "lighthouse", "fortress", "turret", "keep"),
    "lamp": ("lamp", "lantern", "light", "torch", "candle", "lampshade"),
    "tree": ("tree", "oak", "pine", "plant", "bush", "bonsai"),
}
PROPS = tuple(WORDS)
_WORD = re.compile(r"[a-z]+")

GRID = 4  # the palette is GRID x GRID cells
# Cell name -> (base colour RGB 0-255, metallic 0-1, roughness 0-1, emission RGB or None), in
# cell order: row by row from the top-left of the image.
CELLS = {
    "steel": ((168, 174, 184), 1.0, 0.35, None),
    "dark_steel": ((48, 52, 60), 0.9, 0.45, None),
    "paint_orange": ((240, 116, 32), 0.0, 0.45, None),
    "glow_cyan": ((90, 230, 255), 0.0, 0.3, (90, 230, 255)),
    "wood": ((170, 108, 58), 0.0, 0.65, None),
    "dark_wood": ((88, 52, 28), 0.0, 0.7, None),
    "fabric_red": ((176, 36, 40), 0.0, 0.9, None),
    "stone": ((178, 170, 152), 0.0, 0.9, None),
    "roof_blue": ((44, 76, 150), 0.0, 0.55, None),
    "brass": ((218, 166, 72), 1.0, 0.3, None),
    "warm_glow": ((255, 214, 140), 0.0, 0.2, (255, 190, 100)),
    "leaf": ((62, 142, 52), 0.0, 0.8, None),
    "leaf_light": ((118, 178, 60), 0.0, 0.8, None),
    "bark": ((96, 64, 40), 0.0, 0.95, None),
    "linen": ((236, 226, 204), 0.0, 0.85, None),
    "charcoal": ((34, 34, 38), 0.0, 0.6, None),
}
CELL_NAMES = tuple(CELLS)


def choose(*texts):
    """The prop named by the first matching word of the texts, else DEFAULT."""
    for text in texts:
        for word in _WORD.findall((text or "").lower()):
            for prop, words in WORDS.items():
                if word in words or (word.endswith("s") and word[:-1] in words):
                    return prop
    return DEFAULT


def cell_uv_box(name, margin=0.2):
    """(u0, v0, u1, v1) of a cell in glTF UV space (v down from the top of the image), shrunk by
    `margin` of the cell on each side so filtering never bleeds into a neighbour."""
    index = CELL_NAMES.index(name)
    row, column = divmod(index, GRID)
    size = 1.0 / GRID
    return (column * size + margin * size, row * size + margin * size,
            (column + 1) * size - margin * size, (row + 1) * size - margin * size)


def _png(width, height, rows):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6))
            + chunk(b"IEND", b""))


def _palette_png(size, colour_of):
    """A PNG of the grid with each cell filled by colour_of(cell name) (an RGB tuple)."""
    cell = max(1, size // GRID)
    rows = []
    for row in range(GRID):
        names = CELL_NAMES[row * GRID:(row + 1) * GRID]
        line = b"".join(bytes(colour_of(name)) * cell for name in names)
        rows.extend([line] * cell)
    return _png(cell * GRID, cell * GRID, rows)


def maps(size=64):
    """The palette's maps as PNG bytes: base_color, metallic, roughness, normal, emission, and
    metallic_roughness packed as glTF wants it (G = roughness, B = metallic)."""
    def grey(value):
        level = round(value * 255)
        return (level, level, level)
    return {
        "base_color": _palette_png(size, lambda n: CELLS[n][0]),
        "metallic": _palette_png(size, lambda n: grey(CELLS[n][1])),
        "roughness": _palette_png(size, lambda n: grey(CELLS[n][2])),
        "normal": _palette_png(size, lambda n: (128, 128, 255)),
        "emission": _palette_png(size, lambda n: CELLS[n][3] or (0, 0, 0)),
        "metallic_roughness": _palette_png(
            size, lambda n: (0, round(CELLS[n][2] * 255), round(CELLS[n][1] * 255))),
    }
