"""Every panel, list and menu draws without error in each state the artist can meet.

Background Blender has no window to draw into, so the draw code runs against a recording layout:
real context and data, and every property, operator and list it names is checked to exist (a
misspelt property name fails here as it would fail in the sidebar).
"""

import importlib
import time
from types import SimpleNamespace

import bpy
import pytest

from tests.blender.harness import MODULE


class RecordingLayout:
    """Stands in for bpy.types.UILayout; records what would be drawn and checks every name."""

    def __init__(self, log=None):
        self.log = [] if log is None else log
        self.enabled = True
        self.alert = False
        self.active = True
        self.scale_y = 1.0
        self.scale_x = 1.0
        self.use_property_split = False
        self.use_property_decorate = True
        self.operator_context = 'INVOKE_DEFAULT'
        self.context = {}

    def _child(self):
        child = RecordingLayout(self.log)
        child.context = dict(self.context)
        child.operator_context = self.operator_context
        return child

    row = column = box = split = grid_flow = column_flow = \
        lambda self, *args, **kwargs: self._child()

    def separator(self, *args, **kwargs):
        pass

    @staticmethod
    def check_icon(icon):
        if icon != 'NONE':
            assert icon in bpy.types.UILayout.bl_rna.functions["label"].parameters["icon"] \
                .enum_items.keys(), icon

    def label(self, text="", icon='NONE', icon_value=0, **kwargs):
        assert isinstance(text, str)
        self.check_icon(icon)
        self.log.append(("label", text))

    def prop(self, data, name, **kwargs):
        assert name in data.bl_rna.properties.keys(), f"{type(data).__name__} has no {name}"
        self.log.append(("prop", name))

    def prop_search(self, data, name, search_data, search_name, **kwargs):
        assert name in data.bl_rna.properties.keys(), f"{type(data).__name__} has no {name}"
        assert search_name in search_data.bl_rna.properties.keys()
        self.log.append(("prop", name))

    def context_pointer_set(self, name, data):
        self.context[name] = data

    def operator(self, idname, **kwargs):
        module, name = idname.split(".")
        op = getattr(getattr(bpy.ops, module), name)
        rna = op.get_rna_type()
        self.check_icon(kwargs.get("icon", 'NONE'))
        assert self.operator_context in bpy.types.UILayout.bl_rna.properties[
            "operator_context"].enum_items.keys()
        self.log.append(("operator", idname, kwargs.get("text")))
        # What Blender does for a menu entry: grey it out when its poll fails in the
        # entry's context (with the pointers the layout set).
        with bpy.context.temp_override(**self.context):
            enabled = op.poll(self.operator_context)
        self.log.append(("enabled" if enabled else "disabled", idname, kwargs.get("text")))
        return OperatorProps(rna)

    def menu(self, menu, text="", icon='NONE', **kwargs):
        cls = getattr(bpy.types, menu)
        self.check_icon(icon)
        self.log.append(("menu", menu, text or cls.bl_label))
        if hasattr(cls, "poll") and not cls.poll(bpy.context):
            return
        with bpy.context.temp_override(**self.context):
            cls.draw(DrawSelf(self._child(), cls), bpy.context)

    def progress(self, factor=0.0, type='BAR', text=""):
        assert 0.0 <= factor <= 1.0
        self.log.append(("progress", text))

    def template_list(self, list_type, list_id, data, propname, active_data, active_propname,
                      **kwargs):
        assert propname in data.bl_rna.properties.keys()
        assert active_propname in active_data.bl_rna.properties.keys()
        ui_list = getattr(bpy.types, list_type)
        fake = SimpleNamespace(list_id=list_id, filter_name="", bitflag_filter_item=1 << 30,
                               use_filter_show=False)
        items = getattr(data, propname)
        if "filter_items" in ui_list.__dict__:
            flags, _order = ui_list.filter_items(fake, bpy.context, data, propname)
            assert len(flags) == len(items)
        for index, item in enumerate(items):
            ui_list.draw_item(fake, bpy.context, self._child(), data, item, 0, active_data,
                              active_propname, index)
        self.log.append(("list", list_type, len(items)))

    def panel(self, idname, default_closed=False):
        """A layout panel (Blender 4.1+): drawn open, so its body is checked too."""
        self.log.append(("panel", idname))
        return self._child(), self._child()

    def template_ID(self, data, name, **kwargs):
        assert name in data.bl_rna.properties.keys()

    def template_icon(self, icon_value=0, scale=1.0):
        self.log.append(("icon", icon_value))

    def texts(self):
        return [entry[1] for entry in self.log if entry[0] == "label"]


