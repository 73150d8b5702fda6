# SPDX-License-Identifier: GPL-3.0-or-later
"""Batch sheets (NO bpy): read a sheet of prompts, check every row, and say what each row asks.

A sheet is CSV (a file, or a Blender Text with the same content): optional sheet-wide settings
as `# key: value` lines, then a header row naming the columns, then one asset per row.

    # model: meshy-6
    # style: low-poly game prop, hand-painted
    name,mode,prompt,images,category,refine,rig,animation
    Crate,text,a wooden crate,,Props/Boxes,yes,,
    Knight,image,,knight.png,Characters,,yes,92;4

Every row is checked before anything is sent; each problem names the row, its line in the sheet
and the column. Rows with problems are reported and skipped; the others go. A sheet that cannot
be read at all (missing, not UTF-8, no header, unknown columns) is one message and nothing goes.

What a row does not say comes from the sheet's settings, then from the add-on's defaults (the
bpy side fills those in), so a sheet asks for the same things headless and in the interface.
Limits, model names and formats are api/tasks.py's.
"""

import csv
import hashlib
import io
import json
import os
from dataclasses import dataclass, field

from ..api import tasks

# The columns a sheet may have; header names are matched case-insensitively, with spaces and
# hyphens read as underscores ("Texture Prompt" is texture_prompt).
COLUMNS = ("name", "mode", "prompt", "images", "category", "model", "refine", "texture_prompt",
           "polycount", "remesh", "rig", "animation", "formats")
# Sheet-wide settings: any per-row column but the row's own name, and the style suffix.
SETTINGS = tuple(c for c in COLUMNS if c != "name") + ("style",)

MODES = ("text", "image", "multi-image")
# remesh: quad or triangle topology (Meshy's remesh phase); "no" keeps the raw triangle mesh;
# "yes" (or nothing) keeps the add-on's default (remesh on, triangles).
REMESH_CHOICES = ("quad", "triangle", "yes", "no")
YES = ("yes", "y", "true", "1", "on")
NO = ("no", "n", "false", "0", "off")
LIST_SEPARATOR = ";"


class SheetError(Exception):
    """The sheet cannot be read at all; the message says why and what to do."""


