# SPDX-License-Identifier: GPL-3.0-or-later
"""One operator per Creative Lab product, for F3 and the Add menu: "Meshy: Keychain", ...

From F3 or a menu (invoke) each opens a dialog with the stage and the few fields that stage
needs, prefilled from the Creative Lab panel (Scene.meshy.creative), with the live price or the
reason it cannot be sent, and the price on the confirm button. The stage opens at Build when this
product has an approved prototype that can be built, else at Prototype. Confirming writes the
fields back to the panel (choosing a prototype to build approves it, as the panel's Approve does)
and sends through the panel's own requests: request.creative_prototype_request /
creative_build_request, then send().

Called without invoke (a script) it sends at once from the panel's settings for its product:
the stage a script gives, else the one the dialog would open at.

None of them is REGISTER/UNDO: Blender's redo would run the operator, and pay, again.
"""

import bpy
from bpy.props import EnumProperty, PointerProperty

from .. import properties, request
from ..api import tasks
from .generate import send
from .modes import (MESHY_PG_dialog_image, DialogContext, DialogSettings, PricedDialog,
                    draw_dialog_image)
from .poll import CANNOT_SEND, describe, network_problem, refuse, report

STAGES = (
    ('PROTOTYPE', "Prototype", "Make a concept image to approve (a lamp also from text)"),
    ('BUILD', "Build", "Build the printable model from a finished prototype"),
)
STAGE_OF = {'PROTOTYPE': tasks.PROTOTYPE, 'BUILD': tasks.BUILD}
# The dialog shows the build options the panel lists first (shape and size, or the lamp's
# diameter and wall) and the file format; the rest stay in the panel's Build Options.
MAIN_BUILD_OPTIONS = 2
NO_PROTOTYPE = 'NONE'
# Fields copied from Scene.meshy.creative as they are (the dialog's name field is task_name: an
# operator's own `name` is taken).
LAMP_FIELDS = ("lamp_source", "text", "image_subject")


def copy_field(group, field, **overrides):
    """`group`'s property `field` again, as a dialog field: same name, items, limits and default
    (one definition), but not remembered from one call to the next."""
    deferred = group.__annotations__[field]
    keywords = dict(deferred.keywords, options={'SKIP_SAVE'}, **overrides)
    return deferred.function(**keywords)


def build_option_names(product):
    """The build options the dialog shows for `product` (the panel's first ones, then the
    file format), () for a product whose build takes none."""
    group = properties.CREATIVE_OPTION_GROUPS.get(product)
    if group is None:
        return ()
    names = [name for name in group.__annotations__ if name != "output_format"]
    shown = names[:MAIN_BUILD_OPTIONS]
    if "output_format" in group.__annotations__:
        shown.append("output_format")
    return tuple(shown)


# Blender keeps no reference to a dynamic enum's strings: they are held here while shown.
_prototype_items = {}


def buildable_prototypes(context, product):
    """(task id, label) of the prototypes `product` can be built from, the approved one first:
    its concept images in this file, and the panel's approved id when it may be this product's
    (one known nowhere here, e.g. pasted from elsewhere, is for Meshy to judge)."""
    found = [(image["meshy_task_id"], image.name) for image in request.concept_images(product)
             if image.get("meshy_task_id")]
    approved = approved_prototype(context, product)
    if approved:
        found = [item for item in found if item[0] != approved]
        image = request.concept_image(approved)
        found.insert(0, (approved, f"{image.name if image else approved[:8]} (approved)"))
    return found


def approved_prototype(context, product):
    """The panel's approved prototype id when `product` can be built from it now, else ""."""
    settings = context.scene.meshy.creative
    task_id = settings.prototype_task_id.strip()
    if not task_id or request.prototype_problem(task_id, product):
        return ""
    known = request.concept_image(task_id) is not None
    # An id known nowhere here belongs to the product it was approved for.
    return task_id if known or settings.product == product else ""


def _prototype_items_of(product):
    def items(self, context):
        choices = [(task_id, label, f"Build from prototype {task_id}")
                   for task_id, label in buildable_prototypes(context, product)]
        if not choices:
            choices = [(NO_PROTOTYPE, "No prototype yet", "Make a prototype first")]
        _prototype_items[product] = choices
        return choices
    return items


class CreativeDialogSettings(DialogSettings):
    """Scene.meshy.creative as it will be once the dialog's fields are written back, with the
    product's build options overlaid too (request.py reads them through options_of())."""

    def __init__(self, creative, values, options):
        super().__init__(creative, values)
        self.__dict__["_options"] = options

    def options_of(self, product=None):
        group = self.__dict__["_scene_settings"].options_of(product or self.product)
        return None if group is None else DialogSettings(group, self.__dict__["_options"])