class OperatorProps:
    def __init__(self, rna):
        object.__setattr__(self, "_rna", rna)

    def __setattr__(self, name, value):
        assert name in self._rna.properties.keys(), f"{self._rna.identifier} has no {name}"


class DrawSelf:
    """What a draw method gets as `self`: the recording layout, plus the class's own helpers
    (and, for preferences, the real preference values)."""

    def __init__(self, layout, cls, data=None):
        self.layout = layout
        self._cls = cls
        self._data = data

    def __getattr__(self, name):
        if self._data is not None and name in self._data.bl_rna.properties.keys():
            return getattr(self._data, name)
        attr = getattr(self._cls, name)
        return attr.__get__(self) if callable(attr) else attr


PANELS = ("MESHY_PT_account", "MESHY_PT_generate", "MESHY_PT_generate_advanced", "MESHY_PT_picker",
          "MESHY_PT_creative_lab",
          "MESHY_PT_selected", "MESHY_PT_retexture", "MESHY_PT_reshape", "MESHY_PT_rig",
          "MESHY_PT_print", "MESHY_PT_jobs", "MESHY_PT_history")


def draw_all(context=None):
    """Draw every sidebar panel (honouring poll) and the menus; returns the shared log."""
    context = context or bpy.context
    log = []
    for name in PANELS:
        panel = getattr(bpy.types, name)
        if hasattr(panel, "poll") and not panel.poll(context):
            continue
        layout = RecordingLayout(log)
        panel.draw(DrawSelf(layout, panel), context)
    draw_menus(log, context)
    jobs_panels = importlib.import_module(MODULE + ".panels.jobs")
    jobs_panels.draw_status_bar(SimpleNamespace(layout=RecordingLayout(log)), context)
    return log


def draw_menus(log, context=None):
    """Draw the add-on's entries in Blender's menus (Add, File > Import, Image, object context)."""
    context = context or bpy.context
    menus = importlib.import_module(MODULE + ".panels.menus")
    for draw in (menus.draw_add_menu, menus.draw_import_menu, menus.draw_image_menu,
                 menus.draw_object_context_menu):
        draw(SimpleNamespace(layout=RecordingLayout(log)), context)
    return log


def labels(log):
    return " | ".join(entry[1] for entry in log if entry[0] == "label")


def test_every_panel_is_drawn_by_this_test():
    drawn = set(PANELS) | {"MESHY_PT_image_editor"}
    registered = {name for name in dir(bpy.types) if name.startswith("MESHY_PT_")}
    assert registered == drawn


def test_panels_with_no_key(prefs):
    log = draw_all()
    assert "No API key set" in labels(log)
    assert ("operator", "meshy.open_preferences", "Add API Key") in log


def test_panels_with_online_access_disabled(prefs):
    prefs.api_key = "msy_dummy_api_key_for_test_mode_12345678"
    prefs.base_url = "https://api.meshy.ai"
    log = draw_all()
    assert "Online access is disabled" in labels(log)


@pytest.mark.parametrize("mode", ['TEXT_TO_3D', 'IMAGE_TO_3D', 'MULTI_IMAGE_TO_3D',
                                  'TEXT_TO_IMAGE', 'IMAGE_TO_IMAGE'])
def test_generate_panel_in_every_mode_shows_the_price_or_the_reason(connected, mode):
    s = bpy.context.scene.meshy
    s.mode = mode
    s.prompt = "a copper kettle"
    log = draw_all()
    buttons = [e for e in log if e[0] == "operator" and e[1] == "meshy.generate"]
    assert len(buttons) == 1
    text = buttons[0][2]
    if mode in ('TEXT_TO_3D', 'TEXT_TO_IMAGE'):
        assert "credits" in text, text
    else:
        assert "Choose" in labels(log) or "Add 1" in labels(log)


