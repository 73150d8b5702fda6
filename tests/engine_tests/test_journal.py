"""The journal on sqlite3: safe when two Blender processes write at once, migrated from the old
JSON journal, and never an obstacle when its file is damaged."""

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from meshy_pkg.engine import journal as journal_mod
from meshy_pkg.engine.journal import Journal

from .conftest import STAND_IN

# A separate OS process (another Blender) doing `count` updates, started when `go` exists.
WRITER = STAND_IN + textwrap.dedent("""
    import os, sys, time
    from meshy_pkg.engine.journal import Journal
    path, go, name, count, same = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    journal = Journal(path)
    journal.get("warm-up")          # open (schema, migration) before the race starts
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.001)
    for i in range(count):
        if same == "same":
            journal.update("shared", **{f"{name}_{i}": i})
        else:
            journal.update(f"{name}-{i}", state="created", task_id=f"task-{name}-{i}")
""")


def run_writers(path, tmp_path, names, count, same=False):
    go = tmp_path / "go"
    children = [subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(go), name, str(count),
         "same" if same else "distinct"], stdout=subprocess.PIPE, text=True) for name in names]
    try:
        for child in children:
            assert child.stdout.readline().strip() == "ready"
        go.touch()
        for child in children:
            assert child.wait(120) == 0
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stdout.close()


@pytest.fixture
def path(tmp_path):
    return tmp_path / "journal" / "journal.sqlite3"


def test_two_processes_lose_no_entry(path, tmp_path):
    run_writers(path, tmp_path, ["a", "b"], 200)
    entries = Journal(str(path)).entries()
    assert len(entries) == 400
    for name in "ab":
        for i in range(200):
            entry = entries[f"{name}-{i}"]
            assert entry["state"] == "created" and entry["task_id"] == f"task-{name}-{i}"


