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
from tests.blender.test_generate import save_png


def batches():
    return importlib.import_module(MODULE + ".batches")


@pytest.fixture
def seen(installed_addon):
    """Every job the engine reports a change of, by id: a sheet forgets its finished jobs (its
    rows keep what matters), so what was sent is read here."""
    module = importlib.import_module(MODULE + ".jobs")
    found = {}

    def listen(_context, changed):
        found.update((job.id, job) for job in changed)
    module.add_listener(listen)
    yield found
    module.remove_listener(listen)


def batch_cli():
    return importlib.import_module(MODULE + ".operators.batch")


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
                                                                     capsys, seen):
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
    sent = {(j.options["asset_name"], j.kind): j.payload for j in seen.values()}
    lamp = sent[("Lamp", "text_to_3d_preview")]
    assert lamp["target_polycount"] == 2000 and lamp["should_remesh"] is True
    assert "fbx" in lamp["target_formats"] and "glb" in lamp["target_formats"]
    assert lamp["ai_model"] == "meshy-5", "the sheet's setting"
    assert sent[("Crate", "text_to_3d_preview")]["prompt"] == "a wooden crate, game prop"
    assert ("Crate", "text_to_3d_refine") not in sent and ("Barrel", "text_to_3d_refine") in sent
    knight = rows["Knight"]
    assert set(knight.task_ids) == {"model", "rig", "anim:92", "anim:40"}

    # Every job carried the library's keys, and the sheet's jobs are not listed one by one.
    assert len(seen) == 14
    for job in seen.values():
        assert job.options["library_folder"] == str(library)
        assert job.options["keep_in_file"] is False
        assert job.options["batch"]["sheet"] == run.source.id
        assert job.options["asset_name"] and job.options["catalog"]
    assert not jobs.engine().jobs, "a finished sheet's jobs are not kept one by one"
    catalogs = {j.options["asset_name"]: j.options["catalog"] for j in seen.values()}
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
    import json
    journal = json.dumps(list(jobs.engine().journal.entries().values()))
    assert connected.paid_key not in journal and "Bearer" not in journal
    for row in good:
        assert row.library_files, row.name
        assert all(os.path.isfile(p) for p in row.library_files.values()), row.name
    assert all(r["library_file"] for r in report if r["status"] == "done")


def run_sheet(path, **options):
    options.setdefault("timeout", 120)
    result = bpy.ops.meshy.batch(filepath=str(path), **options)
    return result, batches()._last["run"]


PRICED = """\
name,mode,prompt,model,refine
One,text,a red cube,meshy-5,no
Two,text,a green cube,meshy-5,yes
Three,text,a blue cube,meshy-5,no
Four,text,a white cube,meshy-5,no
"""


def test_the_budget_cap_stops_at_the_first_row_that_does_not_fit(connected, tmp_path):
    connected.task_seconds = 0.3
    sheet = write_sheet(tmp_path, PRICED, "priced.csv")
    # 5 + 15 = 20 fit in 22; the third row (5 more) would pass it, and nothing after it goes.
    result, run = run_sheet(sheet, library=str(tmp_path / "lib"), budget=22)
    assert result == {'FINISHED'}
    assert [(r.name, r.status) for r in run.batch.rows] == [
        ("One", "done"), ("Two", "done"), ("Three", "not sent: over budget"),
        ("Four", "not sent: over budget")]
    assert connected.tasks_created == 3
    assert run.batch.credits() == 20
    report = {r["name"]: r for r in report_rows(tmp_path / "priced.report.csv")}
    assert report["Three"]["status"] == "not sent: over budget"
    assert "needs 5 credits; 2 of the budget of 22 were left" == report["Three"]["error"]
    assert report["Four"]["task_ids"] == ""


