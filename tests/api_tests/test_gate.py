"""The one gate every request passes (api/gate.py): where requests may go (https, loopback http,
no credentials), when (online access: wait in a job, fail at once elsewhere), and where a
redirect, or a URL a server hands over, may lead (never from another computer into this one or a
private network). Real HTTP throughout: the emulator and small loopback servers; a loopback
address stands in for a remote server through the gate's `treat_as_remote`."""

import gc
import socket
import threading
import time

import pytest

from api import Cancelled, Gate, InsecureURL, OnlineAccessDisabled, generate_images
from api.gate import WAITING_MESSAGE
from tests.api_tests.conftest import make_client, open_connections_to
from tests.hostile import LocalServer, glb_bytes

REMOTE = "https://203.0.113.5/results/model.glb"   # TEST-NET-3: stands for any remote host


# --- the redirect decision, with real URL strings ------------------------------------------------

@pytest.mark.parametrize("target", [
    "http://127.0.0.1:8000/model.glb", "https://127.0.0.1/model.glb", "https://127.8.9.10/x",
    "https://localhost/model.glb", "http://localhost:9000/x", "https://[::1]/x",
    "https://[::ffff:127.0.0.1]/x", "https://10.0.0.7/x", "https://172.16.3.4/x",
    "https://192.168.1.20/x", "https://169.254.169.254/latest/meta-data", "https://[fe80::1]/x",
    "https://[fd00::5]/x", "https://100.64.0.1/x", "https://0.0.0.0/x", "https://240.0.0.1/x",
    "https://224.0.0.1/x", "ftp://cdn.example.com/model.glb", "file:///etc/passwd",
    "gopher://cdn.example.com/x", "http://cdn.example.com/model.glb",
])
def test_from_a_remote_host_nothing_leads_into_this_computer_or_a_private_network(target):
    with pytest.raises(InsecureURL) as caught:
        Gate().admit_from(REMOTE, target, "downloading results")
    assert "downloading results" in str(caught.value)


@pytest.mark.parametrize("target", ["https://93.184.216.34/model.glb",
                                    "https://[2606:2800:220:1:248:1893:25c8:1946]/x"])
def test_from_a_remote_host_public_https_is_followed(target):
    assert Gate().admit_from(REMOTE, target, "downloading results").hostname


def test_host_names_are_judged_by_every_address_they_resolve_to():
    names = {"cdn.example.com": ["93.184.216.34"],
             "sneaky.example.com": ["93.184.216.34", "127.0.0.1"],
             "lan.example.com": ["192.168.0.10"],
             "nowhere.example.com": [],
             "proxied.example.com": ["198.18.0.42"]}
    gate = Gate(resolve=lambda host, port: names[host])
    assert gate.admit_from(REMOTE, "https://cdn.example.com/a.glb", "downloading results")
    # A fake-IP proxy answers every name from 198.18.0.0/15 and forwards it: not a LAN host.
    assert gate.admit_from(REMOTE, "https://proxied.example.com/a.glb", "downloading results")
    # A name that does not resolve cannot be reached either: the request fails on its own.
    assert gate.admit_from(REMOTE, "https://nowhere.example.com/a.glb", "downloading results")
    for name in ("sneaky.example.com", "lan.example.com"):
        with pytest.raises(InsecureURL):
            gate.admit_from(REMOTE, f"https://{name}/a.glb", "downloading results")


def test_the_system_resolver_is_asked_for_names_from_remote_hosts(monkeypatch):
    asked = []

    def resolver(host, port, *args, **kwargs):
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with pytest.raises(InsecureURL):
        Gate().admit_from(REMOTE, "https://rebound.example.com/x", "downloading results")
    assert asked == ["rebound.example.com"]


def test_from_this_computer_anything_https_or_loopback_is_followed():
    gate = Gate()
    for target in ("http://127.0.0.1:9/x", "https://10.0.0.7/x", "https://cdn.example.com/x"):
        assert gate.admit_from("http://127.0.0.1:8000/", target, "downloading results")
    with pytest.raises(InsecureURL):
        gate.admit_from("http://127.0.0.1:8000/", "http://10.0.0.7/x", "downloading results")


