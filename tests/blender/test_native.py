"""Blender-native entry points: one F3 operator per generation mode with its dialog, the Add,
File > Import, Image and object context menus. Real operators, the installed zip, the emulator.

Background Blender has no event to invoke with (bpy.ops calls execute), so the dialog's own
steps (prefill, draw, the confirm button) run on a stand-in for the operator instance whose
properties are a real property group with the operator's own property definitions, and a
window manager that records the invoke_props_dialog call instead of opening a popup."""

import importlib
from types import SimpleNamespace

import bpy
import pytest

from tests.blender.harness import MODULE
from tests.blender.test_panels import RecordingLayout, draw_menus

MODES = {
    "text_to_3d": ("Meshy: Text to 3D", 'TEXT_TO_3D',
                   {"prompt", "ai_model", "model_type", "auto_refine", "enable_pbr"}),
    "image_to_3d": ("Meshy: Image to 3D", 'IMAGE_TO_3D',
                    {"image_source", "image", "input_task_id", "ai_model", "should_texture",
                     "enable_pbr"}),
    "multi_image_to_3d": ("Meshy: Multi-Image to 3D", 'MULTI_IMAGE_TO_3D',
                          {"images", "ai_model", "should_texture", "enable_pbr"}),
    "text_to_image": ("Meshy: Text to Image", 'TEXT_TO_IMAGE',
                      {"prompt", "image_ai_model", "aspect_ratio", "generate_multi_view"}),
    "image_to_image": ("Meshy: Image to Image", 'IMAGE_TO_IMAGE',
                       {"prompt", "images", "image_ai_model", "generate_multi_view"}),
}


def settings():
    return bpy.context.scene.meshy


def run(op_id, *args, **kw):
    """Call bpy.ops.meshy.<op_id>; its result, or the message it failed (or was refused) with."""
    try:
        return getattr(bpy.ops.meshy, op_id)(*args, **kw)
    except RuntimeError as exc:
        return str(exc)


def jobs_module():
    return importlib.import_module(MODULE + ".jobs")


def wait():
    bpy.ops.meshy.wait_jobs(timeout=90)
    engine = jobs_module().engine()
    assert not engine.busy()
    return list(engine.jobs.values())


def save_png(path, colour=(0.1, 0.5, 0.9, 1.0)):
    image = bpy.data.images.new("tmp", 16, 16)
    image.pixels.foreach_set(list(colour) * 256)
    image.filepath_raw = str(path)
    image.file_format = 'PNG'
    image.save()
    bpy.data.images.remove(image)
    return str(path)


# --- the dialog, on a stand-in operator instance ---------------------------------------------

def _annotations(cls):
    found = {}
    for klass in reversed(cls.__mro__):
        found.update(klass.__dict__.get("__annotations__", {}))
    return found


class DialogStandIn:
    """What the operator's methods see as `self`: its properties live on a real property group
    built from the operator's own definitions; methods are the operator class's."""

    def __init__(self, cls, holder, layout=None):
        object.__setattr__(self, "_cls", cls)
        object.__setattr__(self, "properties", holder)
        object.__setattr__(self, "layout", layout or RecordingLayout())
        object.__setattr__(self, "reports", [])

    def __getattr__(self, name):
        if name == "bl_rna" or name in self.properties.bl_rna.properties.keys():
            return getattr(self.properties, name)
        attr = getattr(self._cls, name)
        return attr.__get__(self) if callable(attr) else attr

    def __setattr__(self, name, value):
        setattr(self.properties, name, value)

    def report(self, kind, message):
        self.reports.append((kind, message))


class RecordingWindowManager:
    def __init__(self):
        self.dialogs = []

    def invoke_props_dialog(self, operator, **kwargs):
        self.dialogs.append(kwargs)
        return {'RUNNING_MODAL'}


class DialogContext:
    """The real context, but the window manager records the dialog and the space is given."""

    def __init__(self, space_data=None):
        self.window_manager = RecordingWindowManager()
        self.space_data = space_data

    def __getattr__(self, name):
        return getattr(bpy.context, name)


