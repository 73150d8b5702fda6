# SPDX-License-Identifier: GPL-3.0-or-later
"""One operator per generation mode, for F3 and the menus, and File > Import > Meshy Task.

From F3 or a menu (invoke) each mode opens a dialog with the few fields that mode needs,
prefilled from the sidebar (Scene.meshy), with the live price or the reason it cannot be sent,
and the price on the confirm button. Confirming writes the fields back to the sidebar and sends
through the same path as the sidebar's Generate: set Scene.meshy.mode, request.build(), send().
Called without invoke (a script, a button with EXEC_DEFAULT) it sends the sidebar's settings at
once, after writing back any field the caller set explicitly.

None of them is REGISTER/UNDO: Blender's redo would run the operator, and pay, again.
"""

import re
from types import SimpleNamespace

import bpy
from bpy.props import BoolProperty, CollectionProperty, EnumProperty, IntProperty, \
    PointerProperty, StringProperty

from .. import jobs, preferences, properties, request
from ..api import tasks
from .calls import CallOperator
from .generate import MODE_LABELS, send
from .poll import CANNOT_SEND, describe, generate_problem, network_problem, refuse, report

DIALOG_WIDTH = 400
NO_PRICE = -1


def sidebar_field(name):
    """Scene.meshy's property `name` again, as a dialog field: same name, items, limits and
    default (one definition), but not remembered from one call to the next."""
    deferred = properties.MESHY_PG_generate.__annotations__[name]
    keywords = dict(deferred.keywords)
    keywords["options"] = {'SKIP_SAVE'}
    return deferred.function(**keywords)


class MESHY_PG_dialog_image(bpy.types.PropertyGroup):
    """One picture in a dialog. Operators cannot point at an Image, so it is held by name."""
    source: EnumProperty(name="Source", items=properties.IMAGE_SOURCES[:2], default='FILE')
    filepath: StringProperty(name="File", subtype='FILE_PATH')
    image_name: StringProperty(name="Image")

    def load(self, item):
        """Copy a MESHY_PG_image_input (the sidebar's) into this field."""
        self.source = item.source
        self.filepath = item.filepath
        self.image_name = item.image.name if item.image else ""

    def as_input(self, source=None):
        """What request.py reads from an image input (source, filepath, image)."""
        return SimpleNamespace(source=source or self.source, filepath=self.filepath,
                               image=bpy.data.images.get(self.image_name) if self.image_name
                               else None)

    def store(self, item, source=None):
        item.source = source or self.source
        item.filepath = self.filepath
        item.image = bpy.data.images.get(self.image_name) if self.image_name else None

    @property
    def empty(self):
        return not (self.filepath if self.source == 'FILE' else self.image_name)


def draw_dialog_image(layout, field, source=None, text=""):
    row = layout.row(align=True)
    if source is None:
        row.prop(field, "source", text=text)
    if (source or field.source) == 'FILE':
        row.prop(field, "filepath", text="" if source is None else text)
    else:
        row.prop_search(field, "image_name", bpy.data, "images",
                        text="" if source is None else text)


class DialogSettings:
    """Scene.meshy as it will be once the dialog's fields are written back: the dialog's values
    over the sidebar's, read-only. request.py reads it like Scene.meshy, so the dialog prices
    and checks exactly what confirming would send, without changing the scene while it draws."""

    def __init__(self, scene_settings, values):
        self._scene_settings = scene_settings
        self._values = values

    def __getattr__(self, name):
        values = self.__dict__["_values"]
        if name in values:
            return values[name]
        return getattr(self.__dict__["_scene_settings"], name)


class DialogContext:
    """The context with Scene.meshy replaced by DialogSettings (everything else passes through)."""

    def __init__(self, context, settings):
        self._context = context
        self.scene = SimpleNamespace(meshy=settings)

    def __getattr__(self, name):
        return getattr(self.__dict__["_context"], name)