def test_concurrent_updates_of_one_entry_keep_every_field(path, tmp_path):
    run_writers(path, tmp_path, ["a", "b"], 100, same=True)
    journal = Journal(str(path))
    # ...and threads of this process at the same time as nothing else: each its own connection.
    threads = [threading.Thread(target=lambda n=n: [journal.update("shared", **{f"t{n}_{i}": i})
                                                     for i in range(50)]) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    entry = journal.get("shared")
    expected = {f"{p}_{i}" for p in "ab" for i in range(100)} | \
        {f"t{n}_{i}" for n in range(4) for i in range(50)}
    assert expected <= set(entry), sorted(expected - set(entry))[:10]


def test_update_get_forget_clear_and_the_returned_entry(path):
    journal = Journal(str(path))
    written = journal.update("j1", state="created", task_id="t1")
    assert written["job_id"] == "j1" and written["state"] == "created"
    assert written["recorded_at"] <= written["updated_at"]
    assert journal.get("j1") == written
    assert journal.get("nobody") is None
    journal.update("j1", state="deleted")
    # A late "stopped" from a worker must not undo the main thread's "deleted".
    assert journal.update("j1", unless_state="deleted", state="stopped")["state"] == "deleted"
    assert journal.get("j1")["state"] == "deleted" and journal.get("j1")["task_id"] == "t1"
    journal.update("j2", state="created")
    journal.update("j3", state="failed")
    assert list(journal.entries()) == ["j1", "j2", "j3"], "in the order first written"
    assert [e["job_id"] for e in journal.unsettled()] == ["j2"]
    journal.forget(["j2", "missing"])
    assert list(journal.entries()) == ["j1", "j3"]
    journal.clear()
    assert journal.entries() == {}
    journal.update("j4", state="created")
    assert list(Journal(str(path)).entries()) == ["j4"], "another Journal sees the same data"


def test_prune_forgets_only_old_settled_entries(path):
    journal = Journal(str(path))
    journal.update("imported-a", state="imported", task_id="t1")
    journal.update("expired-b", state="expired", task_id="t2")
    journal.update("unfinished", state="stopped", task_id="t3")
    assert journal.prune() == 0
    assert journal.prune(now=time.time() + 4 * 24 * 3600) == 2
    assert list(journal.entries()) == ["unfinished"]


def test_the_database_is_in_wal_mode_and_holds_json_entries(path):
    journal = Journal(str(path))
    journal.update("j1", state="created", payload={"prompt": "a crate"})
    with sqlite3.connect(str(path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        (text,), = db.execute("SELECT entry FROM entries WHERE job_id = 'j1'")
    db.close()
    assert json.loads(text)["payload"] == {"prompt": "a crate"}


def legacy_journal(folder, entries):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "journal.json").write_text(json.dumps({"version": 1, "entries": entries}))


def test_the_old_json_journal_is_imported_once_without_overwriting_newer_entries(path):
    # Entries this database already holds (e.g. written by a newer session on this computer).
    early = Journal(str(path))
    newer = early.update("both", state="imported", task_id="t-both")["updated_at"]
    early.update("json-newer", state="created")
    legacy_journal(path.parent, {
        "old-only": {"job_id": "old-only", "state": "created", "task_id": "t-old",
                     "recorded_at": 10.0, "updated_at": 20.0, "kind": "text_to_3d_preview"},
        "both": {"job_id": "both", "state": "created", "task_id": "t-both",
                 "recorded_at": 10.0, "updated_at": newer - 100},
        "json-newer": {"job_id": "json-newer", "state": "downloaded", "updated_at": 9e9},
    })
    # The database was opened before journal.json appeared; the next session migrates it.
    journal = Journal(str(path))
    entries = journal.entries()
    assert entries["old-only"]["task_id"] == "t-old"
    assert entries["old-only"]["kind"] == "text_to_3d_preview"
    assert entries["both"]["state"] == "imported", "the newer entry is kept"
    assert entries["json-newer"]["state"] == "downloaded", "the newer JSON entry wins"
    assert not (path.parent / "journal.json").exists()
    assert (path.parent / "journal.json.migrated").exists()
    # Once only: a later session does not import the renamed file again.
    journal.forget(["old-only"])
    assert "old-only" not in Journal(str(path)).entries()


def test_an_unreadable_old_json_journal_is_set_aside(path):
    path.parent.mkdir(parents=True)
    (path.parent / "journal.json").write_text("{ not json")
    journal = Journal(str(path))
    assert journal.entries() == {}
    assert [p.name.startswith("journal.json.unreadable-") for p in path.parent.iterdir()
            ].count(True) == 1
    journal.update("j1", state="created")
    assert list(journal.entries()) == ["j1"]


@pytest.mark.parametrize("damage", [b"this is not a database at all" * 100,
                                    b"SQLite format 3\x00" + b"\xff" * 4000])
def test_an_unreadable_database_is_set_aside_and_a_fresh_one_started(path, damage):
    path.parent.mkdir(parents=True)
    path.write_bytes(damage)
    journal = Journal(str(path))
    assert journal.entries() == {}
    journal.update("j1", state="created", task_id="t1")
    assert journal.get("j1")["task_id"] == "t1"
    aside = [p for p in path.parent.iterdir() if p.name.startswith("journal.sqlite3.unreadable-")]
    assert len(aside) == 1 and aside[0].read_bytes() == damage, "kept for inspection"


def test_a_busy_database_is_not_mistaken_for_a_damaged_one(path, monkeypatch):
    Journal(str(path)).update("j1", state="created")
    monkeypatch.setattr(journal_mod, "BUSY_TIMEOUT", 0.2)
    holder = sqlite3.connect(str(path), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError):
            Journal(str(path)).update("j2", state="created")
    finally:
        holder.rollback()
        holder.close()
    assert list(Journal(str(path)).entries()) == ["j1"]
    assert not [p for p in path.parent.iterdir() if "unreadable" in p.name]
