# SPDX-License-Identifier: GPL-3.0-or-later
"""The journal: every Meshy task this computer started, on disk, so nothing paid for is lost.

A task id is written the moment the create call returns, before anything else happens, and each
later step (succeeded, downloaded, imported, failed, stopped, deleted) updates the same entry.
The file is replaced atomically (write a temporary file, fsync, rename), so a crash or a kill at
any moment leaves either the old or the new journal, never half of one.

Plain Python, no bpy: worker threads write here. One lock serialises writers in this process;
`owner_pid` keeps two Blender sessions from resuming the same task.
"""

import json
import os
import tempfile
import threading
import time

# Meshy keeps results for three days (asset retention page).
RETENTION_SECONDS = 3 * 24 * 3600

# States after which there is nothing left to do for an entry.
SETTLED = frozenset({"imported", "failed", "deleted", "expired", "discarded"})


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
    """A JSON file of entries keyed by local job id."""

    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()
        os.makedirs(os.path.dirname(path), exist_ok=True)

    def _read(self):
        try:
            with open(self.path, encoding="utf-8") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            # A journal we cannot read must not stop Blender; keep it aside for inspection.
            try:
                os.replace(self.path, self.path + f".unreadable-{int(time.time())}")
            except OSError:
                pass
            return {}
        return data.get("entries", {}) if isinstance(data, dict) else {}

    def _write(self, entries):
        folder = os.path.dirname(self.path)
        fd, tmp = tempfile.mkstemp(prefix=".journal-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"version": 1, "entries": entries}, fh, indent=1, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def entries(self):
        with self._lock:
            return self._read()

    def get(self, job_id):
        return self.entries().get(job_id)

    def update(self, job_id, unless_state=None, **fields):
        """Create or update one entry; returns the entry as written.

        With `unless_state`, an entry already in that state is left alone (a worker's late
        "stopped" must not undo the main thread's "deleted").
        """
        with self._lock:
            entries = self._read()
            entry = entries.setdefault(job_id, {"job_id": job_id, "recorded_at": time.time()})
            if unless_state is not None and entry.get("state") == unless_state:
                return dict(entry)
            entry.update(fields)
            entry["updated_at"] = time.time()
            self._write(entries)
            return dict(entry)

    def forget(self, job_ids):
        with self._lock:
            entries = self._read()
            for job_id in job_ids:
                entries.pop(job_id, None)
            self._write(entries)

    def prune(self, now=None):
        """Forget settled entries older than Meshy's retention: nothing is left to do for them,
        and the journal is rewritten whole on every update, so it must not grow forever."""
        now = time.time() if now is None else now
        with self._lock:
            entries = self._read()
            old = [k for k, e in entries.items() if e.get("state") in SETTLED
                   and now - e.get("updated_at", now) > RETENTION_SECONDS]
            if old:
                for job_id in old:
                    del entries[job_id]
                self._write(entries)
            return len(old)

    def unsettled(self, now=None):
        """Entries that may still need following, downloading or importing."""
        return [e for e in self.entries().values() if e.get("state") not in SETTLED]


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
