# SPDX-License-Identifier: GPL-3.0-or-later
"""Lists fetched from Meshy in the background: the animation catalogue and the task history.

Both are one-off calls (jobs.call) watched by a modal timer, so the interface never waits;
in background mode (scripts, tests) they simply wait for the call.
"""

import json
import os

import bpy
from bpy.props import IntProperty, StringProperty

from .. import preferences, jobs
from .calls import CallOperator
from .poll import CANNOT_SEND, describe, report

CATALOGUE_FILE = "animation_catalogue.json"
HISTORY_PAGE_SIZE = 20


def catalogue_cache_path():
    return os.path.join(jobs.user_folder("cache"), CATALOGUE_FILE)


def fill_catalogue(context, entries):
    """Copy catalogue entries into WindowManager.meshy.animations (what the list draws)."""
    items = context.window_manager.meshy.animations
    items.clear()
    for entry in entries:
        try:
            action_id = int(entry.get("action_id"))
        except (TypeError, ValueError):
            continue  # an entry we cannot use is skipped, not fatal
        item = items.add()
        item.action_id = action_id
        item.name = str(entry.get("name") or f"Action {action_id}")
        item.category = str(entry.get("category") or "")
    return len(items)


class MESHY_OT_fetch_animations(CallOperator, bpy.types.Operator):
    """Fetch Meshy's animation library (kept on this computer for when you are offline)"""
    bl_idname = "meshy.fetch_animations"
    bl_label = "Meshy: Fetch Animation Library"

    def start_call(self, context):
        client = preferences.make_client(context)
        return jobs.call(client.animation_catalogue)

    def finish(self, context, result, error):
        if error is None:
            count = fill_catalogue(context, result)
            try:
                with open(catalogue_cache_path(), "w", encoding="utf-8") as fh:
                    json.dump(result, fh)
            except OSError:
                pass  # the cache is a convenience; the list is filled all the same
            self.report({'INFO'}, f"{count} animations in Meshy's library")
            return {'FINISHED'}
        cached = load_cached_catalogue()
        if cached:
            count = fill_catalogue(context, cached)
            self.report({'WARNING'}, f"The animation library could not be fetched "
                                     f"({describe(error)}); showing the {count} kept from before")
            return {'FINISHED'}
        self.report({'ERROR'}, f"The animation library could not be fetched: {describe(error)}. "
                               "You can still type an Action ID")
        return {'CANCELLED'}


def load_cached_catalogue():
    try:
        with open(catalogue_cache_path(), encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return []
    return data if isinstance(data, list) else []


class MESHY_OT_pick_animation(bpy.types.Operator):
    """Use this animation for Animate Character"""
    bl_idname = "meshy.pick_animation"
    bl_label = "Meshy: Pick Animation"
    bl_options = {'INTERNAL'}

    action_id: IntProperty()
    name: StringProperty()

    def execute(self, context):
        tools = context.scene.meshy.tools
        tools.action_id = self.action_id
        tools.action_name = self.name
        return {'FINISHED'}


class MESHY_OT_fetch_history(CallOperator, bpy.types.Operator):
    """List your past Meshy tasks of the chosen kind, newest first"""
    bl_idname = "meshy.fetch_history"
    bl_label = "Meshy: Refresh History"

    page: IntProperty(name="Page", default=0, min=0, options={'SKIP_SAVE'},
                      description="Page to show (0: the one chosen in the panel)")

    def start_call(self, context):
        tools = context.scene.meshy.tools
        if self.page:
            tools.history_page = self.page
        client = preferences.make_client(context)
        self._kind = tools.history_kind
        return jobs.call(list_with_thumbnails, client, self._kind, tools.history_page,
                         os.path.join(jobs.user_folder("cache"), "thumbnails"))

    def finish(self, context, result, error):
        view = context.window_manager.meshy
        if error is not None:
            view.history_message = describe(error)
            self.report({'ERROR'}, view.history_message)
            return {'CANCELLED'}
        fill_history(context, getattr(self, "_kind", ""), result)
        view.history_message = "" if result else "No tasks on this page"
        return {'FINISHED'}


def list_with_thumbnails(client, kind, page, folder):
    """One page of past tasks, each with its thumbnail fetched into `folder` (worker thread)."""
    from ..api.errors import MeshyError
    tasks = client.list(kind, page_num=page, page_size=HISTORY_PAGE_SIZE, sort_by="-created_at")
    for task in tasks:
        url = task.get("thumbnail_url")
        if isinstance(url, str) and url and task.get("id"):
            try:
                task["_thumbnail_path"] = client.download(url, folder, str(task["id"]), kind,
                                                          "thumbnail", "png")
            except MeshyError:
                pass  # a missing thumbnail leaves a blank icon, nothing worse
    return tasks


def fill_history(context, kind, tasks):
    from ..api import tasks as families
    view = context.window_manager.meshy
    view.history.clear()
    for task in tasks:
        item = view.history.add()
        item.task_id = str(task.get("id", ""))
        # Text to 3D lists both steps at one address; the task says which it is.
        item.kind = kind
        if kind.startswith("text_to_3d"):
            item.kind = "text_to_3d_refine" if task.get("mode") == "refine" or \
                task.get("preview_task_id") else "text_to_3d_preview"
        item.status = str(task.get("status", ""))
        item.label = str(task.get("prompt") or task.get("text_style_prompt") or
                         task.get("name") or families.family(item.kind).label)[:120]
        item.created_at = float(task.get("created_at") or 0) / 1000.0
        item.expires_at = float(task.get("expires_at") or 0) / 1000.0
        item.thumbnail = str(task.get("_thumbnail_path") or "")
    return len(view.history)


class MESHY_OT_import_task(bpy.types.Operator):
    """Import this finished Meshy task into the scene (downloads its files)"""
    bl_idname = "meshy.import_task"
    bl_label = "Meshy: Import Task"

    task_id: StringProperty(options={'SKIP_SAVE'})
    kind: StringProperty(options={'SKIP_SAVE'})
    label: StringProperty(options={'SKIP_SAVE'})

    @classmethod
    def poll(cls, context):
        return jobs.engine() is not None

    def execute(self, context):
        if not self.task_id or not self.kind:
            self.report({'ERROR'}, "Choose a task to import")
            return {'CANCELLED'}
        try:
            jobs.submit(context, self.kind, {}, self.label or self.kind, task_id=self.task_id)
        except CANNOT_SEND as exc:
            return report(self, exc)
        return {'FINISHED'}


classes = (
    MESHY_OT_fetch_animations,
    MESHY_OT_pick_animation,
    MESHY_OT_fetch_history,
    MESHY_OT_import_task,
)
