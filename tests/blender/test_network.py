"""The network rules in real Blender, through the installed add-on's operators: what is typed in
is checked (a sentence, never a traceback, nothing sent), online access is honoured by running
jobs (they wait, say so, can be stopped, and go on), and a key a server echoes back is found
nowhere: not in the job, the journal, the console or the saved file.

Hostile servers are small loopback servers (tests/hostile.py); the emulator stands in for a
remote host through the gate's `treat_as_remote`, or serves result URLs on a name that never
resolves (`asset_url`), so nothing here ever leaves this computer.
"""

import importlib
import socket
import time
from pathlib import Path

import bpy
import pytest

from tests.blender.harness import MODULE
from tests.blender.test_panels import DrawSelf, RecordingLayout, draw_all
from tests.hostile import LocalServer

WAITING = "Waiting: online access is off (Preferences > System > Network)"
UNKNOWN_ID = "018a210d-8ba4-705c-b111-1f1776f7f578"
ASSET_HOST = "assets.example.invalid"


def module(name):
    return importlib.import_module(f"{MODULE}.{name}")


def run(operator, **kw):
    """(result, what it reported): called from Python, a reported error arrives as RuntimeError,
    and so does a poll() that refused."""
    try:
        return operator(**kw), ""
    except RuntimeError as exc:
        return {'CANCELLED'}, str(exc)


def pump_until(jobs, condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs.tick(bpy.context)
        if condition():
            return True
        jobs.engine().wait_for_event(0.05)
    return False


def pump_for(jobs, seconds):
    """Keep ticking for a while (nothing is expected to change)."""
    pump_until(jobs, lambda: False, timeout=seconds)


def preview(jobs, prompt):
    payload = {"mode": "preview", "prompt": prompt, "target_formats": ["glb"]}
    return jobs.submit(bpy.context, "text_to_3d_preview", payload, prompt)


def set_online(allowed):
    bpy.context.preferences.system.use_online_access = allowed


# --- what is typed in: every operator says what to fix ---------------------------------------

BAD_INPUTS = {
    "query in the base URL": ("base_url", "{url}/?region=eu", "?query or #fragment"),
    "fragment in the base URL": ("base_url", "{url}#jobs", "?query or #fragment"),
    "credentials in the base URL": ("base_url", "http://meshy:hunter22secret@127.0.0.1:{port}",
                                    "user name or password"),
    "tab in the key": ("api_key", "msy_dummy_api_key\tfor_test_mode_12345678",
                       "control character"),
    "control character in the key": ("api_key", "msy_dummy_api_key_for_test\x1bmode_12345678",
                                     "control character"),
}


def _test_connection():
    return run(bpy.ops.meshy.test_connection)


def _history():
    return run(bpy.ops.meshy.fetch_history)


def _generate():
    settings = bpy.context.scene.meshy
    settings.mode = 'TEXT_TO_3D'
    settings.prompt = "a copper kettle"
    return run(bpy.ops.meshy.generate)


def _resume():
    jobs = module("jobs")
    jobs.engine().journal.update("left-over", state="created", task_id=UNKNOWN_ID,
                                 kind="text_to_3d_preview", label="kettle", created_at=time.time())
    jobs.scan_journal()
    return run(bpy.ops.meshy.resume_jobs)


def _import_task():
    return run(bpy.ops.meshy.import_task, task_id=UNKNOWN_ID, kind="text_to_3d_preview")


OPERATORS = {"Test Connection": _test_connection, "History": _history, "Generate": _generate,
             "Resume": _resume, "Import Task": _import_task}


@pytest.mark.parametrize("operator", list(OPERATORS))
@pytest.mark.parametrize("bad", list(BAD_INPUTS))
def test_bad_input_is_a_message_not_a_traceback(operator, bad, prefs, emulator, capfd):
    field, value, words = BAD_INPUTS[bad]
    prefs.base_url = emulator.url
    prefs.api_key = emulator.test_key
    setattr(prefs, field, value.format(url=emulator.url, port=emulator.port))
    result, message = OPERATORS[operator]()
    out, err = capfd.readouterr()
    assert result == {'CANCELLED'}
    assert words in message, message
    for text in (message, out, err):
        assert "Traceback" not in text and "hunter22secret" not in text
    assert emulator.request_log == [], "something was sent"


def test_preferences_show_the_problem_under_each_field(prefs):
    prefs.api_key = "msy_pasted\twith_a_tab_0123456789"
    prefs.base_url = "https://api.meshy.ai/?region=eu"
    prefs.image_base_url = "https://images:hunter22secret@images.example.com"
    prefs.image_api_key = "sk-with a space-0123456789"
    layout = RecordingLayout()
    type(prefs).draw(DrawSelf(layout, type(prefs), prefs), bpy.context)
    log = layout.log
    texts = layout.texts()

    def line_after(name):
        """The label drawn under a field (before the next field), or ""."""
        for entry in log[log.index(("prop", name)) + 1:]:
            if entry[0] == "prop":
                return ""
            if entry[0] == "label":
                return entry[1]
        return ""

    assert "control character" in line_after("api_key")
    assert "?query or #fragment" in line_after("base_url")
    assert "user name or password" in line_after("image_base_url")
    assert "Image API key contains a space" in line_after("image_api_key")
    assert not any("hunter22secret" in t or "msy_pasted" in t for t in texts)


def test_a_file_reopened_with_a_bad_key_says_so_on_the_console(connected, prefs, jobs, capfd,
                                                                tmp_path):
    blend = str(tmp_path / "waiting.blend")
    bpy.ops.wm.save_as_mainfile(filepath=blend)
    jobs.engine().journal.update("saved-job", state="created", task_id=UNKNOWN_ID,
                                 kind="text_to_3d_preview", label="kettle",
                                 created_at=time.time(), options={"blend_file": blend})
    prefs.api_key = "msy_emulator_paid\tkey"
    capfd.readouterr()
    bpy.ops.wm.open_mainfile(filepath=blend)
    out, err = capfd.readouterr()
    assert "1 generation(s) of this file wait to resume" in out
    assert "control character" in out
    assert "Traceback" not in out + err
    assert connected.request_log == []


def test_a_wrong_path_prefix_says_check_the_base_url(connected, prefs):
    prefs.base_url = connected.url + "/wrong"
    result, message = run(bpy.ops.meshy.test_connection)
    assert result == {'CANCELLED'}
    assert "check the api base url in the preferences" in message.lower()
    assert "no such task" not in message


# --- online access: running jobs wait, say so, and go on -----------------------------------------

@pytest.fixture
def dns_lookups(monkeypatch):
    """Every host name this process resolves: a connection to a name starts with a lookup."""
    asked = []
    real = socket.getaddrinfo

    def recording(host, *args, **kwargs):
        asked.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording)
    return asked