class PricedDialog:
    """What every Meshy dialog shares (the generation modes here, the Creative Lab products):
    opened prefilled from the panel (`load`), titled (`dialog_title`), with its price (`price`,
    None when it cannot be priced) on the confirm button, and a warning when a change made in the
    dialog alters the price the button shows."""

    dialog: BoolProperty(options={'HIDDEN', 'SKIP_SAVE'},
                         description="Opened as a dialog: write every field back")
    opening_price: IntProperty(default=NO_PRICE, options={'HIDDEN', 'SKIP_SAVE'})

    def invoke(self, context, event):
        self.load(context)
        self.dialog = True
        price = self.price(context)
        self.opening_price = NO_PRICE if price is None else price
        return context.window_manager.invoke_props_dialog(
            self, width=DIALOG_WIDTH, title=self.dialog_title(),
            confirm_text=confirm_text(price))

    def store_fields(self, context):
        """Write the dialog's `fields` (or those a script set) back to the sidebar's settings;
        returns them."""
        settings = context.scene.meshy
        for name in self.fields:
            if self.dialog or self.properties.is_property_set(name):
                setattr(settings, name, getattr(self, name))
        return settings

    def draw_price(self, layout, cost):
        layout.label(text=f"Costs {credits_text(cost)}", icon='CHECKMARK')
        if self.opening_price not in (NO_PRICE, cost):
            layout.alert = True
            layout.label(text=f"The button shows the price when this opened "
                              f"({credits_text(self.opening_price)})", icon='ERROR')


class _ModeOperator(PricedDialog):
    """A generation mode as its own operator. Subclasses name the mode, the Scene.meshy fields
    the dialog shows (`fields`, each declared with sidebar_field) and, for modes with pictures,
    how they are shown and written back."""
    mode = ""
    fields = ()
    image_list = ""          # "views" / "references": the dialog edits this list of pictures
    image_limit = 0

    @classmethod
    def poll(cls, context):
        if context.scene is None:
            return False
        if cls.mode == 'TEXT_TO_IMAGE' and context.scene.meshy.use_openai_images and \
                preferences.get(context).image_base_url.strip():
            return True  # the image endpoint, not Meshy: it is checked when sending
        # What the dialog can fix (the prompt, the pictures) is shown inside it and reported
        # when sending; only what it cannot fix (key, online access) greys the entry out.
        return refuse(cls, network_problem(context))

    # --- invoke: the dialog -------------------------------------------------------------------

    def dialog_title(self):
        return f"{MODE_LABELS[self.mode]} with Meshy"

    def load(self, context):
        """Prefill every field from the sidebar."""
        settings = context.scene.meshy
        for name in self.fields:
            setattr(self, name, getattr(settings, name))
        if self.image_list:
            self.images.clear()
            for item in list(getattr(settings, self.image_list))[:self.image_limit]:
                self.images.add().load(item)
            while len(self.images) < self.image_limit:
                self.images.add()

    def values(self):
        """The dialog's fields as Scene.meshy would hold them (for DialogSettings)."""
        values = {name: getattr(self, name) for name in self.fields}
        values["mode"] = self.mode
        if self.image_list:
            values[self.image_list] = [f.as_input() for f in self.images if not f.empty]
        return values

    def dialog_context(self, context):
        return DialogContext(context, DialogSettings(context.scene.meshy, self.values()))

    def price(self, context):
        """Credits the dialog's settings cost, or None (cannot be sent yet, or not Meshy's)."""
        preview = self.dialog_context(context)
        if generate_problem(preview):
            return None
        try:
            return request.build(preview).cost()
        except CANNOT_SEND:
            return None

    def draw(self, context):
        layout = self.layout
        layout.use_property_split = True
        layout.use_property_decorate = False
        self.draw_fields(context, layout)
        self.draw_status(context, layout.column())

    def draw_fields(self, context, layout):
        for name in self.fields:
            layout.prop(self, name)

    def draw_status(self, context, layout):
        preview = self.dialog_context(context)
        reason, cost = generate_problem(preview), None
        if not reason:
            try:
                cost = request.build(preview).cost()
            except CANNOT_SEND as exc:
                reason = describe(exc)
        if reason:
            layout.label(text=reason, icon='INFO')
            return
        if cost is None:
            layout.label(text="Priced by the image service", icon='INFO')
            return
        self.draw_price(layout, cost)

    # --- execute: write back and send --------------------------------------------------------

    def store(self, context):
        """Write the dialog's fields and images back to the sidebar."""
        settings = self.store_fields(context)
        if self.image_list and self.dialog:
            items = getattr(settings, self.image_list)
            items.clear()
            for field in self.images:
                if not field.empty:
                    field.store(items.add())

    def execute(self, context):
        self.store(context)
        context.scene.meshy.mode = self.mode
        reason = generate_problem(context)
        if reason:
            self.report({'ERROR'}, reason)
            return {'CANCELLED'}
        try:
            outgoing = request.build(context)
        except CANNOT_SEND as exc:
            return report(self, exc)
        return send(self, context, outgoing)


