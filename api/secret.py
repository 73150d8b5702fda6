# SPDX-License-Identifier: GPL-3.0-or-later
"""Keeping keys out of reprs, logs, exception text, the journal and pickles.

A key lives in a `Secret`, whose repr and str are "<hidden>", so an object dump (`vars(client)`,
a debugger, a log line formatting the client) cannot show it. Every Secret also registers its
value in one process-wide set of known secrets, and `redact` scrubs all of them out of any text:
MeshyError redacts its message when it is made, the job engine redacts failure messages, and the
package's loggers (made with `get_logger`) redact every record. One redaction at the error
boundary therefore covers every path: the API, downloads, the image source, the journal and logs.
"""

import logging
import threading

# Shorter strings would redact innocent text; real keys are long (msy_ + 30+ characters).
MIN_SECRET_LENGTH = 8
MASK = "***"

_known = set()
_known_lock = threading.Lock()


def key_problem(value, what="The API key"):
    """Why `value` cannot be sent as a key, or "" when it can. Never quotes the key."""
    value = value.strip()
    # A line break or other control character would let the key split the Authorization header;
    # a tab or space inside is a paste accident that the server would only answer with 401.
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return (f"{what} contains a tab, line break or other control character; "
                "paste it again without them")
    if any(c.isspace() for c in value):
        return f"{what} contains a space; paste it again without spaces"
    if not value.isascii():
        return (f"{what} contains characters other than plain letters, digits and "
                "punctuation; paste it again as it was given to you")
    return ""


def remember(value):
    """Add a secret value to the set that `redact` scrubs (too short a value is ignored)."""
    if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
        with _known_lock:
            _known.add(value)


class Secret:
    """Holds a key; only `reveal()` gives it back."""

    __slots__ = ("_value",)

    def __init__(self, value):
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError("the API key must be a string")
        value = value.strip()
        problem = key_problem(value)
        if problem:
            from .errors import InvalidKey  # errors imports this module
            raise InvalidKey(problem + ".")
        self._value = value
        remember(value)

    def reveal(self):
        return self._value

    def __bool__(self):
        return bool(self._value)

    def __repr__(self):
        return "<hidden>"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("an API key is not picklable")

    def bearer(self):
        """The Authorization header value."""
        return "Bearer " + self._value


def redact(text, secret=None):
    """`text` with every known secret (and `secret`, if given) replaced by "***"."""
    if not text or not isinstance(text, str):
        return text
    if secret is not None:
        remember(secret.reveal() if isinstance(secret, Secret) else str(secret))
    with _known_lock:
        # Longest first, so a key that contains another is masked whole.
        values = sorted(_known, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Scrubs known secrets out of every record a logger of this package handles."""

    def filter(self, record):
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_FILTER = RedactingFilter()


def get_logger(name):
    """logging.getLogger(name), with the redacting filter attached (once)."""
    log = logging.getLogger(name)
    if _FILTER not in log.filters:
        log.addFilter(_FILTER)
    return log
