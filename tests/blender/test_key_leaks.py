"""The keys (Meshy's and the image source's) never reach anything the artist sees or the add-on
writes, after generating with them, successes and failures alike.

Looked at after each scenario: operator reports (in background mode Blender prints every report it
adds to the Info log on stdout, and an ERROR report comes back as the operator's RuntimeError),
stdout and stderr at the file-descriptor level (Blender's C code writes there too), the job view
and every label the sidebar draws, log records and MeshyErrors made meanwhile, every file in the
add-on's user folder (the journal, the cache), and a .blend saved afterwards (its raw bytes,
uncompressed).
"""

import importlib
from pathlib import Path

import bpy
import pytest

from tests import leakcheck
from tests.blender.harness import MODULE
from tests.blender.test_panels import draw_all


@pytest.fixture
def recorder(installed_addon):
    errors = importlib.import_module(MODULE + ".api.errors")
    secret = importlib.import_module(MODULE + ".api.secret")
    watching = leakcheck.Recorder().install(errors.MeshyError, secret.Secret)
    yield watching
    watching.uninstall()


@pytest.fixture
def image_source(prefs, connected):
    """Concept images from the emulator's OpenAI-compatible endpoint, with a key of their own."""
    prefs.image_base_url = connected.url
    prefs.image_api_key = connected.test_key
    prefs.image_model = "gpt-image-1"
    return connected.test_key


def run(operator, **kwargs):
    """Call an operator; returns (result, the text of the ERROR report it raised, or "")."""
    try:
        return operator(**kwargs), ""
    except RuntimeError as exc:
        return {'CANCELLED'}, str(exc)


def generate(prompt, **settings):
    s = bpy.context.scene.meshy
    s.prompt = prompt
    for name, value in settings.items():
        setattr(s, name, value)
    result, error = run(bpy.ops.meshy.generate)
    assert result == {'FINISHED'}, error
    return error


def finish_jobs():
    run(bpy.ops.meshy.wait_jobs, timeout=60)
    jobs = importlib.import_module(MODULE + ".jobs")
    assert not jobs.engine().busy()
    return {j.label: j for j in jobs.engine().jobs.values()}


def user_folder_files():
    root = Path(bpy.utils.extension_path_user(MODULE))
    return [p for p in root.rglob("*") if p.is_file()]


def assert_no_key_anywhere(keys, recorder, capfd, tmp_path, reports):
    """Every place a key could surface, after the scenario ran."""
    blend = tmp_path / "after.blend"
    assert bpy.ops.wm.save_as_mainfile(filepath=str(blend), copy=True, compress=False) \
        == {'FINISHED'}
    captured = capfd.readouterr()
    view = bpy.context.window_manager.meshy
    shown = [text for entry in draw_all() for text in entry[1:] if isinstance(text, str)]
    rows = [f"{row.label} | {row.status} | {row.message}" for row in view.jobs]
    texts = [captured.out, captured.err, *reports, *shown, *rows, view.balance_message]
    # (Clients are cached per key and server, so a key may have been given to a Secret before.)
    lines, errors, seen_keys = recorder.take()
    found = leakcheck.leaks(lines, errors, set(keys) | seen_keys, texts)
    for path in user_folder_files() + [blend]:
        data = path.read_bytes()
        found += [f"key {key[:6]}... in {path.name}" for key in keys if key.encode() in data]
    assert not found, "\n".join(found[:8])
    return captured


def test_the_meshy_key_stays_out_of_reports_files_and_the_blend(connected, recorder, capfd,
                                                                tmp_path):
    key = connected.paid_key
    reports = []
    assert run(bpy.ops.meshy.test_connection) == ({'FINISHED'}, "")
    # One job at a time, so each fault meets the job it is meant for.
    generate("a lantern that works", auto_refine=False)
    finish_jobs()
    connected.faults(fail_tasks={"code": "image_too_complex"})
    generate("a lantern that fails on Meshy", auto_refine=False)
    finish_jobs()
    # A refusal that quotes the key back.
    connected.faults(echo_key={"count": 1, "path": "/text-to-3d"})
    generate("a lantern refused with the key quoted", auto_refine=False)
    finish_jobs()
    connected.set_balance(key, 3)
    generate("a lantern nobody can pay for", auto_refine=False)
    done = finish_jobs()
    connected.faults(echo_key={"count": 1, "path": "/balance"})
    result, error = run(bpy.ops.meshy.test_connection)
    reports.append(error)

    assert [j.status for j in done.values()] == ["DONE", "FAILED", "FAILED", "FAILED"]
    assert result == {'CANCELLED'} and "***" in error, error
    assert any(p.name.startswith("journal") for p in user_folder_files()), "no journal to check"
    captured = assert_no_key_anywhere([key], recorder, capfd, tmp_path, reports)
    # The capture saw the reports it is meant to judge (Info log lines are printed here).
    assert "Connected to Meshy: 1,000 credits" in captured.out
    assert "Meshy job(s) failed" in captured.out


def test_the_image_source_key_stays_out_too(connected, image_source, recorder, capfd, tmp_path):
    generate("a brass telescope", mode='TEXT_TO_IMAGE', use_openai_images=True)
    finish_jobs()
    connected.faults(http_500={"count": 1, "path": "/v1/images"})
    generate("a telescope the service cannot draw")
    done = finish_jobs()
    assert [j.status for j in done.values()] == ["DONE", "FAILED"]
    assert "HTTP 500" in done["a telescope the service cannot draw"].message
    assert_no_key_anywhere([connected.paid_key, image_source], recorder, capfd, tmp_path, [])


def test_an_image_error_quoting_the_key_is_redacted(connected, image_source, recorder, capfd,
                                                    tmp_path):
    connected.faults(echo_key={"count": 1, "path": "/v1/images"})
    generate("a telescope refused with the key quoted", mode='TEXT_TO_IMAGE',
             use_openai_images=True)
    [job] = finish_jobs().values()
    assert job.status == "FAILED" and "Incorrect API key provided" in job.message
    assert_no_key_anywhere([connected.paid_key, image_source], recorder, capfd, tmp_path, [])
