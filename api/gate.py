# SPDX-License-Identifier: GPL-3.0-or-later
"""The one gate every outbound request passes: Meshy API calls, result downloads (every redirect
hop) and the OpenAI-compatible image source.

Three rules:

- Where: https to every host; plain http only to this computer (127.0.0.0/8, ::1, localhost),
  where the emulator and local proxies live. No URL may carry a user name or password (requests
  would send them as Basic auth in place of the key).
- When: a host other than this computer needs Blender's online access. Worker threads cannot read
  bpy, so the Blender side hands the switch over as `gate.online`, on the main thread, every tick.
  With access off a request fails at once with OnlineAccessDisabled, except on a thread inside
  `gate.waiting(...)` (a job's worker): there it waits until access is allowed again, or until
  the job is cancelled. Open streams and downloads to such hosts are interrupted when access goes
  off (see `cut_off`); the retry that follows waits at the gate.
- Redirects, and URLs a server hands us to fetch: coming from another computer, they may not lead
  into this one, into a private, link-local, shared or reserved network, or to a scheme other
  than http(s). Host names are resolved (downloads run on workers, so this never blocks the main
  thread) and every address they have is checked.

The gate has no bpy in it: one instance is owned by the Blender side (preferences.gate()) and
handed to every MeshyClient and image job. Plain Python callers get an always-online gate.
"""

import contextlib
import ipaddress
import socket
import threading
from urllib.parse import urlsplit

from .errors import Cancelled, InsecureURL, OnlineAccessDisabled
from .secret import get_logger

log = get_logger(__name__)

WAITING_MESSAGE = "Waiting: online access is off (Preferences > System > Network)"
# How often a waiting worker looks at its cancel event: the bound on how late a stop takes effect.
_WAIT_STEP = 0.1


