# SPDX-License-Identifier: GPL-3.0-or-later
"""The journal: every Meshy task this computer started, on disk, so nothing paid for is lost.

A task id is written the moment the create call returns, before anything else happens, and each
later step (succeeded, downloaded, imported, failed, stopped, deleted) updates the same entry.

The journal is one sqlite3 database (standard library), because artists run two Blenders at once
and both write here: every update is one short transaction (BEGIN IMMEDIATE: read the entry,
change it, write it back), so concurrent writers, threads or processes, wait their turn instead
of overwriting each other. WAL mode lets readers go on while one writes; synchronous=FULL makes a
committed entry survive a crash or a power cut. Each entry is a JSON object stored as text under
its local job id.

Plain Python, no bpy: worker threads write here. Every call opens its own connection (sqlite3
connections may not be shared between threads), so the journal needs no lock of its own;
`owner_pid` keeps two Blender sessions from resuming the same task.
"""

import contextlib
import json
import os
import sqlite3
import threading
import time

# Meshy keeps results for three days (asset retention page).
RETENTION_SECONDS = 3 * 24 * 3600

# States after which there is nothing left to do for an entry.
SETTLED = frozenset({"imported", "failed", "deleted", "expired", "discarded"})

# How long a writer waits for another process's transaction before giving up (they take
# milliseconds; a long wait means a stuck process, and the caller reports the error).
BUSY_TIMEOUT = 30.0

