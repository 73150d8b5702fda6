"""Batch sheets without Blender: reading and checking a sheet (engine/sheet.py), and a running
sheet's books (engine/batch.py): budget, ETA, the resume plan, the report."""

import os

import pytest

from meshy_pkg.engine import batch as book
from meshy_pkg.engine import sheet as sheets

PICTURES = (".png", ".jpg", ".jpeg")


@pytest.fixture
def folder(tmp_path):
    for name in ("front.png", "side.png", "back.png", "top.png", "left.png"):
        (tmp_path / name).write_bytes(b"\x89PNG")
    (tmp_path / "notes.txt").write_text("not a picture")
    return tmp_path


def parse(text, folder=None):
    return sheets.parse(text, "sheet.csv", str(folder) if folder else None, PICTURES)


def errors_of(text, folder=None):
    return [row.errors for row in parse(text, folder).rows]


# --- reading ---------------------------------------------------------------------------------

def test_settings_header_and_rows_with_their_line_numbers(folder):
    sheet = parse("\ufeff# model: meshy-5\n"
                  "# style: low-poly game prop, hand-painted\n"
                  "\n"
                  "Name , MODE,Prompt,Texture Prompt,images\n"
                  "Crate,text,\"a crate, old\",,\n"
                  "\n"
                  "View,multi-image,,,front.png; side.png\n", folder)
    assert sheet.settings == {"model": "meshy-5", "style": "low-poly game prop, hand-painted"}
    crate, view = sheet.rows
    assert (crate.number, crate.line, view.number, view.line) == (1, 5, 2, 7)
    assert crate.errors == [] and view.errors == []
    assert crate.spec["prompt"] == "a crate, old, low-poly game prop, hand-painted"
    assert crate.spec["model"] == "meshy-5", "a setting is every row's default"
    assert crate.spec["refine"] is True, "unsaid: the add-on's default (texture automatically)"
    assert view.spec["prompt"] == "", "the style is for text prompts only"
    assert view.spec["images"] == [str(folder / "front.png"), str(folder / "side.png")]


def test_a_row_overrides_a_setting_and_an_edited_row_is_a_new_row():
    first = parse("# model: meshy-5\nname,prompt,model\nA,a chair,\nB,a chair,meshy-6\n").rows
    assert [r.spec["model"] for r in first] == ["meshy-5", "meshy-6"]
    again = parse("# model: meshy-5\nname,prompt,model\nA,a chair,\nB,a chair,meshy-6\n").rows
    assert [r.key for r in first] == [r.key for r in again], "the same sheet, the same keys"
    edited = parse("# model: meshy-5\nname,prompt,model\nA,a chair!,\nB,a chair,meshy-6\n").rows
    assert edited[0].key != first[0].key and edited[1].key == first[1].key


@pytest.mark.parametrize("text, message", [
    ("", "has no header row"),
    ("# model: meshy-5\n", "has no header row"),
    ("name,prompt\n", "has a header but no rows"),
    ("name,promt,colour\nA,b,c\n", 'line 1: unknown column(s) "promt", "colour"'),
    ("# modle: meshy-5\nname,prompt\nA,b\n", 'line 1: unknown setting "modle"'),
    ("prompt,mode\na chair,text\n", 'the sheet needs a "name" column'),
    ("name,prompt,Prompt\nA,b,c\n", "column(s) prompt appear twice"),
])
def test_a_sheet_that_cannot_be_read_is_one_message(text, message):
    with pytest.raises(sheets.SheetError) as caught:
        parse(text)
    assert message in str(caught.value)


def test_files_that_cannot_be_read(tmp_path):
    with pytest.raises(sheets.SheetError, match="The sheet gone.csv does not exist"):
        sheets.read_file(str(tmp_path / "gone.csv"))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name,prompt\nCafé,a table\n".encode("latin-1"))
    with pytest.raises(sheets.SheetError, match="latin.csv is not UTF-8 text"):
        sheets.read_file(str(latin))
    bom = tmp_path / "bom.csv"
    bom.write_bytes("name,prompt\nCafé,a table\n".encode("utf-8-sig"))
    assert sheets.read_file(str(bom)).startswith("name,")


