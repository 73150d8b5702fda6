# SPDX-License-Identifier: GPL-3.0-or-later
"""Meshy for Blender: the Meshy AI API inside Blender.

Registration only. Each sub-module owns one concern and exposes register()/unregister();
they are registered in dependency order and unregistered in reverse so that nothing is
left behind and register -> unregister -> register works.
"""

from . import jobs, operators, panels, picker, preferences, properties

_modules = (preferences, properties, operators, panels, picker, jobs)


def register():
    for module in _modules:
        module.register()


def unregister():
    for module in reversed(_modules):
        module.unregister()
