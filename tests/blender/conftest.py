"""Blender test harness: the built zip installed the way a user installs it, in a throw-away
user folder, then driven through its operators.

Blender reads its user folders from the environment when bpy is first imported, so the folder is
set up here, before anything imports bpy. The package comes from MESHY_TEST_PACKAGE, which
`python build.py test` sets to the zip it just built and validated.
"""

import os
from pathlib import Path

import pytest

# Must come before anything imports bpy: it points Blender at a throw-away user folder.
from tests.blender.harness import MODULE, REPO

import bpy  # noqa: E402


def _package():
    path = os.environ.get("MESHY_TEST_PACKAGE", "")
    if not path or not Path(path).is_file():
        pytest.exit("MESHY_TEST_PACKAGE is not set to a built zip: run `python build.py test`", 2)
    return path


@pytest.fixture(scope="session", autouse=True)
def installed_addon():
    """Install and enable the built package once per session; yields the add-on module name."""
    result = bpy.ops.extensions.package_install_files(
        filepath=_package(), repo=REPO, enable_on_install=True)
    assert result == {'FINISHED'}
    assert MODULE in bpy.context.preferences.addons, "the add-on did not enable after install"
    yield MODULE


def _reset_jobs(module):
    """No job, thread or journal entry survives from one test into the next."""
    import importlib
    jobs = importlib.import_module(module + ".jobs")
    engine = jobs.engine()
    engine.shutdown()
    engine.jobs.clear()
    engine._waiting.clear()
    engine.journal.clear()
    jobs.scan_journal()
    return jobs


@pytest.fixture(autouse=True)
def fresh_file(installed_addon):
    """Every test starts from an empty file with default add-on preferences, no key, no jobs."""
    _reset_jobs(installed_addon)
    bpy.ops.wm.read_homefile(use_empty=True)
    prefs = bpy.context.preferences.addons[installed_addon].preferences
    for name in ("api_key", "base_url", "max_in_flight", "model_format",
                 "image_base_url", "image_api_key", "image_model"):
        prefs.property_unset(name)
    os.environ.pop("MESHY_API_KEY", None)
    bpy.context.preferences.system.use_online_access = False
    yield
    _reset_jobs(installed_addon)


@pytest.fixture
def prefs(installed_addon):
    return bpy.context.preferences.addons[installed_addon].preferences


@pytest.fixture
def addon_module(installed_addon):
    import importlib
    return importlib.import_module(installed_addon)


@pytest.fixture
def connected(prefs, emulator):
    """Preferences pointing at the emulator with its paid key."""
    prefs.base_url = emulator.url
    prefs.api_key = emulator.paid_key
    return emulator


@pytest.fixture
def jobs(installed_addon):
    import importlib
    return importlib.import_module(installed_addon + ".jobs")


def pytest_sessionfinish(session, exitstatus):
    session.config.meshy_exit_status = int(exitstatus)


def pytest_unconfigure(config):
    # The bpy 4.2.0 module crashes in its own interpreter teardown (SIGSEGV) once the glTF
    # importer has run, after every test has passed and every report is written. Leave before
    # that teardown so the run's real outcome is what the exit status says.
    if bpy.app.version < (4, 3, 0):
        import sys
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(getattr(config, "meshy_exit_status", 1))
