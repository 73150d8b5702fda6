# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators, one module per family. Each module exports `classes`; all are registered here."""

import bpy

from . import account, generate, jobs

classes = (
    *account.classes,
    *generate.classes,
    *jobs.classes,
)

register, unregister = bpy.utils.register_classes_factory(classes)