@pytest.fixture
def dialog():
    """open(op_id, space_data=None) -> (stand-in, context) after the operator's own invoke."""
    made = []

    def open_dialog(op_id, space_data=None):
        cls = getattr(bpy.types, "MESHY_OT_" + op_id)
        holder_type = type(f"MESHY_PG_test_{op_id}", (bpy.types.PropertyGroup,),
                           {"__annotations__": _annotations(cls)})
        bpy.utils.register_class(holder_type)
        made.append(holder_type)
        bpy.types.WindowManager.meshy_test_dialog = bpy.props.PointerProperty(type=holder_type)
        stand_in = DialogStandIn(cls, bpy.context.window_manager.meshy_test_dialog)
        context = DialogContext(space_data)
        assert cls.invoke(stand_in, context, None) == {'RUNNING_MODAL'}
        return stand_in, context

    yield open_dialog
    if hasattr(bpy.types.WindowManager, "meshy_test_dialog"):
        del bpy.types.WindowManager.meshy_test_dialog
    for holder_type in made:
        bpy.utils.unregister_class(holder_type)


def draw(stand_in, context):
    layout = RecordingLayout()
    object.__setattr__(stand_in, "layout", layout)
    stand_in._cls.draw(stand_in, context)
    return layout


# --- names, F3, fields --------------------------------------------------------------------------

@pytest.mark.parametrize("op_id", sorted(MODES))
def test_every_mode_has_an_f3_operator_with_its_dialog_fields(op_id):
    label, _mode, fields = MODES[op_id]
    op = getattr(bpy.ops.meshy, op_id)
    rna = op.get_rna_type()
    assert rna.name == label
    cls = getattr(bpy.types, "MESHY_OT_" + op_id)
    options = set(getattr(cls, "bl_options", set()))
    # F3 lists every operator that is not INTERNAL; a redo (REGISTER/UNDO) would pay again.
    assert not options & {'INTERNAL', 'REGISTER', 'UNDO'}, options
    assert fields <= set(rna.properties.keys()), fields - set(rna.properties.keys())
    # The fields are the sidebar's own (same names, choices and defaults).
    for name in fields & set(settings().bl_rna.properties.keys()):
        ours, theirs = rna.properties[name], settings().bl_rna.properties[name]
        assert ours.type == theirs.type, name
        if ours.type == 'ENUM':
            assert ours.enum_items.keys() == theirs.enum_items.keys(), name


def test_import_task_operator_is_in_f3():
    rna = bpy.ops.meshy.import_task_by_id.get_rna_type()
    assert rna.name == "Meshy: Import Task by ID"
    assert {"task_id", "kind"} <= set(rna.properties.keys())
    assert "FIND" in rna.properties["kind"].enum_items.keys()


# --- execute: send the sidebar's settings ----------------------------------------------------

def test_text_to_image_from_a_script_sends_one_task_from_the_sidebar(connected):
    s = settings()
    s.mode = 'TEXT_TO_3D'
    s.prompt = "a brass compass, product shot"
    s.image_ai_model = "nano-banana-pro"
    s.aspect_ratio = "16:9"
    before = connected.tasks_created
    assert run("text_to_image") == {'FINISHED'}
    [job] = wait()
    assert connected.tasks_created - before == 1
    assert job.kind == "text_to_image" and job.status == "DONE"
    task = connected.task(job.task_id)
    assert task["prompt"] == "a brass compass, product shot"
    assert task.get("ai_model", "nano-banana-pro") == "nano-banana-pro"
    assert s.mode == 'TEXT_TO_IMAGE'  # the sidebar shows what was sent


def test_fields_a_script_sets_are_written_back_and_sent(connected):
    s = settings()
    s.prompt = "old prompt"
    s.auto_refine = True
    before = connected.tasks_created
    assert run("text_to_3d", prompt="a mossy tree stump", auto_refine=False,
               ai_model=s.ai_model) == {'FINISHED'}
    assert s.prompt == "a mossy tree stump" and s.auto_refine is False
    assert s.mode == 'TEXT_TO_3D'
    [job] = wait()
    assert connected.tasks_created - before == 1
    assert job.kind == "text_to_3d_preview"
    assert connected.task(job.task_id)["prompt"] == "a mossy tree stump"


def test_multi_image_from_a_script_uses_the_sidebar_views(connected, tmp_path):
    s = settings()
    for index in range(2):
        view = s.views.add()
        view.filepath = save_png(tmp_path / f"view{index}.png")
    s.should_texture = False
    assert run("multi_image_to_3d") == {'FINISHED'}
    [job] = wait()
    assert job.kind == "multi_image_to_3d" and job.status == "DONE"
    assert len(s.views) == 2


# --- poll and its reasons ----------------------------------------------------------------------

