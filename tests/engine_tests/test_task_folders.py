"""Task ids come from the server (create answers, History lists, the journal): one rule turns any
of them into a folder that stays inside the cache, and the engine follows and imports the task
all the same."""

import os

import pytest

from meshy_pkg.api import download
from meshy_pkg.api.errors import DownloadError

from .conftest import pump_until

UUID = "0193a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b"


@pytest.mark.parametrize("task_id", [UUID, "abc", "A_b-9", "x" * 64])
def test_plain_ids_name_their_folder_as_they_are(task_id):
    assert download.task_folder_name(task_id) == task_id


@pytest.mark.parametrize("task_id", [
    "../../x", "..", ".", "../" + UUID, "a/b", "a\\b", "/abs/path", "C:\\Windows", "C:",
    "x\x00y", "\x00", "", " ", "-rf", "_hidden", "x" * 65, "y" * 10_000, "tâche-日本語",
    "\ud800", "abc\n", "CON", "nul", "com1", UUID + ".glb", "~", "$HOME",
])
def test_any_other_id_becomes_a_hashed_name(task_id, tmp_path):
    name = download.task_folder_name(task_id)
    assert name.startswith("id-") and len(name) == 3 + 32
    assert all(c in "0123456789abcdef" for c in name[3:])
    assert name == download.task_folder_name(task_id), "the same id, the same folder"
    folder = download.task_folder(str(tmp_path), task_id)
    assert os.path.dirname(folder) == str(tmp_path)
    assert download.is_inside(folder, str(tmp_path))


def test_distinct_ids_never_share_a_folder():
    # Sanitising by replacing characters would make all of these "a_b".
    ids = ["a/b", "a\\b", "a.b", "a b", "a:b", "a_b", "a\x00b"]
    assert len({download.task_folder_name(i) for i in ids}) == len(ids)


def test_file_names_use_the_same_rule():
    assert download.file_name(UUID, "text_to_3d_preview", "model", "GLB") == \
        f"{UUID}_text_to_3d_preview_model.glb"
    hostile = download.file_name("../../x", "text_to_3d_preview", "model", "glb")
    assert hostile == f"{download.task_folder_name('../../x')}_text_to_3d_preview_model.glb"
    assert os.sep not in hostile and "/" not in hostile


def test_is_inside_sees_through_dot_dot_and_links(tmp_path):
    root = tmp_path / "cache"
    root.mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", root / "link")
    assert download.is_inside(str(root / "a" / "b.glb"), str(root))
    assert download.is_inside(str(root), str(root))
    assert not download.is_inside(str(root / ".." / "outside" / "b.glb"), str(root))
    assert not download.is_inside(str(root / "link" / "b.glb"), str(root))
    assert not download.is_inside(str(tmp_path / "cache-other" / "b.glb"), str(root))


def test_a_folder_that_would_leave_the_root_is_refused(tmp_path, monkeypatch):
    # The name rule cannot produce one; the join is still checked, should the rule ever change.
    monkeypatch.setattr(download, "task_folder_name", lambda task_id: "../escaped")
    with pytest.raises(DownloadError):
        download.task_folder(str(tmp_path / "cache"), "anything")


@pytest.mark.parametrize("prefix", ["../sentinel/", "/ABSOLUTE/"])
def test_a_hostile_task_id_is_followed_and_downloaded_inside_the_cache(
        emulator, engine_factory, tmp_path, prefix):
    # Either id, joined to the cache folder as it is, would land in this test's "sentinel".
    sentinel = tmp_path / "sentinel"
    prefix = prefix.replace("/ABSOLUTE/", str(sentinel) + "/")
    emulator.faults(hostile_ids={"prefix": prefix})
    emulator.task_seconds = 0.3
    engine, client = engine_factory()
    from meshy_pkg.engine import Job
    job = engine.submit(Job("text_to_3d_preview", {"mode": "preview", "prompt": "a crate",
                                                   "target_formats": ["glb"]}, "a crate",
                            client=client))
    assert pump_until(engine, lambda: job.status in ("READY", "FAILED"))
    assert job.status == "READY", job.message
    assert job.task_id.startswith(prefix), "the id is kept as Meshy sent it"
    cache = tmp_path / "cache"
    for path in job.files.values():
        assert download.is_inside(path, str(cache)) and os.path.isfile(path)
    written = {os.path.join(d, f) for d, _, files in os.walk(tmp_path) for f in files}
    outside = {p for p in written if not download.is_inside(p, str(cache))
               and not download.is_inside(p, str(tmp_path / "journal"))}
    assert outside == set()
    assert not sentinel.exists()
    assert engine.journal.get(job.id)["task_id"] == job.task_id
