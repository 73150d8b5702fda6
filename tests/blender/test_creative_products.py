"""One F3 operator per Creative Lab product ("Meshy: Keychain", ...), each with its dialog, and
their entries in the Add menu. Real operators, the installed zip, the emulator.

The dialog's own steps (prefill, draw, the confirm button, confirming) run on test_native's
stand-in operator instance, since background Blender never opens a dialog."""

import importlib

import bpy
import pytest

from tests.blender.harness import MODULE
from tests.blender.test_generate import save_png, wait
from tests.blender.test_native import dialog, draw, entries, state  # noqa: F401 (fixture)
from tests.blender.test_panels import draw_menus

LABELS = {"keychain": "Keychain", "fridge_magnet": "Fridge Magnet", "figure": "Figure",
          "lamp": "Lamp"}
# The dialog's fields: the stage's own, and the build options the panel lists first.
FIELDS = {
    "keychain": {"badge_shape", "size_mm", "output_format"},
    "fridge_magnet": {"badge_shape", "size_mm", "output_format"},
    "figure": set(),
    "lamp": {"lamp_source", "text", "image_subject", "diameter_mm", "thickness_mm",
             "output_format"},
}
COMMON_FIELDS = {"stage", "photo", "task_name", "prototype"}


def module(name):
    return importlib.import_module(f"{MODULE}.{name}")


def creative():
    return bpy.context.scene.meshy.creative


def run(op_id, **kw):
    """bpy.ops.meshy.<op_id>(); its result, or the message it failed (or was refused) with."""
    try:
        return getattr(bpy.ops.meshy, op_id)(**kw)
    except RuntimeError as exc:
        return str(exc)


def with_photo(product, tmp_path):
    settings = creative()
    settings.product = product
    settings.source_image.filepath = save_png(tmp_path / f"{product}.png")
    return settings


def finished_prototype(connected, product, tmp_path):
    """A prototype of `product` made from the panel's settings and finished; its job."""
    with_photo(product, tmp_path)
    assert run("creative_" + product, stage='PROTOTYPE') == {'FINISHED'}
    [job] = [j for j in wait() if j.kind == f"{product}_prototype"]
    assert job.status == "DONE", job.message
    return job


# --- names, F3, fields --------------------------------------------------------------------------

@pytest.mark.parametrize("product", sorted(LABELS))
def test_every_product_has_an_f3_operator_with_its_dialog_fields(product):
    rna = getattr(bpy.ops.meshy, "creative_" + product).get_rna_type()
    assert rna.name == f"Meshy: {LABELS[product]}"
    cls = getattr(bpy.types, "MESHY_OT_creative_" + product)
    # F3 lists every operator that is not INTERNAL; a redo (REGISTER/UNDO) would pay again.
    assert not set(getattr(cls, "bl_options", set())) & {'INTERNAL', 'REGISTER', 'UNDO'}
    fields = COMMON_FIELDS | FIELDS[product]
    assert fields <= set(rna.properties.keys()), fields - set(rna.properties.keys())
    assert rna.properties["stage"].enum_items.keys() == ["PROTOTYPE", "BUILD"]
    # The build options are the panel's own (same choices and limits).
    group = creative().options_of(product)
    for name in FIELDS[product] - {"lamp_source", "text", "image_subject"}:
        ours, theirs = rna.properties[name], group.bl_rna.properties[name]
        assert ours.type == theirs.type, name
        if ours.type == 'ENUM':
            assert ours.enum_items.keys() == theirs.enum_items.keys(), name
        else:
            assert (ours.hard_min, ours.hard_max) == (theirs.hard_min, theirs.hard_max), name


def test_the_stage_operators_stay():
    assert bpy.ops.meshy.creative_prototype.get_rna_type().name == "Meshy: Creative Lab Prototype"
    assert bpy.ops.meshy.creative_build.get_rna_type().name == "Meshy: Creative Lab Build"


# --- from a script: the panel's settings, at once ---------------------------------------------

def test_script_sends_one_prototype_of_its_product_from_the_panel(connected, tmp_path):
    settings = with_photo("figure", tmp_path)
    settings.name = "desk buddy"
    assert run("creative_keychain") == {'FINISHED'}
    assert settings.product == "keychain"   # the panel shows what was sent
    [job] = wait()
    assert job.kind == "keychain_prototype" and job.status == "DONE", job.message
    assert connected.tasks_created == 1
    assert job.payload["name"] == "desk buddy"