def is_loopback_host(host):
    """True for this computer: localhost, 127.0.0.0/8, ::1 (and ::ffff:127.x)."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    address = _literal_address(host)
    return address is not None and address.is_loopback


def _literal_address(host):
    """The IP address a host is written as, or None when it is a name."""
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    # ::ffff:127.0.0.1 reaches 127.0.0.1: judge the IPv4 address it carries.
    return getattr(address, "ipv4_mapped", None) or address


def is_internal_address(address):
    """True for addresses outside the public internet: loopback, private, link-local (cloud
    metadata services live there), shared (CGNAT), reserved, documentation and unspecified
    ranges, and multicast."""
    return not address.is_global or address.is_multicast


# Proxies and VPN clients in "fake-IP" mode answer every name with an address from the
# benchmarking range and route it to the real host; a name resolving there is not a LAN host.
_FAKE_IP_RANGE = ipaddress.ip_network("198.18.0.0/15")


def _resolve(host, port):
    """Every address `host` resolves to ([] when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [info[4][0] for info in infos]


def split_url(url):
    """urlsplit, or None for text that is not a URL at all (e.g. "http://[::1")."""
    try:
        return urlsplit(str(url))
    except ValueError:
        return None


def check_url(url, purpose):
    """The split URL when `url` may be used at all (https, or http to this computer, and no
    credentials); else InsecureURL. Online access and redirects are the Gate's part."""
    parts = split_url(url)
    if parts is None:
        raise InsecureURL("", "", purpose, "the address is not a valid URL")
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in ("https", "http") or not host or (
            scheme == "http" and not is_loopback_host(host)):
        raise InsecureURL(scheme, host, purpose)
    if parts.username is not None or parts.password is not None:
        raise InsecureURL(scheme, host, purpose, "the address holds a user name or password, "
                          "which would be sent in place of the key")
    try:
        parts.port
    except ValueError:
        raise InsecureURL(scheme, host, purpose, "the port is not a number from 0 to "
                          "65535") from None
    return parts


class Gate:
    """The policy above for one Blender session (or one script).

    online: whether hosts other than this computer may be contacted (Blender's online access).
    treat_as_remote: loopback host names or addresses to judge as another computer for online
    access and redirects (the https rule still sees them as local): lets tests stand a loopback
    server in for a remote one.
    resolve: (host, port) -> [address]; the system resolver unless a test maps names itself.
    """

    def __init__(self, online=True, treat_as_remote=(), resolve=_resolve):
        self._online = threading.Event()
        if online:
            self._online.set()
        self.treat_as_remote = frozenset(h.lower() for h in treat_as_remote)
        self._resolve = resolve
        self._local = threading.local()

    def __repr__(self):
        return f"<Gate online={self.online}>"

    # --- online access ---------------------------------------------------------------------------

    @property
    def online(self):
        return self._online.is_set()

    @online.setter
    def online(self, allowed):
        # Set on every tick: touch the Event (and wake waiters) only when the switch moved.
        if allowed and not self._online.is_set():
            self._online.set()
        elif not allowed and self._online.is_set():
            self._online.clear()

    def is_remote(self, host):
        """Whether `host` is another computer: it needs online access, and what it hands us is
        held to the redirect rule."""
        host = (host or "").strip("[]").lower()
        return not is_loopback_host(host) or host in self.treat_as_remote

    def needs_online_access(self, url):
        parts = split_url(url)
        return self.is_remote(parts.hostname if parts else "")

    @contextlib.contextmanager
    def waiting(self, cancel=None, on_wait=None):
        """On this thread, within the block, a request that needs online access while it is off
        waits for it instead of failing. on_wait(message) is called when a wait starts (with
        WAITING_MESSAGE) and ends (with ""); a set `cancel` ends the wait with Cancelled."""
        previous = getattr(self._local, "waiter", None)
        self._local.waiter = (cancel, on_wait or (lambda message: None))
        try:
            yield
        finally:
            self._local.waiter = previous

    def cut_off(self, url):
        """For a response being read from `url`: a callable that turns true once it must be
        interrupted because online access went off, or None when that can never happen."""
        if not self.needs_online_access(url):
            return None
        return lambda: not self._online.is_set()

    def _wait_for_access(self, host):
        waiter = getattr(self._local, "waiter", None)
        if waiter is None:
            raise OnlineAccessDisabled(host)
        cancel, on_wait = waiter
        log.info("online access is off: waiting before contacting %s", host)
        on_wait(WAITING_MESSAGE)
        try:
            while not self._online.wait(_WAIT_STEP):
                if cancel is not None and cancel.is_set():
                    raise Cancelled("Waiting for online access")
        finally:
            on_wait("")
        log.info("online access is back: contacting %s", host)

    # --- admitting requests ----------------------------------------------------------------------

    def admit(self, url, purpose):
        """Call right before sending to `url`: raises InsecureURL, OnlineAccessDisabled or
        Cancelled, or waits for online access (see `waiting`). Returns the split URL."""
        parts = check_url(url, purpose)
        if not self._online.is_set() and self.is_remote(parts.hostname):
            self._wait_for_access(parts.hostname)
        return parts

    def admit_from(self, source, target, purpose):
        """`admit` for a URL that `source` led us to: a redirect's Location, or a file URL in a
        server's answer. From another computer it may not lead into this one or a private
        network (a server on the internet must not make us fetch from the LAN)."""
        parts = check_url(target, purpose)
        source = split_url(source)
        source_host = (source.hostname if source else "") or ""
        from_remote = self.is_remote(source_host)
        if from_remote:
            self._refuse_internal(parts, purpose, source_host, resolve=False)
        self.admit(target, purpose)
        if from_remote:
            # Names are resolved only now, with online access granted: a lookup is traffic too.
            self._refuse_internal(parts, purpose, source_host, resolve=True)
        return parts

    def _refuse_internal(self, parts, purpose, source_host, resolve):
        host = parts.hostname
        if host.lower() in self.treat_as_remote:
            return  # stands in for a public server
        literal = _literal_address(host)
        if is_loopback_host(host) or (literal is not None and is_internal_address(literal)):
            raise self._refused(parts, purpose, source_host)
        if resolve and literal is None:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
            for address in self._resolve(host, port):
                resolved = _literal_address(address)
                if resolved is not None and is_internal_address(resolved) and \
                        resolved not in _FAKE_IP_RANGE:
                    raise self._refused(parts, purpose, source_host)

    @staticmethod
    def _refused(parts, purpose, source_host):
        return InsecureURL(parts.scheme.lower(), parts.hostname, purpose,
                           f"{source_host} pointed there, and another computer may not send us "
                           "to this computer or a private network")
