# SPDX-License-Identifier: GPL-3.0-or-later
"""Sidebar panels ("Meshy" tab), lists and menus. Each module exports its classes; the order
here is the order of the panels in the sidebar."""

import bpy

from . import account, generate, jobs, scene

classes = (
    *account.classes,
    *generate.classes,
    *scene.selected_classes,
    *jobs.classes,
    *scene.history_classes,
)

_register_classes, _unregister_classes = bpy.utils.register_classes_factory(classes)


def register():
    _register_classes()
    scene.register_menus()


def unregister():
    scene.unregister_menus()
    _unregister_classes()
