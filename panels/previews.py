# SPDX-License-Identifier: GPL-3.0-or-later
"""Thumbnails shown in panels, loaded through bpy.utils.previews on the main thread."""

import os

import bpy.utils.previews

_collection = None


def icon_for(path):
    """The icon id for an image file (loaded once), or 0 when it cannot be shown."""
    if _collection is None or not path or not os.path.isfile(path):
        return 0
    if path not in _collection:
        _collection.load(path, path, 'IMAGE')
    return _collection[path].icon_id


def image_size(path):
    """(width, height) of a loaded thumbnail ((0, 0) when it is not loaded or unreadable)."""
    if _collection is None or path not in _collection:
        return (0, 0)
    return tuple(_collection[path].image_size)


def register():
    global _collection
    _collection = bpy.utils.previews.new()


def unregister():
    global _collection
    if _collection is not None:
        bpy.utils.previews.remove(_collection)
    _collection = None
