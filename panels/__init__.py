# SPDX-License-Identifier: GPL-3.0-or-later
"""The interface's drawing: sidebar panels ("Meshy" tab), lists, Blender's own menus (menus.py),
the status bar, the thumbnails they show (previews), and the Meshy Asset Shelf (library.py).
Each module exports its classes; the order here is the order of the panels in the sidebar.
Nothing here sends anything: buttons call operators."""

import bpy

from . import account, creative_lab, generate, jobs, library, menus, picker, previews, scene

classes = (
    *account.classes,
    *generate.classes,
    *picker.classes,
    *creative_lab.classes,
    *scene.selected_classes,
    *jobs.classes,
    *scene.history_classes,
    *menus.classes,
    *library.classes,
)

_register_classes, _unregister_classes = bpy.utils.register_classes_factory(classes)


def register():
    previews.register()
    _register_classes()
    menus.register_menus()
    bpy.types.STATUSBAR_HT_header.append(jobs.draw_status_bar)


def unregister():
    bpy.types.STATUSBAR_HT_header.remove(jobs.draw_status_bar)
    menus.unregister_menus()
    _unregister_classes()
    previews.unregister()
