# SPDX-License-Identifier: GPL-3.0-or-later
"""Creative Lab: make a prototype (a concept image), approve it, build the printable model.

Two paid operators, one per stage, each working on the product chosen in the Creative Lab panel
(Scene.meshy.creative): the stage is the action, the product and its options are settings, so F3
runs exactly what the panel shows and prices. Neither is REGISTER/UNDO: a redo would pay again.
"""

import bpy
from bpy.props import StringProperty

from .. import request
from ..api import tasks
from .generate import send
from .poll import CANNOT_SEND, network_problem, refuse, report


class _CreativeStage:
    stage = ""

    @classmethod
    def poll(cls, context):
        if context.scene is None:
            return False
        return refuse(cls, network_problem(context)
                      or request.creative_problem(context, cls.stage))

    def execute(self, context):
        build = (request.creative_prototype_request if self.stage == tasks.PROTOTYPE
                 else request.creative_build_request)
        try:
            outgoing = build(context)
        except CANNOT_SEND as exc:
            return report(self, exc)
        return send(self, context, outgoing)


class MESHY_OT_creative_prototype(_CreativeStage, bpy.types.Operator):
    """Make a concept image of the chosen Creative Lab product from the photo (a lamp also from text)"""
    bl_idname = "meshy.creative_prototype"
    bl_label = "Meshy: Creative Lab Prototype"
    stage = tasks.PROTOTYPE


class MESHY_OT_creative_build(_CreativeStage, bpy.types.Operator):
    """Build the printable model of the chosen product from the approved prototype"""
    bl_idname = "meshy.creative_build"
    bl_label = "Meshy: Creative Lab Build"
    stage = tasks.BUILD


class MESHY_OT_creative_approve(bpy.types.Operator):
    """Approve this prototype: the build starts from its concept image"""
    bl_idname = "meshy.creative_approve"
    bl_label = "Meshy: Approve Creative Lab Prototype"
    bl_options = {'UNDO'}

    task_id: StringProperty(name="Prototype Task", options={'SKIP_SAVE'},
                            description="Default: the prototype shown in the panel")

    def execute(self, context):
        settings = context.scene.meshy.creative
        task_id = self.task_id
        if not task_id and settings.shown_prototype is not None:
            task_id = settings.shown_prototype.get("meshy_task_id", "")
        if not task_id:
            self.report({'ERROR'}, "Make a prototype first: there is no concept image to approve")
            return {'CANCELLED'}
        settings.prototype_task_id = task_id
        image = request.concept_image(task_id)
        if image is not None:
            settings.shown_prototype = image
        return {'FINISHED'}


classes = (
    MESHY_OT_creative_prototype,
    MESHY_OT_creative_build,
    MESHY_OT_creative_approve,
)
