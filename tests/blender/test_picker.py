"""The preview picker, end to end: Generate N previews, tick some, refine only those, once.

Real bpy, the installed zip, the emulator. The panel is drawn (test_panels.RecordingLayout) in
every state the tests reach, so a drawing error fails here.
"""

import importlib
import os

import bpy
import pytest

from tests.blender.harness import MODULE
from tests.blender.test_jobs import pump_until as pump_jobs_until
from tests.blender.test_native import dialog, draw  # noqa: F401 (a fixture)
from tests.blender.test_panels import DrawSelf, RecordingLayout, labels

PROMPT = "a wooden treasure chest"
PREVIEW_TYPE = "text-to-3d-preview"
REFINE_TYPE = "text-to-3d-refine"


def module(name):
    return importlib.import_module(f"{MODULE}.{name}")


def picker_settings():
    return bpy.context.scene.meshy.picker


def picks():
    return list(picker_settings().picks)


def press(idname, **kw):
    """Run an operator; returns its result, or the error it reported (a string)."""
    group, name = idname.split(".")
    try:
        return getattr(getattr(bpy.ops, group), name)(**kw)
    except RuntimeError as exc:
        return str(exc)


def pump_until(condition, timeout=45.0):
    return pump_jobs_until(module("jobs"), condition, timeout)


def wait_idle():
    assert pump_until(lambda: not module("jobs").engine().busy()), "jobs still running"


def draw_picker():
    """Draw the Preview Picker panel (honouring its poll); returns the recorded log."""
    panel = bpy.types.MESHY_PT_picker
    log = []
    if panel.poll(bpy.context):
        panel.draw(DrawSelf(RecordingLayout(log), panel), bpy.context)
    return log


def button_text(log, idname):
    texts = [entry[2] for entry in log if entry[0] == "operator" and entry[1] == idname]
    assert len(texts) == 1, (idname, texts)
    return texts[0]


def button_enabled(log, idname):
    return any(entry[0] == "enabled" and entry[1] == idname for entry in log)


def emulator_tasks(emulator, task_type):
    """{task id: preview_task_id (refines) or None} of the tasks the emulator made."""
    with emulator.store.lock:
        return {task.id: task.plan.extra.get("preview_task_id")
                for task in emulator.store.tasks.values() if task.kind == task_type}


def imported_task_ids():
    return {o["meshy_task_id"] for o in bpy.data.objects if "meshy_task_id" in o}


def generate_previews(count=None, prompt=PROMPT):
    s = bpy.context.scene.meshy
    s.mode = 'TEXT_TO_3D'
    s.prompt = prompt
    return press("meshy.generate_previews", **({} if count is None else {"count": count}))


def preview_cost():
    tasks = module("api.tasks")
    return tasks.cost("text_to_3d_preview", module("picker").preview_request(bpy.context).payload)


def test_four_previews_then_only_the_two_ticked_are_refined_once(connected):
    bpy.context.scene.meshy.prompt = PROMPT
    log = draw_picker()
    assert picker_settings().count == 4
    text = button_text(log, "meshy.generate_previews")
    assert text == f"Generate 4 Previews ({4 * preview_cost()} credits)", text
    assert button_enabled(log, "meshy.generate_previews")

    assert generate_previews() == {'FINISHED'}
    log = draw_picker()  # while they run
    assert any(entry[0] == "progress" for entry in log)
    wait_idle()

    previews = emulator_tasks(connected, PREVIEW_TYPE)
    assert len(previews) == 4
    assert not bpy.data.objects, "previews are not imported"
    assert [p.status for p in picks()] == ["DONE"] * 4
    assert {p.task_id for p in picks()} == set(previews)

    # Thumbnails: downloaded, loaded into the previews collection and drawn large.
    previews_module = module("panels.previews")
    log = draw_picker()
    icons = [entry[1] for entry in log if entry[0] == "icon"]
    assert len(icons) == 4
    for pick, icon in zip(picks(), icons):
        assert os.path.isfile(pick.thumbnail)
        assert previews_module.image_size(pick.thumbnail)[0] > 0
        # Background Blender has no icon system (every icon id is 0); the panel draws the
        # collection's own icon, never the stand-in.
        assert icon == previews_module._collection[pick.thumbnail].icon_id
    assert not button_enabled(log, "meshy.refine_picks")
    assert "Tick the previews to refine" in labels(log)

    chosen = [picks()[1], picks()[3]]
    for pick in chosen:
        pick.ticked = True
    chosen_ids = {p.task_id for p in chosen}
    log = draw_picker()
    assert button_text(log, "meshy.refine_picks") == "Refine 2 Ticked (20 credits)"
    assert press("meshy.refine_picks") == {'FINISHED'}

    # A second press, at once or after an undo brought back a copy without the record: nothing.
    assert not bpy.ops.meshy.refine_picks.poll()
    for pick in chosen:
        pick.refine_job_id = ""
    result = press("meshy.refine_picks")
    assert result == {'CANCELLED'}, result
    wait_idle()
    module("picker").sync()  # what the undo handler does

    refines = emulator_tasks(connected, REFINE_TYPE)
    assert sorted(refines.values()) == sorted(chosen_ids)
    assert imported_task_ids() == set(refines)
    assert connected.tasks_created == 6
    assert [p.refine_status for p in chosen] == ["DONE", "DONE"]
    log = draw_picker()
    assert not button_enabled(log, "meshy.refine_picks")
    assert "Refined and imported" in labels(log)
    assert press("meshy.refine_picks") != {'FINISHED'}
    assert connected.tasks_created == 6