# --- checking every row ------------------------------------------------------------------------

@pytest.mark.parametrize("row, message", [
    (",text,a chair,,,,,,", 'row 1 (line 2), column "name": the name is empty'),
    ("A,sculpt,a chair,,,,,,", 'row 1 (line 2), column "mode": "sculpt" is not a mode; use '
                               "text, image, multi-image"),
    ("A,text,,,,,,,", 'row 1 (line 2), column "prompt": a text row needs a prompt'),
    ("A,text," + "x" * 601 + ",,,,,,", 'column "prompt": the prompt is 601 characters; Meshy '
                                       "accepts up to 600"),
    ("A,text,a chair,front.png,,,,,", 'column "images": a text row takes no images'),
    ("A,image,,,,,,,", 'column "images": an image row needs an image'),
    ("A,image,,chair.png,,,,,", 'row 1 (line 2), column "images": chair.png does not exist'),
    ("A,image,,notes.txt,,,,,", 'column "images": notes.txt is not a supported picture'),
    ("A,image,,front.png;side.png,,,,,", "an image row takes one image; use mode multi-image"),
    ("A,multi-image,,front.png;side.png;back.png;top.png;left.png,,,,,",
     'column "images": 5 views; Meshy takes at most 4'),
    ("A,text,a chair,,meshy-9,,,,", 'column "model": "meshy-9" is not a Meshy model'),
    ("A,text,a chair,,,maybe,,,", 'column "refine": "maybe" is not yes or no'),
    ("A,image,,front.png,,yes,,,", 'column "refine": refine is for text rows'),
    ("A,text,a chair,,,,99,,", 'column "polycount": 99 is outside 100 to 300,000'),
    ("A,text,a chair,,,,lots,,", 'column "polycount": "lots" is not a number'),
    ("A,text,a chair,,,,,,92", 'column "animation": animations need rig: yes'),
    ("A,text,a chair,,,,,yes,walk", 'column "animation": "walk" is not an animation id'),
])
def test_each_problem_names_the_row_its_line_and_the_column(folder, row, message):
    header = "name,mode,prompt,images,model,refine,polycount,rig,animation\n"
    (errors,) = errors_of(header + row + "\n", folder)
    assert any(message in e for e in errors), errors


def test_every_row_is_checked_and_only_bad_rows_are_held_back(folder):
    sheet = parse("# style: " + "y" * 590 + "\n"
                  "name,mode,prompt,images,remesh,polycount,formats\n"
                  "Fits,text,a,,,,\n"
                  "TooLong,text,a long prompt,,,,\n"
                  "fits,text,b,,,,\n"
                  "Remesh,image,,front.png,no,5000,\n"
                  "Formats,image,,front.png,,,fbx;gif\n"
                  "Good,image,,front.png,quad,5000,fbx;usdz\n", folder)
    assert [r.name for r in sheet.good] == ["Fits", "Good"]
    messages = sheet.messages()
    assert 'row 2 (line 4), column "prompt": the prompt with the style is 605 characters; ' \
           "Meshy accepts up to 600" in messages
    assert 'row 3 (line 5), column "name": "fits" is already the name of row 1; each asset ' \
           "needs its own name" in messages
    assert 'row 4 (line 6), column "polycount": a polycount needs remesh (it says no)' in messages
    assert any('row 5 (line 7), column "formats": "gif" is not a format' in m for m in messages)
    good = sheet.good[1].spec
    assert (good["remesh"], good["polycount"], good["formats"]) == ("quad", 5000, ["fbx", "usdz"])


def test_relative_images_need_a_folder(folder):
    (errors,) = errors_of("name,mode,images\nA,image,front.png\n")
    assert errors == ['row 1 (line 2), column "images": front.png is a relative path, but the '
                      "sheet has no folder (save the .blend first, or give a full path)"]
    (errors,) = errors_of(f"name,mode,images\nA,image,{folder / 'front.png'}\n")
    assert errors == []


