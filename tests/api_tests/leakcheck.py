"""Everything the api tests make the client say: every log record and every MeshyError created
during the run, kept so test_zz_no_key_leaks.py can prove the keys never appear in any of it.

Installed once per session by conftest.py; the records are plain strings so nothing here keeps
sockets or responses alive.
"""

import logging

from api.errors import MeshyError

LOG_LINES = []
ERROR_TEXTS = []
_installed = []


class _Collector(logging.Handler):
    def emit(self, record):
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is still worth its raw parts
            text = f"{record.msg!r} {record.args!r}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        LOG_LINES.append(f"{record.name}: {text}")


def install():
    if _installed:
        return
    handler = _Collector(level=logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    # Debug on: the client's (and urllib3's) most talkative lines must be clean too.
    root.setLevel(logging.DEBUG)
    original_init = MeshyError.__init__

    def recording_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        ERROR_TEXTS.append(self)

    MeshyError.__init__ = recording_init
    _installed.append((handler, original_init))


def error_strings():
    """str, repr, user_message, args and attributes of every MeshyError made so far."""
    out = []
    for error in ERROR_TEXTS:
        out.extend([str(error), repr(error), error.user_message, repr(error.args),
                    repr(vars(error))])
    return out