def test_a_job_waits_for_online_access_before_fetching_from_another_host(connected, jobs,
                                                                         dns_lookups):
    """The API is this computer (no online access needed), the result files are not."""
    connected.asset_url = f"https://{ASSET_HOST}"
    connected.task_seconds = 0.3
    job = preview(jobs, "a distant lighthouse")
    assert pump_until(jobs, lambda: job.waiting, timeout=15), (job.status, job.message)
    pump_for(jobs, 1.0)
    assert job.status == "DOWNLOADING" and job.waiting and job.message == WAITING
    [row] = bpy.context.window_manager.meshy.jobs
    assert row.message == WAITING and row.waiting
    assert ("progress", "waiting: online access is off") in draw_all()
    assert ASSET_HOST not in dns_lookups, "the asset host was looked up with online access off"

    set_online(True)
    assert pump_until(jobs, lambda: not job.active, timeout=60)
    # The name never resolves: a clear failure, proof that the request went out only now.
    assert job.status == "FAILED"
    assert ASSET_HOST in job.message and "Traceback" not in job.message
    assert ASSET_HOST in dns_lookups


def test_stop_works_while_a_job_waits_for_online_access(connected, jobs):
    connected.asset_url = f"https://{ASSET_HOST}"
    connected.task_seconds = 0.3
    job = preview(jobs, "a patient buoy")
    assert pump_until(jobs, lambda: job.waiting, timeout=15)
    assert bpy.ops.meshy.stop_job(job_id=job.id) == {'FINISHED'}
    assert pump_until(jobs, lambda: job.status == "STOPPED", timeout=3), job.status
    job.thread.join(2)
    assert not job.thread.is_alive()
    assert not job.waiting


def test_stop_cuts_a_silent_progress_stream_at_once(connected, jobs):
    """On every urllib3 Blender ships (1.26 in 4.2): Stop does not wait for the next event. A
    task queued on Meshy sends none for a long time (here PENDING for 12 s)."""
    connected.task_seconds = 60.0
    job = preview(jobs, "a very slow statue")
    assert pump_until(jobs, lambda: job.status == "PENDING", timeout=10)
    pump_for(jobs, 1.0)  # the stream is open and silent
    started = time.monotonic()
    assert bpy.ops.meshy.stop_job(job_id=job.id) == {'FINISHED'}
    assert pump_until(jobs, lambda: job.status == "STOPPED", timeout=5)
    assert time.monotonic() - started < 1.5
    job.thread.join(2)
    assert not job.thread.is_alive()


