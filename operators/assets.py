# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators of the Meshy library: register its folder as one of Blender's asset libraries."""

import bpy

from .. import library, preferences


class MESHY_OT_add_library(bpy.types.Operator):
    bl_idname = "meshy.add_library"
    bl_label = "Meshy: Add Library to Blender"
    bl_description = ("Add the Meshy library folder to Blender's asset libraries (Preferences > "
                      "File Paths), so every past result shows in the Asset Browser and the "
                      "Asset Shelf of any file")

    def execute(self, context):
        try:
            entry, added = library.register_library(context)
        except OSError as exc:
            folder = preferences.library_folder(context)
            self.report({'ERROR'}, f"Could not create the Meshy library folder {folder}: "
                                   f"{exc.strerror or exc}. Choose another folder in the "
                                   "add-on preferences")
            return {'CANCELLED'}
        if added:
            self.report({'INFO'}, f"Added the Meshy library to Blender's asset libraries as "
                                  f"\"{entry.name}\" ({entry.path})")
        else:
            self.report({'INFO'}, f"The Meshy library is already one of Blender's asset "
                                  f"libraries, as \"{entry.name}\"")
        return {'FINISHED'}


classes = (MESHY_OT_add_library,)
