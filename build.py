#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The project's one entry point. Standard library only, so it runs on a fresh Python 3.11.

    python build.py                 download wheels, build dist/<id>-<version>.zip, validate it
    python build.py test            build, then run every test (API tests, Blender 5.0 and 4.2 tests)
    python build.py test --blender 5.0|4.2|none [-- PYTEST ARGS]   a subset
    python build.py bench           run the benchmarks and print their tables
    python build.py demo [--real]   run the demo: generations in a headless Blender, saved and rendered

Virtual environments are cached in .venv-* folders (ignored by git) and rebuilt only when their
pinned requirements change.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent
MANIFEST = ROOT / "blender_manifest.toml"
DIST = ROOT / "dist"
WHEELS = ROOT / "wheels"
PYTHON_TAG = "3.11"

# Blender versions under test: the current release and the manifest's minimum (4.2 LTS), each
# with the requests stack that Blender itself ships in its Python (versions.cmake in Blender's
# source at that release): the bpy wheel alone would pull the newest requests and urllib3 2.x,
# and 4.2 users run urllib3 1.26.
BLENDER_PINS = {
    "5.0": ["bpy==5.0.1", "requests==2.32.3", "urllib3==2.4.0", "certifi==2025.4.26",
            "idna==3.10", "charset-normalizer==3.4.1"],
    "4.2": ["bpy==4.2.0", "requests==2.27.1", "urllib3==1.26.8", "certifi==2021.10.8",
            "idna==3.3", "charset-normalizer==2.0.10"],
}
# The add-on bundles sseclient-py and Pillow as wheels. The Blender environments deliberately
# lack them, so the tests prove the bundled wheels are what loads.
TEST_PINS = ["pytest==9.2.0"]
API_PINS = ["requests==2.34.2", "sseclient-py==1.9.0", "pillow==13.0.0", *TEST_PINS]


def log(msg):
    print(f"[build] {msg}", flush=True)


def run(cmd, **kwargs):
    log(" ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], **kwargs)


def manifest():
    with open(MANIFEST, "rb") as fh:
        return tomllib.load(fh)


def zip_path():
    data = manifest()
    return DIST / f"{data['id']}-{data['version']}.zip"


# --- virtual environments -------------------------------------------------------------------

def venv_python(venv):
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(name, requirements):
    """Create or reuse .venv-<name> holding exactly `requirements`; return its python."""
    venv = ROOT / f".venv-{name}"
    stamp = venv / "meshy-requirements.txt"
    wanted = "\n".join(requirements) + "\n"
    if stamp.exists() and stamp.read_text() == wanted and venv_python(venv).exists():
        return venv_python(venv)
    if venv.exists():
        shutil.rmtree(venv)
    log(f"creating {venv.name} ({', '.join(requirements)})")
    if run([sys.executable, "-m", "venv", venv]).returncode:
        sys.exit("could not create a virtual environment")
    pip = [venv_python(venv), "-m", "pip", "--disable-pip-version-check", "-q"]
    if run([*pip, "install", *requirements]).returncode:
        shutil.rmtree(venv, ignore_errors=True)
        sys.exit(f"could not install {requirements}")
    stamp.write_text(wanted)
    return venv_python(venv)


def blender_python(version):
    return ensure_venv(f"blender-{version}", [*BLENDER_PINS[version], *TEST_PINS])


def api_python():
    return ensure_venv("api", API_PINS)


def extension_tool(python):
    """Blender's own extension tool, shipped inside the bpy wheel."""
    out = subprocess.run(
        [str(python), "-c", "import bpy; print(bpy.utils.system_resource('SCRIPTS'))"],
        capture_output=True, text=True, check=True)
    scripts = Path(out.stdout.strip().splitlines()[-1])
    tool = scripts / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py"
    if not tool.is_file():
        sys.exit(f"blender_ext.py not found in the bpy wheel (looked in {scripts})")
    return tool


# --- wheels and the package -----------------------------------------------------------------

WHEEL_NAME = re.compile(
    r"^(?P<name>[^-]+)-(?P<version>[^-]+)-(?P<python>[^-]+)-(?P<abi>[^-]+)-(?P<platform>[^-]+)\.whl$")


def fetch_wheels():
    """Download every wheel the manifest lists, unmodified from PyPI, unless already cached."""
    WHEELS.mkdir(exist_ok=True)
    for entry in manifest().get("wheels", []):
        target = ROOT / entry
        if target.exists():
            continue
        match = WHEEL_NAME.match(target.name)
        if not match:
            sys.exit(f"cannot read wheel file name {target.name}")
        spec = f"{match['name']}=={match['version']}"
        cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q",
               "--no-deps", "--only-binary=:all:", "-d", WHEELS, spec]
        if match["platform"] != "any":
            cmd += ["--python-version", PYTHON_TAG, "--implementation", "cp",
                    "--abi", match["abi"], "--platform", match["platform"].split(".")[0]]
        if run(cmd).returncode or not target.exists():
            sys.exit(f"could not download {target.name}")