def test_a_comma_in_an_unquoted_value_is_caught():
    (errors,) = errors_of("name,prompt\nA,a crate, old\n")
    assert errors == ["row 1 (line 2): 3 cells for 2 columns (a comma inside a value needs "
                      "quotes)"]


# --- the books of a running sheet ----------------------------------------------------------------

def row_state(number, cost, status=book.WAITING):
    return book.RowState(number, number + 1, f"row{number}", key=f"k{number}", status=status,
                         cost=cost)


def test_the_budget_stops_at_the_first_row_that_does_not_fit():
    rows = [row_state(1, 5), row_state(2, 15), row_state(3, 5, book.INVALID), row_state(4, 5),
            row_state(5, 1)]
    assert book.apply_budget(rows, 22) == 20
    assert [r.status for r in rows] == [book.WAITING, book.WAITING, book.INVALID,
                                        book.OVER_BUDGET, book.OVER_BUDGET]
    assert rows[3].error == "needs 5 credits; 2 of the budget of 22 were left"
    assert rows[4].status == book.OVER_BUDGET, "a later row that would fit is not sent either"
    unlimited = [row_state(1, 500), row_state(2, 500)]
    assert book.apply_budget(unlimited, None) == 1000
    assert [r.status for r in unlimited] == [book.WAITING] * 2
    exact = [row_state(1, 10), row_state(2, 10)]
    book.apply_budget(exact, 20)
    assert [r.status for r in exact] == [book.WAITING] * 2, "the budget itself may be reached"


def test_the_budget_counts_what_earlier_runs_of_the_sheet_spent():
    rows = [row_state(1, 5), row_state(2, 5)]
    assert book.apply_budget(rows, 30, spent=25) == 30
    assert [r.status for r in rows] == [book.WAITING, book.OVER_BUDGET]
    assert rows[1].error == "needs 5 credits; 0 of the budget of 30 were left"
    spent_all = [row_state(1, 5)]
    book.apply_budget(spent_all, 20, spent=20)
    assert spent_all[0].status == book.OVER_BUDGET, "a budget used up is not 'no cap'"


def test_eta_from_the_pace_of_settled_rows():
    rows = [row_state(n, 5) for n in range(1, 11)]
    assert book.eta(100.0, 130.0, rows) is None, "nothing settled: nothing to go on"
    for row in rows[:4]:
        row.status = book.DONE
    rows[4].status = book.FAILED
    assert book.eta(100.0, 150.0, rows) == pytest.approx(50.0)  # 5 rows in 50 s, 5 left
    for row in rows:
        row.status = book.DONE
    assert book.eta(100.0, 150.0, rows) == 0.0


def test_a_row_is_done_when_every_stage_is_and_failed_when_any_fails():
    row = book.RowState(1, 2, "Knight", stages=book.stages_of(
        {"refine": True, "rig": True, "animation": [92, 40]}))
    assert [s for s, _p in row.stages] == ["model", "refine", "rig", "anim:92", "anim:40"]
    assert row.note("model", book.DONE, "t1", 5) and row.status == book.RUNNING
    for stage in ("refine", "rig", "anim:92"):
        row.note(stage, book.DONE, f"t-{stage}", 3)
    assert row.status == book.RUNNING
    row.note("anim:40", book.DONE, "t5", 3, "/lib/knight.blend")
    assert row.status == book.DONE and row.total_credits() == 17
    failing = book.RowState(2, 3, "Bad", stages=book.stages_of({"refine": True}))
    failing.note("model", book.FAILED, error="text_to_3d_preview: the prompt was flagged")
    assert failing.status == book.FAILED and "flagged" in failing.error


def entry(stage, state, task_id="", row="k1", sheet="s1", **more):
    return {"job_id": f"{row}-{stage}-{state}", "state": state, "task_id": task_id,
            "recorded_at": more.pop("at", 1.0),
            "options": {"batch": {"sheet": sheet, "row": row, "stage": stage}}, **more}


