"""The key stays secret and traffic goes only where it should: https (plain http to this computer
only), no redirects carrying the key, TLS verification always on."""

import io
import pickle

import pytest
import requests

from api import InsecureURL, MeshyClient, MeshyError
from api.secret import Secret, redact
from api.urls import is_loopback_host
from tests.api_tests.conftest import make_client
from tests.hostile import LocalServer

KEY = "msy_a_key_that_must_never_be_seen_0123456789"


@pytest.mark.parametrize("url", ["http://api.meshy.ai", "http://192.168.1.10:8000",
                                 "ftp://api.meshy.ai", "file:///etc/passwd", "api.meshy.ai",
                                 "https://", "http://127.0.0.1.evil.com"])
def test_insecure_base_urls_are_refused(url):
    with pytest.raises(InsecureURL) as caught:
        MeshyClient(KEY, base_url=url)
    assert KEY not in str(caught.value)


@pytest.mark.parametrize("url", ["https://api.meshy.ai", "https://api.meshy.ai/",
                                 "http://127.0.0.1:8000", "http://127.5.6.7", "http://localhost:1",
                                 "http://[::1]:9000"])
def test_https_and_loopback_http_are_accepted(url):
    assert MeshyClient(KEY, base_url=url).base_url == url.rstrip("/")


def test_loopback_detection():
    assert is_loopback_host("127.0.0.1") and is_loopback_host("::1")
    assert is_loopback_host("LOCALHOST") and is_loopback_host("[::1]")
    assert not is_loopback_host("localhost.evil.com") and not is_loopback_host("10.0.0.1")
    assert not is_loopback_host("")


def test_downloads_only_over_https_or_loopback(client, tmp_path):
    for url in ("http://assets.meshy.ai/x/model.glb", "ftp://assets.meshy.ai/model.glb"):
        with pytest.raises(InsecureURL):
            client.download(url, tmp_path, "t", "remesh", "model", "glb")
    assert list(tmp_path.iterdir()) == []


def test_a_download_redirected_to_plain_http_is_refused(client, tmp_path, monkeypatch):
    """Every redirect hop is held to the same rule (the emulator never redirects, so a session
    that answers one redirect stands in for a CDN)."""
    class Redirecting(requests.Session):
        def get(self, url, **kwargs):
            response = requests.Response()
            response.status_code = 302
            response.headers["Location"] = "http://evil.example.com/model.glb"
            response.url = url
            response.raw = io.BytesIO(b"")
            return response

    redirecting = MeshyClient(KEY, base_url="https://api.meshy.ai", session=Redirecting())
    with pytest.raises(InsecureURL) as caught:
        redirecting.download("https://assets.meshy.ai/t/model.glb", tmp_path, "t", "remesh",
                             "model", "glb")
    assert "evil.example.com" in str(caught.value)


def test_tls_verification_is_forced_on_a_lenient_session():
    seen = {}

    class Recording(requests.Session):
        def request(self, method, url, **kwargs):
            seen.update(kwargs)
            raise requests.exceptions.ConnectionError("stop here")

    session = Recording()
    session.verify = False
    client = MeshyClient(KEY, base_url="https://api.meshy.ai", session=session, retries=0)
    with pytest.raises(MeshyError):
        client.balance()
    assert seen["verify"] is True
    assert seen["allow_redirects"] is False
    assert isinstance(seen["timeout"], tuple) and len(seen["timeout"]) == 2


def test_api_redirects_are_not_followed():
    """A 3xx from the API could lead the Authorization header elsewhere: it is an error."""
    calls = []

    class Redirecting(requests.Session):
        def request(self, method, url, **kwargs):
            calls.append((url, kwargs["allow_redirects"]))
            response = requests.Response()
            response.status_code = 301
            response.headers["Location"] = "https://elsewhere.example.com/openapi/v1/balance"
            response.url = url
            response.raw = io.BytesIO(b"")
            return response

    client = MeshyClient(KEY, base_url="https://api.meshy.ai", session=Redirecting())
    from api.errors import ServerError
    with pytest.raises(ServerError) as caught:
        client.balance()
    assert caught.value.status == 301 and "redirect" in str(caught.value)
    assert calls == [("https://api.meshy.ai/openapi/v1/balance", False)]


def test_the_key_is_hidden_in_reprs_vars_and_pickles():
    client = MeshyClient(KEY, base_url="https://api.meshy.ai")
    assert KEY not in repr(client) and KEY not in str(vars(client))
    assert repr(Secret(KEY)) == "<hidden>" and str(Secret(KEY)) == "<hidden>"
    with pytest.raises(TypeError):
        pickle.dumps(client)
    with pytest.raises(TypeError):
        pickle.dumps(Secret(KEY))


def test_keys_with_control_characters_are_refused():
    with pytest.raises(ValueError) as caught:
        MeshyClient("msy_abc\r\nX-Injected: 1", base_url="https://api.meshy.ai")
    assert "msy_abc" not in str(caught.value)


def test_an_empty_key_is_a_clear_error():
    with pytest.raises(MeshyError) as caught:
        MeshyClient("   ", base_url="https://api.meshy.ai")
    assert "preferences" in str(caught.value)


def test_server_text_echoing_the_key_is_redacted():
    assert redact(f"invalid key {KEY} given", Secret(KEY)) == "invalid key *** given"
    assert redact("nothing to hide", Secret(KEY)) == "nothing to hide"


def test_downloads_carry_no_key(client, emulator, tmp_path):
    seen = []
    original = client._session.get

    def recording_get(url, **kwargs):
        seen.append(kwargs.get("headers", {}))
        return original(url, **kwargs)

    client._session.get = recording_get
    url = f"{emulator.url}/_emulator/blob?bytes=4096"
    client.download(url, tmp_path, "t", "remesh", "model", "glb")
    assert seen and all("Authorization" not in headers for headers in seen)
    assert "Authorization" not in client._session.headers


def test_animation_catalogue_is_fetched_without_the_key(emulator):
    """It is a public document; the request log shows it, the key is not needed."""
    with make_client(emulator, "msy_a_key_the_emulator_does_not_know_00") as stranger:
        assert stranger.animation_catalogue()


def test_the_api_client_never_follows_a_real_redirect():
    """A real server answering 302: an error, and the server it points at hears nothing (no
    Authorization header carried anywhere)."""
    from api.errors import ServerError
    with LocalServer(lambda request: (200, {}, {"balance": 5})) as elsewhere:
        target = elsewhere.url + "/openapi/v1/balance"
        with LocalServer(lambda request: (302, {"Location": target}, b"")) as api:
            with MeshyClient(KEY, base_url=api.url, retries=0) as client:
                with pytest.raises(ServerError) as caught:
                    client.balance()
    assert caught.value.status == 302 and "redirect" in str(caught.value)
    assert elsewhere.requests == []
    assert len(api.requests) == 1