@pytest.mark.parametrize("count", [-1, 1, 9, 20])
def test_a_count_out_of_range_is_refused_and_nothing_is_sent(connected, count):
    result = generate_previews(count=count)
    assert "2 to 8 previews" in str(result), result
    assert connected.tasks_created == 0
    assert not picks()
    picker_settings().count = 100
    assert picker_settings().count == 8


def test_a_failed_preview_is_shown_failed_and_cannot_be_ticked(connected):
    connected.faults(fail_tasks={"code": "image_too_complex"})
    assert generate_previews(count=2) == {'FINISHED'}
    wait_idle()
    failed = [p for p in picks() if p.status == "FAILED"]
    good = [p for p in picks() if p.status == "DONE"]
    assert len(failed) == 1 and len(good) == 1
    failed[0].ticked = True
    assert not failed[0].ticked
    log = draw_picker()
    assert "Failed: cannot be ticked" in labels(log)
    assert "Tick the previews to refine" in labels(log)
    good[0].ticked = True
    assert press("meshy.refine_picks") == {'FINISHED'}
    wait_idle()
    assert list(emulator_tasks(connected, REFINE_TYPE).values()) == [good[0].task_id]
    draw_picker()


def test_ticking_and_refining_while_other_previews_still_run(connected):
    assert generate_previews(count=2) == {'FINISHED'}
    wait_idle()
    connected.task_seconds = 30
    assert generate_previews(count=2, prompt="a stone garden lantern") == {'FINISHED'}
    assert pump_until(lambda: all(p.task_id for p in picks()))
    connected.task_seconds = 0.5   # for the refine (a task's time is fixed when it is created)
    running = picks()[2:]
    running[0].ticked = True
    assert not running[0].ticked, "a running preview cannot be judged yet"
    picks()[0].ticked = True
    log = draw_picker()
    assert button_text(log, "meshy.refine_picks") == "Refine 1 Ticked (10 credits)"
    assert press("meshy.refine_picks") == {'FINISHED'}
    assert pump_until(lambda: picks()[0].refine_status == "DONE")
    assert list(emulator_tasks(connected, REFINE_TYPE).values()) == [picks()[0].task_id]
    assert all(p.status in module("engine").ACTIVE for p in picks()[2:])
    draw_picker()
    # Clear keeps what still runs: it is paid for and on its way.
    assert press("meshy.clear_picks") == {'FINISHED'}
    assert [p.prompt for p in picks()] == ["a stone garden lantern"] * 2
    engine = module("jobs").engine()
    for job in list(engine.active_jobs()):
        engine.stop(job.id)


def test_a_missing_thumbnail_shows_a_stand_in_and_stays_selectable(connected):
    assert generate_previews(count=2) == {'FINISHED'}
    wait_idle()
    pick = picks()[0]
    os.remove(pick.thumbnail)
    log = draw_picker()
    panels = module("panels.picker")
    icons = [entry[1] for entry in log if entry[0] == "icon"]
    assert icons[0] == panels.builtin_icon(panels.NO_THUMBNAIL_ICON)
    assert "No thumbnail: tick by number" in labels(log)
    pick.ticked = True
    assert pick.ticked
    assert press("meshy.refine_picks") == {'FINISHED'}
    wait_idle()
    assert list(emulator_tasks(connected, REFINE_TYPE).values()) == [pick.task_id]


def test_picks_survive_saving_and_reopening_in_a_new_session(connected, tmp_path):
    assert generate_previews(count=3) == {'FINISHED'}
    wait_idle()
    picks()[2].ticked = True
    expected = [(p.task_id, p.thumbnail, p.ticked) for p in picks()]
    path = str(tmp_path / "picks.blend")
    assert bpy.ops.wm.save_as_mainfile(filepath=path) == {'FINISHED'}

    # A new session: no job of the previews is known any more, only the file and the journal.
    module("jobs").engine().jobs.clear()
    bpy.ops.wm.read_homefile(use_empty=True)
    assert not picks()
    assert bpy.ops.wm.open_mainfile(filepath=path) == {'FINISHED'}
    assert [(p.task_id, p.thumbnail, p.ticked) for p in picks()] == expected
    assert [p.status for p in picks()] == ["DONE"] * 3
    log = draw_picker()
    assert button_text(log, "meshy.refine_picks") == "Refine 1 Ticked (10 credits)"
    assert press("meshy.refine_picks") == {'FINISHED'}
    wait_idle()
    assert list(emulator_tasks(connected, REFINE_TYPE).values()) == [expected[2][0]]
    assert imported_task_ids() == set(emulator_tasks(connected, REFINE_TYPE))