def test_a_budget_spent_by_an_earlier_run_is_not_spent_again(connected, tmp_path):
    connected.task_seconds = 0.3
    sheet = write_sheet(tmp_path, PRICED, "priced.csv")
    result, run = run_sheet(sheet, budget=20)
    assert [r.status for r in run.batch.rows] == ["done", "done"] + ["not sent: over budget"] * 2
    result, again = run_sheet(sheet, budget=20)
    assert [r.status for r in again.batch.rows] == ["done", "done"] + \
        ["not sent: over budget"] * 2, "the 20 credits of the first run count"
    assert again.batch.rows[2].error == "needs 5 credits; 0 of the budget of 20 were left"
    assert connected.tasks_created == 3
    result, more = run_sheet(sheet, budget=30)
    assert [r.status for r in more.batch.rows] == ["done"] * 4
    assert connected.tasks_created == 5


def test_a_total_over_the_balance_sends_only_what_the_balance_covers(connected, tmp_path):
    connected.task_seconds = 0.3
    connected.set_balance(connected.paid_key, 12)
    sheet = write_sheet(tmp_path, PRICED, "priced.csv")
    result, run = run_sheet(sheet)
    assert result == {'FINISHED'}
    assert [r.status for r in run.batch.rows] == ["done"] + ["not sent: over budget"] * 3
    assert any("balance is 12" in note for note in run.notes)
    assert connected.tasks_created == 1


def test_a_dry_run_checks_and_prices_but_sends_nothing(connected, tmp_path, capsys):
    sheet = write_sheet(tmp_path)
    result, run = run_sheet(sheet, dry_run=True)
    assert result == {'FINISHED'}
    assert posts(connected) == [], "a dry run makes no POST at all"
    assert connected.tasks_created == 0
    out = capsys.readouterr().out
    assert "props.csv: 12 rows, 10 to make for" in out
    assert "[7/12] Knight: text_to_3d_preview -> rigging -> animation -> animation" in out
    assert 'row 6 (line 9), column "images": chair.png does not exist' in out
    assert not (tmp_path / "props.report.csv").exists()
    assert batch_cli().cli([str(sheet), "--dry-run"]) == 1, "bad rows: a non-zero exit"
    good = write_sheet(tmp_path, PRICED, "priced.csv")
    assert batch_cli().cli([str(good), "--dry-run"]) == 0
    assert posts(connected) == []


def test_a_text_datablock_sheet_runs_and_keeps_its_report_in_a_text(connected, tmp_path, seen):
    connected.task_seconds = 0.3
    picture = save_png(tmp_path / "rock.png")
    text = bpy.data.texts.new("rocks")
    text.write("# category: Nature/Rocks\n"
               "name,mode,prompt,images,refine\n"
               "Pebble,text,a small pebble,,no\n"
               f"Boulder,image,,{picture},\n"
               "Relative,image,,rock.png,\n")
    library = tmp_path / "lib"
    result = bpy.ops.meshy.batch(text="rocks", library=str(library), timeout=60)
    assert result == {'FINISHED'}
    run = batches()._last["run"]
    assert [r.status for r in run.batch.rows] == ["done", "done", "invalid"]
    assert run.batch.rows[2].error == (
        'row 3 (line 5), column "images": rock.png is a relative path, but the sheet has no '
        "folder (save the .blend first, or give a full path)")
    assert connected.tasks_created == 2
    report = bpy.data.texts["rocks.report"].as_string()
    assert report.splitlines()[0] == "row,name,status,error,task_ids,credits,library_file,key"
    assert "Pebble,done" in report and "Boulder,done" in report
    assert (library / "rocks.report.csv").read_text(encoding="utf-8") == report
    catalogs = {j.options["asset_name"]: j.options["catalog"] for j in seen.values()}
    assert catalogs == {"Pebble": "Nature/Rocks", "Boulder": "Nature/Rocks"}