def test_script_builds_from_the_approved_prototype(connected, tmp_path):
    prototype = finished_prototype(connected, "fridge_magnet", tmp_path)
    creative().prototype_task_id = prototype.task_id
    before = connected.tasks_created
    assert run("creative_fridge_magnet", size_mm=75.0) == {'FINISHED'}
    assert creative().fridge_magnet.size_mm == 75.0   # what a script sets is written back
    [build] = [j for j in wait() if j.kind == "fridge_magnet_build"]
    assert build.status == "DONE", build.message
    assert connected.tasks_created - before == 1
    assert build.payload["input_task_id"] == prototype.task_id
    assert build.payload["options"] == {"size_mm": 75.0}


def test_script_without_a_photo_says_what_to_choose_and_sends_nothing(connected):
    assert "Choose the photo the Figure is made from" in run("creative_figure")
    assert connected.tasks_created == 0
    assert not module("jobs").engine().jobs


# --- poll and its reasons ----------------------------------------------------------------------

@pytest.mark.parametrize("product", sorted(LABELS))
def test_entries_without_a_key_say_where_to_add_it(prefs, product):
    assert not getattr(bpy.ops.meshy, "creative_" + product).poll()
    assert "Add your Meshy API key" in run("creative_" + product)


@pytest.mark.parametrize("product", sorted(LABELS))
def test_entries_offline_say_how_to_allow_online_access(prefs, product, tmp_path):
    prefs.api_key = "msy_dummy_api_key_for_test_mode_12345678"
    prefs.base_url = "https://api.meshy.ai"
    with_photo(product, tmp_path)
    assert not getattr(bpy.ops.meshy, "creative_" + product).poll()
    assert "Allow Online Access" in run("creative_" + product)


def test_no_photo_leaves_the_entry_usable(connected):
    # The dialog is where the photo is chosen: only the key and online access grey it out.
    assert bpy.ops.meshy.creative_keychain.poll()


# --- the dialog ------------------------------------------------------------------------------------

def test_prototype_dialog_is_prefilled_priced_and_written_back_on_confirm(connected, dialog,
                                                                          tmp_path):
    settings = with_photo("figure", tmp_path)
    settings.name = "first"
    op, context = dialog("creative_keychain")
    assert op.stage == 'PROTOTYPE'
    assert op.photo.filepath == settings.source_image.filepath and op.task_name == "first"
    [call] = context.window_manager.dialogs
    assert call["confirm_text"] == "Generate (6 credits)"
    assert call["title"] == "Keychain with Meshy"
    layout = draw(op, context)
    assert "Costs 6 credits" in layout.texts()
    assert {("prop", "stage"), ("prop", "filepath"), ("prop", "task_name")} <= set(layout.log)
    assert ("prop", "size_mm") not in layout.log   # build options show for a build

    # Editing the dialog changes nothing in the panel until it is confirmed...
    other = save_png(tmp_path / "other.png")
    op.photo.filepath, op.task_name = other, "second"
    assert settings.name == "first" and settings.product == "figure"
    # ...and confirming writes it back and sends exactly one prototype.
    assert op._cls.execute(op, bpy.context) == {'FINISHED'}
    assert settings.product == "keychain" and settings.name == "second"
    assert settings.source_image.filepath == other
    [job] = wait()
    assert job.kind == "keychain_prototype" and job.status == "DONE", job.message
    assert connected.tasks_created == 1 and job.payload["name"] == "second"


def test_prototype_dialog_without_a_photo_says_why_and_offers_no_price(connected, dialog,
                                                                       tmp_path):
    op, context = dialog("creative_fridge_magnet")
    assert context.window_manager.dialogs[0]["confirm_text"] == "Generate"
    assert "Choose the photo the Fridge Magnet is made from" in draw(op, context).texts()
    op.photo.filepath = save_png(tmp_path / "magnet.png")
    assert "Costs 6 credits" in draw(op, context).texts()


