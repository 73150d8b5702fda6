# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators: what buttons, menus and F3 run. Thin by design: they read settings, ask request.py
or selection.py for what to send, hand it to jobs.py and report; nothing here builds payloads.

One module per family (account, assets: the Meshy library among Blender's asset libraries,
generate, modes: one dialog per generation mode and Import by task id, picker: the preview
picker, batch: batch sheets and the `meshy_batch` command line, creative_lab: the panel's stages,
creative_products: one dialog per Creative Lab product, scene tools, catalogue: the animation
catalogue and task history, jobs); poll.py holds the checks they share and the one way a failure
becomes a report, calls.py the mixin for operators whose work is a single network call. Each
module exports `classes`; all are registered here."""

import bpy

from . import (account, assets, batch, catalogue, creative_lab, creative_products, generate, jobs,
               modes, picker, scene)

classes = (
    *account.classes,
    *assets.classes,
    *generate.classes,
    *modes.classes,
    *picker.classes,
    *creative_lab.classes,
    *creative_products.classes,
    *scene.classes,
    *catalogue.classes,
    *jobs.classes,
    *batch.classes,
)

_register_classes, _unregister_classes = bpy.utils.register_classes_factory(classes)


def register():
    _register_classes()
    batch.register_cli()


def unregister():
    batch.unregister_cli()
    _unregister_classes()
