# SPDX-License-Identifier: GPL-3.0-or-later
"""The Creative Lab panel: product, source, the Prototype button with its price, the concept
image shown large for approval, the build options, and the Build button with its price."""

import bpy

from .. import request
from ..api import tasks
from ..operators.poll import network_problem
from . import previews
from .generate import draw_image_input, draw_priced_button

PREVIEW_SCALE = 8.0
STAGE_ICONS = {tasks.PROTOTYPE: 'IMAGE', tasks.BUILD: 'MESH_DATA'}
STAGE_OPERATORS = {tasks.PROTOTYPE: "meshy.creative_prototype",
                   tasks.BUILD: "meshy.creative_build"}


def draw_stage_button(layout, context, stage, text):
    """The stage's button, with its price, or greyed out under the reason it cannot be sent."""
    make = (request.creative_prototype_request if stage == tasks.PROTOTYPE
            else request.creative_build_request)
    draw_priced_button(layout, STAGE_OPERATORS[stage], text, STAGE_ICONS[stage],
                       network_problem(context) or request.creative_problem(context, stage),
                       lambda: make(context))


def shown_concept(settings):
    """The concept image to show: the chosen one when it is of this product, else the newest."""
    concepts = request.concept_images(settings.product)
    shown = settings.shown_prototype
    return shown if shown in concepts else (concepts[0] if concepts else None)


def draw_concept(layout, settings):
    image = shown_concept(settings)
    box = layout.box()
    if image is None:
        box.label(text="The prototype's concept image shows here for approval", icon='IMAGE')
        return
    if len(request.concept_images(settings.product)) > 1:
        box.template_ID(settings, "shown_prototype")
    icon = previews.icon_for(bpy.path.abspath(image.filepath)) if image.filepath else 0
    if icon:
        box.template_icon(icon_value=icon, scale=PREVIEW_SCALE)
    else:
        box.label(text=image.name, icon='IMAGE_DATA')
    task_id = image.get("meshy_task_id", "")
    if task_id and task_id == settings.prototype_task_id.strip():
        box.label(text="Approved: the build starts from this concept", icon='CHECKMARK')
    else:
        op = box.operator("meshy.creative_approve", text="Approve This Prototype",
                          icon='CHECKMARK')
        op.task_id = task_id


def draw_build_options(layout, settings):
    group = settings.options_of()
    if group is None:
        return
    header, body = layout.panel("MESHY_creative_build_options", default_closed=True)
    header.label(text="Build Options")
    if body is None:
        return
    col = body.column(align=True)
    for name in group.bl_rna.properties.keys():
        if name not in ("rna_type", "name"):
            col.prop(group, name)


class MESHY_PT_creative_lab(bpy.types.Panel):
    bl_space_type = 'VIEW_3D'
    bl_region_type = 'UI'
    bl_category = "Meshy"
    bl_label = "Creative Lab"
    bl_idname = "MESHY_PT_creative_lab"
    bl_options = {'DEFAULT_CLOSED'}

    def draw(self, context):
        layout = self.layout
        settings = context.scene.meshy.creative
        label = tasks.product_label(settings.product)
        layout.prop(settings, "product", text="")
        if settings.product == "lamp":
            layout.prop(settings, "lamp_source", expand=True)
        if settings.product == "lamp" and settings.lamp_source == 'TEXT':
            layout.prop(settings, "text", text="", icon='FONT_DATA',
                        placeholder="Describe the lampshade's subject")
        else:
            draw_image_input(layout, settings.source_image)
            if settings.product == "lamp":
                layout.prop(settings, "image_subject")
        layout.prop(settings, "name", placeholder="Name (optional)")
        draw_stage_button(layout, context, tasks.PROTOTYPE, f"Prototype {label}")

        layout.separator()
        draw_concept(layout, settings)
        layout.prop(settings, "prototype_task_id")
        draw_build_options(layout, settings)
        draw_stage_button(layout, context, tasks.BUILD, f"Build {label}")


classes = (MESHY_PT_creative_lab,)
