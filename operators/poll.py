# SPDX-License-Identifier: GPL-3.0-or-later
"""The checks every operator shares, and the one way a failure becomes a report.

`refuse(cls, reason)` is what a poll() returns: False with Blender's poll message set, so a greyed
out button or menu entry says why. `network_problem()` is the one "can anything be sent to Meshy
now" check. `CANNOT_SEND` is every exception an operator turns into a message (the whole
MeshyError family and a setup problem), and `describe()` is that message: never a traceback,
never the key.
"""

from .. import jobs, preferences, request
from ..api.errors import MeshyError
from ..request import NotReady
from ..selection import SelectionError

# What an operator catches around preparing and sending: each carries a message a person can act on.
CANNOT_SEND = (MeshyError, preferences.ConnectionSetupError, SelectionError, NotReady)


def describe(error):
    """The sentence to show for a failed call or request."""
    if isinstance(error, CANNOT_SEND):
        return str(error)
    if isinstance(error, TimeoutError):
        return str(error) or "Meshy did not answer in time"
    return f"Unexpected error while contacting Meshy: {type(error).__name__}"


def report(operator, error):
    """Report a failure as an error and cancel: `return report(self, exc)`."""
    operator.report({'ERROR'}, describe(error))
    return {'CANCELLED'}


def refuse(cls, reason):
    """poll() result: True when there is no reason, else False with the reason shown."""
    if reason:
        cls.poll_message_set(reason)
        return False
    return True


def network_problem(context):
    """Why nothing can be sent to Meshy right now ("" when it can)."""
    if jobs.engine() is None:
        return "Meshy for Blender is still starting"
    if preferences.key_source(context) == "missing":
        return "Add your Meshy API key in the add-on preferences first"
    return (preferences.configured_key_problem(context)
            or preferences.base_url_problem(preferences.base_url(context))
            or preferences.offline_reason(context))


def generate_problem(context):
    """Why the Generate button cannot send the sidebar's settings ("" when it can)."""
    # Concept images go to the image source, not Meshy: request.problem checks that one.
    meshy = "" if request.uses_image_source(context) else network_problem(context)
    return meshy or request.problem(context)


# The object context menu hands its entries the object they act on under this name
# (UILayout.context_pointer_set), so their poll can check the selection; from the History panel,
# F3 or a script the same operators may act on a task id, and the selection is checked on sending.
MENU_TARGET = "meshy_menu_target"


def selection_problem(context, kind):
    """Why the selection cannot go to `kind`, from what is cheap to know while a menu draws
    ("" when nothing is wrong). selection.check_selection() does the full check when sending."""
    from ..api import tasks
    meshes = [o for o in context.selected_objects if o.type == 'MESH']
    if not meshes:
        return "Select a mesh object first"
    for obj in meshes:
        if not obj.data.polygons:
            return f"'{obj.name}' has no faces: nothing to send"
        if min(abs(v) for v in obj.matrix_world.to_scale()) < 1e-6:
            return f"'{obj.name}' has a zero scale: apply or fix its scale"
    if kind == "rigging":
        # Blender keeps the triangulation cached, so this is cheap after the first draw.
        triangles = sum(len(o.data.loop_triangles) for o in meshes)
        if triangles > tasks.RIG_FACE_LIMIT:
            return (f"{triangles:,} triangles; Meshy rigs up to {tasks.RIG_FACE_LIMIT:,}. "
                    "Remesh it with Meshy first")
    return ""
