"""Environment for the Blender tests, set before bpy is first imported.

Blender reads its user folders from the environment when bpy is first imported, so this module
(imported by conftest.py before bpy) points them at a throw-away folder: tests never see or change
the developer's own Blender configuration, and the developer's own key never reaches a test.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

USER_DIR = Path(tempfile.mkdtemp(prefix="meshy-blender-user-"))
atexit.register(shutil.rmtree, USER_DIR, ignore_errors=True)
os.environ["BLENDER_USER_RESOURCES"] = str(USER_DIR)
os.environ.pop("MESHY_API_KEY", None)

REPO = "user_default"
ADDON_ID = "meshy_for_blender"
MODULE = f"bl_ext.{REPO}.{ADDON_ID}"
