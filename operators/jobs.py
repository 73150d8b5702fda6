# SPDX-License-Identifier: GPL-3.0-or-later
"""The jobs: the watcher (interactive) and wait (background) that keep them moving, and the
actions from the Jobs panel: stop, delete on Meshy, import, retry, open folder, resume."""

import os
import time
import traceback

import bpy
from bpy.props import BoolProperty, StringProperty

from .. import importer, jobs, preferences
from ..engine import ACTIVE, DELETED, FAILED, FINISHED, READY
from .calls import CallOperator
from .poll import CANNOT_SEND, describe, report


class MESHY_OT_watch_jobs(bpy.types.Operator):
    """Keep Meshy jobs moving while Blender stays responsive (runs by itself while jobs exist)"""
    bl_idname = "meshy.watch_jobs"
    bl_label = "Meshy: Watch Jobs"
    bl_options = {'INTERNAL'}

    _timer = None

    def invoke(self, context, event):
        if bpy.app.background or context.window is None or not jobs.watcher_started():
            return {'CANCELLED'}
        self._timer = context.window_manager.event_timer_add(jobs.WATCH_INTERVAL,
                                                             window=context.window)
        context.window_manager.modal_handler_add(self)
        return {'RUNNING_MODAL'}

    def modal(self, context, event):
        if event.type == 'TIMER' and event.timer is self._timer:
            try:
                busy = jobs.tick(context)
            except Exception:  # keep watching: one bad tick must not strand every other job
                traceback.print_exc()
                busy = True
            if not busy:
                context.window_manager.event_timer_remove(self._timer)
                jobs.watcher_stopped()
                return {'FINISHED'}
        # ESC and every other event belong to the artist: a job is never dropped from here.
        return {'PASS_THROUGH'}

    def cancel(self, context):
        # Blender cancels modal operators when their window closes or a file loads; the jobs go
        # on, so hand over to a fresh watcher.
        jobs.watcher_stopped()
        if self._timer is not None:
            try:
                context.window_manager.event_timer_remove(self._timer)
            except (ReferenceError, ValueError):
                pass
        jobs.ensure_watching()


class MESHY_OT_wait_jobs(bpy.types.Operator):
    """Wait until every Meshy job has finished (background mode and scripts)"""
    bl_idname = "meshy.wait_jobs"
    bl_label = "Meshy: Wait for Jobs"

    timeout: bpy.props.FloatProperty(
        name="Timeout", description="Give up waiting after this many seconds (the jobs go on)",
        default=900.0, min=0.0)

    def execute(self, context):
        engine = jobs.engine()
        deadline = time.monotonic() + self.timeout
        shown = {}
        while True:
            busy = jobs.tick(context)
            for job in engine.jobs.values():
                line = f"{job.label[:40]}: {job.status} {int(job.progress * 100)}%"
                if job.message and (not job.active or job.waiting):
                    line += f" - {job.message}"
                if shown.get(job.id) != line:
                    shown[job.id] = line
                    print(f"Meshy [{job.id}] {line}", flush=True)
            if not busy:
                break
            if time.monotonic() >= deadline:
                self.report({'WARNING'}, f"Stopped waiting after {self.timeout:.0f} s; "
                                         f"{len(engine.active_jobs())} Meshy jobs still running")
                return {'CANCELLED'}
            engine.wait_for_event(min(0.1, max(0.0, deadline - time.monotonic())))
        failed = [j for j in engine.jobs.values() if j.status == FAILED]
        if failed:
            self.report({'WARNING'}, f"{len(failed)} Meshy job(s) failed: {failed[0].message}")
        return {'FINISHED'}


def _job(job_id):
    engine = jobs.engine()
    return engine.jobs.get(job_id) if engine else None


class _JobOperator:
    job_id: StringProperty(options={'HIDDEN', 'SKIP_SAVE'})

    @classmethod
    def poll(cls, context):
        return jobs.engine() is not None

    def job_or_report(self):
        job = _job(self.job_id)
        if job is None:
            self.report({'WARNING'}, "That Meshy job is no longer in the list")
        return job


class MESHY_OT_stop_job(_JobOperator, bpy.types.Operator):
    """Stop following this job. The task goes on at Meshy and can be resumed later"""
    bl_idname = "meshy.stop_job"
    bl_label = "Meshy: Stop Job"

    def execute(self, context):
        job = self.job_or_report()
        if job is None:
            return {'CANCELLED'}
        if job.status not in ACTIVE or job.status == READY:
            self.report({'INFO'}, "This job is not running")
            return {'CANCELLED'}
        jobs.engine().stop(job.id)
        jobs.tick(context)
        return {'FINISHED'}


class MESHY_OT_delete_job(_JobOperator, CallOperator, bpy.types.Operator):
    """Delete this task on Meshy: its results are gone for good (credits are not refunded)"""
    bl_idname = "meshy.delete_job"
    bl_label = "Meshy: Delete Task on Meshy"

    def invoke(self, context, event):
        return context.window_manager.invoke_confirm(self, event)

    def execute(self, context):
        if self.job_or_report() is None:
            return {'CANCELLED'}
        return super().execute(context)

    def start_call(self, context):
        job = _job(self.job_id)
        if job is None or not job.task_id:
            return jobs.call(lambda: None)  # nothing on Meshy yet
        client = preferences.make_client(context)
        jobs.engine().stop(job.id)
        return jobs.call(client.delete, job.kind, job.task_id)

    def finish(self, context, result, error):
        from ..api.errors import NotFound
        job = _job(self.job_id)
        if error is not None and not isinstance(error, NotFound):
            self.report({'ERROR'}, f"Could not delete the task on Meshy: {describe(error)}")
            return {'CANCELLED'}
        if job is not None and not job.task_id:
            jobs.engine().stop(job.id)
            jobs.tick(context)
            self.report({'INFO'}, "Stopped: it was never sent to Meshy, so there is nothing to "
                                  "delete there")
            return {'FINISHED'}
        if job is not None:
            jobs.engine().mark_deleted(job)
            jobs.tick(context)
        self.report({'INFO'}, "Deleted on Meshy")
        return {'FINISHED'}