def build():
    fetch_wheels()
    tool = extension_tool(blender_python("5.0"))
    DIST.mkdir(exist_ok=True)
    out = zip_path()
    if out.exists():
        out.unlink()
    if run([sys.executable, tool, "build", "--source-dir", ROOT, "--output-dir", DIST]).returncode:
        sys.exit("extension build failed")
    if run([sys.executable, tool, "validate", out]).returncode:
        sys.exit("extension validation failed")
    log(f"built {out.relative_to(ROOT)} ({out.stat().st_size / 1e6:.1f} MB)")
    return out


# --- tests ----------------------------------------------------------------------------------

class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = self.xfailed = 0
        self.failed_suites = []

    def add(self, suite, report, returncode):
        if report.exists():
            root = ET.parse(report).getroot()
            for suite_el in root.iter("testsuite"):
                tests = int(suite_el.get("tests", 0))
                failed = int(suite_el.get("failures", 0)) + int(suite_el.get("errors", 0))
                skipped = int(suite_el.get("skipped", 0))
                # JUnit has no "expected failure": pytest writes an xfail as a skip of that type.
                xfailed = sum(1 for el in suite_el.iter("skipped")
                              if el.get("type") == "pytest.xfail")
                self.passed += tests - failed - skipped
                self.failed += failed
                self.skipped += skipped - xfailed
                self.xfailed += xfailed
        # Exit 5 (nothing collected) is a failure too: a suite that runs nothing proves nothing.
        if returncode != 0:
            self.failed_suites.append(f"{suite} (exit {returncode})")


def pytest(python, suite, paths, extra, tally, env=None):
    report = DIST / f"pytest-{suite}.xml"
    report.unlink(missing_ok=True)
    cmd = [python, "-m", "pytest", *paths, f"--junitxml={report}", "-p", "no:cacheprovider", *extra]
    result = run(cmd, cwd=ROOT, env={**os.environ, **(env or {})})
    tally.add(suite, report, result.returncode)


def test(args):
    package = build()
    tally = Tally()
    extra = args.pytest_args
    if args.suite in ("all", "api"):
        # The emulator's fixture check imports its files with Blender in a subprocess.
        pytest(api_python(), "api", ["tests/emulator_tests", "tests/api_tests",
                                     "tests/engine_tests"], extra, tally,
               env={"MESHY_BPY_PYTHON": str(blender_python("5.0"))})
    versions = {"all": ["5.0", "4.2"], "5.0": ["5.0"], "4.2": ["4.2"]}.get(args.blender, [])
    if args.suite in ("all", "blender"):
        for version in versions:
            pytest(blender_python(version), f"blender-{version}", ["tests/blender"], extra, tally,
                   env={"MESHY_TEST_PACKAGE": str(package)})
    print()
    for suite in tally.failed_suites:
        print(f"failed suite: {suite}")
    print(f"tests: {tally.passed} passed, {tally.failed} failed, {tally.skipped} skipped, "
          f"{tally.xfailed} expected to fail (xfail)")
    return 1 if tally.failed or tally.failed_suites else 0


# --- benchmarks and demo ----------------------------------------------------------------------

def bench(args):
    package = build()
    failed = []
    for script in sorted((ROOT / "bench").glob("bench_*.py")):
        # A bench that needs bpy says so in its first lines: "# needs: blender".
        head = script.read_text(encoding="utf-8").splitlines()[:3]
        python = blender_python("5.0") if "# needs: blender" in head else api_python()
        env = {**os.environ, "MESHY_TEST_PACKAGE": str(package), "PYTHONPATH": str(ROOT)}
        returncode = run([python, script], cwd=ROOT, env=env).returncode
        if returncode:
            failed.append(f"{script.name} (exit {returncode})")
    # A bench that could not measure the add-on's code fails the run; a missed target does not
    # (the tables say so).
    for name in failed:
        print(f"bench failed: {name}")
    return 1 if failed else 0


def demo(args):
    package = build()
    python = blender_python("5.0")
    cmd = [python, ROOT / "tests" / "demo.py", "--package", package]
    if args.real:
        cmd.append("--real")
    return run(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}).returncode


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("build", help="build and validate the extension zip (the default)")
    t = sub.add_parser("test", help="build, then run the tests")
    t.add_argument("--blender", choices=["all", "5.0", "4.2", "none"], default="all",
                   help="which Blender versions run the Blender tests (default: all)")
    t.add_argument("--suite", choices=["all", "api", "blender"], default="all")
    t.add_argument("pytest_args", nargs="*", help="passed on to pytest (after --)")
    sub.add_parser("bench", help="run the benchmarks")
    d = sub.add_parser("demo", help="run the demo in a headless Blender")
    d.add_argument("--real", action="store_true",
                   help="use the real Meshy API with MESHY_API_KEY instead of the emulator")
    args = parser.parse_args(argv)
    if args.command in (None, "build"):
        build()
        return 0
    return {"test": test, "bench": bench, "demo": demo}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