@pytest.mark.parametrize("url", ["https://user:hunter22secret@cdn.example.com/x",
                                 "https://:hunter22secret@cdn.example.com/x",
                                 "http://user:hunter22secret@127.0.0.1:9/x"])
def test_urls_with_credentials_are_refused_without_showing_them(url):
    with pytest.raises(InsecureURL) as caught:
        Gate().admit(url, "downloading results")
    assert "hunter22secret" not in str(caught.value) and "user:" not in str(caught.value)
    assert "user name or password" in str(caught.value)


# --- real downloads through redirecting servers --------------------------------------------------

def _file_server():
    return LocalServer(lambda request: (200, {"Content-Type": "model/gltf-binary"}, glb_bytes()))


def _redirecting_server(target, host="127.0.0.1"):
    return LocalServer(lambda request: (302, {"Location": target}, b""), host=host)


def test_a_loopback_to_loopback_redirect_is_followed(emulator, tmp_path):
    with _file_server() as files, _redirecting_server(files.url + "/real.glb") as hop:
        with make_client(emulator) as client:
            path = client.download(hop.url + "/model.glb", tmp_path, "t", "remesh", "model",
                                   "glb")
    with open(path, "rb") as handle:
        assert handle.read() == glb_bytes()
    assert [r.path for r in files.requests] == ["/real.glb"]


def test_a_remote_server_redirecting_into_this_computer_is_refused(emulator, tmp_path):
    """127.0.0.2 plays a CDN on another computer; its redirect to 127.0.0.1 must not be taken."""
    gate = Gate(treat_as_remote={"127.0.0.2"})
    with _file_server() as files, _redirecting_server(files.url + "/secret.glb",
                                                      host="127.0.0.2") as cdn:
        with make_client(emulator, gate=gate) as client:
            with pytest.raises(InsecureURL) as caught:
                client.download(cdn.url + "/model.glb", tmp_path, "t", "remesh", "model", "glb")
        assert len(cdn.requests) == 1
        assert files.requests == [], "the redirect target was contacted"
    assert "127.0.0.2" in str(caught.value) and "private network" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_result_url_from_a_remote_api_into_this_computer_is_refused(tmp_path):
    """The URLs in a task come from the API's host: they are held to the redirect rule."""
    with _file_server() as files:
        api = LocalServer(lambda request: (404, {}, b""), host="127.0.0.2").start()
        try:
            gate = Gate(treat_as_remote={"127.0.0.2"})
            with make_client_for(api.url, gate) as client:
                with pytest.raises(InsecureURL):
                    client.download(files.url + "/model.glb", tmp_path, "t", "remesh", "model",
                                    "glb")
        finally:
            api.stop()
        assert files.requests == []


def make_client_for(url, gate):
    from api import MeshyClient
    from tests.api_tests.conftest import FAST_RETRY
    return MeshyClient("msy_gate_test_key_000000000000000", base_url=url, gate=gate,
                       retries=FAST_RETRY, timeout=(2, 5))


# --- online access -------------------------------------------------------------------------------

def _remote_emulator_gate(emulator, online):
    """The emulator played as a remote server: it needs online access."""
    return Gate(online=online, treat_as_remote={emulator.host})


def test_a_call_with_online_access_off_fails_at_once_and_sends_nothing(emulator):
    gate = _remote_emulator_gate(emulator, online=False)
    with make_client(emulator, gate=gate) as client:
        started = time.monotonic()
        with pytest.raises(OnlineAccessDisabled) as caught:
            client.balance()
    assert time.monotonic() - started < 1.0
    assert "Allow Online Access" in str(caught.value)
    assert emulator.request_log == []


def test_loopback_servers_never_need_online_access(emulator):
    with make_client(emulator, gate=Gate(online=False)) as client:
        assert client.balance() == 1000


