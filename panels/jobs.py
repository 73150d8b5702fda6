# SPDX-License-Identifier: GPL-3.0-or-later
"""The Jobs panel: every generation of this session with its progress, and what can be resumed."""

import textwrap

import bpy

from .. import importer, jobs
from ..api.results import IMAGE_KINDS
from ..engine import ACTIVE as RUNNING

STATUS_ICONS = {
    "QUEUED": 'SORTTIME', "SUBMITTING": 'EXPORT', "PENDING": 'SORTTIME',
    "IN_PROGRESS": 'PLAY', "DOWNLOADING": 'IMPORT', "READY": 'IMPORT', "DONE": 'CHECKMARK',
    "FAILED": 'ERROR', "STOPPED": 'PAUSE', "DELETED": 'TRASH', "EXPIRED": 'TIME',
}


def elapsed_text(row, now=None):
    """How long the job has run (or ran), "m:ss"; the row's times are jobs.session_time()."""
    now = jobs.session_time() if now is None else now
    end = row.finished or now
    return _clock(end - row.started)


def eta_text(row, now=None):
    """"about 1:20 left" while Meshy's progress allows an estimate, else ""."""
    if row.status != "IN_PROGRESS" or not row.eta:
        return ""
    now = jobs.session_time() if now is None else now
    left = row.eta - now
    # Past the estimate the task is late, and "about 0:00 left" would be a promise it breaks.
    return f"about {_clock(left)} left" if left >= 1 else ""


def _clock(seconds):
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class MESHY_UL_jobs(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_property, index=0):
        row = layout.row(align=True)
        row.label(text=item.label or item.kind, icon=STATUS_ICONS.get(item.status, 'DOT'))
        if item.status in RUNNING and item.status not in ("READY",):
            if item.waiting:
                text = "waiting: online access is off"
            elif item.status in ("QUEUED", "PENDING") and item.queue_position:
                text = f"queued, {item.queue_position} ahead"
            else:
                text = eta_text(item) or item.status.replace("_", " ").lower()
            row.progress(factor=item.progress, type='BAR', text=text)
        else:
            row.label(text=item.status.replace("_", " ").capitalize())
        row.label(text=elapsed_text(item))


class MESHY_PT_jobs(bpy.types.Panel):
    bl_space_type = 'VIEW_3D'
    bl_region_type = 'UI'
    bl_category = "Meshy"
    bl_label = "Jobs"
    bl_idname = "MESHY_PT_jobs"

    def draw(self, context):
        layout = self.layout
        resumable, expired = jobs.recovery()
        if resumable:
            box = layout.box()
            box.label(text=f"{len(resumable)} unfinished Meshy generation(s) from earlier",
                      icon='RECOVER_LAST')
            box.operator("meshy.resume_jobs",
                         text=f"Resume {len(resumable)} Meshy generation{'s' if len(resumable) > 1 else ''}")
        if expired:
            box = layout.box()
            box.label(text=f"{len(expired)} expired on Meshy (kept 3 days)", icon='TIME')
            for entry in expired[:5]:
                box.label(text=f"{entry.get('label') or entry.get('kind')}")
            box.operator("meshy.dismiss_expired", text="Dismiss")

        view = context.window_manager.meshy
        for sheet in view.batches:
            draw_batch(layout, sheet)
        layout.operator("meshy.batch", text="Run Batch Sheet...", icon='LINENUMBERS_ON')
        if not view.jobs:
            if not view.batches:
                layout.label(text="No jobs yet in this session")
            return
        layout.template_list("MESHY_UL_jobs", "", view, "jobs", view, "active_job", rows=3)
        if not 0 <= view.active_job < len(view.jobs):
            return
        row_data = view.jobs[view.active_job]
        draw_job_details(layout, context, row_data)
        layout.operator("meshy.clear_finished", icon='BRUSH_DATA')