@pytest.fixture
def emulator_as_remote(connected):
    """The emulator judged as another computer: it needs online access like api.meshy.ai."""
    gate = module("preferences").gate()
    gate.treat_as_remote = frozenset({connected.host})
    yield connected
    gate.treat_as_remote = frozenset()


def test_a_running_job_stops_sending_while_online_access_is_off_and_goes_on(emulator_as_remote,
                                                                           jobs):
    emulator = emulator_as_remote
    set_online(True)
    emulator.task_seconds = 8.0
    job = preview(jobs, "a far-away teapot")
    assert pump_until(jobs, lambda: job.status == "IN_PROGRESS", timeout=10)

    set_online(False)
    # The open progress stream is cut at once (not when the task ends), and reopening it waits.
    assert pump_until(jobs, lambda: job.waiting, timeout=2), job.message
    seen = len(emulator.request_log)
    pump_for(jobs, 1.5)
    assert len(emulator.request_log) == seen, "requests went on with online access off"
    assert job.message == WAITING
    assert bpy.context.window_manager.meshy.jobs[0].message == WAITING
    # One-off calls do not wait: they fail at once and say how to allow access.
    result, message = run(bpy.ops.meshy.test_connection)
    assert result == {'CANCELLED'} and "Allow Online Access" in message
    assert len(emulator.request_log) == seen

    set_online(True)
    assert pump_until(jobs, lambda: not job.active, timeout=30)
    assert job.status == "DONE", job.message
    assert not job.waiting
    assert [o["meshy_task_id"] for o in bpy.data.objects if "meshy_task_id" in o] == [job.task_id]
    assert emulator.tasks_created == 1


# --- a key echoed back by a server is found nowhere ----------------------------------------------

IMAGE_KEY = "sk-blender-image-key-0123456789abcdef"
MESHY_KEY = "msy_blender_echo_key_0123456789abcdef"


def _image_source_echo(request):
    echoed = request.headers.get("Authorization", "")
    return 200, {}, {"error": {"message": f"this key is not allowed: {echoed}"}}


def _meshy_echo(where):
    def answer(request):
        echoed = request.headers.get("Authorization", "")
        if request.method == "POST":
            if where == "400":
                return 400, {}, {"message": f"Invalid request from {echoed}"}
            return 202, {}, {"result": UNKNOWN_ID}
        if request.path.endswith("/stream"):
            return 404, {}, {"message": "Not Found"}
        return 200, {}, {"id": UNKNOWN_ID, "status": "FAILED", "progress": 0,
                         "task_error": {"type": "invalid_input",
                                        "message": f"refused for {echoed}"}}
    return answer


@pytest.mark.parametrize("server", ["image source", "Meshy 400", "Meshy task error"])
def test_a_key_echoed_by_a_server_is_found_nowhere(server, prefs, jobs, capfd, tmp_path):
    settings = bpy.context.scene.meshy
    if server == "image source":
        key, answer = IMAGE_KEY, _image_source_echo
    else:
        key, answer = MESHY_KEY, _meshy_echo("400" if server == "Meshy 400" else "task")
    with LocalServer(answer) as hostile:
        if server == "image source":
            prefs.image_base_url = hostile.url
            prefs.image_api_key = key
            settings.mode = 'TEXT_TO_IMAGE'
            settings.use_openai_images = True
        else:
            prefs.base_url = hostile.url
            prefs.api_key = key
            settings.mode = 'TEXT_TO_3D'
        settings.prompt = "a lamp that tells secrets"
        assert bpy.ops.meshy.generate() == {'FINISHED'}
        bpy.ops.meshy.wait_jobs(timeout=60)
        assert hostile.requests, "the server was asked"
    [job] = jobs.engine().jobs.values()
    assert job.status == "FAILED"
    blend = tmp_path / "after.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    out, err = capfd.readouterr()
    journal = Path(jobs.engine().journal.path)
    places = {"job message": job.message,
              "job row": bpy.context.window_manager.meshy.jobs[0].message,
              # The journal is a sqlite3 database: its bytes, write-ahead log included.
              "journal": "".join(Path(f"{journal}{suffix}").read_bytes().decode("latin-1")
                                 for suffix in ("", "-wal") if Path(f"{journal}{suffix}").exists()),
              "console": out + err}
    assert "***" in job.message, job.message   # the echo arrived, redacted
    for where, text in places.items():
        assert key not in text and key[:16] not in text, where
    assert key.encode() not in blend.read_bytes()


def test_an_unexpected_failure_is_redacted_too():
    key = "msy_unexpected_failure_key_0123456789"
    module("api.secret").Secret(key)
    failure = module("engine.worker")._failure(RuntimeError(f"boom with {key}"))
    assert key not in failure["message"] and "Unexpected error" in failure["message"]