def test_panels_while_jobs_run_and_after_one_failed(connected):
    jobs = importlib.import_module(MODULE + ".jobs")
    connected.faults(fail_tasks={"code": "image_too_complex"})
    connected.task_seconds = 0.2
    failed = jobs.submit(bpy.context, "text_to_3d_preview",
                         {"mode": "preview", "prompt": "a crate of berries",
                          "target_formats": ["glb"]}, "a crate of berries")
    deadline = time.monotonic() + 20
    while failed.status != "FAILED" and time.monotonic() < deadline:
        jobs.tick(bpy.context)
        jobs.engine().wait_for_event(0.05)
    connected.task_seconds = 5.0
    running = jobs.submit(bpy.context, "text_to_3d_preview",
                          {"mode": "preview", "prompt": "slow", "target_formats": ["glb"]}, "slow")
    assert running.active and failed.status == "FAILED"
    view = bpy.context.window_manager.meshy
    for index in range(len(view.jobs)):
        view.active_job = index
        log = draw_all()
        assert ("list", "MESHY_UL_jobs", 2) in log
        assert any(e[0] == "progress" and e[1].startswith("Meshy: 1 job") for e in log)
        if view.jobs[index].status == "FAILED":
            # The message is wrapped over several labels.
            words = " ".join(e[1] for e in log if e[0] == "label")
            assert "too complex" in words
            assert ("operator", "wm.url_open", "What this error means") in log
    jobs.engine().stop(running.id)


def pump(jobs, condition, timeout=20):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        jobs.tick(bpy.context)
        jobs.engine().wait_for_event(0.05)
    return condition()


def test_jobs_show_their_elapsed_time_to_the_second(connected):
    """Job times must not pass through single precision as time.time() (steps of 128 s)."""
    jobs = importlib.import_module(MODULE + ".jobs")
    panel = importlib.import_module(MODULE + ".panels.jobs")
    connected.task_seconds = 1.6
    job = jobs.submit(bpy.context, "text_to_3d_preview",
                      {"mode": "preview", "prompt": "a quick cup", "target_formats": ["glb"]},
                      "a quick cup", options={"import": False})
    assert pump(jobs, lambda: not job.active)
    row = bpy.context.window_manager.meshy.jobs[0]
    assert job.finished - job.started >= 1.6
    assert panel.elapsed_text(row) in ("0:01", "0:02", "0:03"), panel.elapsed_text(row)
    # Finished: the time stays put.
    assert panel.elapsed_text(row, now=jobs.session_time() + 600) == panel.elapsed_text(row)

    # A job started five minutes ago (e.g. resumed, or a long one) shows 5:00 while it runs.
    connected.task_seconds = 30
    running = jobs.submit(bpy.context, "text_to_3d_preview",
                          {"mode": "preview", "prompt": "a slow cup", "target_formats": ["glb"]},
                          "a slow cup")
    running.started = time.time() - 300
    assert pump(jobs, lambda: running.task_id)
    row = bpy.context.window_manager.meshy.jobs[1]
    assert panel.elapsed_text(row) in ("4:59", "5:00", "5:01"), panel.elapsed_text(row)
    jobs.engine().stop(running.id)