def test_a_sheet_that_cannot_be_read_sends_nothing(connected, tmp_path):
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(RuntimeError, match="The sheet nowhere.csv does not exist"):
        bpy.ops.meshy.batch(filepath=str(missing))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name,prompt\nCaf\xe9,a caf\xe9 table\n".encode("latin-1"))
    with pytest.raises(RuntimeError, match="not UTF-8"):
        bpy.ops.meshy.batch(filepath=str(latin))
    typo = tmp_path / "typo.csv"
    typo.write_text("name,promt\nA,a chair\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match='unknown column\\(s\\) "promt"'):
        bpy.ops.meshy.batch(filepath=str(typo))
    assert posts(connected) == []


def test_the_command_line_exit_codes(connected, tmp_path, capsys):
    connected.task_seconds = 0.3
    cli = batch_cli().cli
    assert cli(["--help"]) == 0
    assert "--dry-run" in capsys.readouterr().out
    assert cli([]) == 2, "no sheet: a usage error"
    assert cli(["a.csv", "--budget", "lots"]) == 2
    assert cli(["a.csv", "--budget", "-5"]) == 2
    assert cli([str(tmp_path / "missing.csv")]) == 1
    good = write_sheet(tmp_path, PRICED.replace("yes", "no"), "good.csv")
    assert cli([str(good), "--library", str(tmp_path / "lib")]) == 0
    out = capsys.readouterr().out
    assert "[1/4] One: done (5 credits)" in out
    assert "good.csv: 4/4 done, 0 failed, 20 credits" in out
    assert connected.paid_key not in out
    bad = write_sheet(tmp_path, "name,mode,prompt,model,refine\nSolo,text,a cone,meshy-5,no\n"
                                "Empty,text,,meshy-5,no\n", "bad.csv")
    assert cli([str(bad), "--library", str(tmp_path / "lib")]) == 1, "a bad row: exit 1"
    assert 'row 2 (line 3), column "prompt": a text row needs a prompt' in capsys.readouterr().out
    assert connected.tasks_created == 5, "the good row of bad.csv went, the bad one did not"


def test_a_failed_row_fails_the_sheet_and_running_it_again_retries_only_that_row(connected,
                                                                                 tmp_path):
    connected.task_seconds = 0.3
    sheet = write_sheet(tmp_path, PRICED.replace("yes", "no"), "retry.csv")
    connected.faults(fail_tasks=1)
    assert batch_cli().cli([str(sheet)]) == 1
    run = batches()._last["run"]
    failed = [r for r in run.batch.rows if r.status == "failed"]
    assert len(failed) == 1 and failed[0].error
    assert connected.tasks_created == 4
    assert batch_cli().cli([str(sheet)]) == 0
    run = batches()._last["run"]
    assert [r.status for r in run.batch.rows] == ["done"] * 4
    assert [r.earlier for r in run.batch.rows].count(True) == 3
    assert connected.tasks_created == 5, "only the failed row was made again"


CHILD = textwrap.dedent("""
    import bpy
    bpy.ops.preferences.addon_enable(module={module!r})
    prefs = bpy.context.preferences.addons[{module!r}].preferences
    prefs.base_url = {url!r}
    prefs.api_key = {key!r}
    bpy.ops.meshy.batch(filepath={sheet!r}, library={library!r}, timeout=600)
""")

CHAINS = """\
# model: meshy-5
name,mode,prompt,refine,rig,animation
Ant,text,an ant,yes,,
Bee,text,a bee,yes,,
Cat,text,a cat,yes,yes,92;40
Dog,text,a dog,yes,,
Eel,text,an eel,no,,
Fox,text,a fox,yes,,
Gnu,text,a gnu,no,,
Hen,text,a hen,yes,,
Bad,text,,no,,
"""
# Tasks the good rows need: 8 models, 6 refines, 1 rig, 2 animations.
CHAIN_TASKS = 17
CHAIN_CREDITS = 8 * 5 + 6 * 10 + 5 + 2 * 3


def journaled(jobs, kind=None):
    """Tasks the journal (shared with the child) holds, of `kind` if given."""
    return [e for e in jobs.engine().journal.entries().values()
            if e.get("task_id") and (kind is None or e.get("kind") == kind)]


def kill_mid_sheet(connected, sheet, library, until):
    """Run the sheet in a child Blender and SIGKILL it as soon as `until()` holds."""
    script = CHILD.format(module=MODULE, url=connected.url, key=connected.paid_key,
                          sheet=str(sheet), library=str(library))
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(USER_DIR)}
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not until():
            assert child.poll() is None, "the child ended before it was killed"
            time.sleep(0.01)
        assert until(), "the child never got that far"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    return connected.tasks_created