CHAIN = book.stages_of({"refine": True, "rig": True, "animation": [92, 40]})


def plan(*entries):
    known = book.history(entries, "s1").get("k1", {})
    return [(s.action, s.stage, s.parent_task, s.children) for s in book.plan_row(CHAIN, known)]


def test_the_resume_plan_follows_what_exists_and_makes_only_what_is_missing():
    assert plan() == [("create", "model", None, ["refine"])], "a new row: one chain"
    # Killed while the preview ran: follow it; it hands on to refine as before.
    assert plan(entry("model", "created", "p1")) == [("follow", "model", None, ["refine"])]
    # Killed between stages: the preview is done, the refine was never made.
    assert plan(entry("model", "imported", "p1")) == [("create", "refine", "p1", ["rig"])]
    # The refine exists too: follow it, not the preview (which would make a second refine).
    assert plan(entry("model", "succeeded", "p1"), entry("refine", "created", "r1")) == [
        ("follow", "model", None, []), ("follow", "refine", None, ["rig"])]
    # The rig is done, one animation finished, the other never made.
    done = [entry("model", "imported", "p1"), entry("refine", "imported", "r1"),
            entry("rig", "imported", "g1"), entry("anim:92", "imported", "a1")]
    assert plan(*done) == [("create", "anim:40", "g1", [])]
    assert plan(*done, entry("anim:40", "imported", "a2")) == [], "a finished row: nothing"


def test_a_failed_stage_is_made_again_and_another_sheet_is_not_mine():
    assert plan(entry("model", "imported", "p1"), entry("refine", "failed", "r1")) == [
        ("create", "refine", "p1", ["rig"])], "Meshy refunds a failed task: make it again"
    # A later, live attempt wins over an older failed one.
    assert plan(entry("model", "imported", "p1"), entry("refine", "failed", "r1", at=1.0),
                entry("refine", "created", "r2", at=2.0)) == [("follow", "refine", None, ["rig"])]
    assert plan(entry("model", "imported", "p1", sheet="other")) == [
        ("create", "model", None, ["refine"])]


def test_a_cut_off_create_is_told_apart():
    cut = entry("model", "submitting", created_at=1234.5)
    assert book.cut_off(cut) == 1234.5
    assert book.cut_off(entry("model", "created", "p1")) is None
    assert book.cut_off(None) is None
    known = book.history([cut], "s1")["k1"]
    (step,) = book.plan_row(CHAIN, known)
    assert (step.action, step.stage, step.entry) == ("create", "model", cut)


def test_the_report_round_trips_and_is_replaced_in_one_step(tmp_path):
    rows = [row_state(1, 5), row_state(2, 5, book.INVALID)]
    rows[0].stages = book.stages_of({"refine": True})
    rows[0].note("model", book.DONE, "p1", 5)
    rows[0].note("refine", book.DONE, "r1", 10, "/lib/row1.blend")
    rows[1].error = 'row 2 (line 3), column "prompt": a text row needs a prompt'
    batch = book.Batch("s1", "sheet.csv", rows)
    text = book.report_text(batch)
    assert text.splitlines() == [
        "row,name,status,error,task_ids,credits,library_file,key",
        "1,row1,done,,model=p1;refine=r1,15,/lib/row1.blend,k1",
        '2,row2,invalid,"row 2 (line 3), column ""prompt"": a text row needs a prompt",,0,,k2']
    path = tmp_path / "sheet.report.csv"
    book.write_atomically(str(path), text)
    book.write_atomically(str(path), text)
    assert path.read_text(encoding="utf-8") == text
    assert [p.name for p in tmp_path.iterdir()] == ["sheet.report.csv"], "no temporary left"
    assert book.read_report(text)["k1"]["status"] == "done"
    assert book.read_report("not,a\nreport") == {}
    assert book.progress_line(batch, rows[0]) == "[1/2] row1: done (15 credits)"
    assert book.progress_line(batch, rows[1]).startswith("[2/2] row2: invalid - row 2")
    assert os.path.basename(str(path)) == "sheet.report.csv"