def test_a_running_job_shows_how_long_it_has_left(connected):
    jobs = importlib.import_module(MODULE + ".jobs")
    panel = importlib.import_module(MODULE + ".panels.jobs")
    connected.task_seconds = 6.0
    job = jobs.submit(bpy.context, "text_to_3d_preview",
                      {"mode": "preview", "prompt": "a steady lamp", "target_formats": ["glb"]},
                      "a steady lamp")
    view = bpy.context.window_manager.meshy
    assert pump(jobs, lambda: job.status == "PENDING")
    log = draw_all()
    assert not any("left" in text for text in labels(log).split(" | ")), "nothing to go on yet"
    assert ("progress", "pending") in log or any(
        e[0] == "progress" and e[1].startswith("queued") for e in log)
    assert pump(jobs, lambda: job.status == "IN_PROGRESS" and job.progress >= 0.3)
    row = view.jobs[0]
    text = panel.eta_text(row)
    assert text.startswith("about 0:0") and text.endswith(" left"), text
    log = draw_all()
    # In the list row (the progress bar's text) and in the details below it.
    assert ("progress", text) in log or ("progress", panel.eta_text(row)) in log
    assert any(e[0] == "label" and e[1].startswith("About 0:0") for e in log), labels(log)
    # Past the estimate nothing is promised.
    assert panel.eta_text(row, now=row.eta + 5) == ""
    jobs.engine().stop(job.id)
    assert pump(jobs, lambda: job.status == "STOPPED")
    assert panel.eta_text(view.jobs[0]) == ""


def test_selected_object_panels_with_reports_history_and_animations(connected):
    bpy.ops.mesh.primitive_monkey_add()
    obj = bpy.context.active_object
    obj["meshy_task_id"] = "0190-abc"
    obj["meshy_kind"] = "text_to_3d_refine"
    obj["meshy_expires_at"] = time.time() + 3600 * 10
    obj["meshy_printability"] = ('{"status": "warning", "metrics": {"is_watertight": true, '
                                 '"holes": 2, "volume": 1.25}}')
    view = bpy.context.window_manager.meshy
    item = view.history.add()
    item.task_id, item.kind, item.status, item.label = "0190-h", "text_to_3d_preview", \
        "SUCCEEDED", "old kettle"
    anim = view.animations.add()
    anim.name, anim.category, anim.action_id = "Walking", "Locomotion", 1
    log = draw_all()
    text = labels(log)
    assert "Made by Meshy" in text and "Printability: warning" in text and "Holes: 2" in text
    assert ("list", "MESHY_UL_history", 1) in log
    assert ("operator", "meshy.refine_preview", "Texture") in log
    assert ("operator", "meshy.retexture", "Retexture with Meshy") in log
    # Prices on the scene buttons are the pricing page's.
    for idname, text in (("meshy.retexture", "Retexture (10 credits)"),
                         ("meshy.remesh", "Remesh (5 credits)"),
                         ("meshy.convert", "Convert (1 credit)"),
                         ("meshy.rig", "Rig Character (5 credits)"),
                         ("meshy.animate", "Animate (3 credits)"),
                         ("meshy.analyze_printability", "Analyze (free)"),
                         ("meshy.multi_color_print", "Multi-Color 3MF (10 credits)")):
        assert ("operator", idname, text) in log


def test_image_editor_panel(connected):
    image = bpy.data.images.new("concept", 8, 8)
    context = SimpleNamespace(space_data=SimpleNamespace(type='IMAGE_EDITOR', image=image),
                              scene=bpy.context.scene, window_manager=bpy.context.window_manager)
    layout = RecordingLayout()
    bpy.types.MESHY_PT_image_editor.draw(DrawSelf(layout, bpy.types.MESHY_PT_image_editor), context)
    assert ("operator", "meshy.image_to_3d_from_editor", "Image to 3D") in layout.log
    context.space_data.image = None
    layout = RecordingLayout()
    bpy.types.MESHY_PT_image_editor.draw(DrawSelf(layout, bpy.types.MESHY_PT_image_editor), context)
    assert layout.texts() == ["Open an image to send it to Meshy"]


def test_preferences_draw_in_every_key_state(prefs, monkeypatch):
    for key, env in (("", None), ("msy_dummy_api_key_for_test_mode_12345678", None),
                     ("msy_personal_key", None), ("", "msy_from_environment")):
        prefs.api_key = key
        if env:
            monkeypatch.setenv("MESHY_API_KEY", env)
        layout = RecordingLayout()
        type(prefs).draw(DrawSelf(layout, type(prefs), prefs), bpy.context)
        assert layout.texts()
    prefs.base_url = "http://example.com"
    layout = RecordingLayout()
    type(prefs).draw(DrawSelf(layout, type(prefs), prefs), bpy.context)
    assert any("Plain http" in t for t in layout.texts())
