# SPDX-License-Identifier: GPL-3.0-or-later
"""Keeping the API key out of reprs, logs, exception text and pickles.

The key lives in a `Secret`, whose repr and str are "<hidden>", so an object dump (`vars(client)`,
a debugger, a log line formatting the client) cannot show it. `redact` scrubs it out of any text
that came from elsewhere (a server message) before that text is put into an exception.
"""


class Secret:
    """Holds a key; only `reveal()` gives it back."""

    __slots__ = ("_value",)

    def __init__(self, value):
        if not isinstance(value, str):
            raise TypeError("the API key must be a string")
        value = value.strip()
        # A newline or other control character would let the key split the Authorization header.
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError("the API key contains control characters")
        self._value = value

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


def redact(text, secret):
    """`text` with every occurrence of the key replaced by "***"."""
    if not text or not secret:
        return text
    value = secret.reveal() if isinstance(secret, Secret) else str(secret)
    # Short strings would redact innocent text; real keys are long (msy_ + 30+ characters).
    if len(value) < 8:
        return text
    return text.replace(value, "***")
