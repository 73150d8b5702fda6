# SPDX-License-Identifier: GPL-3.0-or-later
"""The Preview Picker sub-panel of Generate: Generate N Previews with the price of all of them,
then the previews side by side, each with its thumbnail large enough to judge, its state, a tick
box and an Import button; Refine N Ticked with the price of exactly those, and Clear."""

import os
from types import SimpleNamespace

import bpy

from .. import jobs, picker
from ..operators.poll import generate_problem, network_problem
from . import previews
from .generate import draw_priced_button

THUMBNAIL_SCALE = 6.0   # in icon units (20 px at 1x): about 120 px, enough to judge a shape
COLUMNS = 2             # the sidebar is narrow: two previews per row
# Shown in place of a thumbnail that is missing (not downloaded, deleted, unreadable).
NO_THUMBNAIL_ICON = 'MESH_CUBE'

_STATUS_TEXT = {
    "QUEUED": "Waiting for a slot", "SUBMITTING": "Sending", "PENDING": "Queued on Meshy",
    "IN_PROGRESS": "Shaping", "DOWNLOADING": "Fetching thumbnail", "READY": "Fetching thumbnail",
    "STOPPED": "Stopped: resume it in the Jobs panel", "DELETED": "Deleted on Meshy",
    "EXPIRED": "Expired on Meshy (kept 3 days)",
}
_REFINE_TEXT = {
    "DONE": "Refined and imported", "FAILED": "Refine failed: tick and refine again",
    "STOPPED": "Refine stopped: resume it in the Jobs panel",
}


def builtin_icon(name):
    """The icon value of one of Blender's own icons (template_icon takes only values)."""
    items = bpy.types.UILayout.bl_rna.functions["label"].parameters["icon"].enum_items
    return items[name].value


def thumbnail_icon(path):
    """(icon value, True) for a thumbnail that loaded, or (a generic icon, False).

    Only files in the add-on's own cache are shown: a .blend from elsewhere could name any file
    on this computer as a pick's thumbnail."""
    from ..api.download import is_inside   # requests comes with it: not at registration
    engine = jobs.engine()
    if path and engine is not None and is_inside(path, engine.cache_dir) and \
            os.path.isfile(path):
        icon = previews.icon_for(path)
        if previews.image_size(path)[0] > 0:
            return icon, True
    return builtin_icon(NO_THUMBNAIL_ICON), False


class MESHY_PT_picker(bpy.types.Panel):
    bl_space_type = 'VIEW_3D'
    bl_region_type = 'UI'
    bl_category = "Meshy"
    bl_label = "Preview Picker"
    bl_parent_id = "MESHY_PT_generate"

    @classmethod
    def poll(cls, context):
        settings = context.scene.meshy
        return settings.mode == 'TEXT_TO_3D' or len(settings.picker.picks) > 0

    def draw(self, context):
        layout = self.layout
        settings = context.scene.meshy
        picker_settings = settings.picker
        if settings.mode == 'TEXT_TO_3D':
            self.draw_generate(context, layout, picker_settings.count)
        picks = picker_settings.picks
        if not picks:
            layout.label(text="Compare cheap previews, then texture only the ones you like",
                         icon='INFO')
            return
        engine = jobs.engine()
        live = engine.jobs if engine is not None else {}
        groups = []
        for index, pick in enumerate(picks):
            if not groups or groups[-1][0] != pick.group:
                groups.append((pick.group, []))
            groups[-1][1].append((index, pick))
        for _group, members in groups:
            box = layout.box()
            box.label(text=members[0][1].prompt[:80] or "Text to 3D", icon='FONT_DATA')
            grid = box.grid_flow(row_major=True, columns=COLUMNS, even_columns=True,
                                 even_rows=True, align=False)
            for index, pick in members:
                draw_pick(grid.column(align=True), index, pick, live.get(pick.job_id))
        self.draw_refine(context, layout)
        row = layout.row()
        row.operator("meshy.clear_picks", text="Clear", icon='TRASH')

    def draw_generate(self, context, layout, count):
        layout.prop(context.scene.meshy.picker, "count")
        reason = (network_problem(context)
                  or generate_problem(picker.preview_context(context)))
        col = layout.column()
        # The price is on the button: pressing it sends (the F3 entry opens a dialog instead).
        col.operator_context = 'EXEC_DEFAULT'
        draw_priced_button(
            col, "meshy.generate_previews", f"Generate {count} Previews", 'IMGDISPLAY', reason,
            lambda: SimpleNamespace(cost=lambda: picker.previews_cost(context, count)))

    def draw_refine(self, context, layout):
        waiting = picker.to_refine(context)
        reason = network_problem(context) or picker.refine_problem(context)
        text = f"Refine {len(waiting)} Ticked" if waiting else "Refine Ticked"

        def priced():
            requests = picker.refine_requests(context, waiting)
            return SimpleNamespace(cost=lambda: sum(r.cost() for r in requests))
        draw_priced_button(layout, "meshy.refine_picks", text, 'SHADING_TEXTURE', reason, priced)


def draw_pick(layout, index, pick, job):
    icon, shown = thumbnail_icon(pick.thumbnail)
    layout.template_icon(icon_value=icon, scale=THUMBNAIL_SCALE)
    row = layout.row(align=True)
    tick = row.row(align=True)
    tick.enabled = pick.tickable
    tick.prop(pick, "ticked", text=f"#{pick.number}")
    if pick.tickable:
        op = row.operator("meshy.import_pick", text="", icon='IMPORT')
        op.index = index
    draw_pick_state(layout, pick, job, shown)


def draw_pick_state(layout, pick, job, thumbnail_shown):
    status = job.status if job is not None else pick.status
    if pick.tickable:
        status = "DONE"   # finished on Meshy: only its thumbnail may be missing
    if status == "FAILED":
        col = layout.column(align=True)
        col.alert = True
        col.label(text="Failed: cannot be ticked", icon='ERROR')
        if pick.message:
            col.label(text=pick.message[:60])
        return
    if status == "DONE":
        if pick.refine_job_id:
            refine = jobs.engine().jobs.get(pick.refine_job_id) if jobs.engine() else None
            refine_status = refine.status if refine is not None else pick.refine_status
            if refine is not None and refine.active:
                layout.progress(factor=refine.progress, text=f"Refining {refine.progress:.0%}")
            elif refine_status == "FAILED" and pick.refine_succeeded:
                layout.label(text="Refined; fetching it failed: Retry it in the Jobs panel",
                             icon='ERROR')
            else:
                layout.label(text=_REFINE_TEXT.get(refine_status, "Refining"),
                             icon='SHADING_TEXTURE')
        elif not thumbnail_shown and job is not None and job.active:
            layout.label(text="Fetching thumbnail", icon='TIME')
        elif not thumbnail_shown:
            layout.label(text="No thumbnail: tick by number", icon='INFO')
        return
    if job is not None and job.active:
        text = _STATUS_TEXT.get(status, status.title())
        if status == "IN_PROGRESS":
            text = f"{text} {job.progress:.0%}"
        layout.progress(factor=job.progress, text=text)
        return
    if status in picker.ACTIVE:
        # Running when the file was saved, and not followed in this session.
        if pick.task_id:
            layout.label(text="Not followed here: resume it in the Jobs panel", icon='TIME')
        else:
            layout.label(text="Meshy never confirmed it: clear it", icon='INFO')
        return
    layout.label(text=_STATUS_TEXT.get(status, status.title() or "Unknown"), icon='INFO')


classes = (MESHY_PT_picker,)
