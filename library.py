# SPDX-License-Identifier: GPL-3.0-or-later
"""The Meshy library: every result as a Blender asset, and a library of them on disk."""


def after_import(context, job, names):
    """Main thread, right after a result was imported: returns its library .blend path or ""."""
    return ""
