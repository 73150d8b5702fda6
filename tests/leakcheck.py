"""Recording everything the client says, so a fixture can prove after each test that no API key
appears in any of it.

While installed, a `Recorder` keeps every log record (any logger, DEBUG and up), the text of every
`MeshyError` created (str, repr, user_message, args and attributes) and every key a `Secret` was
made with. `take()` hands over what was recorded since the last call and forgets it, so each test
is judged on its own, in any order. The classes are passed in: the api tests use the repository's
`api` package, the Blender tests the installed add-on's copy.

Records are kept as plain strings: nothing here holds on to sockets, responses or tracebacks.
"""

import logging
import threading

# Keys that are always looked for, whether or not a test made a client with them.
ALWAYS_SECRET = ("msy_dummy_api_key_for_test_mode_12345678", "msy_emulator_paid_key",
                 "msy_a_key_that_must_never_be_seen_0123456789")
# Shorter values are not redacted (see api.secret.redact: they would blank innocent text).
SHORTEST_SECRET = 8


_recorders = {}


def recorder_for(error_class, secret_class):
    """The one Recorder watching these classes, installed on first use. (A conftest can be
    imported twice, by pytest and by a test importing its helpers; two recorders would each
    see half of what they should forget.)"""
    key = (error_class, secret_class)
    if key not in _recorders:
        _recorders[key] = Recorder().install(error_class, secret_class)
    return _recorders[key]


class Recorder(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self._lock = threading.Lock()
        self._lines, self._errors, self._keys = [], [], set()
        self._undo = []

    # --- installing ------------------------------------------------------------------------------

    def install(self, error_class, secret_class):
        """Start recording log records, `error_class` instances and `secret_class` keys."""
        root = logging.getLogger()
        previous_level = root.level
        root.addHandler(self)
        # Debug on: the client's (and urllib3's) most talkative lines must be clean too.
        root.setLevel(logging.DEBUG)
        self._undo.append(lambda: (root.removeHandler(self), root.setLevel(previous_level)))

        recorder = self
        error_init = error_class.__init__

        def recording_error_init(error, *args, **kwargs):
            error_init(error, *args, **kwargs)
            recorder._note_error(error)

        error_class.__init__ = recording_error_init
        self._undo.append(lambda: setattr(error_class, "__init__", error_init))

        secret_init = secret_class.__init__

        def recording_secret_init(secret, value, *args, **kwargs):
            secret_init(secret, value, *args, **kwargs)
            recorder._note_key(value)

        secret_class.__init__ = recording_secret_init
        self._undo.append(lambda: setattr(secret_class, "__init__", secret_init))
        return self

    def uninstall(self):
        while self._undo:
            self._undo.pop()()

    # --- recording -------------------------------------------------------------------------------

    def emit(self, record):
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is still worth its raw parts
            text = f"{record.msg!r} {record.args!r}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        with self._lock:
            self._lines.append(f"{record.name}: {text}")

    def _note_error(self, error):
        texts = []
        for describe in (str, repr, lambda e: getattr(e, "user_message", ""),
                         lambda e: repr(e.args), lambda e: repr(vars(e))):
            try:
                texts.append(describe(error))
            except Exception as exc:  # noqa: BLE001 - half-built errors still get recorded
                texts.append(f"<unprintable: {type(exc).__name__}>")
        with self._lock:
            self._errors.append("\n".join(texts))

    def _note_key(self, value):
        if isinstance(value, str) and len(value.strip()) >= SHORTEST_SECRET:
            with self._lock:
                self._keys.add(value.strip())

    # --- judging -------------------------------------------------------------------------------

    def take(self):
        """(log lines, error texts, keys) recorded since the last take(); forgets them."""
        with self._lock:
            taken = self._lines, self._errors, self._keys
            self._lines, self._errors, self._keys = [], [], set()
        return taken


def leaks(lines, errors, keys=(), extra_texts=()):
    """Every place a key (or an Authorization header) shows: a list of short descriptions."""
    found = []
    secrets = set(ALWAYS_SECRET) | set(keys)
    for where, texts in (("log", lines), ("error", errors), ("text", extra_texts)):
        for text in texts:
            for secret in secrets:
                if secret in text:
                    found.append(f"key {secret[:6]}... in {where}: {text[:300]!r}")
    for line in lines:
        if "Bearer " in line or "authorization" in line.lower():
            found.append(f"Authorization header in log: {line[:300]!r}")
    return found