def credits_text(cost):
    return "nothing (free)" if cost == 0 else f"{cost} credit{'' if cost == 1 else 's'}"


def confirm_text(price):
    """The dialog's confirm button: the price when it is known (Blender 4.2+ has confirm_text)."""
    if price is None:
        return "Generate"
    return "Generate (free)" if price == 0 else f"Generate ({credits_text(price)})"


class MESHY_OT_text_to_3d(_ModeOperator, bpy.types.Operator):
    """Generate a 3D model from a description with Meshy"""
    bl_idname = "meshy.text_to_3d"
    bl_label = "Meshy: Text to 3D"
    mode = 'TEXT_TO_3D'
    fields = ("prompt", "ai_model", "model_type", "auto_refine", "enable_pbr", "pose_mode")

    prompt: sidebar_field("prompt")
    ai_model: sidebar_field("ai_model")
    model_type: sidebar_field("model_type")
    auto_refine: sidebar_field("auto_refine")
    enable_pbr: sidebar_field("enable_pbr")
    pose_mode: sidebar_field("pose_mode")

    def draw_fields(self, context, layout):
        layout.prop(self, "prompt", text="", placeholder="Describe the object")
        for name in self.fields[1:4]:
            layout.prop(self, name)
        row = layout.row()
        row.enabled = self.auto_refine
        row.prop(self, "enable_pbr")
        layout.prop(self, "pose_mode")


class MESHY_OT_image_to_3d(_ModeOperator, bpy.types.Operator):
    """Generate a 3D model from one picture with Meshy"""
    bl_idname = "meshy.image_to_3d"
    bl_label = "Meshy: Image to 3D"
    mode = 'IMAGE_TO_3D'
    fields = ("image_source", "input_task_id", "ai_model", "model_type", "should_texture",
              "enable_pbr")

    image_source: sidebar_field("image_source")
    image: PointerProperty(type=MESHY_PG_dialog_image, options={'SKIP_SAVE'})
    input_task_id: sidebar_field("input_task_id")
    ai_model: sidebar_field("ai_model")
    model_type: sidebar_field("model_type")
    should_texture: sidebar_field("should_texture")
    enable_pbr: sidebar_field("enable_pbr")

    def load(self, context):
        _ModeOperator.load(self, context)
        self.image.load(context.scene.meshy.image_input)
        space = context.space_data
        if space is not None and space.type == 'IMAGE_EDITOR' and space.image is not None:
            # From the Image Editor's menu: the picture on screen is the one meant.
            self.image_source = 'DATABLOCK'
            self.image.source = 'DATABLOCK'
            self.image.image_name = space.image.name

    def values(self):
        values = _ModeOperator.values(self)
        if self.image_source != 'TASK':
            values["image_input"] = self.image.as_input(self.image_source)
        return values

    def store(self, context):
        _ModeOperator.store(self, context)
        if self.dialog and self.image_source != 'TASK':
            self.image.store(context.scene.meshy.image_input, self.image_source)

    def draw_fields(self, context, layout):
        layout.prop(self, "image_source")
        if self.image_source == 'TASK':
            layout.prop(self, "input_task_id")
        else:
            draw_dialog_image(layout, self.image, self.image_source,
                              "File" if self.image_source == 'FILE' else "Image")
        layout.prop(self, "ai_model")
        layout.prop(self, "model_type")
        layout.prop(self, "should_texture")
        row = layout.row()
        row.enabled = self.should_texture
        row.prop(self, "enable_pbr")


