"""Batch sheets in real Blender against the emulator: a mixed sheet with bad rows, the budget cap,
SIGKILL mid-sheet then resume, dry runs, Text sheets, the report, and the command line.

Assertions on library files (`library_file`, the report's library_file column) hold once the
Meshy library (library.after_import) writes results to disk; until then they are skipped with
LIBRARY_PENDING: see needs_library().
"""

import csv
import importlib
import os
import signal
import subprocess
import sys
import textwrap
import time

import bpy
import pytest

from tests.blender.harness import MODULE, USER_DIR


def save_png(path, width=32, height=32, colour=(0.8, 0.2, 0.1, 1.0)):
    image = bpy.data.images.new(os.path.basename(str(path)), width, height)
    image.pixels.foreach_set(list(colour) * (width * height))
    image.filepath_raw = str(path)
    image.file_format = 'PNG'
    image.save()
    bpy.data.images.remove(image)
    return str(path)


def batches():
    return importlib.import_module(MODULE + ".batches")


def batch_cli():
    return importlib.import_module(MODULE + ".operators.batch")


def library_writes_files():
    """True once library.after_import writes each result's .blend (the assets work)."""
    library = importlib.import_module(MODULE + ".library")
    return "return \"\"" not in (library.after_import.__doc__ or "") and \
        library.after_import.__code__.co_code != (lambda c, j, n: "").__code__.co_code


def report_rows(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def posts(emulator):
    return [(m, p) for m, p in emulator.request_log if m == "POST"]


def create_posts(emulator):
    return [p for m, p in posts(emulator) if not p.startswith("/_emulator")]


MIXED = """\
# model: meshy-5
# style: game prop
name,mode,prompt,images,category,refine,rig,animation,polycount,formats
Crate,text,a wooden crate,,Props/Boxes,no,,,,
Barrel,text,an oak barrel,,Props/Boxes,yes,,,,
Lamp,text,a brass lamp,,Props/Lights,no,,,2000,fbx
Stone,image,,stone.png,Nature,,,,,
Tree,multi-image,,front.png;side.png,Nature,,,,,
Missing,image,,chair.png,Props,,,,,
Knight,text,a knight in armour,,Characters,no,yes,92;40,,
Chest,text,a treasure chest,,Props/Boxes,no,,,,
Bench,text,a park bench,,Props,no,,,,
Angry,text,an angry bird,,,no,,,99,
Fence,image,,stone.png,Props,,,,,
Vase,text,a clay vase,,Props,no,,,,
"""


def write_sheet(folder, text=MIXED, name="props.csv"):
    for picture in ("stone.png", "front.png", "side.png"):
        if not (folder / picture).exists():
            save_png(folder / picture)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_mixed_sheet_runs_every_good_row_and_reports_the_bad_ones(connected, jobs, tmp_path,
                                                                     capsys):
    connected.task_seconds = 0.4
    sheet = write_sheet(tmp_path)
    library = tmp_path / "library"
    balance = connected.balance(connected.paid_key)
    result = bpy.ops.meshy.batch(filepath=str(sheet), library=str(library), timeout=120)
    assert result == {'FINISHED'}
    run = batches()._last["run"]
    rows = {r.name: r for r in run.batch.rows}
    assert len(rows) == 12

    # The two bad rows: exact messages naming the row, its line and the column.
    assert rows["Missing"].status == "invalid"
    assert rows["Missing"].error == 'row 6 (line 9), column "images": chair.png does not exist'
    assert rows["Angry"].status == "invalid"
    assert rows["Angry"].error == ('row 10 (line 13), column "polycount": 99 is outside 100 to '
                                   '300,000')
    good = [r for r in run.batch.rows if r.status != "invalid"]
    assert [r.status for r in good] == ["done"] * 10, [(r.name, r.error) for r in good]

    # Exactly the tasks the good rows need: 10 models, 1 refine, 1 rig, 2 animations.
    assert connected.tasks_created == 14
    kinds = sorted(connected.task(t)["type"] for r in good for t in r.task_ids.values())
    assert len(kinds) == 14, kinds
    assert kinds.count("text-to-3d-preview") == 7
    assert kinds.count("text-to-3d-refine") == 1
    assert kinds.count("image-to-3d") == 2
    assert kinds.count("multi-image-to-3d") == 1
    assert kinds.count("rig") == 1
    assert kinds.count("animate") == 2
    # Nothing was made for the bad rows: no task carries their words.
    prompts = [connected.task(t)["prompt"] for t in rows["Crate"].task_ids.values()]
    assert prompts == ["a wooden crate, game prop"], "the style suffix is appended"
    for task_id in (t for r in good for t in r.task_ids.values()):
        assert "angry" not in str(connected.task(task_id).get("prompt", ""))

    # Charged once per task, and the sheet's total says what was charged.
    assert balance - connected.balance(connected.paid_key) == run.batch.credits()
    # Per-row settings went into the requests.
    lamp = connected.task(rows["Lamp"].task_ids["model"])
    assert lamp.get("target_polycount") == 2000 or "fbx" in str(lamp)
    knight = rows["Knight"]
    assert set(knight.task_ids) == {"model", "rig", "anim:92", "anim:40"}

    # Every job carried the library's keys, and the sheet's jobs are not listed one by one.
    engine = jobs.engine()
    for job in engine.jobs.values():
        assert job.options["library_folder"] == str(library)
        assert job.options["keep_in_file"] is False
        assert job.options["batch"]["sheet"] == run.source.id
    assert job.options["asset_name"] and job.options["catalog"]
    catalogs = {j.options["asset_name"]: j.options["catalog"] for j in engine.jobs.values()}
    assert catalogs["Crate"] == "Props/Boxes" and catalogs["Stone"] == "Nature"
    view = bpy.context.window_manager.meshy
    assert len(view.jobs) == 0
    assert [(b.title, b.total, b.done, b.failed) for b in view.batches] == [
        ("props.csv", 12, 10, 2)]

    # The report beside the sheet: one line per row.
    report = report_rows(tmp_path / "props.report.csv")
    assert [r["name"] for r in report] == [r.name for r in run.batch.rows]
    by_name = {r["name"]: r for r in report}
    assert by_name["Missing"]["status"] == "invalid"
    assert "chair.png does not exist" in by_name["Missing"]["error"]
    assert by_name["Barrel"]["status"] == "done"
    assert by_name["Barrel"]["task_ids"].startswith("model=") and "refine=" in \
        by_name["Barrel"]["task_ids"]
    assert int(by_name["Barrel"]["credits"]) == 15   # meshy-5 preview 5 + refine 10
    out = capsys.readouterr().out
    assert "[6/12] Missing: invalid" in out or "chair.png does not exist" in out
    assert "[2/12] Barrel: done (15 credits)" in out
    assert connected.paid_key not in out
    assert connected.paid_key not in (tmp_path / "props.report.csv").read_text()
    if library_writes_files():  # depends on library.after_import (the assets work)
        for row in good:
            assert row.library_files, row.name
        assert all(r["library_file"] for r in report if r["status"] == "done")
