# SPDX-License-Identifier: GPL-3.0-or-later
"""Which URLs the client may talk to, and how URLs appear in logs and messages.

API requests go only to the configured base URL; result downloads only to https hosts. Plain
http is allowed only to this computer (127.0.0.0/8, ::1, localhost), which is where the emulator
and local proxies live. Signed asset URLs carry access tokens in their query string, so logs show
scheme, host and path only.
"""

import ipaddress
from urllib.parse import quote, urlsplit

from .errors import InsecureURL

DEFAULT_BASE_URL = "https://api.meshy.ai"


def is_loopback_host(host):
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url, purpose):
    """Raise InsecureURL unless `url` is https, or http to a loopback host. Returns the split URL."""
    parts = urlsplit(str(url))
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme == "https" and host:
        return parts
    if scheme == "http" and is_loopback_host(host):
        return parts
    raise InsecureURL(scheme, host, purpose)


def normalize_base_url(base_url, purpose="the API"):
    """The base URL without a trailing slash, checked against the policy above."""
    parts = check_url(base_url, purpose)
    if parts.query or parts.fragment:
        raise InsecureURL(parts.scheme, parts.hostname, f"{purpose} (a base URL has no query)")
    return f"{parts.scheme.lower()}://{parts.netloc}{parts.path.rstrip('/')}"


def join(base_url, *segments):
    """base_url + "/" + each segment; segments that are ids are quoted so they stay one segment."""
    path = "/".join(quote(str(s), safe="") for s in segments)
    return f"{base_url}/{path}" if path else base_url


def join_path(base_url, path):
    """base_url + a fixed API path such as "/openapi/v2/text-to-3d"."""
    return base_url + path


def host_of(url):
    parts = urlsplit(str(url))
    return parts.netloc or "an unknown host"


def for_log(url):
    """scheme://host/path: no query string (it may hold a signature), no credentials."""
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