def test_lamp_dialog_from_text(connected, dialog):
    settings = creative()
    settings.lamp_source = 'TEXT'
    op, context = dialog("creative_lamp")
    assert op.lamp_source == 'TEXT'
    layout = draw(op, context)
    assert ("prop", "text") in layout.log and ("prop", "filepath") not in layout.log
    assert "Describe the lampshade's subject first" in layout.texts()
    op.text = "an owl on a branch under the moon"
    assert "Costs 6 credits" in draw(op, context).texts()
    assert op._cls.execute(op, bpy.context) == {'FINISHED'}
    assert settings.product == "lamp" and settings.text == "an owl on a branch under the moon"
    [job] = wait()
    assert job.status == "DONE" and job.payload == {"text": "an owl on a branch under the moon"}


def test_build_dialog_from_an_approved_prototype_sends_one_build(connected, dialog, tmp_path):
    prototype = finished_prototype(connected, "keychain", tmp_path)
    settings = creative()
    settings.prototype_task_id = prototype.task_id
    settings.keychain.badge_shape = "star"
    op, context = dialog("creative_keychain")
    assert op.stage == 'BUILD' and op.prototype == prototype.task_id
    assert op.badge_shape == "star" and op.size_mm == settings.keychain.size_mm
    assert context.window_manager.dialogs[0]["confirm_text"] == "Generate (30 credits)"
    layout = draw(op, context)
    assert {("prop", "prototype"), ("prop", "badge_shape"), ("prop", "size_mm"),
            ("prop", "output_format")} <= set(layout.log)
    assert "Costs 30 credits" in layout.texts()

    op.size_mm = 50.0
    assert settings.keychain.size_mm == 40.0
    before = connected.tasks_created
    assert op._cls.execute(op, bpy.context) == {'FINISHED'}
    assert settings.keychain.size_mm == 50.0
    [build] = [j for j in wait() if j.kind == "keychain_build"]
    assert build.status == "DONE", build.message
    assert connected.tasks_created - before == 1
    assert build.payload["input_task_id"] == prototype.task_id
    assert build.payload["options"] == {"badge_shape": "star", "size_mm": 50.0}


def test_build_dialog_offers_a_finished_prototype_and_approves_it(connected, dialog, tmp_path):
    prototype = finished_prototype(connected, "lamp", tmp_path)
    settings = creative()
    assert not settings.prototype_task_id   # finished, not approved: it opens at Prototype
    op, context = dialog("creative_lamp")
    assert op.stage == 'PROTOTYPE'
    assert context.window_manager.dialogs[0]["confirm_text"] == "Generate (6 credits)"
    op.stage = 'BUILD'
    assert op.prototype == prototype.task_id
    texts = draw(op, context).texts()
    assert "Costs 30 credits" in texts
    assert any("The button shows the price when this opened" in t for t in texts)
    assert op._cls.execute(op, bpy.context) == {'FINISHED'}
    assert settings.prototype_task_id == prototype.task_id
    assert settings.shown_prototype["meshy_task_id"] == prototype.task_id
    [build] = [j for j in wait() if j.kind == "lamp_build"]
    assert build.status == "DONE", build.message


def test_build_dialog_of_a_product_without_a_prototype_says_so(connected, dialog, tmp_path):
    finished_prototype(connected, "keychain", tmp_path)
    op, context = dialog("creative_figure")   # a keychain prototype is no figure's
    assert op.stage == 'PROTOTYPE'
    op.stage = 'BUILD'
    assert op.prototype == 'NONE'
    assert "Make a Figure prototype and approve its concept image first" in \
        draw(op, context).texts()
    before = connected.tasks_created
    result = op._cls.execute(op, bpy.context)
    assert result == {'CANCELLED'}
    assert op.reports and "Make a Figure prototype" in op.reports[0][1]
    assert connected.tasks_created == before


# --- the Add menu ------------------------------------------------------------------------------

def test_add_menu_lists_every_product_as_a_dialog(connected):
    log = draw_menus([])
    found = entries(log)
    for product, label in LABELS.items():
        assert found["meshy.creative_" + product] == label + "...", product
        assert state(log, "meshy.creative_" + product) == "enabled"
    # Under the generation modes, after them.
    ids = [e[1] for e in log if e[0] == "operator"]
    assert ids.index("meshy.creative_keychain") > ids.index("meshy.image_to_image")


def test_add_menu_products_grey_out_without_a_key(prefs):
    log = draw_menus([])
    assert state(log, "meshy.creative_lamp") == "disabled"