@pytest.mark.parametrize("op_id", sorted(MODES) + ["import_task_by_id"])
def test_entries_without_a_key_say_where_to_add_it(prefs, op_id):
    assert not getattr(bpy.ops.meshy, op_id).poll()
    assert "Add your Meshy API key" in run(op_id)


@pytest.mark.parametrize("op_id", sorted(MODES))
def test_entries_offline_say_how_to_allow_online_access(prefs, op_id):
    prefs.api_key = "msy_dummy_api_key_for_test_mode_12345678"
    prefs.base_url = "https://api.meshy.ai"
    settings().prompt = "a teapot"
    assert not getattr(bpy.ops.meshy, op_id).poll()
    assert "Allow Online Access" in run(op_id)


def test_no_prompt_leaves_the_entry_usable_and_says_what_to_write(connected):
    # The dialog is where the prompt is typed, so a missing prompt cannot grey the entry out;
    # sending without one is refused with the sidebar's sentence, and nothing is sent.
    settings().prompt = "   "
    assert bpy.ops.meshy.text_to_3d.poll()
    assert "Write a prompt first" in run("text_to_3d")
    assert connected.tasks_created == 0
    assert not jobs_module().engine().jobs


def test_text_to_image_poll_uses_the_image_endpoint_when_chosen(prefs):
    # No Meshy key, but concept images go to the OpenAI-compatible endpoint.
    prefs.image_base_url = "http://127.0.0.1:9"
    settings().use_openai_images = True
    assert bpy.ops.meshy.text_to_image.poll()
    assert not bpy.ops.meshy.text_to_3d.poll()


# --- the dialog ------------------------------------------------------------------------------------

def test_text_to_3d_dialog_is_prefilled_priced_and_written_back_on_confirm(connected, dialog):
    s = settings()
    s.mode = 'IMAGE_TO_3D'
    s.prompt = "a stone well"
    s.auto_refine = True
    s.model_type = 'standard'
    op, context = dialog("text_to_3d")
    assert op.prompt == "a stone well" and op.auto_refine and op.ai_model == s.ai_model
    [call] = context.window_manager.dialogs
    # Preview and texturing together, as the sidebar would price them.
    expected = jobs_price(context, 'TEXT_TO_3D')
    assert call["confirm_text"] == f"Generate ({expected} credits)"
    assert call["title"] == "Text to 3D with Meshy"
    layout = draw(op, context)
    assert f"Costs {expected} credits" in layout.texts()
    assert ("prop", "prompt") in layout.log

    # Editing the dialog changes nothing in the sidebar until it is confirmed...
    op.prompt = "a wooden well"
    op.auto_refine = False
    assert s.prompt == "a stone well" and s.mode == 'IMAGE_TO_3D'
    texts = draw(op, context).texts()
    cheaper = [t for t in texts if t.startswith("Costs ")]
    assert cheaper and cheaper[0] != f"Costs {expected} credits"
    assert any("The button shows the price when this opened" in t for t in texts)

    # ...and confirming writes it back and sends exactly one task.
    assert op._cls.execute(op, bpy.context) == {'FINISHED'}
    assert s.prompt == "a wooden well" and s.auto_refine is False and s.mode == 'TEXT_TO_3D'
    [job] = wait()
    assert job.kind == "text_to_3d_preview"
    assert connected.tasks_created == 1


def jobs_price(context, mode):
    request = importlib.import_module(MODULE + ".request")
    s = settings()
    previous, s.mode = s.mode, mode
    try:
        return request.build(bpy.context).cost()
    finally:
        s.mode = previous


def test_dialog_without_prompt_shows_why_and_offers_no_price(connected, dialog):
    settings().prompt = ""
    op, context = dialog("text_to_image")
    assert context.window_manager.dialogs[0]["confirm_text"] == "Generate"
    assert "Write a prompt first" in draw(op, context).texts()
    op.prompt = "a lighthouse at dusk"
    assert any(t.startswith("Costs ") for t in draw(op, context).texts())


