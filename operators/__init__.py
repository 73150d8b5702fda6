# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators, one module per family. Each module exports `classes`; all are registered here."""

import bpy

from . import account, generate, jobs, library, scene

classes = (
    *account.classes,
    *generate.classes,
    *scene.classes,
    *library.classes,
    *jobs.classes,
)

register, unregister = bpy.utils.register_classes_factory(classes)