class MESHY_OT_multi_image_to_3d(_ModeOperator, bpy.types.Operator):
    """Generate a 3D model from up to four views of one object with Meshy"""
    bl_idname = "meshy.multi_image_to_3d"
    bl_label = "Meshy: Multi-Image to 3D"
    mode = 'MULTI_IMAGE_TO_3D'
    fields = ("ai_model", "should_texture", "enable_pbr")
    image_list = "views"
    image_limit = tasks.MAX_VIEWS

    images: CollectionProperty(type=MESHY_PG_dialog_image, options={'SKIP_SAVE'})
    ai_model: sidebar_field("ai_model")
    should_texture: sidebar_field("should_texture")
    enable_pbr: sidebar_field("enable_pbr")

    def draw_fields(self, context, layout):
        draw_image_fields(layout, self.images, "View")
        layout.prop(self, "ai_model")
        layout.prop(self, "should_texture")
        row = layout.row()
        row.enabled = self.should_texture
        row.prop(self, "enable_pbr")


def draw_image_fields(layout, images, noun):
    col = layout.column(align=True)
    for index, field in enumerate(images, start=1):
        split = col.split(factor=0.25, align=True)
        split.label(text=f"{noun} {index}")
        draw_dialog_image(split, field)


class MESHY_OT_text_to_image(_ModeOperator, bpy.types.Operator):
    """Generate a concept image from a description with Meshy"""
    bl_idname = "meshy.text_to_image"
    bl_label = "Meshy: Text to Image"
    mode = 'TEXT_TO_IMAGE'
    fields = ("prompt", "image_ai_model", "generate_multi_view", "aspect_ratio",
              "use_openai_images")

    prompt: sidebar_field("prompt")
    image_ai_model: sidebar_field("image_ai_model")
    generate_multi_view: sidebar_field("generate_multi_view")
    aspect_ratio: sidebar_field("aspect_ratio")
    use_openai_images: sidebar_field("use_openai_images")

    def draw_fields(self, context, layout):
        layout.prop(self, "prompt", text="", placeholder="Describe the image")
        if preferences.get(context).image_base_url.strip():
            layout.prop(self, "use_openai_images")
            if self.use_openai_images:
                layout.label(text=f"Model: {preferences.get(context).image_model}")
                return
        layout.prop(self, "image_ai_model")
        layout.prop(self, "generate_multi_view")
        row = layout.row()
        row.enabled = not self.generate_multi_view
        row.prop(self, "aspect_ratio")


class MESHY_OT_image_to_image(_ModeOperator, bpy.types.Operator):
    """Transform up to five pictures with a prompt with Meshy"""
    bl_idname = "meshy.image_to_image"
    bl_label = "Meshy: Image to Image"
    mode = 'IMAGE_TO_IMAGE'
    fields = ("prompt", "image_ai_model", "generate_multi_view")
    image_list = "references"
    image_limit = tasks.MAX_REFERENCES

    images: CollectionProperty(type=MESHY_PG_dialog_image, options={'SKIP_SAVE'})
    prompt: sidebar_field("prompt")
    image_ai_model: sidebar_field("image_ai_model")
    generate_multi_view: sidebar_field("generate_multi_view")

    def draw_fields(self, context, layout):
        layout.prop(self, "prompt", text="", placeholder="How to change the pictures")
        draw_image_fields(layout, self.images, "Reference")
        layout.prop(self, "image_ai_model")
        layout.prop(self, "generate_multi_view")


MODE_OPERATORS = (MESHY_OT_text_to_3d, MESHY_OT_image_to_3d, MESHY_OT_multi_image_to_3d,
                  MESHY_OT_text_to_image, MESHY_OT_image_to_image)