def batch_text(sheet, now=None):
    """"7/12 done, 1 failed, 230 credits, about 2:10 left" for a sheet's grouped row."""
    text = f"{sheet.done}/{sheet.total} done"
    if sheet.failed:
        text += f", {sheet.failed} failed"
    text += f", {sheet.credits} credits"
    if sheet.running and sheet.eta >= 0:
        now = jobs.session_time() if now is None else now
        left = sheet.eta - (now - sheet.updated)
        if left >= 1:
            text += f", about {_clock(left)} left"
    return text


def draw_batch(layout, sheet):
    """A batch sheet as one row: its rows' jobs are not listed one by one."""
    box = layout.box()
    row = box.row(align=True)
    row.label(text=sheet.title, icon='LINENUMBERS_ON' if sheet.running else (
        'ERROR' if sheet.failed else 'CHECKMARK'))
    if sheet.running:
        row.operator("meshy.stop_batch", text="", icon='PAUSE').sheet_id = sheet.sheet_id
    settled = (sheet.done + sheet.failed) / sheet.total if sheet.total else 1.0
    box.progress(factor=settled, type='BAR', text=batch_text(sheet))
    if sheet.report and not sheet.running:
        box.label(text=f"Report: {sheet.report}")


def draw_job_details(layout, context, job):
    box = layout.box()
    col = box.column(align=True)
    col.label(text=job.label or job.kind)
    if job.task_id:
        col.label(text=f"Task {job.task_id}")
    if job.credits:
        col.label(text=f"{job.credits} credits")
    eta = eta_text(job)
    if eta:
        col.label(text=eta.capitalize(), icon='TIME')
    if job.message:
        for line in textwrap.wrap(job.message, 48)[:6]:
            col.label(text=line, icon='ERROR' if job.status == "FAILED" else 'NONE')
    if job.doc_url:
        col.operator("wm.url_open", text="What this error means", icon='HELP').url = job.doc_url
    if job.thumbnail:
        _draw_thumbnail(col, job.thumbnail)
    if job.kind in IMAGE_KINDS and job.status == "DONE":
        _draw_thumbnail(col, job.result_path)
        op = col.operator("meshy.use_image_for_3d", text="Use for Image to 3D", icon='MESH_MONKEY')
        if job.task_id:
            op.task_id = job.task_id  # by id: Meshy needs no upload
        else:
            op.image_name = job.result_name

    row = box.row(align=True)
    running = job.status in RUNNING and job.status != "READY"
    sub = row.row(align=True)
    sub.enabled = running
    sub.operator("meshy.stop_job", text="Stop", icon='PAUSE').job_id = job.job_id
    sub = row.row(align=True)
    sub.enabled = bool(job.task_id) and job.status != "DELETED"
    sub.operator("meshy.delete_job", text="Delete", icon='TRASH').job_id = job.job_id
    row = box.row(align=True)
    sub = row.row(align=True)
    sub.enabled = bool(job.result_path)
    sub.operator("meshy.import_job", text="Import", icon='IMPORT').job_id = job.job_id
    sub = row.row(align=True)
    sub.enabled = job.status in ("FAILED", "STOPPED", "EXPIRED")
    sub.operator("meshy.retry_job", text="Retry", icon='FILE_REFRESH').job_id = job.job_id
    row.operator("meshy.open_job_folder", text="", icon='FILE_FOLDER').job_id = job.job_id
    if job.status == "FAILED" and job.result_path and job.kind in importer.NEW_OBJECT_KINDS:
        # The fallback the failure message names, for a result that could not change its object.
        op = box.operator("meshy.import_job", text="Import as New Object", icon='ADD')
        op.job_id = job.job_id
        op.as_new_object = True


def _draw_thumbnail(layout, path):
    from . import previews
    icon_id = previews.icon_for(path)
    if icon_id:
        layout.template_icon(icon_value=icon_id, scale=5.0)


def draw_status_bar(self, context):
    engine = jobs.engine()
    if engine is None:
        return
    active = engine.active_jobs()
    if not active:
        return
    factor = sum(j.progress for j in active) / len(active)
    text = f"Meshy: {len(active)} job{'s' if len(active) > 1 else ''}"
    self.layout.progress(factor=factor, type='BAR', text=text)


classes = (MESHY_UL_jobs, MESHY_PT_jobs)