def test_image_to_3d_dialog_from_the_image_editor_takes_the_image_on_screen(connected, dialog,
                                                                             tmp_path):
    image = bpy.data.images.load(save_png(tmp_path / "concept.png"))
    space = SimpleNamespace(type='IMAGE_EDITOR', image=image)
    op, context = dialog("image_to_3d", space_data=space)
    assert op.image_source == 'DATABLOCK' and op.image.image_name == image.name
    assert "credits" in context.window_manager.dialogs[0]["confirm_text"]
    layout = draw(op, context)
    assert ("prop", "image_name") in layout.log
    assert op._cls.execute(op, bpy.context) == {'FINISHED'}
    s = settings()
    assert s.image_source == 'DATABLOCK' and s.image_input.image == image
    [job] = wait()
    assert job.kind == "image_to_3d" and job.status == "DONE"


def test_image_to_image_dialog_lists_the_references_and_writes_them_back(connected, dialog,
                                                                          tmp_path):
    s = settings()
    s.prompt = "make it winter"
    first = s.references.add()
    first.filepath = save_png(tmp_path / "a.png")
    op, context = dialog("image_to_image")
    assert len(op.images) == 5 and op.images[0].filepath == first.filepath
    assert "credits" in context.window_manager.dialogs[0]["confirm_text"]
    op.images[1].filepath = save_png(tmp_path / "b.png")
    labels = [e for e in draw(op, context).log if e[0] == "label"]
    assert ("label", "Reference 2") in labels
    assert op._cls.execute(op, bpy.context) == {'FINISHED'}
    assert [r.filepath for r in s.references] == [op.images[0].filepath, op.images[1].filepath]
    [job] = wait()
    assert job.kind == "image_to_image" and job.status == "DONE"


# --- menus -------------------------------------------------------------------------------------

def entries(log):
    return {e[1]: e[2] for e in log if e[0] == "operator"}


def state(log, idname):
    return next(e[0] for e in log if e[0] in ("enabled", "disabled") and e[1] == idname)


def test_add_menu_has_every_generation_mode_as_a_dialog(connected):
    log = draw_menus([])
    assert ("menu", "MESHY_MT_add", "Meshy") in log
    found = entries(log)
    for op_id, (label, _mode, _fields) in MODES.items():
        assert found["meshy." + op_id] == label.removeprefix("Meshy: ") + "...", op_id
        assert state(log, "meshy." + op_id) == "enabled"
    menu = RecordingLayout()
    bpy.types.MESHY_MT_add.draw(SimpleNamespace(layout=menu), bpy.context)


def test_add_menu_entries_grey_out_without_a_key(prefs):
    log = draw_menus([])
    assert state(log, "meshy.text_to_3d") == "disabled"
    assert state(log, "meshy.import_task_by_id") == "disabled"


def test_import_menu_offers_meshy_task(connected):
    assert entries(draw_menus([]))["meshy.import_task_by_id"] == "Meshy Task..."


def test_image_menu_only_with_an_image_on_screen(connected):
    menus = importlib.import_module(MODULE + ".panels.menus")
    image = bpy.data.images.new("concept", 8, 8)
    for space, shown in ((SimpleNamespace(type='IMAGE_EDITOR', image=image), True),
                         (SimpleNamespace(type='IMAGE_EDITOR', image=None), False),
                         (None, False)):
        layout = RecordingLayout()
        menus.draw_image_menu(SimpleNamespace(layout=layout),
                              SimpleNamespace(space_data=space))
        assert (entries(layout.log).get("meshy.image_to_3d") == "Image to 3D with Meshy") \
            is shown


def context_menu():
    menus = importlib.import_module(MODULE + ".panels.menus")
    layout = RecordingLayout()
    menus.draw_object_context_menu(SimpleNamespace(layout=layout), bpy.context)
    return layout.log


def test_context_menu_on_a_mesh_offers_its_tools_and_the_print_checks(connected):
    bpy.ops.mesh.primitive_monkey_add()
    log = context_menu()
    found = entries(log)
    for idname, text in (("meshy.retexture", "Retexture with Meshy"),
                         ("meshy.remesh", "Remesh with Meshy"),
                         ("meshy.rig", "Rig with Meshy"),
                         ("meshy.analyze_printability", "Check Printability"),
                         ("meshy.repair_printability", "Repair for Printing"),
                         ("meshy.multi_color_print", "Multi-Color 3MF...")):
        assert found.get(idname) == text, idname
        assert state(log, idname) == "enabled", idname
    assert "meshy.animate" not in found  # not a Meshy rig


