# SPDX-License-Identifier: GPL-3.0-or-later
"""Property groups: what is saved with the file (Scene.meshy) and the live view (WindowManager.meshy).

WindowManager data is neither saved nor part of undo, which is exactly right for the job view: a
job's truth lives in jobs.py and the journal; these properties are only what the UI draws.
"""

import bpy
from bpy.props import (
    BoolProperty, CollectionProperty, FloatProperty, IntProperty, PointerProperty, StringProperty,
)

from .generation_settings import MESHY_PG_generate, settings_classes


class MESHY_PG_job(bpy.types.PropertyGroup):
    """One row of the Jobs list, mirrored from jobs.Job by jobs.tick()."""
    job_id: StringProperty()
    kind: StringProperty()
    label: StringProperty()
    status: StringProperty()
    progress: FloatProperty(min=0.0, max=1.0, subtype='FACTOR')
    queue_position: IntProperty(description="Tasks ahead of this one on Meshy (0 when running)")
    message: StringProperty()
    doc_url: StringProperty()
    credits: IntProperty()
    task_id: StringProperty()
    thumbnail: StringProperty(subtype='FILE_PATH')
    started: FloatProperty(description="time.time() when the job was submitted")
    finished: FloatProperty()
    result_path: StringProperty(subtype='FILE_PATH')
    result_name: StringProperty(description="The first object or image the result became")


class MESHY_PG_animation(bpy.types.PropertyGroup):
    """One entry of Meshy's animation library (name comes from PropertyGroup.name)."""
    action_id: IntProperty()
    category: StringProperty()


class MESHY_PG_history_item(bpy.types.PropertyGroup):
    """One past task from a list endpoint."""
    task_id: StringProperty()
    kind: StringProperty()
    status: StringProperty()
    label: StringProperty()
    created_at: FloatProperty()
    expires_at: FloatProperty()
    thumbnail: StringProperty(subtype='FILE_PATH')


class MESHY_PG_window(bpy.types.PropertyGroup):
    jobs: CollectionProperty(type=MESHY_PG_job)
    animations: CollectionProperty(type=MESHY_PG_animation)
    active_animation: IntProperty()
    history: CollectionProperty(type=MESHY_PG_history_item)
    active_history: IntProperty()
    history_message: StringProperty()
    active_job: IntProperty()
    balance: IntProperty(description="Credits left, as last fetched")
    balance_known: BoolProperty()
    balance_message: StringProperty()


classes = (
    *settings_classes,
    MESHY_PG_job,
    MESHY_PG_animation,
    MESHY_PG_history_item,
    MESHY_PG_window,
)


def register():
    for cls in classes:
        bpy.utils.register_class(cls)
    bpy.types.Scene.meshy = PointerProperty(type=MESHY_PG_generate)
    bpy.types.WindowManager.meshy = PointerProperty(type=MESHY_PG_window)


def unregister():
    del bpy.types.WindowManager.meshy
    del bpy.types.Scene.meshy
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