def _in_a_job(gate, fn, cancel=None):
    """Run fn on a thread the way a job's worker does; returns (thread, outcome, messages)."""
    outcome, messages = {}, []
    cancel = cancel or threading.Event()

    def run():
        with gate.waiting(cancel, messages.append):
            try:
                outcome["value"] = fn()
            except BaseException as exc:  # noqa: BLE001 - handed to the test
                outcome["error"] = exc

    # A daemon, so a failing test can never keep the run from ending.
    thread = threading.Thread(target=run, name="job-like", daemon=True)
    thread.start()
    return thread, outcome, messages


def _until(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_a_job_waits_while_online_access_is_off_and_goes_on_when_allowed(emulator):
    gate = _remote_emulator_gate(emulator, online=False)
    with make_client(emulator, gate=gate) as client:
        thread, outcome, messages = _in_a_job(gate, client.balance)
        assert _until(lambda: messages == [WAITING_MESSAGE])
        time.sleep(0.5)
        assert emulator.request_log == [] and not outcome
        gate.online = True
        thread.join(5)
    assert outcome == {"value": 1000}
    assert messages == [WAITING_MESSAGE, ""]


def test_stopping_a_waiting_job_ends_the_wait(emulator):
    gate = _remote_emulator_gate(emulator, online=False)
    cancel = threading.Event()
    with make_client(emulator, gate=gate) as client:
        thread, outcome, messages = _in_a_job(gate, client.balance, cancel)
        assert _until(lambda: messages == [WAITING_MESSAGE])
        started = time.monotonic()
        cancel.set()
        thread.join(5)
    assert time.monotonic() - started < 1.0
    assert isinstance(outcome.get("error"), Cancelled)
    assert emulator.request_log == []


def test_an_open_stream_is_cut_when_online_access_goes_off_and_resumed_after(emulator):
    emulator.task_seconds = 3.0
    gate = _remote_emulator_gate(emulator, online=True)
    gc.collect()  # sockets of earlier tests' garbage would blur the count
    idle = open_connections_to(emulator.port)
    cancel = threading.Event()
    with make_client(emulator, gate=gate) as client:
        task_id = client.create("text_to_image", {"ai_model": "nano-banana", "prompt": "a wren"})
        events = []
        thread, outcome, messages = _in_a_job(
            gate, lambda: client.follow("text_to_image", task_id, on_event=events.append),
            cancel)
        try:
            assert _until(lambda: events and open_connections_to(emulator.port) > idle)
            gate.online = False
            assert _until(lambda: open_connections_to(emulator.port) <= idle, timeout=2)
            assert _until(lambda: messages == [WAITING_MESSAGE])
            seen = len(emulator.request_log)
            time.sleep(1.0)
            assert len(emulator.request_log) == seen, "requests went on with online access off"
            gate.online = True
            thread.join(15)
        finally:
            cancel.set()
            gate.online = True
            thread.join(5)
    assert outcome["value"]["status"] == "SUCCEEDED"
    assert messages == [WAITING_MESSAGE, ""]


def test_result_urls_on_another_host_wait_for_online_access_even_with_a_loopback_api(
        emulator, tmp_path, monkeypatch):
    asked = []
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda host, *args, **kw: asked.append(host) or real(host, *args, **kw))
    gate = Gate(online=False)
    with make_client(emulator, gate=gate) as client:
        with pytest.raises(OnlineAccessDisabled):
            client.download("https://assets.example.invalid/t/model.glb", tmp_path, "t",
                            "remesh", "model", "glb")
    assert "assets.example.invalid" not in asked


def test_the_image_source_asks_the_gate(emulator):
    gate = _remote_emulator_gate(emulator, online=False)
    with pytest.raises(OnlineAccessDisabled):
        generate_images(emulator.url, emulator.test_key, "openai/gpt-image-1", "a fox", gate=gate)
    assert emulator.request_log == []