# Where the child is killed: while its first creates are on their way (the server made tasks
# whose ids the child never recorded), and between stages (previews done, refines starting).
KILL_POINTS = {
    "mid-create": lambda connected, jobs: connected.tasks_created >= 3,
    "between-stages": lambda connected, jobs: len(journaled(jobs, "text_to_3d_refine")) >= 2,
}


@pytest.mark.parametrize("kill_point", sorted(KILL_POINTS))
def test_killed_mid_sheet_then_run_again_finishes_every_row_paying_once(connected, jobs,
                                                                        tmp_path, kill_point):
    connected.task_seconds = 1.0
    sheet = write_sheet(tmp_path, CHAINS, "chains.csv")
    library = tmp_path / "lib"
    balance = connected.balance(connected.paid_key)
    until = KILL_POINTS[kill_point]
    created = kill_mid_sheet(connected, sheet, library, lambda: until(connected, jobs))
    assert created < CHAIN_TASKS, "killed before the sheet was done"

    result, run = run_sheet(sheet, library=str(library))
    assert result == {'FINISHED'}
    assert [r.status for r in run.batch.rows] == ["done"] * 8 + ["invalid"]
    assert connected.tasks_created == CHAIN_TASKS, "no task was created twice"
    assert balance - connected.balance(connected.paid_key) == CHAIN_CREDITS, \
        "every task charged once"
    assert run.batch.credits() == CHAIN_CREDITS
    report = {r["name"]: r for r in report_rows(tmp_path / "chains.report.csv")}
    assert report["Cat"]["task_ids"].count("=") == 5    # model, refine, rig, two animations
    assert sum(int(r["credits"]) for r in report.values()) == CHAIN_CREDITS
    # A third run finds nothing to do.
    result, again = run_sheet(sheet, library=str(library))
    assert [r.status for r in again.batch.rows[:8]] == ["done"] * 8
    assert all(r.earlier for r in again.batch.rows[:8])
    assert connected.tasks_created == CHAIN_TASKS


def test_the_recovery_offer_sends_a_killed_sheet_back_into_its_sheet(connected, jobs, tmp_path,
                                                                     seen):
    connected.task_seconds = 1.0
    sheet = write_sheet(tmp_path, CHAINS, "chains.csv")
    library = tmp_path / "lib"
    kill_mid_sheet(connected, sheet, library, lambda: len(journaled(jobs)) >= 5)
    resumable, _expired = jobs.scan_journal()
    assert resumable and all(e["options"]["batch"]["sheet"] for e in resumable)
    assert bpy.ops.meshy.resume_jobs() == {'FINISHED'}
    sheet_id = resumable[0]["options"]["batch"]["sheet"]
    assert sheet_id in batches()._running, "the entries went back into their sheet"
    assert bpy.ops.meshy.wait_jobs(timeout=120) == {'FINISHED'}
    run = batches()._last["run"]
    assert [r.status for r in run.batch.rows] == ["done"] * 8 + ["invalid"]
    assert connected.tasks_created == CHAIN_TASKS
    assert seen and all(j.options["library_folder"] == str(library) for j in seen.values())
    report = report_rows(tmp_path / "chains.report.csv")
    assert [r["status"] for r in report] == ["done"] * 8 + ["invalid"]
    view = bpy.context.window_manager.meshy
    assert len(view.jobs) == 0 and len(view.batches) == 1
    # Results go to the library and leave the open file.
    assert not [o for o in bpy.data.objects if "meshy_task_id" in o]