def test_context_menu_on_a_meshy_rig_offers_animate_and_not_rig_again(connected):
    bpy.ops.object.armature_add()
    armature = bpy.context.active_object
    armature["meshy_kind"] = "rigging"
    armature["meshy_task_id"] = "0190-rig"
    bpy.ops.mesh.primitive_cube_add()
    mesh = bpy.context.active_object
    mesh.parent = armature
    found = entries(context_menu())
    assert found.get("meshy.animate") == "Animate with Meshy"
    assert "meshy.rig" not in found and "meshy.retexture" in found
    bpy.context.view_layer.objects.active = armature
    found = entries(context_menu())
    assert set(found) == {"meshy.animate"}


def test_context_menu_offers_nothing_where_nothing_applies(connected):
    bpy.ops.object.armature_add()  # someone else's rig
    assert not entries(context_menu())
    bpy.ops.object.camera_add()
    assert context_menu() == []


def test_context_menu_greys_out_what_cannot_run_and_says_why(connected):
    bpy.ops.mesh.primitive_cube_add()
    empty = bpy.context.active_object
    empty.name = "Empty Mesh"
    empty.data = bpy.data.meshes.new("nothing")
    log = context_menu()
    for idname in ("meshy.retexture", "meshy.remesh", "meshy.rig",
                   "meshy.analyze_printability"):
        assert state(log, idname) == "disabled", idname
    menu_target = importlib.import_module(MODULE + ".operators.poll").MENU_TARGET
    with bpy.context.temp_override(**{menu_target: empty}):
        message = run("remesh")
    assert "'Empty Mesh' has no faces" in message
    # From the History panel, the same operator acts on a task id: the selection is not asked.
    assert bpy.ops.meshy.remesh.poll()


def test_context_menu_rig_entry_says_when_the_mesh_is_too_big(connected):
    bpy.ops.mesh.primitive_grid_add(x_subdivisions=400, y_subdivisions=400)
    obj = bpy.context.active_object
    assert len(obj.data.loop_triangles) > 300_000
    log = context_menu()
    assert state(log, "meshy.rig") == "disabled"
    assert state(log, "meshy.remesh") == "enabled"
    menu_target = importlib.import_module(MODULE + ".operators.poll").MENU_TARGET
    with bpy.context.temp_override(**{menu_target: obj}):
        assert "Remesh it with Meshy first" in run("rig")


def test_context_menu_entries_grey_out_without_a_key(prefs):
    bpy.ops.mesh.primitive_monkey_add()
    log = context_menu()
    assert state(log, "meshy.retexture") == "disabled"
    assert "Add your Meshy API key" in run("retexture")


# --- File > Import > Meshy Task --------------------------------------------------------------

def make_finished_task(emulator, kind, payload):
    preferences = importlib.import_module(MODULE + ".preferences")
    task_id = preferences.make_client(bpy.context).create(kind, payload)
    emulator.advance_clock(60)
    return task_id


def test_import_by_id_finds_the_kind_and_imports(connected):
    task_id = make_finished_task(connected, "text_to_3d_preview",
                                 {"mode": "preview", "prompt": "a clay pot",
                                  "target_formats": ["glb"]})
    created = connected.tasks_created
    assert run("import_task_by_id", task_id=task_id) == {'FINISHED'}
    [job] = wait()
    assert job.kind == "text_to_3d_preview" and job.status == "DONE"
    assert connected.tasks_created == created  # imported, not generated again
    objects = [o for o in bpy.context.scene.objects if o.get("meshy_task_id") == task_id]
    assert objects and objects[0]["meshy_kind"] == "text_to_3d_preview"


def test_import_by_id_with_a_given_kind(connected):
    task_id = make_finished_task(connected, "text_to_image",
                                 {"ai_model": "nano-banana", "prompt": "a red kite",
                                  "aspect_ratio": "1:1"})
    assert run("import_task_by_id", task_id=task_id, kind="text_to_image") == {'FINISHED'}
    [job] = wait()
    assert job.kind == "text_to_image" and job.status == "DONE"


def test_import_by_id_refuses_a_malformed_id_before_asking_anyone(connected):
    log_before = len(connected.request_log)
    message = run("import_task_by_id", task_id="../../etc/passwd")
    assert "Type the task's id" in message
    assert len(connected.request_log) == log_before
    assert not jobs_module().engine().jobs


def test_import_by_id_of_an_unknown_task_says_so(connected):
    message = run("import_task_by_id", task_id="0190aaaa-0000-7000-8000-000000000000")
    assert "Meshy has no task 0190aaaa" in message
    assert "Traceback" not in message
    assert not jobs_module().engine().jobs