@dataclass
class Row:
    number: int            # 1-based among the sheet's data rows
    line: int              # the line of the sheet it starts on
    cells: dict            # column -> raw text (defaults filled in)
    said: frozenset = frozenset()   # the columns the row itself filled in (not settings)
    spec: dict = None      # the normalised request, when the row is good
    errors: list = field(default_factory=list)

    @property
    def name(self):
        return self.cells.get("name", "").strip()

    @property
    def key(self):
        """Stable for the same request: an edited row is a new row."""
        text = json.dumps(self.spec, sort_keys=True, ensure_ascii=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def where(self, column):
        return f'row {self.number} (line {self.line}), column "{column}"'


@dataclass
class Sheet:
    title: str                   # the file or Text name, for the report and the Jobs panel
    settings: dict               # sheet-wide `# key: value` settings
    rows: list

    @property
    def good(self):
        return [r for r in self.rows if not r.errors]

    @property
    def bad(self):
        return [r for r in self.rows if r.errors]

    def messages(self):
        return [message for row in self.rows for message in row.errors]


def read_file(path):
    """The text of a sheet file; SheetError with one clear sentence when it cannot be read."""
    name = os.path.basename(path) or path
    if not os.path.isfile(path):
        raise SheetError(f"The sheet {name} does not exist")
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise SheetError(f"The sheet {name} cannot be read ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SheetError(f"The sheet {name} is not UTF-8 text: save it as CSV UTF-8") from None


def sheet_id(source):
    """A short stable id for a sheet from where it lives (a resolved path, or blend + Text)."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def normalise_column(name):
    return "_".join(name.strip().lower().replace("-", " ").split())


def parse(text, title, base_folder, image_extensions):
    """Read a sheet's text into a Sheet with every row checked.

    `base_folder` resolves relative image paths (None: relative paths are an error, e.g. a Text
    in an unsaved file); `image_extensions` are the picture files the add-on can send.
    """
    lines = text.removeprefix("\ufeff").splitlines()  # a Text pasted from a BOM file keeps it
    settings, setting_errors, first = _read_settings(lines)
    if setting_errors:
        raise SheetError("; ".join(setting_errors))
    body = "\n".join(lines[first:])
    reader = csv.reader(io.StringIO(body))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise SheetError(f"line {first + 1}: the header row is not valid CSV ({exc})") from None
    if not header or not any(h.strip() for h in header):
        raise SheetError(f"The sheet {title} has no header row (name, mode, prompt, ...)")
    columns = [normalise_column(h) for h in header]
    unknown = [h.strip() for h, c in zip(header, columns) if c not in COLUMNS]
    if unknown:
        raise SheetError(f"line {first + 1}: unknown column(s) " + ", ".join(
            f'"{u}"' for u in unknown) + "; the columns are " + ", ".join(COLUMNS))
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise SheetError(f"line {first + 1}: column(s) {', '.join(repeated)} appear twice")
    if "name" not in columns:
        raise SheetError(f'line {first + 1}: the sheet needs a "name" column')

    rows = []
    previous_end = reader.line_num
    try:
        for record in reader:
            start = first + previous_end + 1
            previous_end = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            cells = {column: settings.get(column, "") for column in SETTINGS if column != "style"}
            for column, value in zip(columns, record):
                if value.strip():
                    cells[column] = value
            said = frozenset(c for c, v in zip(columns, record) if v.strip())
            row = Row(len(rows) + 1, start, cells, said)
            if len(record) > len(columns):
                row.errors.append(f"row {row.number} (line {row.line}): {len(record)} cells "
                                  f"for {len(columns)} columns (a comma inside a value needs "
                                  f"quotes)")
            rows.append(row)
    except csv.Error as exc:
        raise SheetError(f"line {first + reader.line_num}: not valid CSV ({exc})") from None

    seen = {}
    for row in rows:
        if not row.errors:
            _check_row(row, settings.get("style", "").strip(), base_folder, image_extensions)
        name = row.name.casefold()
        if name and name in seen:
            row.errors.append(f'{row.where("name")}: "{row.name}" is already the name of row '
                              f'{seen[name]}; each asset needs its own name')
            row.spec = None
        seen.setdefault(name, row.number)
    if not rows:
        raise SheetError(f"The sheet {title} has a header but no rows")
    return Sheet(title, settings, rows)


def _read_settings(lines):
    """`# key: value` lines before the header -> (settings, errors, index of the header line)."""
    settings, errors = {}, []
    index = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            return settings, errors, index
        content = stripped.lstrip("#").strip()
        if not content:
            continue
        key, colon, value = content.partition(":")
        key = normalise_column(key)
        if not colon:
            continue  # a plain comment
        if key not in SETTINGS:
            errors.append(f'line {index + 1}: unknown setting "{key}"; the settings are '
                          + ", ".join(SETTINGS))
            continue
        settings[key] = value.strip()
    return settings, errors, len(lines)


def _yes_no(row, column, default=False):
    value = row.cells.get(column, "").strip().lower()
    if not value:
        return default
    if value in YES:
        return True
    if value in NO:
        return False
    row.errors.append(f'{row.where(column)}: "{row.cells[column].strip()}" is not yes or no')
    return default


def _items(value):
    return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]


def _check_row(row, style, base_folder, image_extensions):
    """Fill row.spec (plain data) or row.errors, one message per problem."""
    cells = row.cells
    errors = row.errors
    where = row.where
    if not row.name:
        errors.append(f"{where('name')}: the name is empty; every asset needs one")

    mode = cells.get("mode", "").strip().lower().replace("_", "-").replace(" ", "-") or "text"
    if mode not in MODES:
        errors.append(f'{where("mode")}: "{cells["mode"].strip()}" is not a mode; use '
                      + ", ".join(MODES))
        mode = None

    prompt = " ".join(cells.get("prompt", "").split())
    if mode == "text":
        if not prompt:
            errors.append(f"{where('prompt')}: a text row needs a prompt")
        else:
            if style:
                prompt = f"{prompt}, {style}"
            if len(prompt) > tasks.PROMPT_LIMIT:
                with_style = " with the style" if style else ""
                errors.append(f"{where('prompt')}: the prompt{with_style} is {len(prompt)} "
                              f"characters; Meshy accepts up to {tasks.PROMPT_LIMIT}")

    images = _check_images(row, mode, base_folder, image_extensions)

    model = cells.get("model", "").strip().lower()
    if model and model not in tasks.AI_MODELS:
        errors.append(f'{where("model")}: "{cells["model"].strip()}" is not a Meshy model; use '
                      + ", ".join(tasks.AI_MODELS))

    refine = _yes_no(row, "refine", default=True)
    if mode != "text" and "refine" in row.said and refine:
        errors.append(f"{where('refine')}: refine is for text rows (image rows are textured "
                      "in one step)")
    refine = refine and mode == "text"

    texture_prompt = " ".join(cells.get("texture_prompt", "").split())
    if len(texture_prompt) > tasks.PROMPT_LIMIT:
        errors.append(f"{where('texture_prompt')}: the texture prompt is {len(texture_prompt)} "
                      f"characters; Meshy accepts up to {tasks.PROMPT_LIMIT}")
    if texture_prompt and mode == "text" and not refine:
        errors.append(f"{where('texture_prompt')}: a texture prompt needs refine: yes")

    remesh = cells.get("remesh", "").strip().lower()
    if remesh and remesh not in REMESH_CHOICES:
        errors.append(f'{where("remesh")}: "{cells["remesh"].strip()}" is not a remesh choice; '
                      f"use {', '.join(REMESH_CHOICES)}")
    polycount = None
    text = cells.get("polycount", "").strip().replace(",", "").replace("_", "")
    if text:
        low, high = tasks.POLYCOUNT_RANGE
        try:
            polycount = int(text)
        except ValueError:
            errors.append(f'{where("polycount")}: "{cells["polycount"].strip()}" is not a number')
        else:
            if not low <= polycount <= high:
                errors.append(f"{where('polycount')}: {polycount:,} is outside {low:,} to "
                              f"{high:,}")
            if remesh == "no":
                errors.append(f"{where('polycount')}: a polycount needs remesh (it says no)")

    rig = _yes_no(row, "rig")
    animation = []
    for part in _items(cells.get("animation", "")):
        if not part.isdigit():
            errors.append(f'{where("animation")}: "{part}" is not an animation id (a number '
                          "from Meshy's animation library)")
        else:
            animation.append(int(part))
    if animation and not rig:
        errors.append(f"{where('animation')}: animations need rig: yes")

    formats = []
    for part in _items(cells.get("formats", "").lower()):
        if part not in tasks.TARGET_FORMATS:
            errors.append(f'{where("formats")}: "{part}" is not a format Meshy delivers; use '
                          + ", ".join(tasks.TARGET_FORMATS))
        elif part not in formats:
            formats.append(part)

    if errors:
        return
    row.spec = {
        "name": row.name, "mode": mode, "prompt": prompt, "images": images,
        "category": cells.get("category", "").strip().strip("/"),
        "model": model, "refine": refine, "texture_prompt": texture_prompt,
        "polycount": polycount, "remesh": remesh, "rig": rig, "animation": animation,
        "formats": sorted(formats),
    }


def _check_images(row, mode, base_folder, image_extensions):
    value = row.cells.get("images", "")
    names = _items(value)
    where = row.where("images")
    if mode == "text":
        if names:
            row.errors.append(f"{where}: a text row takes no images (use mode image)")
        return []
    if mode is None:
        return []
    if not names:
        row.errors.append(f"{where}: an {mode} row needs "
                          + ("an image" if mode == "image" else "1 to "
                             f"{tasks.MAX_VIEWS} images separated by {LIST_SEPARATOR}"))
        return []
    if mode == "image" and len(names) > 1:
        row.errors.append(f"{where}: an image row takes one image; use mode multi-image for "
                          f"up to {tasks.MAX_VIEWS} views")
        return []
    if len(names) > tasks.MAX_VIEWS:
        row.errors.append(f"{where}: {len(names)} views; Meshy takes at most {tasks.MAX_VIEWS}")
        return []
    paths = []
    for name in names:
        path = os.path.expanduser(name)
        if not os.path.isabs(path):
            if base_folder is None:
                row.errors.append(f"{where}: {name} is a relative path, but the sheet has no "
                                  "folder (save the .blend first, or give a full path)")
                continue
            path = os.path.join(base_folder, path)
        path = os.path.normpath(path)
        if not os.path.isfile(path):
            row.errors.append(f"{where}: {name} does not exist")
        elif os.path.splitext(path)[1].lower() not in image_extensions:
            row.errors.append(f"{where}: {name} is not a supported picture (use "
                              + ", ".join(e.lstrip(".").upper() for e in image_extensions) + ")")
        else:
            paths.append(path)
    return paths
