# SPDX-License-Identifier: GPL-3.0-or-later
"""The preview picker's operators: Generate N Previews (sidebar button, or an F3 dialog with the
price of all of them on its confirm button), Refine the ticked previews, Import one preview,
Clear. picker.py does the work; none of these is REGISTER/UNDO (a redo would pay again)."""

import bpy
from bpy.props import IntProperty

from .. import jobs, picker
from .modes import PricedDialog, credits_text, sidebar_field
from .poll import CANNOT_SEND, generate_problem, network_problem, refuse, report


class MESHY_OT_generate_previews(PricedDialog, bpy.types.Operator):
    """Make several untextured Text to 3D previews of the prompt to choose from, side by side;
    none is imported, and only the ones you tick are textured"""
    bl_idname = "meshy.generate_previews"
    bl_label = "Meshy: Generate Previews"

    # No hard limits: a number out of range is refused with a message, not silently clamped.
    count: IntProperty(
        name="Previews", default=0, soft_min=picker.PREVIEW_COUNT_RANGE[0],
        soft_max=picker.PREVIEW_COUNT_RANGE[1], options={'SKIP_SAVE'},
        description="How many previews to make (2 to 8; 0: the number in the sidebar)")
    prompt: sidebar_field("prompt")
    ai_model: sidebar_field("ai_model")
    model_type: sidebar_field("model_type")

    fields = ("prompt", "ai_model", "model_type")

    @classmethod
    def poll(cls, context):
        return context.scene is not None and refuse(cls, network_problem(context))

    def dialog_title(self):
        return "Preview Picker"

    def load(self, context):
        settings = context.scene.meshy
        for name in self.fields:
            setattr(self, name, getattr(settings, name))
        self.count = settings.picker.count

    def chosen_count(self, context):
        return self.count or context.scene.meshy.picker.count

    def dialog_context(self, context):
        from .modes import DialogContext, DialogSettings
        values = {name: getattr(self, name) for name in self.fields}
        return DialogContext(context, DialogSettings(context.scene.meshy, values))

    def price(self, context):
        return picker.previews_cost(self.dialog_context(context), self.chosen_count(context))

    def draw(self, context):
        layout = self.layout
        layout.use_property_split = True
        layout.use_property_decorate = False
        layout.prop(self, "prompt", text="", placeholder="Describe the object")
        layout.prop(self, "count")
        layout.prop(self, "ai_model")
        layout.prop(self, "model_type")
        view = self.dialog_context(context)
        count = self.chosen_count(context)
        reason = picker.count_problem(count) or generate_problem(picker.preview_context(view))
        cost = None if reason else picker.previews_cost(view, count)
        if reason or cost is None:
            layout.label(text=reason or "These settings cannot be sent yet", icon='INFO')
            return
        self.draw_price(layout, cost)

    def execute(self, context):
        count = self.chosen_count(context)
        problem = picker.count_problem(count)
        if problem:
            self.report({'ERROR'}, problem)
            return {'CANCELLED'}
        self.store_fields(context)
        context.scene.meshy.picker.count = count
        reason = generate_problem(picker.preview_context(context))
        if reason:
            self.report({'ERROR'}, reason)
            return {'CANCELLED'}
        try:
            cost = picker.submit_previews(context, count)
        except CANNOT_SEND as exc:
            return report(self, exc)
        prompt = context.scene.meshy.prompt.strip()[:60]
        self.report({'INFO'}, f"Sent {count} previews to Meshy: {prompt} "
                              f"({credits_text(cost)}); tick the ones to texture")
        return {'FINISHED'}


class MESHY_OT_refine_picks(bpy.types.Operator):
    """Texture the ticked previews with the sidebar's texture settings, each by its task id
    (a preview already refined is never sent again)"""
    bl_idname = "meshy.refine_picks"
    bl_label = "Meshy: Refine Ticked Previews"

    @classmethod
    def poll(cls, context):
        if context.scene is None:
            return False
        return refuse(cls, network_problem(context) or picker.refine_problem(context))

    def execute(self, context):
        picks = picker.to_refine(context)
        if not picks:
            self.report({'ERROR'}, picker.refine_problem(context))
            return {'CANCELLED'}
        # The picks' own record may be older than what was sent (an undo, an older copy of
        # the file): the jobs and the journal have the last word.
        sent = picker.already_refined(p.task_id for p in picks)
        if sent:
            numbers = ", ".join(f"#{p.number}" for p in picks if p.task_id in sent)
            self.report({'WARNING'}, f"Not sent again: preview {numbers} is refined already "
                                     "(see the Jobs panel)")
            picks = [p for p in picks if p.task_id not in sent]
            if not picks:
                return {'CANCELLED'}
        try:
            cost = picker.submit_refines(context, picks)
        except CANNOT_SEND as exc:
            return report(self, exc)
        numbers = ", ".join(f"#{p.number}" for p in picks)
        self.report({'INFO'}, f"Sent {len(picks)} previews to texturing ({numbers}; "
                              f"{credits_text(cost)})")
        return {'FINISHED'}


class _PickOperator:
    index: IntProperty(options={'HIDDEN', 'SKIP_SAVE'}, default=-1)

    def pick(self, context):
        picks = picker.all_picks(context)
        return picks[self.index] if 0 <= self.index < len(picks) else None


class MESHY_OT_import_pick(_PickOperator, bpy.types.Operator):
    """Import this untextured preview into the scene (by its task id: nothing is paid again)"""
    bl_idname = "meshy.import_pick"
    bl_label = "Meshy: Import Preview"

    @classmethod
    def poll(cls, context):
        return context.scene is not None and refuse(cls, network_problem(context))

    def execute(self, context):
        pick = self.pick(context)
        if pick is None or not pick.tickable:
            self.report({'ERROR'}, "Only a finished preview can be imported")
            return {'CANCELLED'}
        try:
            jobs.submit(context, picker.PREVIEW_KIND, {}, picker.refine_label(pick) + " preview",
                        task_id=pick.task_id)
        except CANNOT_SEND as exc:
            return report(self, exc)
        self.report({'INFO'}, f"Importing preview #{pick.number}")
        return {'FINISHED'}


class MESHY_OT_clear_picks(bpy.types.Operator):
    """Take the previews off the picker (running ones stay until they finish; every preview
    is still in the Jobs panel and on Meshy)"""
    bl_idname = "meshy.clear_picks"
    bl_label = "Meshy: Clear Previews"
    bl_options = {'UNDO'}

    @classmethod
    def poll(cls, context):
        if context.scene is None or not picker.all_picks(context):
            return refuse(cls, "There are no previews to clear")
        return True

    def execute(self, context):
        running = picker.clear(context)
        if running:
            self.report({'INFO'}, f"{running} preview(s) still running stay until they finish")
        return {'FINISHED'}


classes = (
    MESHY_OT_generate_previews,
    MESHY_OT_refine_picks,
    MESHY_OT_import_pick,
    MESHY_OT_clear_picks,
)