def test_picks_saved_while_running_follow_their_jobs_after_reopening(connected, tmp_path):
    connected.task_seconds = 2.0
    assert generate_previews(count=2) == {'FINISHED'}
    path = str(tmp_path / "running.blend")
    assert bpy.ops.wm.save_as_mainfile(filepath=path) == {'FINISHED'}
    assert bpy.ops.wm.open_mainfile(filepath=path) == {'FINISHED'}
    assert [p.status for p in picks()] != ["DONE", "DONE"]
    draw_picker()
    wait_idle()
    assert [p.status for p in picks()] == ["DONE", "DONE"]
    assert all(os.path.isfile(p.thumbnail) for p in picks())


def test_a_preview_is_refined_with_the_model_that_made_it(connected):
    """Meshy refuses a refine with another model than the preview's ("Model mismatch"); the
    sidebar's model may have changed since the previews were made."""
    bpy.context.scene.meshy.ai_model = 'meshy-5'
    assert generate_previews(count=2) == {'FINISHED'}
    wait_idle()
    bpy.context.scene.meshy.ai_model = 'meshy-6'
    picks()[0].ticked = True
    assert press("meshy.refine_picks") == {'FINISHED'}
    wait_idle()
    assert picks()[0].refine_status == "DONE", module("jobs").engine().jobs[
        picks()[0].refine_job_id].message
    assert imported_task_ids() == set(emulator_tasks(connected, REFINE_TYPE))


def test_the_f3_dialog_is_prefilled_priced_for_all_previews_and_refuses_a_bad_count(
        connected, dialog):
    s = bpy.context.scene.meshy
    s.prompt = PROMPT
    s.mode = 'IMAGE_TO_3D'
    op, context = dialog("generate_previews")
    assert op.prompt == PROMPT and op.count == 4
    expected = 4 * preview_cost()
    [call] = context.window_manager.dialogs
    assert call["confirm_text"] == f"Generate ({expected} credits)"
    assert f"Costs {expected} credits" in draw(op, context).texts()
    op.count = 9
    assert "Make 2 to 8 previews at a time (not 9)" in draw(op, context).texts()
    assert op._cls.execute(op, bpy.context) == {'CANCELLED'}
    assert connected.tasks_created == 0
    op.count = 3
    op.prompt = "a bronze bell"
    assert op._cls.execute(op, bpy.context) == {'FINISHED'}
    assert s.prompt == "a bronze bell" and s.picker.count == 3
    wait_idle()
    assert len(emulator_tasks(connected, PREVIEW_TYPE)) == 3
    assert [p.prompt for p in picks()] == ["a bronze bell"] * 3


def test_a_file_saved_while_previews_ran_learns_from_the_journal_what_became_of_them(
        connected, tmp_path):
    """Saved while the previews ran, reopened in a later session: the file says "running", the
    journal says done (or failed), and the picks believe the journal."""
    connected.faults(fail_tasks={"code": "image_too_complex"})
    assert generate_previews(count=2) == {'FINISHED'}
    path = str(tmp_path / "saved-early.blend")
    assert bpy.ops.wm.save_as_mainfile(filepath=path) == {'FINISHED'}
    wait_idle()
    finished = sorted((p.task_id, p.status, p.thumbnail) for p in picks())
    assert sorted(status for _id, status, _thumb in finished) == ["DONE", "FAILED"]

    module("jobs").engine().jobs.clear()   # a later session
    assert bpy.ops.wm.open_mainfile(filepath=path) == {'FINISHED'}
    assert sorted((p.task_id, p.status, p.thumbnail) for p in picks()) == finished
    failed = next(p for p in picks() if p.status == "FAILED")
    assert "too complex" in failed.message
    log = draw_picker()
    assert "Failed: cannot be ticked" in labels(log)
    assert button_text(log, "meshy.refine_picks") == "Refine Ticked"
    assert press("meshy.clear_picks") == {'FINISHED'}
    assert not picks()