class _CreativeProduct(PricedDialog):
    """A Creative Lab product as its own operator. Subclasses (made below, one per product in
    api/tasks.py) name the product, its label and the build options the dialog shows."""
    product = ""
    label = ""
    option_names = ()
    stage: EnumProperty(name="Stage", items=STAGES, default='PROTOTYPE',
                        options={'SKIP_SAVE'})
    photo: PointerProperty(type=MESHY_PG_dialog_image, options={'SKIP_SAVE'})
    task_name: copy_field(properties.MESHY_PG_creative, "name", name="Name")

    @classmethod
    def poll(cls, context):
        if context.scene is None:
            return False
        # What the dialog can fix (the photo, the prototype) is shown inside it and reported when
        # sending; only what it cannot fix (key, online access) greys the entry out.
        return refuse(cls, network_problem(context))

    def uses_text(self):
        return self.product == "lamp" and self.lamp_source == 'TEXT'

    def default_stage(self, context):
        return 'BUILD' if approved_prototype(context, self.product) else 'PROTOTYPE'

    # --- invoke: the dialog -------------------------------------------------------------------

    def dialog_title(self):
        return f"{self.label} with Meshy"

    def load(self, context):
        """Prefill every field from the panel."""
        settings = context.scene.meshy.creative
        self.stage = self.default_stage(context)
        self.photo.load(settings.source_image)
        self.task_name = settings.name
        if self.product == "lamp":
            for name in LAMP_FIELDS:
                setattr(self, name, getattr(settings, name))
        group = settings.options_of(self.product)
        for name in self.option_names:
            setattr(self, name, getattr(group, name))
        candidates = buildable_prototypes(context, self.product)
        if candidates:
            self.prototype = candidates[0][0]

    def chosen_prototype(self):
        return "" if self.prototype == NO_PROTOTYPE else self.prototype

    def values(self):
        """The dialog's fields as Scene.meshy.creative would hold them."""
        values = {"product": self.product, "name": self.task_name,
                  "source_image": self.photo.as_input()}
        if self.product == "lamp":
            values.update({name: getattr(self, name) for name in LAMP_FIELDS})
        if self.stage == 'BUILD':
            values["prototype_task_id"] = self.chosen_prototype()
        return values

    def dialog_context(self, context):
        creative = CreativeDialogSettings(
            context.scene.meshy.creative, self.values(),
            {name: getattr(self, name) for name in self.option_names})
        return DialogContext(context, DialogSettings(context.scene.meshy,
                                                     {"creative": creative}))

    def make_request(self, context):
        """The request for the chosen stage from `context`'s Creative Lab settings."""
        if STAGE_OF[self.stage] == tasks.PROTOTYPE:
            return request.creative_prototype_request(context)
        return request.creative_build_request(context)

    def price(self, context):
        """Credits the dialog's settings cost, or None when they cannot be sent yet."""
        try:
            return self.make_request(self.dialog_context(context)).cost()
        except CANNOT_SEND:
            return None

    def draw(self, context):
        layout = self.layout
        layout.use_property_split = True
        layout.use_property_decorate = False
        layout.row().prop(self, "stage", expand=True)
        if self.stage == 'PROTOTYPE':
            self.draw_prototype_fields(layout)
        else:
            self.draw_build_fields(layout)
        layout.prop(self, "task_name", placeholder="Name (optional)")
        self.draw_status(context, layout.column())

    def draw_prototype_fields(self, layout):
        if self.product == "lamp":
            layout.row().prop(self, "lamp_source", expand=True)
        if self.uses_text():
            layout.prop(self, "text", placeholder="Describe the lampshade's subject")
            return
        draw_dialog_image(layout, self.photo, text="Photo")
        if self.product == "lamp":
            layout.prop(self, "image_subject")

    def draw_build_fields(self, layout):
        layout.prop(self, "prototype")
        for name in self.option_names:
            layout.prop(self, name)

    def draw_status(self, context, layout):
        cost = None
        try:
            cost = self.make_request(self.dialog_context(context)).cost()
        except CANNOT_SEND as exc:
            layout.label(text=describe(exc), icon='INFO')
            return
        self.draw_price(layout, cost)

    # --- execute: write back and send --------------------------------------------------------

    def given(self, name):
        return self.dialog or self.properties.is_property_set(name)

    def store(self, context):
        """Write the dialog's fields (or those a script set) back to the panel."""
        settings = context.scene.meshy.creative
        settings.product = self.product
        if self.dialog:
            self.photo.store(settings.source_image)
        if self.given("task_name"):
            settings.name = self.task_name
        for name in LAMP_FIELDS if self.product == "lamp" else ():
            if self.given(name):
                setattr(settings, name, getattr(self, name))
        group = settings.options_of(self.product)
        for name in self.option_names:
            if self.given(name):
                setattr(group, name, getattr(self, name))
        if self.stage == 'BUILD' and self.given("prototype") and self.chosen_prototype():
            # Building from a prototype approves it, as the panel's Approve does.
            settings.prototype_task_id = self.chosen_prototype()
            image = request.concept_image(settings.prototype_task_id)
            if image is not None:
                settings.shown_prototype = image

    def execute(self, context):
        if not self.dialog and not self.properties.is_property_set("stage"):
            self.stage = self.default_stage(context)
        self.store(context)
        try:
            outgoing = self.make_request(context)
        except CANNOT_SEND as exc:
            return report(self, exc)
        return send(self, context, outgoing)


def _product_operator(product, label):
    """The operator class of one Creative Lab product."""
    option_names = build_option_names(product)
    annotations = {"prototype": EnumProperty(name="Prototype", items=_prototype_items_of(product),
                                             options={'SKIP_SAVE'},
                                             description="The prototype the build starts from")}
    group = properties.CREATIVE_OPTION_GROUPS.get(product)
    annotations.update({name: copy_field(group, name) for name in option_names})
    if product == "lamp":
        annotations.update({name: copy_field(properties.MESHY_PG_creative, name)
                            for name in LAMP_FIELDS})
    source = "a photo or a description" if product == "lamp" else "a photo"
    return type(f"MESHY_OT_creative_{product}", (_CreativeProduct, bpy.types.Operator), {
        "__doc__": f"Make a printable {label.lower()} with Meshy's Creative Lab: a prototype "
                   f"from {source}, then the build",
        "__annotations__": annotations,
        "bl_idname": f"meshy.creative_{product}",
        "bl_label": f"Meshy: {label}",
        "product": product,
        "label": label,
        "option_names": option_names,
    })


PRODUCT_OPERATORS = tuple(_product_operator(product, label)
                          for product, label in tasks.CREATIVE_PRODUCTS)

classes = PRODUCT_OPERATORS