# --- File > Import > Meshy Task -------------------------------------------------------------

# Meshy's task ids are UUIDs; a typed id names a cache folder, so only these characters pass.
TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{7,63}")
FIND_KIND = 'FIND'
# Text to 3D's two steps share one address: the task itself says which step it was.
TEXT_TO_3D = "text_to_3d_preview"


def import_kinds():
    """The families a task can be imported from, each address once."""
    return tuple(kind for kind in tasks.KINDS if kind != "text_to_3d_refine")


def _kind_items():
    items = [(FIND_KIND, "Find Out", "Ask Meshy which kind of task this is")]
    for kind in import_kinds():
        label = "Text to 3D" if kind == TEXT_TO_3D else tasks.family(kind).label
        items.append((kind, label, ""))
    return items


KIND_ITEMS = _kind_items()


def text_to_3d_step(task):
    """"text_to_3d_refine" or "text_to_3d_preview" for a task from the Text to 3D address."""
    if task.get("mode") == "refine" or task.get("preview_task_id"):
        return "text_to_3d_refine"
    return "text_to_3d_preview"


def find_task(client, task_id, kinds):
    """(kind, task) of the first family whose GET knows `task_id` (worker thread, no bpy).

    NotFound from every family becomes one message saying so; any other failure (no key, no
    connection) stops the search at once, since asking the next family would fail the same way."""
    from ..api.errors import MeshyError, NotFound
    for kind in kinds:
        try:
            task = client.get(kind, task_id)
        except NotFound:
            continue
        return (text_to_3d_step(task) if kind == TEXT_TO_3D else kind), task
    raise MeshyError(f"Meshy has no task {task_id} in this account: check the id (Meshy keeps "
                     "results for 3 days)")


class MESHY_OT_import_task_by_id(CallOperator, bpy.types.Operator):
    """Import a finished Meshy task into the scene by its task id (downloads its files)"""
    bl_idname = "meshy.import_task_by_id"
    bl_label = "Meshy: Import Task by ID"

    task_id: StringProperty(name="Task ID", options={'SKIP_SAVE'},
                            description="The task's id, as Meshy's web app or API shows it")
    kind: EnumProperty(name="Kind", items=KIND_ITEMS, default=FIND_KIND,
                       description="Which kind of task it is (Find Out asks Meshy)")

    @classmethod
    def poll(cls, context):
        return refuse(cls, network_problem(context))

    def invoke(self, context, event):
        return context.window_manager.invoke_props_dialog(
            self, width=DIALOG_WIDTH, title="Import a Meshy Task", confirm_text="Import")

    def draw(self, context):
        layout = self.layout
        layout.use_property_split = True
        layout.prop(self, "task_id")
        layout.prop(self, "kind")

    def clean_id(self):
        task_id = self.task_id.strip()
        if not TASK_ID.fullmatch(task_id):
            raise request.NotReady(
                "Type the task's id (letters, digits and dashes, as Meshy shows it)")
        return task_id

    def start_call(self, context):
        self._task_id = self.clean_id()
        client = preferences.make_client(context)
        kinds = import_kinds() if self.kind == FIND_KIND else (self.kind,)
        return jobs.call(find_task, client, self._task_id, kinds)

    def finish(self, context, result, error):
        if error is not None:
            return report(self, error)
        kind, task = result
        label = str(task.get("prompt") or task.get("text_style_prompt") or task.get("name")
                    or tasks.family(kind).label)[:60]
        try:
            # The id checked here, not the server's echo of it, names the job's folder.
            jobs.submit(context, kind, {}, label, task_id=self._task_id)
        except CANNOT_SEND as exc:
            return report(self, exc)
        self.report({'INFO'}, f"Importing {tasks.family(kind).label} task: {label}")
        return {'FINISHED'}


classes = (
    MESHY_PG_dialog_image,
    *MODE_OPERATORS,
    MESHY_OT_import_task_by_id,
)
