# SPDX-License-Identifier: GPL-3.0-or-later
"""The Meshy Asset Shelf in the 3D Viewport: every Meshy result of the asset libraries, one drag
away (View > Asset Shelf, in Object Mode).

Blender decides the order of a shelf's assets (by catalog, then by name) and offers no hook to
sort them, so "newest first" cannot be had here; the Asset Browser's Meshy library, its catalogs
by kind or batch category, and the date in each asset's metadata are the way to find the newest.
"""

import bpy

from .. import library

# The ID types Meshy results become (library.py): objects, collections (multi-object results),
# actions (animations) and materials (image results and retextures).
ASSET_TYPES = frozenset({'OBJECT', 'COLLECTION', 'ACTION', 'MATERIAL'})


class MESHY_AST_library(bpy.types.AssetShelf):
    bl_space_type = 'VIEW_3D'
    bl_idname = "VIEW3D_AST_meshy_library"
    bl_default_preview_size = 96  # a thumbnail large enough to tell results apart
    # Blender 4.3+ reads these to skip other data-block types before asset_poll; 4.2 ignores them.
    filter_object = True
    filter_group = True
    filter_action = True
    filter_material = True

    @classmethod
    def poll(cls, context):
        return context.mode == 'OBJECT'

    @classmethod
    def asset_poll(cls, asset):
        return asset.id_type in ASSET_TYPES and is_meshy_asset(asset.metadata)


def is_meshy_asset(metadata):
    """Every asset the add-on marks carries the Meshy tag (library.describe)."""
    return metadata is not None and library.MESHY_TAG in metadata.tags


classes = (MESHY_AST_library,)
