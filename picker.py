# SPDX-License-Identifier: GPL-3.0-or-later
"""The preview picker: N Text to 3D previews of one prompt side by side; only the ticked ones are
refined, each by its preview's task id.

The picks live in Scene.meshy.picker.picks, saved with the file (Meshy keeps a preview three
days, so a file reopened tomorrow can still refine them). A preview is an ordinary job whose
options carry `pick_group`; it is not imported (`import: False`), so only its thumbnail is
downloaded. The picks' state is copied from the jobs on the main thread: after each tick that
changed one of their jobs (a jobs listener), after undo and redo (which may bring back an older
copy of the scene) and when a file opens (the journal says what became of previews that ran
while the file was closed).

Paying twice for one preview's refine is what this module exists to prevent: `refine_problem`
and `already_refined` look at the picks, the jobs of this session and the journal.
"""

import copy
import uuid

import bpy
from bpy.app.handlers import persistent

from . import jobs, request
from .engine import ACTIVE
from .properties import PREVIEW_COUNT_RANGE

PREVIEW_KIND = "text_to_3d_preview"
REFINE_KIND = "text_to_3d_refine"
# Options of a preview's and a refine's job: which pick it is (a retried job is a new job).
GROUP_OPTION = "pick_group"
NUMBER_OPTION = "pick_number"
# A refine in one of these states did not (or will not) use the preview: it may be refined again.
REFINE_RETRYABLE = frozenset({"FAILED", "DELETED", "EXPIRED"})
# Journal states of a refine that was paid for, or may still be (a "stopped" task runs on).
_JOURNAL_REFINE_GONE = frozenset({"failed", "discarded", "deleted", "expired"})


# --- what is sent ------------------------------------------------------------------------------

def preview_context(context):
    """The context as the sidebar's Text to 3D would send it with automatic texturing off: a
    preview request alone (nothing is changed in the scene)."""
    from .operators.modes import DialogContext, DialogSettings
    return DialogContext(context, DialogSettings(
        context.scene.meshy, {"mode": 'TEXT_TO_3D', "auto_refine": False}))


def count_problem(count):
    low, high = PREVIEW_COUNT_RANGE
    if not low <= count <= high:
        return f"Make {low} to {high} previews at a time (not {count})"
    return ""


def preview_request(context):
    """One preview's request for the sidebar's Text to 3D settings; NotReady says why not."""
    return request.build(preview_context(context))


def previews_cost(context, count):
    """Credits `count` previews of the current settings cost, or None when they cannot be sent."""
    from .operators.poll import CANNOT_SEND, generate_problem
    view = preview_context(context)
    if generate_problem(view) or count_problem(count):
        return None
    try:
        return request.build(view).cost() * count
    except CANNOT_SEND:
        return None


def submit_previews(context, count):
    """Send `count` previews of the sidebar's prompt and add them to the picks; returns the
    credits. Raises what request.build and jobs.submit raise."""
    problem = count_problem(count)
    if problem:
        raise request.NotReady(problem)
    outgoing = preview_request(context)
    group = uuid.uuid4().hex[:12]
    picks = context.scene.meshy.picker.picks
    prompt = context.scene.meshy.prompt.strip()
    for number in range(1, count + 1):
        options = {**outgoing.options, "import": False, GROUP_OPTION: group,
                   NUMBER_OPTION: number}
        job = jobs.submit(context, outgoing.kind, copy.deepcopy(outgoing.payload),
                          f"{outgoing.label} (preview {number}/{count})", options=options)
        # Adding to a collection may move its items: no reference to an earlier pick is kept.
        pick = picks.add()
        pick.group = group
        pick.prompt = prompt
        pick.number = number
        pick.ai_model = outgoing.payload.get("ai_model", "")
        pick.job_id = job.id
        _copy_preview(pick, job)
    return outgoing.cost() * count


def refine_label(pick):
    return f"{request.label_for(pick.prompt, 'Text to 3D')} #{pick.number}"


def refine_context(context, pick):
    """The sidebar's texture settings, with the model that made the preview: Meshy refuses to
    refine a preview with another model (the sidebar's may have changed since)."""
    from .api import tasks
    from .operators.modes import DialogContext, DialogSettings
    if pick.ai_model not in tasks.AI_MODELS:
        return context
    return DialogContext(context, DialogSettings(context.scene.meshy, {"ai_model": pick.ai_model}))