class MESHY_OT_retry_job(_JobOperator, bpy.types.Operator):
    """Run this job again (a stopped or interrupted task is followed again, not paid for twice)"""
    bl_idname = "meshy.retry_job"
    bl_label = "Meshy: Retry Job"

    def execute(self, context):
        job = self.job_or_report()
        if job is None:
            return {'CANCELLED'}
        if job.status not in FINISHED or job.status == DELETED and not job.payload:
            self.report({'INFO'}, "Only a finished job can be retried")
            return {'CANCELLED'}
        try:
            jobs.retry(context, job.id)
        except CANNOT_SEND as exc:
            return report(self, exc)
        return {'FINISHED'}


class MESHY_OT_import_job(_JobOperator, bpy.types.Operator):
    """Import this job's result (again) into the current file"""
    bl_idname = "meshy.import_job"
    bl_label = "Meshy: Import Result"

    as_new_object: BoolProperty(
        name="As New Object", options={'SKIP_SAVE'},
        description="Import the result as an object of its own instead of changing the object "
                    "it was made for")
    filepath: StringProperty(
        subtype='FILE_PATH', options={'SKIP_SAVE'},
        description="Where to save a file result (a 3MF for printing)")
    filter_glob: StringProperty(default="*.3mf", options={'HIDDEN'})

    def invoke(self, context, event):
        job = self.job_or_report()
        if job is None:
            return {'CANCELLED'}
        extension = importer.FILE_KINDS.get(job.kind)
        if extension is None:
            return self.execute(context)
        # A file result is saved again: let the artist choose where (the old place may be why
        # it failed).
        self.filepath = job.options.get("save_to") or bpy.path.ensure_ext(
            bpy.path.clean_name(job.label), extension)
        context.window_manager.fileselect_add(self)
        return {'RUNNING_MODAL'}

    def execute(self, context):
        job = self.job_or_report()
        if job is None:
            return {'CANCELLED'}
        if not job.files or not all(os.path.isfile(p) for p in job.files.values()):
            self.report({'ERROR'}, "The result files are not on this computer; "
                                   "use Retry to fetch them while Meshy still has them")
            return {'CANCELLED'}
        extension = importer.FILE_KINDS.get(job.kind)
        if extension and self.filepath:
            job.options["save_to"] = bpy.path.abspath(bpy.path.ensure_ext(self.filepath,
                                                                          extension))
        imported = jobs.import_result(context, job, again=True,
                                      as_new_object=self.as_new_object)
        jobs.tick(context)
        if not imported:
            self.report({'ERROR'}, job.message)
            return {'CANCELLED'}
        return {'FINISHED'}


class MESHY_OT_open_job_folder(_JobOperator, bpy.types.Operator):
    """Open the folder holding this job's downloaded files"""
    bl_idname = "meshy.open_job_folder"
    bl_label = "Meshy: Open Result Folder"

    def execute(self, context):
        job = self.job_or_report()
        if job is None:
            return {'CANCELLED'}
        path = next(iter(job.files.values()), "")
        folder = os.path.dirname(path) if path else jobs.user_folder("cache")
        bpy.ops.wm.path_open(filepath=folder)
        return {'FINISHED'}


class MESHY_OT_resume_jobs(bpy.types.Operator):
    """Finish and import the Meshy generations an earlier session left unfinished"""
    bl_idname = "meshy.resume_jobs"
    bl_label = "Meshy: Resume Generations"

    @classmethod
    def poll(cls, context):
        return jobs.engine() is not None and bool(jobs.recovery()[0])

    def execute(self, context):
        try:
            count = jobs.resume(context)
        except CANNOT_SEND as exc:
            return report(self, exc)
        self.report({'INFO'}, f"Resuming {count} Meshy generation(s)")
        return {'FINISHED'}


class MESHY_OT_dismiss_expired(bpy.types.Operator):
    """Forget generations whose results Meshy has already deleted (kept for 3 days)"""
    bl_idname = "meshy.dismiss_expired"
    bl_label = "Meshy: Dismiss Expired Generations"

    @classmethod
    def poll(cls, context):
        return jobs.engine() is not None and bool(jobs.recovery()[1])

    def execute(self, context):
        jobs.dismiss_expired()
        return {'FINISHED'}


class MESHY_OT_clear_finished(bpy.types.Operator):
    """Remove finished jobs from the list (their files stay in the cache)"""
    bl_idname = "meshy.clear_finished"
    bl_label = "Meshy: Clear Finished Jobs"

    @classmethod
    def poll(cls, context):
        engine = jobs.engine()
        if engine is None:
            return False
        # A finished batch sheet is one grouped row (its jobs are not kept one by one).
        return any(not j.active for j in engine.jobs.values()) or any(
            not sheet.running for sheet in context.window_manager.meshy.batches)

    def execute(self, context):
        jobs.clear_finished(context)
        return {'FINISHED'}


classes = (
    MESHY_OT_watch_jobs,
    MESHY_OT_wait_jobs,
    MESHY_OT_stop_job,
    MESHY_OT_delete_job,
    MESHY_OT_retry_job,
    MESHY_OT_import_job,
    MESHY_OT_open_job_folder,
    MESHY_OT_resume_jobs,
    MESHY_OT_dismiss_expired,
    MESHY_OT_clear_finished,
)
