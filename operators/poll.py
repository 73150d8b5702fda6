# SPDX-License-Identifier: GPL-3.0-or-later
"""The checks every operator shares, and the one way a failure becomes a report.

`refuse(cls, reason)` is what a poll() returns: False with Blender's poll message set, so a greyed
out button or menu entry says why. `network_problem()` is the one "can anything be sent to Meshy
now" check. `CANNOT_SEND` is every exception an operator turns into a message (the whole
MeshyError family and a setup problem), and `describe()` is that message: never a traceback,
never the key.
"""

from .. import jobs, preferences
from ..api.errors import MeshyError
from ..selection import SelectionError

# What an operator catches around preparing and sending: each carries a message a person can act on.
CANNOT_SEND = (MeshyError, preferences.ConnectionSetupError, SelectionError)


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
