"""What a person types as the base URL and the key is checked before anything is sent, with a
sentence that says what to fix; and answers are told apart: a 500 is an answer (not "could not
reach"), and a 404 from an address every Meshy API has means the base URL is wrong (not "no such
task")."""

import pytest

from api import InsecureURL, MeshyClient, MeshyError, NotFound
from tests.api_tests.conftest import make_client

KEY = "msy_a_key_that_must_never_be_seen_0123456789"
UNKNOWN_ID = "018a210d-8ba4-705c-b111-1f1776f7f578"


@pytest.mark.parametrize("url, words", [
    ("https://api.meshy.ai/?x=1", "?query or #fragment"),
    ("https://api.meshy.ai?", "?query or #fragment"),
    ("http://127.0.0.1:8000#top", "?query or #fragment"),
    ("https://user:pa55word@api.meshy.ai", "user name or password"),
    ("https://:pa55word@api.meshy.ai", "user name or password"),
    ("https://api.meshy.ai:99999", "port"),
    ("http://127.0.0.1:http", "port"),
    ("http://[::1", "must look like"),
    ("https://api.meshy .ai", "spaces or control characters"),
    ("https://api.meshy.ai/\tv1", "spaces or control characters"),
    ("api.meshy.ai", "must look like"),
    ("http://api.meshy.ai", "use https://"),
])
def test_base_url_problems_say_what_to_fix(url, words):
    from api.urls import base_url_problem
    problem = base_url_problem(url)
    assert words in problem
    assert "pa55word" not in problem
    with pytest.raises(InsecureURL) as caught:
        MeshyClient(KEY, base_url=url)
    assert "pa55word" not in str(caught.value)


@pytest.mark.parametrize("url", ["https://api.meshy.ai", "https://proxy.example.com/meshy/",
                                 "http://127.0.0.1:8000", "http://[::1]:9000/base"])
def test_good_base_urls_have_no_problem(url):
    from api.urls import base_url_problem
    assert base_url_problem(url) == ""


@pytest.mark.parametrize("key, words", [
    ("msy_abc\tdef0123456789", "control character"),
    ("msy_abc\x01def0123456789", "control character"),
    ("msy_abc def0123456789", "space"),
    ("msy_abcdéf0123456789", "plain letters"),
])
def test_key_problems_say_what_to_fix_without_quoting_the_key(key, words):
    # A MeshyError (every operator turns those into a report) and still a ValueError.
    with pytest.raises(MeshyError) as caught:
        MeshyClient(key, base_url="https://api.meshy.ai")
    assert isinstance(caught.value, ValueError)
    assert words in str(caught.value)
    assert "msy_abc" not in str(caught.value)
    from api.secret import key_problem
    assert words in key_problem(key)


def test_a_500_on_create_says_the_server_answered(emulator):
    """The create met a 500 and so did the task-list lookup: Meshy was reached, and the message
    says so, and what happened to the request."""
    emulator.faults(http_500=20)
    with make_client(emulator) as client:
        with pytest.raises(MeshyError) as caught:
            client.create("text_to_3d_preview", {"prompt": "a lamp"})
    message = str(caught.value)
    assert "Could not reach" not in message
    assert message.startswith("Meshy answered HTTP 500")
    assert "not sent again" in message and "task list" in message
    assert caught.value.maybe_created and caught.value.status == 500


def test_a_wrong_path_prefix_says_check_the_base_url(emulator):
    with make_client(emulator) as good:
        real = good.create("text_to_3d_preview", {"prompt": "a vase"})
    with MeshyClient(emulator.test_key, base_url=emulator.url + "/wrong", retries=0) as client:
        for call in (lambda: client.create("text_to_3d_preview", {"prompt": "a vase"}),
                     lambda: client.list("text_to_3d_preview"),
                     client.balance):
            with pytest.raises(MeshyError) as caught:
                call()
            assert "check the api base url in the preferences" in str(caught.value).lower()
            assert "/wrong/openapi/" in str(caught.value)
            assert "no such task" not in str(caught.value)
            assert not isinstance(caught.value, NotFound)
        # Only a task's own address can say a task is missing.
        with pytest.raises(NotFound):
            client.get("text_to_3d_preview", real)
    assert emulator.tasks_created == 1


def test_a_404_about_an_input_task_still_says_no_such_task(client):
    with pytest.raises(NotFound) as caught:
        client.create("text_to_3d_refine", {"preview_task_id": UNKNOWN_ID})
    assert "no such task" in str(caught.value)
