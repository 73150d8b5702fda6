"""MeshyClient.find_created: the task a killed process's create made, found again by what its
task object repeats, so a batch sheet run again does not pay for it twice."""

import time

from api import client as client_module
from tests.api_tests.conftest import make_client


def as_another_process():
    """Forget the ids this process's creates returned (a new Blender never saw them)."""
    with client_module._claimed_lock:
        client_module._claimed.clear()


def preview(prompt):
    return {"mode": "preview", "prompt": prompt, "target_formats": ["glb"]}


def test_the_one_matching_task_is_found_and_claimed(emulator):
    since = time.time()
    with make_client(emulator) as first:
        made = first.create("text_to_3d_preview", preview("a lost lantern"))
        first.create("text_to_3d_preview", preview("a found lantern"))
    as_another_process()
    with make_client(emulator) as again:
        assert again.find_created("text_to_3d_preview", preview("a lost lantern"), since) == made
        assert again.find_created("text_to_3d_preview", preview("a lost lantern"), since) is None, \
            "a task is claimed once"


def test_known_ambiguous_or_unlistable_tasks_are_not_claimed(emulator):
    since = time.time()
    with make_client(emulator) as client:
        made = client.create("text_to_3d_preview", preview("a clay pot"))
        as_another_process()
        assert client.find_created("text_to_3d_preview", preview("a clay pot"), since,
                                   exclude={made}) is None, "the journal already has it"
        assert client.find_created("text_to_3d_preview", preview("a tin pot"), since) is None
        assert client.find_created("text_to_3d_preview", preview("a clay pot"),
                                   since + 600) is None, "made long before that create"
        assert client.find_created("rigging", {"height_meters": 1.7}, since) is None
    with make_client(emulator) as client:
        client.create("text_to_3d_preview", preview("twin"))
        client.create("text_to_3d_preview", preview("twin"))
    as_another_process()
    with make_client(emulator) as client:
        assert client.find_created("text_to_3d_preview", preview("twin"), since) is None, \
            "two could be it: only a new task is certainly right"


def test_a_refine_is_told_apart_by_its_preview_prompt(emulator):
    emulator.task_seconds = 0.2
    with make_client(emulator) as client:
        first = client.create("text_to_3d_preview", preview("an oak chair"))
        second = client.create("text_to_3d_preview", preview("a pine table"))
        client.follow("text_to_3d_preview", first)
        client.follow("text_to_3d_preview", second)
        since = time.time()
        table = client.create("text_to_3d_refine", {"mode": "refine", "preview_task_id": second})
        client.create("text_to_3d_refine", {"mode": "refine", "preview_task_id": first})
    as_another_process()
    with make_client(emulator) as client:
        refine = {"mode": "refine", "preview_task_id": second}
        assert client.find_created("text_to_3d_refine", refine, since) is None, "two refines"
        assert client.find_created("text_to_3d_refine", refine, since,
                                   fields={"prompt": "a pine table"}) == table