def refine_requests(context, picks):
    """The refine request of each pick, with the sidebar's texture settings."""
    outgoing = []
    for pick in picks:
        one = request.refine_request(refine_context(context, pick), pick.task_id,
                                     refine_label(pick))
        one.options.update({GROUP_OPTION: pick.group, NUMBER_OPTION: pick.number})
        outgoing.append(one)
    return outgoing


def submit_refines(context, picks):
    """Refine each pick by its task id; returns the credits. Every request is built (and
    checked) before the first is sent, so a bad setting sends none of them."""
    from . import selection
    outgoing = refine_requests(context, picks)
    for one in outgoing:
        selection.check_can_land(context, one.kind, one.options)
    for pick, one in zip(picks, outgoing):
        job = jobs.submit(context, one.kind, one.payload, one.label, options=one.options)
        pick.refine_job_id = job.id
        _copy_refine(pick, job)
    return sum(one.cost() for one in outgoing)


# --- what may be refined ---------------------------------------------------------------------

def all_picks(context):
    return context.scene.meshy.picker.picks


def ticked(context):
    return [pick for pick in all_picks(context) if pick.ticked and pick.tickable]


def refining(pick):
    """The pick's refine was sent and has not failed on Meshy (it is paid for, or being made;
    a refine whose download failed is fetched again with Retry in the Jobs panel, not paid
    again)."""
    return bool(pick.refine_job_id) and (pick.refine_status not in REFINE_RETRYABLE
                                         or pick.refine_succeeded)


def to_refine(context):
    """The ticked previews not refined yet."""
    return [pick for pick in ticked(context) if not refining(pick)]


def refine_problem(context):
    """Why the Refine button cannot be pressed ("" when it can)."""
    if to_refine(context):
        return ""
    if ticked(context):
        return "The ticked previews are refined already (see the Jobs panel)"
    if any(p.tickable for p in all_picks(context)):
        return "Tick the previews to refine"
    if any(running(p) for p in all_picks(context)):
        return "Tick a preview once it is done"
    return "Generate previews first"


def already_refined(task_ids):
    """The preview task ids among `task_ids` with a refine already sent, in this session or (the
    journal) any other: the picks' own record can be older than the truth (an undone step, a
    copy of the file saved before the refine)."""
    wanted = set(task_ids)
    found = set()
    engine = jobs.engine()
    if engine is None:
        return found
    for job in engine.jobs.values():
        if job.kind == REFINE_KIND and (job.status not in REFINE_RETRYABLE
                                        or job.task.get("status") == "SUCCEEDED"):
            found |= wanted & {job.payload.get("preview_task_id")}
    for entry in engine.journal.entries().values():
        if entry.get("kind") == REFINE_KIND and (entry.get("state") not in _JOURNAL_REFINE_GONE
                                                 or _succeeded_entry(entry)):
            found |= wanted & {(entry.get("payload") or {}).get("preview_task_id")}
    return found


def _succeeded_entry(entry):
    return (entry.get("task") or {}).get("status") == "SUCCEEDED"


# --- keeping the picks in step with their jobs --------------------------------------------------

def _copy_preview(pick, job):
    if pick.status != job.status:
        pick.status = job.status
    if job.task_id and pick.task_id != job.task_id:
        pick.task_id = job.task_id
    # A preview Meshy finished stays a preview to choose from, whatever happens to its
    # thumbnail's download (the task, not the thumbnail, is what a refine needs).
    if not pick.succeeded and (job.status == "DONE" or job.task.get("status") == "SUCCEEDED"):
        pick.succeeded = True
    message = job.message[:1024] if job.status == "FAILED" else ""
    if pick.message != message:
        pick.message = message
    thumbnail = job.files.get("thumbnail", "")
    if thumbnail and pick.thumbnail != thumbnail:
        pick.thumbnail = thumbnail
    if pick.ticked and not pick.tickable:
        pick.ticked = False


def _copy_refine(pick, job):
    if pick.refine_status != job.status:
        pick.refine_status = job.status
    if not pick.refine_succeeded and (job.status == "DONE"
                                      or job.task.get("status") == "SUCCEEDED"):
        pick.refine_succeeded = True
    if job.task_id and pick.refine_task_id != job.task_id:
        pick.refine_task_id = job.task_id