def test_a_pick_saved_before_meshy_answered_says_so_and_can_be_cleared(connected, tmp_path):
    connected.faults(delay={"seconds": 1.0, "count": 2})
    assert generate_previews(count=2) == {'FINISHED'}
    path = str(tmp_path / "unanswered.blend")
    assert bpy.ops.wm.save_as_mainfile(filepath=path) == {'FINISHED'}
    engine = module("jobs").engine()
    for job in list(engine.active_jobs()):
        engine.stop(job.id)
    wait_idle()
    engine.jobs.clear()
    engine.journal.clear()   # a later session, and Meshy never said it took them
    assert bpy.ops.wm.open_mainfile(filepath=path) == {'FINISHED'}
    assert [p.task_id for p in picks()] == ["", ""]
    assert "Meshy never confirmed it: clear it" in labels(draw_picker())
    assert press("meshy.clear_picks") == {'FINISHED'}
    assert not picks()


def test_thumbnails_are_freed_when_the_add_on_is_disabled(connected):
    assert generate_previews(count=2) == {'FINISHED'}
    wait_idle()
    draw_picker()
    previews_module = module("panels.previews")
    collection = previews_module._collection
    assert all(p.thumbnail in collection for p in picks())
    bpy.ops.preferences.addon_disable(module=MODULE)
    try:
        assert previews_module._collection is None
        assert len(collection) == 0
    finally:
        bpy.ops.preferences.addon_enable(module=MODULE)


def test_a_preview_whose_thumbnail_cannot_be_fetched_can_still_be_ticked(connected):
    """The task succeeded (and was paid for); only its thumbnail's download failed. Its refine's
    download fails the same way: that refine is paid for, and is never sent again."""
    connected.faults(corrupt_downloads={"path": "preview.png"})
    assert generate_previews(count=2) == {'FINISHED'}
    wait_idle()
    assert [p.status for p in picks()] == ["FAILED", "FAILED"]
    pick = picks()[0]
    pick.ticked = True
    assert pick.ticked
    log = draw_picker()
    assert "No thumbnail: tick by number" in labels(log)
    assert "Failed: cannot be ticked" not in labels(log)
    assert press("meshy.refine_picks") == {'FINISHED'}
    wait_idle()
    assert pick.refine_status == "FAILED" and pick.refine_succeeded
    assert "Refined; fetching it failed: Retry it in the Jobs panel" in labels(draw_picker())
    assert not bpy.ops.meshy.refine_picks.poll()
    pick.refine_job_id = ""   # an undo, or an older copy of the file
    assert press("meshy.refine_picks") == {'CANCELLED'}
    assert list(emulator_tasks(connected, REFINE_TYPE).values()) == [pick.task_id]


def test_a_thumbnail_outside_the_add_ons_cache_is_never_loaded(connected, tmp_path):
    """A .blend from elsewhere may name any file as a pick's thumbnail."""
    assert generate_previews(count=2) == {'FINISHED'}
    wait_idle()
    elsewhere = tmp_path / "elsewhere.png"
    with open(picks()[0].thumbnail, "rb") as source:
        elsewhere.write_bytes(source.read())
    picks()[0].thumbnail = str(elsewhere)
    log = draw_picker()
    panels = module("panels.picker")
    icons = [entry[1] for entry in log if entry[0] == "icon"]
    assert icons[0] == panels.builtin_icon(panels.NO_THUMBNAIL_ICON)
    assert str(elsewhere) not in module("panels.previews")._collection


def test_import_preview_follows_its_task_and_pays_nothing(connected):
    assert generate_previews(count=2) == {'FINISHED'}
    wait_idle()
    log = draw_picker()
    assert [e for e in log if e[0] == "operator" and e[1] == "meshy.import_pick"] == \
        [("operator", "meshy.import_pick", "")] * 2
    pick = picks()[1]
    assert press("meshy.import_pick", index=1) == {'FINISHED'}
    wait_idle()
    assert imported_task_ids() == {pick.task_id}
    assert connected.tasks_created == 2
    assert "Only a finished preview" in str(press("meshy.import_pick", index=5))
    draw_picker()


def test_undo_brings_back_no_stale_pick(connected):
    """Undo restores an older copy of the scene (previews still running, no refine sent); the
    picks are set right from the jobs at once, so nothing is offered for sending twice."""
    connected.task_seconds = 1.0
    assert generate_previews(count=2) == {'FINISHED'}
    bpy.ops.ed.undo_push(message="previews running")
    wait_idle()
    picks()[0].ticked = True
    assert press("meshy.refine_picks") == {'FINISHED'}
    refine_job = picks()[0].refine_job_id
    bpy.ops.ed.undo_push(message="refine sent")
    assert bpy.ops.ed.undo() == {'FINISHED'}
    assert [p.status for p in picks()] == ["DONE", "DONE"]
    assert picks()[0].refine_job_id == refine_job
    picks()[0].ticked = True
    assert not bpy.ops.meshy.refine_picks.poll()
    wait_idle()
    assert len(emulator_tasks(connected, REFINE_TYPE)) == 1
