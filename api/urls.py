# SPDX-License-Identifier: GPL-3.0-or-later
"""Building URLs, checking the base URLs a person types in, and showing URLs in logs and messages.

Which URLs may be contacted, and when, is the gate's business (gate.py); this module only asks it.
Signed asset URLs carry access tokens in their query string, so logs show scheme, host and path
only, and no URL shown anywhere carries credentials.
"""

from urllib.parse import quote

from .errors import InsecureURL
from .gate import check_url, is_loopback_host, split_url  # noqa: F401 - is_loopback_host too

DEFAULT_BASE_URL = "https://api.meshy.ai"


def base_url_problem(url, field="The API base URL", example="https://api.meshy.ai"):
    """Why `url` cannot be used as a base URL, as a sentence that says what to fix; "" when it
    can. Never quotes credentials the URL may hold."""
    url = url.strip()
    if any(ord(c) < 32 or ord(c) == 127 or c == " " for c in url):
        return f"{field} contains spaces or control characters; type it again, like {example}"
    parts = split_url(url)
    scheme = parts.scheme.lower() if parts else ""
    if scheme not in ("https", "http") or not parts.hostname:
        return f"{field} must look like {example}"
    if parts.username is not None or parts.password is not None:
        return (f"{field} must not contain a user name or password (user:password@); "
                "keys go in their own field")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return (f"{field} cannot have a ?query or #fragment part; use only the address, "
                f"like {example}")
    try:
        parts.port
    except ValueError:
        return f"{field} has a port that is not a number from 0 to 65535"
    if scheme == "http" and not is_loopback_host(parts.hostname):
        return ("Plain http is only allowed for this computer (localhost, 127.0.0.1); "
                "use https:// for " + parts.hostname)
    return ""


def normalize_base_url(base_url, purpose="the API"):
    """The base URL without a trailing slash; InsecureURL when `base_url_problem` finds one."""
    parts = check_url(str(base_url).strip(), purpose)
    problem = base_url_problem(str(base_url), field="The base URL")
    if problem:
        raise InsecureURL(parts.scheme.lower(), parts.hostname, purpose,
                          problem[:1].lower() + problem[1:])
    return f"{parts.scheme.lower()}://{parts.netloc}{parts.path.rstrip('/')}"


def join(base_url, *segments):
    """base_url + "/" + each segment; segments that are ids are quoted so they stay one segment."""
    path = "/".join(quote(str(s), safe="") for s in segments)
    return f"{base_url}/{path}" if path else base_url


def join_path(base_url, path):
    """base_url + a fixed API path such as "/openapi/v2/text-to-3d"."""
    return base_url + path


def host_of(url):
    """host[:port], for messages: never the user name or password a URL may carry."""
    parts = split_url(url)
    if parts is None:
        return "an unknown host"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}{port}" if host else "an unknown host"


def for_log(url):
    """scheme://host/path: no query string (it may hold a signature), no credentials."""
    parts = split_url(url)
    return f"{parts.scheme}://{host_of(url)}{parts.path}" if parts else "an unreadable URL"
