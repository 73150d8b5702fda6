# SPDX-License-Identifier: GPL-3.0-or-later
"""Sidebar panels ("Meshy" tab), lists and menus. Each module exports `classes`."""

import bpy

from . import account, generate, jobs

classes = (
    *account.classes,
    *generate.classes,
    *jobs.classes,
)

register, unregister = bpy.utils.register_classes_factory(classes)