def test_a_running_sheet_is_one_grouped_row_in_the_jobs_panel(connected, jobs, tmp_path):
    from tests.blender.test_panels import draw_all
    connected.task_seconds = 3.0
    sheet = write_sheet(tmp_path, PRICED, "panel.csv")
    run = batches().plan(bpy.context, batches().Source(path=str(sheet)), budget=0)
    assert [r.cost for r in run.batch.rows] == [5, 15, 5, 5]
    batches().send(bpy.context, run)
    assert sheet.parent.joinpath("panel.report.csv").exists(), "written from the start"
    log = draw_all()
    assert ("list", "MESHY_UL_jobs", 0) not in log, "the sheet's jobs are not listed one by one"
    assert ("progress", "0/4 done, 0 credits") in log or \
        any(e[0] == "progress" and e[1].startswith("0/4 done") for e in log)
    assert ("operator", "meshy.stop_batch", "") in log
    assert ("operator", "meshy.batch", "Run Batch Sheet...") in log
    # Stopping follows nothing more; the tasks go on at Meshy and running it again resumes.
    assert bpy.ops.meshy.stop_batch(sheet_id=run.source.id) == {'FINISHED'}
    assert pump(jobs, lambda: run.batch.settled())
    assert {r.status for r in run.batch.rows} == {"stopped"}
    assert connected.tasks_created == 4
    log = draw_all()
    assert any(e[0] == "progress" and e[1].startswith("0/4 done, 4 failed") for e in log)
    result, again = run_sheet(sheet)
    assert [r.status for r in again.batch.rows] == ["done"] * 4
    assert connected.tasks_created == 5, "the stopped tasks were followed; only the refine " \
        "that the stopped preview never handed on was made"
    bpy.ops.meshy.clear_finished()
    assert len(bpy.context.window_manager.meshy.batches) == 0


def pump(jobs, condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        jobs.tick(bpy.context)
        jobs.engine().wait_for_event(0.05)
    return condition()


def test_a_tick_that_sweeps_uploads_asks_for_the_user_folder_once_not_once_per_job(jobs,
                                                                                     monkeypatch):
    """A sheet keeps hundreds of jobs in the engine; every tick in which one finishes sweeps the
    uploads. Resolving the uploads folder costs two disk stats, so it must not be done per job."""
    engine_module = importlib.import_module(MODULE + ".engine")
    engine = jobs.engine()
    for index in range(200):
        job = engine_module.Job("text_to_3d_preview", {"prompt": f"crate {index}"}, "crate")
        engine.jobs[job.id] = job   # listed only: nothing is sent
    calls = []
    real = bpy.utils.extension_path_user
    monkeypatch.setattr(bpy.utils, "extension_path_user",
                        lambda *args, **kwargs: calls.append(args) or real(*args, **kwargs))
    jobs._sweep_uploads()
    assert len(calls) <= 2, f"{len(calls)} look-ups of the user folder for one sweep"
    engine.jobs.clear()


def test_the_text_editor_offers_to_run_the_open_text_as_a_sheet():
    from types import SimpleNamespace

    from tests.blender.test_panels import RecordingLayout
    menus = importlib.import_module(MODULE + ".panels.menus")
    assert "TEXT_MT_text" in [m for m, _draw in menus._MENU_ENTRIES]
    text = bpy.data.texts.new("sheet")
    log = []
    context = SimpleNamespace(space_data=SimpleNamespace(text=text))
    menus.draw_text_menu(SimpleNamespace(layout=RecordingLayout(log)), context)
    assert ("operator", "meshy.batch", "Run as Meshy Batch Sheet...") in log
    log = []
    menus.draw_text_menu(SimpleNamespace(layout=RecordingLayout(log)),
                         SimpleNamespace(space_data=SimpleNamespace(text=None)))
    assert log == []