def _pick_of(job):
    """(group, number) a job was made for, or None."""
    group = job.options.get(GROUP_OPTION)
    return (group, job.options.get(NUMBER_OPTION)) if group else None


def sync(changed=None):
    """Copy the state of the picks' jobs (those in `changed`, default all of this session's)
    into every scene's picks. A job retried from the Jobs panel is a new job of the same pick:
    it is found by the pick it names."""
    engine = jobs.engine()
    if engine is None:
        return
    found = list(engine.jobs.values()) if changed is None else list(changed)
    by_id = {job.id: job for job in found}
    by_pick = {(job.kind, _pick_of(job)): job for job in found if _pick_of(job)}
    if not by_pick:
        return
    for scene in bpy.data.scenes:
        for pick in scene.meshy.picker.picks:
            key = (pick.group, pick.number)
            job = by_id.get(pick.job_id) or by_pick.get((PREVIEW_KIND, key))
            if job is not None:
                if pick.job_id != job.id:
                    pick.job_id = job.id
                _copy_preview(pick, job)
            job = by_id.get(pick.refine_job_id) if pick.refine_job_id else None
            job = job or by_pick.get((REFINE_KIND, key))
            if job is not None:
                if pick.refine_job_id != job.id:
                    pick.refine_job_id = job.id
                _copy_refine(pick, job)


def sync_from_journal():
    """Picks whose job this session does not know (the file was closed, Blender restarted):
    what the journal recorded becomes their state."""
    engine = jobs.engine()
    if engine is None:
        return
    for scene in bpy.data.scenes:
        for pick in scene.meshy.picker.picks:
            if pick.job_id not in engine.jobs and pick.status in ACTIVE:
                _apply_entry(pick, engine.journal.get(pick.job_id))
            if pick.refine_job_id and pick.refine_job_id not in engine.jobs and \
                    pick.refine_status in ACTIVE:
                entry = engine.journal.get(pick.refine_job_id) or {}
                if entry.get("state") == "imported" or _succeeded_entry(entry):
                    pick.refine_succeeded = True
                if entry.get("state") in _JOURNAL_REFINE_GONE:
                    pick.refine_status = "FAILED"
                elif entry.get("state") == "imported":
                    pick.refine_status = "DONE"
                if entry.get("task_id"):
                    pick.refine_task_id = str(entry["task_id"])


def _apply_entry(pick, entry):
    if not entry:
        return
    if entry.get("task_id"):
        pick.task_id = str(entry["task_id"])
    state = entry.get("state")
    if state == "imported" or _succeeded_entry(entry):
        pick.succeeded = True
    if state == "imported":
        pick.status = "DONE"
        thumbnail = (entry.get("files") or {}).get("thumbnail", "")
        if isinstance(thumbnail, str) and thumbnail:
            pick.thumbnail = thumbnail
    elif state in ("failed", "expired", "deleted", "discarded"):
        pick.status = "FAILED" if state == "failed" else state.upper()
        pick.message = str(entry.get("message") or f"The preview was {state}")[:1024]


def running(pick):
    """The pick's preview job runs in this session (a status saved in the file may be stale)."""
    engine = jobs.engine()
    job = engine.jobs.get(pick.job_id) if engine is not None else None
    return job is not None and job.active


def clear(context):
    """Forget the picks that are not running; returns how many still run (they stay)."""
    picks = all_picks(context)
    for index in reversed(range(len(picks))):
        if not running(picks[index]):
            picks.remove(index)
    return len(picks)


def _on_jobs_changed(context, changed):
    if any(_pick_of(job) for job in changed):
        sync(changed)


@persistent
def _after_undo(*_args):
    sync()


@persistent
def _on_load_post(*_args):
    sync()
    sync_from_journal()


_HANDLERS = (("undo_post", _after_undo), ("redo_post", _after_undo),
             ("load_post", _on_load_post))


def register():
    jobs.add_listener(_on_jobs_changed)
    for name, handler in _HANDLERS:
        getattr(bpy.app.handlers, name).append(handler)


def unregister():
    for name, handler in reversed(_HANDLERS):
        handlers = getattr(bpy.app.handlers, name)
        if handler in handlers:
            handlers.remove(handler)
    jobs.remove_listener(_on_jobs_changed)
