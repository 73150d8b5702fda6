"""api/ and engine/ are plain Python: importing them pulls in neither bpy nor the heavy optional
modules, whatever file is added to those folders."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(code):
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": ROOT})


def test_importing_api_does_not_import_bpy_pil_or_sseclient():
    result = _run("import api, sys\n"
                  "assert 'bpy' not in sys.modules\n"
                  "assert 'PIL' not in sys.modules, 'PIL imported at import time'\n"
                  "assert 'sseclient' not in sys.modules, 'sseclient imported at import time'\n"
                  "print('ok')")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_api_source_never_mentions_bpy_and_uses_relative_imports():
    folder = os.path.join(ROOT, "api")
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            source = handle.read()
        assert "import bpy" not in source and "from bpy" not in source, name
        assert "from api" not in source and "import api" not in source, name


def test_the_package_works_under_another_name():
    """Installed, the package is bl_ext.<repo>.meshy_for_blender.api: relative imports only."""
    result = _run("import importlib.util, sys, os, types\n"
                  "for parent in ('bl_ext_x', 'bl_ext_x.meshy'):\n"
                  "    sys.modules[parent] = types.ModuleType(parent)\n"
                  "    sys.modules[parent].__path__ = []\n"
                  "spec = importlib.util.spec_from_file_location('bl_ext_x.meshy.api', "
                  "os.path.join('api', '__init__.py'), "
                  "submodule_search_locations=[os.path.abspath('api')])\n"
                  "module = importlib.util.module_from_spec(spec)\n"
                  "sys.modules['bl_ext_x.meshy.api'] = module\n"
                  "spec.loader.exec_module(module)\n"
                  "assert 'api' not in sys.modules\n"
                  "print(module.MeshyClient.__module__)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "bl_ext_x.meshy.api.client"


def test_every_module_in_api_and_engine_imports_without_bpy():
    """The whole folders, not a list of files: a module added later is checked too."""
    result = _run("import importlib, os, pkgutil, sys, types\n"
                  "class NoBpy:\n"
                  "    def find_spec(self, name, path=None, target=None):\n"
                  "        if name == 'bpy' or name.startswith(('bpy.', 'mathutils', 'bmesh')):\n"
                  "            raise ImportError(name + ' imported')\n"
                  "sys.meta_path.insert(0, NoBpy())\n"
                  # The repository root is the add-on package; its __init__ (which needs bpy)
                  # is not run: a stand-in parent holds the folders as subpackages.
                  "root = types.ModuleType('meshy_pkg')\n"
                  "root.__path__ = [os.getcwd()]\n"
                  "sys.modules['meshy_pkg'] = root\n"
                  "names = []\n"
                  "for folder in ('api', 'engine'):\n"
                  "    importlib.import_module('meshy_pkg.' + folder)\n"
                  "    for info in pkgutil.walk_packages([folder], 'meshy_pkg.' + folder + '.'):\n"
                  "        importlib.import_module(info.name)\n"
                  "        names.append(info.name)\n"
                  "assert 'bpy' not in sys.modules\n"
                  "print(len(names), ' '.join(sorted(names)))")
    assert result.returncode == 0, result.stderr
    count, names = result.stdout.strip().split(" ", 1)
    assert int(count) >= 15, names
    for expected in ("meshy_pkg.engine.worker", "meshy_pkg.engine.journal",
                     "meshy_pkg.api.client", "meshy_pkg.api.results", "meshy_pkg.api.images"):
        assert expected in names.split(), names
