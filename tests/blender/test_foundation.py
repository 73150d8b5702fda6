"""The extension installs, registers cleanly, unregisters without a trace, and can talk to Meshy."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import bpy

from tests.blender.harness import MODULE, USER_DIR


def meshy_operator_ids():
    return sorted(name for name in dir(bpy.ops.meshy) if not name.startswith("_"))


def test_operators_read_well_in_f3_search():
    ids = meshy_operator_ids()
    assert "test_connection" in ids and "use_test_key" in ids
    for op_id in ids:
        label = getattr(bpy.ops.meshy, op_id).get_rna_type().name
        assert re.fullmatch(r"Meshy: [A-Z0-9][\w\-]*( [A-Za-z0-9][\w\-/]*)*", label), (op_id, label)
        description = getattr(bpy.ops.meshy, op_id).get_rna_type().description
        assert description and not description.endswith("."), (op_id, description)


def _traces():
    """Everything the add-on could leave behind in Blender's global state."""
    found = []
    for name in dir(bpy.types):
        if name.startswith("MESHY_"):
            found.append(f"bpy.types.{name}")
    for owner in (bpy.types.Scene, bpy.types.WindowManager, bpy.types.Object):
        if "meshy" in owner.bl_rna.properties.keys():
            found.append(f"{owner.__name__}.meshy")
    for handler_name in dir(bpy.app.handlers):
        handlers = getattr(bpy.app.handlers, handler_name)
        if isinstance(handlers, list):
            for fn in handlers:
                if "meshy" in getattr(fn, "__module__", ""):
                    found.append(f"handler {handler_name}: {fn.__name__}")
    if meshy_operator_ids():
        found.append("operators " + ", ".join(meshy_operator_ids()))
    for header in (bpy.types.STATUSBAR_HT_header, bpy.types.VIEW3D_MT_object_context_menu,
                   bpy.types.VIEW3D_MT_add, bpy.types.TOPBAR_MT_file_import,
                   bpy.types.IMAGE_MT_image):
        for fn in getattr(header.draw, "_draw_funcs", []):
            if "meshy" in getattr(fn, "__module__", ""):
                found.append(f"{header.__name__} draw function {fn.__name__}")
    return found


def test_unregister_leaves_nothing_and_register_again_works():
    assert _traces(), "the add-on should have registered something"
    bpy.ops.preferences.addon_disable(module=MODULE)
    try:
        assert _traces() == []
    finally:
        bpy.ops.preferences.addon_enable(module=MODULE)
    assert MODULE in bpy.context.preferences.addons
    assert "test_connection" in meshy_operator_ids()
    assert hasattr(bpy.context.window_manager, "meshy")
    assert hasattr(bpy.context.scene, "meshy")


def test_manifest_validates_with_blenders_extension_tool():
    tool = Path(bpy.utils.system_resource('SCRIPTS'), "addons_core", "bl_pkg", "cli", "blender_ext.py")
    package = os.environ["MESHY_TEST_PACKAGE"]
    done = subprocess.run([sys.executable, str(tool), "validate", package],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_bundled_wheels_import_inside_blender():
    # The test environment has neither package installed, so these can only come from the
    # wheels Blender unpacked from the zip into the user's extension site-packages.
    import PIL.Image
    import sseclient
    for module in (PIL, sseclient):
        assert Path(module.__file__).resolve().is_relative_to(USER_DIR.resolve()), module.__file__
    image = PIL.Image.new("RGB", (4, 4), (255, 0, 0))
    assert image.getpixel((0, 0)) == (255, 0, 0)


def _test_connection():
    # Called from Python, an operator that reports an error raises RuntimeError with the report.
    try:
        result = bpy.ops.meshy.test_connection()
    except RuntimeError as exc:
        assert bpy.context.window_manager.meshy.balance_message in str(exc)
        result = {'CANCELLED'}
    return result, bpy.context.window_manager.meshy


def test_connection_reports_credits(connected):
    result, view = _test_connection()
    assert result == {'FINISHED'}
    assert view.balance_known and view.balance == connected.balance(connected.paid_key)


def test_connection_without_key_says_where_to_put_it(prefs, emulator):
    prefs.base_url = emulator.url
    result, view = _test_connection()
    assert result == {'CANCELLED'}
    assert "No Meshy API key" in view.balance_message
    assert "MESHY_API_KEY" in view.balance_message


def test_connection_with_bad_key_says_check_the_key(prefs, emulator):
    prefs.base_url = emulator.url
    prefs.api_key = "msy_not_a_real_key"
    result, view = _test_connection()
    assert result == {'CANCELLED'}
    assert "key" in view.balance_message.lower()
    assert "msy_not_a_real_key" not in view.balance_message


def test_environment_key_wins_over_preferences(prefs, emulator):
    prefs.base_url = emulator.url
    prefs.api_key = "msy_not_a_real_key"
    os.environ["MESHY_API_KEY"] = emulator.test_key
    try:
        result, view = _test_connection()
    finally:
        del os.environ["MESHY_API_KEY"]
    assert result == {'FINISHED'}


def test_test_mode_key_button_fills_the_documented_key(prefs, emulator):
    assert bpy.ops.meshy.use_test_key() == {'FINISHED'}
    assert prefs.api_key == "msy_dummy_api_key_for_test_mode_12345678"
    prefs.base_url = emulator.url
    assert _test_connection()[0] == {'FINISHED'}


def test_connection_refuses_plain_http_to_another_host(prefs):
    prefs.api_key = "msy_dummy_api_key_for_test_mode_12345678"
    prefs.base_url = "http://api.meshy.ai"
    result, view = _test_connection()
    assert result == {'CANCELLED'}
    assert "https" in view.balance_message


def test_connection_with_online_access_disabled_says_how_to_allow_it(prefs):
    assert not bpy.app.online_access, "the bpy module runs with online access off"
    prefs.api_key = "msy_dummy_api_key_for_test_mode_12345678"
    prefs.base_url = "https://api.meshy.ai"
    result, view = _test_connection()
    assert result == {'CANCELLED'}
    assert "Allow Online Access" in view.balance_message


def test_connection_to_unreachable_host_names_it(prefs):
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    prefs.api_key = "msy_dummy_api_key_for_test_mode_12345678"
    prefs.base_url = f"http://127.0.0.1:{port}"
    result, view = _test_connection()
    assert result == {'CANCELLED'}
    assert f"127.0.0.1:{port}" in view.balance_message or "127.0.0.1" in view.balance_message


def test_connection_offline_when_the_host_cannot_be_resolved(prefs):
    # A name under .invalid never resolves (RFC 2606): what an offline machine sees for any host.
    bpy.context.preferences.system.use_online_access = True
    prefs.api_key = "msy_dummy_api_key_for_test_mode_12345678"
    prefs.base_url = "https://meshy.invalid"
    result, view = _test_connection()
    assert result == {'CANCELLED'}
    assert "meshy.invalid" in view.balance_message
    assert "internet" in view.balance_message.lower()