# The journal of versions before the database: imported once, then renamed.
LEGACY_NAME = "journal.json"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    job_id     TEXT PRIMARY KEY,
    state      TEXT,
    updated_at REAL,
    entry      TEXT NOT NULL
)"""

# sqlite3 result codes that mean "this file is not a usable database" (not "busy" or "locked").
_UNREADABLE_CODES = {getattr(sqlite3, "SQLITE_CORRUPT", 11), getattr(sqlite3, "SQLITE_NOTADB", 26)}


def summarise_payload(payload):
    """The payload without inline data (data URIs can be tens of megabytes)."""
    def brief(value):
        if hasattr(value, "description"):  # an engine.Deferred input
            return f"<{value.description}>"
        if not isinstance(value, (str, int, float, bool, list, dict, type(None))):
            return f"<{type(value).__name__}>"
        if isinstance(value, str) and value.startswith("data:"):
            return f"<inline {value[:value.find(';')].removeprefix('data:')}, {len(value):,} chars>"
        if isinstance(value, list):
            return [brief(v) for v in value]
        if isinstance(value, dict):
            return {k: brief(v) for k, v in value.items()}
        return value
    return brief(payload)


def is_plain(value):
    """True when `value` survives a trip through the journal unchanged (no inline inputs)."""
    return summarise_payload(value) == value


class Journal:
    """Entries keyed by local job id, in a sqlite3 database at `path`."""

    def __init__(self, path, legacy_path=None):
        self.path = path
        self.legacy_path = legacy_path or os.path.join(os.path.dirname(path), LEGACY_NAME)
        self._ready = False
        self._ready_lock = threading.Lock()
        self._held_open = None
        os.makedirs(os.path.dirname(path), exist_ok=True)

    # --- the public calls ----------------------------------------------------------------------

    def entries(self):
        """{job_id: entry}, in the order the entries were first written."""
        with self._connection() as db:
            rows = db.execute("SELECT job_id, entry FROM entries ORDER BY rowid").fetchall()
        return {job_id: entry for job_id, entry in
                ((job_id, _decode(text)) for job_id, text in rows) if entry is not None}

    def get(self, job_id):
        with self._connection() as db:
            row = db.execute("SELECT entry FROM entries WHERE job_id = ?", (job_id,)).fetchone()
        return _decode(row[0]) if row else None

    def update(self, job_id, unless_state=None, **fields):
        """Create or update one entry; returns the entry as written.

        With `unless_state`, an entry already in that state is left alone (a worker's late
        "stopped" must not undo the main thread's "deleted").
        """
        with self._transaction() as db:
            row = db.execute("SELECT entry FROM entries WHERE job_id = ?", (job_id,)).fetchone()
            entry = (_decode(row[0]) if row else None) or {"job_id": job_id,
                                                            "recorded_at": time.time()}
            if unless_state is not None and entry.get("state") == unless_state:
                return dict(entry)
            entry.update(fields)
            entry["updated_at"] = time.time()
            _write(db, job_id, entry)
        return dict(entry)

    def forget(self, job_ids):
        with self._transaction() as db:
            db.executemany("DELETE FROM entries WHERE job_id = ?", [(j,) for j in job_ids])

    def clear(self):
        """Forget every entry (tests and benchmarks start from an empty journal)."""
        with self._transaction() as db:
            db.execute("DELETE FROM entries")

    def prune(self, now=None):
        """Forget settled entries older than Meshy's retention: nothing is left to do for them."""
        now = time.time() if now is None else now
        settled = sorted(SETTLED)
        with self._transaction() as db:
            cursor = db.execute(
                f"DELETE FROM entries WHERE state IN ({', '.join('?' * len(settled))}) "
                "AND updated_at < ?", (*settled, now - RETENTION_SECONDS))
            return cursor.rowcount

    def unsettled(self, now=None):
        """Entries that may still need following, downloading or importing."""
        return [e for e in self.entries().values() if e.get("state") not in SETTLED]

    # --- the database --------------------------------------------------------------------------

    def _connection(self):
        """A connection of this call's own, closed when the `with` block ends."""
        self._prepare()
        return contextlib.closing(self._connect())

    @contextlib.contextmanager
    def _transaction(self, prepare=True):
        """One write transaction, holding the write lock from its first statement (BEGIN
        IMMEDIATE), so a read-modify-write cannot interleave with another writer's."""
        if prepare:
            self._prepare()
        with contextlib.closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.rollback()
                raise
            db.commit()

    def _connect(self):
        # isolation_level=None: transactions are begun explicitly, as above.
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            db.execute("PRAGMA synchronous = FULL")
        except BaseException:
            db.close()
            raise
        return db

    def _prepare(self):
        """Create the schema and import the old JSON journal, once per Journal object."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            try:
                self._create_schema_when_free()
            except _Unreadable:
                # A journal we cannot read must not stop Blender; keep it aside for inspection.
                self._set_aside()
                self._create_schema()
            self._migrate_legacy()
            self._held_open = self._hold_open()
            self._ready = True

    def _hold_open(self):
        """A connection that only keeps the database open while this Journal lives.

        SQLite checkpoints and removes the write-ahead log whenever the last connection to a
        database closes; without this one, every call's own connection would be the last, and
        each update would cost that extra disk work (about twice the time)."""
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None,
                             check_same_thread=False)
        # One read maps the log's index; it ends at once, so no snapshot is held that would
        # stop checkpoints.
        db.execute("SELECT count(*) FROM entries").fetchone()
        return db

    def close(self):
        """Let go of the database (Blender unregisters the add-on). Calls still work after it."""
        with self._ready_lock:
            if self._held_open is not None:
                self._held_open.close()
                self._held_open = None

    def _create_schema_when_free(self):
        """_create_schema, tried again while another process holds the file: two Blenders that
        start together both open a new journal, and switching it to WAL needs the file to itself
        (SQLite reports that as "locked" at once rather than waiting for its busy timeout)."""
        deadline = time.monotonic() + BUSY_TIMEOUT
        while True:
            try:
                return self._create_schema()
            except sqlite3.OperationalError as exc:
                busy = getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY,
                                                                   sqlite3.SQLITE_LOCKED)
                if not busy or time.monotonic() > deadline:
                    raise
            time.sleep(0.02)

    def _create_schema(self):
        """Raises _Unreadable when the file is not a sound sqlite3 database."""
        try:
            db = self._connect()
            try:
                # WAL is a property of the database file: set once, kept by every connection.
                if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    db.execute("PRAGMA journal_mode = WAL")
                db.execute(_SCHEMA)
                # The journal is small (settled entries are pruned): checking it whole is cheap,
                # and finds damage now rather than in the middle of a job.
                if db.execute("PRAGMA quick_check").fetchone() != ("ok",):
                    raise _Unreadable("the journal database failed its integrity check")
            finally:
                db.close()
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorcode", None) not in _UNREADABLE_CODES:
                raise  # busy, locked, read-only, disk full: not a reason to set the journal aside
            raise _Unreadable(str(exc)) from exc

    def _set_aside(self):
        stamp = int(time.time())
        for suffix in ("", "-wal", "-shm"):
            try:
                os.replace(self.path + suffix, f"{self.path}.unreadable-{stamp}{suffix}")
            except FileNotFoundError:
                pass

    def _migrate_legacy(self):
        """Import the entries of an old journal.json (keeping any newer entry already here),
        then rename it so it is imported only once."""
        if not os.path.exists(self.legacy_path):
            return
        # Read under the write lock: a second process migrating at the same moment waits here,
        # then finds the same entries (nothing newer is overwritten) or the file renamed.
        with self._transaction(prepare=False) as db:
            for job_id, entry in _read_legacy(self.legacy_path).items():
                row = db.execute("SELECT entry FROM entries WHERE job_id = ?",
                                 (job_id,)).fetchone()
                current = _decode(row[0]) if row else None
                if current is None or _newer(entry, current):
                    _write(db, job_id, {**entry, "job_id": job_id})
        try:
            os.replace(self.legacy_path, self.legacy_path + ".migrated")
        except FileNotFoundError:
            pass  # another process renamed it first


class _Unreadable(Exception):
    pass


def _write(db, job_id, entry):
    db.execute("INSERT INTO entries (job_id, state, updated_at, entry) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (job_id) DO UPDATE SET state = excluded.state, "
               "updated_at = excluded.updated_at, entry = excluded.entry",
               (job_id, entry.get("state"), _number(entry.get("updated_at")),
                json.dumps(entry, sort_keys=True)))


def _decode(text):
    try:
        entry = json.loads(text)
    except (TypeError, ValueError):
        return None
    return entry if isinstance(entry, dict) else None


def _number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _newer(entry, current):
    return (_number(entry.get("updated_at")) or 0) > (_number(current.get("updated_at")) or 0)


def _read_legacy(path):
    """The entries of an old JSON journal; {} (and the file set aside) when it is unreadable."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        try:
            os.replace(path, path + f".unreadable-{int(time.time())}")
        except OSError:
            pass
        return {}
    entries = data.get("entries", {}) if isinstance(data, dict) else {}
    if not isinstance(entries, dict):
        return {}
    return {str(k): v for k, v in entries.items() if isinstance(v, dict)}


def is_expired(entry, now=None):
    """True when Meshy has (or will have) deleted this task's files."""
    now = time.time() if now is None else now
    expires_ms = entry.get("expires_at")
    if expires_ms:
        return now * 1000 >= expires_ms
    # Not finished when last seen: it cannot outlive creation + retention by much.
    created = entry.get("created_at") or entry.get("recorded_at") or now
    return now - created > RETENTION_SECONDS


def owner_alive(entry):
    """True when another live process (not this one) owns the entry."""
    pid = entry.get("owner_pid")
    if not pid or pid == os.getpid():
        return False
    return _process_alive(pid)


def _process_alive(pid):
    if os.name == "nt":
        # os.kill(pid, 0) would terminate the process on Windows; ask the kernel instead.
        import ctypes
        synchronize, wait_timeout = 0x00100000, 0x102
        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(synchronize, False, pid)
        if not handle:
            return False
        try:
            return kernel32.WaitForSingleObject(handle, 0) == wait_timeout
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True
