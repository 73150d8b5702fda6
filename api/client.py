# SPDX-License-Identifier: GPL-3.0-or-later
"""MeshyClient: the one place the add-on talks HTTP to Meshy.

It owns the session, authentication, (connect, read) timeouts, retries with backoff, the mapping
of HTTP failures onto `errors`, and the rule that a create is never sent twice blindly: when a
POST may have reached the server (timeout, dropped connection, 5xx), the family's list endpoint
is searched for the task it created before anything is sent again. Every request passes the
client's gate (gate.py) first, and the API's redirects are never followed: they could carry the
Authorization header to another host.

Threads: a client may be shared by worker threads. Every call keeps its state on the stack; the
shared pieces are the requests.Session (whose urllib3 pool is thread-safe, and whose headers and
settings are never changed after construction) and two small lock-guarded records (server clock
offset, ids already attributed to a create). One client per worker thread works just as well.
"""

import collections
import email.utils
import threading
import time
from urllib.parse import urlsplit

import requests

from . import download as _download
from . import jsonbody, retry, stream, tasks
from .errors import (Cancelled, ConnectionFailed, MeshyError, NotMeshyAPI, RateLimited,
                     RequestError, ServerError, ValidationError, request_error)
from .gate import Gate
from .retry import RetryPolicy, as_policy, parse_retry_after
from .secret import Secret, get_logger, redact
from .transport import TransportError, describe_connection_error, server_message
from .urls import DEFAULT_BASE_URL, for_log, host_of, join, join_path, normalize_base_url

log = get_logger(__name__)
PURPOSE = "the Meshy API"

DEFAULT_USER_AGENT = "meshy-for-blender"
BALANCE_PATH = "/openapi/v1/balance"
ANIMATION_CATALOGUE_PATH = "/web/public/animations/resources"
DEFAULT_DOWNLOAD_MAX_BYTES = 2 * 1024 * 1024 * 1024

# How far apart our clock and the server's may be when matching created_at, once the server's
# Date header has told us its time (1 s resolution, plus latency), and before it has.
_CLOCK_TOLERANCE_KNOWN_MS = 3_000
_CLOCK_TOLERANCE_UNKNOWN_MS = 120_000
# After an uncertain create, look for the task now and again after these pauses: a slow server
# (or the app behind a gateway that gave up) may still be working on the request. When the app
# itself answered (HTTP 500), it is done with the request, and one look is enough.
_LOOKUP_PAUSES = (0.0, 1.5, 4.0)
_LOOKUP_AFTER_ANSWER = (0.0,)
_GATEWAY_STATUSES = (502, 503, 504)
# Task ids already returned by a create in this process, so a lookup never claims one twice.
_claimed = collections.OrderedDict()
_claimed_lock = threading.Lock()
_CLAIMED_LIMIT = 2048


def _claim(task_id):
    with _claimed_lock:
        _claimed[task_id] = True
        while len(_claimed) > _CLAIMED_LIMIT:
            _claimed.popitem(last=False)


def _is_claimed(task_id):
    with _claimed_lock:
        return task_id in _claimed


class MeshyClient:
    """A Meshy API client. Every method may raise a `MeshyError` subclass (see `errors`).

    api_key: the Meshy key ("msy_..."). base_url: https, or http to this computer only.
    timeout: (connect, read) seconds for ordinary requests. retries: how many times a failed
    GET/stream/download is tried again (an int or a RetryPolicy). session: a requests.Session to
    use (the client never turns off TLS verification on it). poll_interval: (first, longest)
    seconds between polls when streaming is not available. stream_read_timeout: seconds an SSE
    stream may stay silent before it is reopened. gate: the Gate every request passes (online
    access, https, redirects); an always-online one when None.
    """

    def __init__(self, api_key, base_url=DEFAULT_BASE_URL, timeout=(5, 30), retries=4,
                 session=None, user_agent=DEFAULT_USER_AGENT, poll_interval=(1.0, 10.0),
                 stream_read_timeout=60.0, gate=None):
        self._key = Secret(api_key)
        if not self._key:
            raise MeshyError("No Meshy API key is set; add one in the add-on preferences.")
        self.gate = gate or Gate()
        self.base_url = normalize_base_url(base_url, PURPOSE)
        self.host = host_of(self.base_url)
        connect, read = timeout if isinstance(timeout, (tuple, list)) else (timeout, timeout)
        self.timeout = (float(connect), float(read))
        self.retry = as_policy(retries)
        self.poll_interval = (float(poll_interval[0]), float(poll_interval[1]))
        self.stream_read_timeout = float(stream_read_timeout)
        self.user_agent = user_agent
        self._own_session = session is None
        self._session = session if session is not None else self._new_session()
        self._clock_lock = threading.Lock()
        self._clock_offset_ms = None
        self._last_date = None

    @staticmethod
    def _new_session():
        session = requests.Session()
        # No urllib3-level retries: a retried POST could create (and charge) a task twice. All
        # retrying is done here, where we know which requests are safe to repeat.
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def __repr__(self):
        return f"MeshyClient(base_url={self.base_url!r}, api_key=<hidden>)"

    def close(self):
        if self._own_session:
            self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- the public calls ----------------------------------------------------------------------

    def create(self, kind, payload, cancel=None):
        """Validate, then create a task; returns its id.

        A POST is sent again only when it certainly did not create a task: it never connected,
        it was rate limited, or a lookup through the list endpoint found no task it could have
        created. When that cannot be established, ConnectionFailed (no answer) or ServerError
        (an answer we could not use) is raised with maybe_created=True.
        """
        fam = tasks.family(kind)
        payload = tasks.validate(kind, payload)
        body = jsonbody.encode(payload)
        url = join_path(self.base_url, fam.path)
        attempt = 0
        while True:
            started_ms = self._server_now_ms()
            try:
                response = self._send("POST", url, body=body, cancel=cancel)
            except TransportError as exc:
                if not exc.sent:
                    self._retry_or_raise(attempt, None, cancel, f"create {kind}: {exc.reason}",
                                         ConnectionFailed(self.host, exc.reason))
                    attempt += 1
                    continue
                uncertain, failure = exc.reason, ConnectionFailed(self.host, exc.reason)
                answer = None
                pauses = _LOOKUP_PAUSES
            else:
                with response:
                    if response.ok:
                        task_id = self._created_id(response)
                        if task_id:
                            _claim(task_id)
                            log.info("created %s task %s", kind, task_id)
                            return task_id
                        uncertain = "the answer held no task id"
                        failure = answer = ServerError(response.status_code, uncertain)
                        pauses = _LOOKUP_AFTER_ANSWER
                    else:
                        failure = self._error(response, kind, payload)
                        if isinstance(failure, RateLimited) and failure.limit == "requests":
                            # Rejected before any work was done: safe to send again.
                            self._retry_or_raise(attempt, failure.retry_after, cancel,
                                                 f"create {kind}: rate limited", failure)
                            attempt += 1
                            continue
                        if failure.status == 404 and self._api_is_missing():
                            raise self._not_meshy_api(failure, url)
                        if not isinstance(failure, ServerError):
                            raise failure
                        answer = failure
                        uncertain = f"the server answered HTTP {response.status_code}"
                        pauses = (_LOOKUP_PAUSES if response.status_code in _GATEWAY_STATUSES
                                  else _LOOKUP_AFTER_ANSWER)
            # The request may have created a task: look for it before sending again.
            found = self._find_created(fam, payload, started_ms, uncertain, pauses, cancel,
                                       answer)
            if found:
                return found
            if attempt + 1 >= self.retry.attempts:
                raise failure
            log.warning("create %s: %s and no task was created; sending again", kind, uncertain)
            retry.wait(self.retry.delay(attempt), cancel)
            attempt += 1

    def get(self, kind, task_id, cancel=None):
        """The task object (a dict; unknown fields are kept)."""
        fam = tasks.family(kind)
        task = self._call("GET", join(join_path(self.base_url, fam.path), task_id), cancel=cancel)
        if not isinstance(task, dict):
            raise ServerError(200, "the task answer was not an object")
        return task

    def list(self, kind, page_num=1, page_size=10, sort_by="-created_at", cancel=None):
        """One page of the family's tasks (page_size 1..50), newest first by default."""
        fam = tasks.family(kind)
        if fam.list_path is None:
            raise ValidationError("kind", f"cannot be listed: Meshy documents no list endpoint "
                                  f"for {fam.label}")
        if isinstance(page_num, bool) or not isinstance(page_num, int) or page_num < 1:
            raise ValidationError("page_num", "must be a whole number from 1")
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 50:
            raise ValidationError("page_size", "must be a whole number from 1 to 50")
        if sort_by not in ("+created_at", "-created_at"):
            raise ValidationError("sort_by", "must be '+created_at' or '-created_at'")
        params = {"page_num": page_num, "page_size": page_size, "sort_by": sort_by}
        data = self._call("GET", join_path(self.base_url, fam.list_path), params=params,
                          cancel=cancel, api_address=True)
        if isinstance(data, dict):
            data = next((v for k, v in data.items() if k in ("result", "data", "tasks")
                         and isinstance(v, list)), None)
        if not isinstance(data, list):
            raise ServerError(200, "the task list answer was not a list")
        return [item for item in data if isinstance(item, dict)]

    def delete(self, kind, task_id, cancel=None):
        """Delete (or, for creative lab, cancel) a task."""
        fam = tasks.family(kind)
        self._call("DELETE", join(join_path(self.base_url, fam.path), task_id), cancel=cancel,
                   expect_json=False, gone_is_done=True)

    def follow(self, kind, task_id, on_event=None, cancel=None, timeout=None):
        """Wait for the task to finish and return its final object.

        on_event(dict(id, kind, status, progress, preceding_tasks)) is called from this thread
        whenever one of those changes. Raises TaskFailed (FAILED), TaskCanceled (CANCELED),
        Cancelled (`cancel` set; within about a second) or FollowTimeout (`timeout` s passed).
        """
        return stream.follow(self, kind, task_id, on_event=on_event, cancel=cancel,
                             timeout=timeout)

    def balance(self, cancel=None):
        """The account's credit balance."""
        data = self._call("GET", join_path(self.base_url, BALANCE_PATH), cancel=cancel,
                          api_address=True)
        try:
            return int(data["balance"])
        except (TypeError, KeyError, ValueError):
            raise ServerError(200, "the balance answer had no balance") from None

    def animation_catalogue(self, cancel=None):
        """The animation library: a list of dicts (action_id, name, category, preview...)."""
        # A public document: no reason to send the key with it.
        data = self._call("GET", join_path(self.base_url, ANIMATION_CATALOGUE_PATH),
                          cancel=cancel, auth=False, api_address=True)
        if isinstance(data, dict):
            data = next((v for v in data.values() if isinstance(v, list)), None)
        if not isinstance(data, list):
            raise ServerError(200, "the animation catalogue was not a list")
        return [item for item in data if isinstance(item, dict)]

    def download(self, url, dest_dir, task_id, kind, role, fmt,
                 max_bytes=DEFAULT_DOWNLOAD_MAX_BYTES, cancel=None):
        """Fetch one result file into dest_dir; returns its path (named from task id, kind, role
        and format, never from the URL). Validated and written atomically; see `download`."""
        # The URL came from the API's answer: the gate judges it as a redirect from there.
        return _download.fetch(self._session, url, dest_dir, _download.file_name(
            task_id, kind, role, fmt), fmt, max_bytes=max_bytes, policy=self.retry,
            timeout=self.timeout, cancel=cancel, user_agent=self.user_agent, gate=self.gate,
            source=self.base_url)

    # --- HTTP plumbing -------------------------------------------------------------------------

    def _headers(self, auth=True, accept="application/json"):
        headers = {"Accept": accept, "User-Agent": self.user_agent}
        if auth:
            headers["Authorization"] = self._key.bearer()
        return headers

    def _send(self, method, url, *, params=None, body=None, stream=False, timeout=None,
              cancel=None, auth=True, accept="application/json"):
        """One request, no retries. Raises TransportError when no HTTP answer arrived."""
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        self.gate.admit(url, PURPOSE)
        headers = self._headers(auth, accept)
        if body is not None:
            headers["Content-Type"] = "application/json"
        if stream:
            # Byte counts and SSE framing must be what the server sent, not a decompressed view.
            headers["Accept-Encoding"] = "identity"
        started = time.monotonic()
        timeout = timeout or self.timeout
        try:
            response = self._session.request(
                method, url, params=params, data=body, headers=headers, timeout=timeout,
                stream=stream, allow_redirects=False, verify=True)
        except requests.exceptions.SSLError as exc:
            raise ConnectionFailed(self.host, "the secure connection failed (the server's "
                                   "certificate could not be verified)") from exc
        except requests.exceptions.ConnectTimeout:
            raise TransportError(f"no connection within {timeout[0]:g} s", sent=False) from None
        except requests.exceptions.ReadTimeout:
            raise TransportError(f"no answer within {timeout[1]:g} s", sent=True) from None
        except requests.exceptions.ConnectionError as exc:
            reason, sent = describe_connection_error(exc)
            raise TransportError(reason, sent) from None
        except requests.exceptions.RequestException as exc:
            raise TransportError(f"the answer was unreadable ({type(exc).__name__})",
                                  sent=True) from None
        log.debug("%s %s -> %s (%.0f ms)", method, for_log(url), response.status_code,
                  (time.monotonic() - started) * 1000)
        self._note_server_time(response)
        if 300 <= response.status_code < 400:
            response.close()
            # Following a redirect could carry the key to another host; the API never redirects
            # https requests, so treat one as an error.
            raise ServerError(response.status_code, "the API answered with a redirect")
        return response

    def _call(self, method, url, *, params=None, cancel=None, expect_json=True, auth=True,
              gone_is_done=False, api_address=False):
        """A GET or DELETE with retries on connection errors, timeouts, 5xx and 429.

        api_address: `url` is one every Meshy API has (a collection, the balance), so a 404
        means the base URL is wrong, not that something was deleted."""
        for attempt in range(self.retry.attempts):
            try:
                response = self._send(method, url, params=params, cancel=cancel, auth=auth)
            except TransportError as exc:
                self._retry_or_raise(attempt, None, cancel, f"{method} {for_log(url)}: "
                                     f"{exc.reason}", ConnectionFailed(self.host, exc.reason))
                continue
            with response:
                status = response.status_code
                if status == 404 and gone_is_done and attempt > 0:
                    return None  # an earlier attempt did it; the answer was lost on the way
                if status == 429 or status >= 500:
                    error = self._error(response)
                    self._retry_or_raise(attempt, getattr(error, "retry_after", None), cancel,
                                         f"{method} {for_log(url)}: HTTP {status}", error)
                    continue
                if not response.ok:
                    error = self._error(response)
                    if status == 404 and api_address:
                        raise self._not_meshy_api(error, url)
                    raise error
                if not expect_json:
                    return None
                try:
                    return response.json()
                except ValueError:
                    self._retry_or_raise(attempt, None, cancel, f"{method} {for_log(url)}: "
                                         "unreadable JSON",
                                         ServerError(status, "the answer was not valid JSON"))
        raise AssertionError("unreachable")

    def _retry_or_raise(self, attempt, retry_after, cancel, what, error):
        """Wait before try `attempt + 1`, or raise `error` when tries are used up or the server
        asks for a longer wait than we hold a worker for."""
        if attempt + 1 >= self.retry.attempts:
            raise error
        if retry_after is not None and retry_after > self.retry.max_retry_after:
            raise error
        delay = self.retry.delay(attempt, retry_after)
        log.info("%s; retry %d/%d in %.1f s", what, attempt + 1, self.retry.attempts - 1, delay)
        retry.wait(delay, cancel)

    def _error(self, response, kind=None, payload=None, streamed=False):
        message = redact(server_message(response, streamed), self._key)
        status = response.status_code
        balance = needed = None
        if status == 402:
            needed = tasks.cost(kind, payload) if kind else None
            balance = self._balance_if_possible()
        # A family may say what its documented refusals mean (Creative Lab's wrong stage, ...).
        explain = tasks.family(kind).advice if kind else None
        return request_error(status, message,
                             retry_after=parse_retry_after(response.headers.get("Retry-After")),
                             balance=balance, needed=needed,
                             advice=explain(status, message) if explain else None)

    def _not_meshy_api(self, error, url):
        path = urlsplit(url).path
        return NotMeshyAPI(404, error.message, advice=(
            f"The API Base URL does not lead to the Meshy API: {self.host} has no {path}. Check "
            f"the API Base URL in the preferences (normally {DEFAULT_BASE_URL})."))

    def _api_is_missing(self):
        """After a 404 from a create (which may be about an input task): whether the balance,
        which every Meshy API has, is missing too, i.e. the base URL is wrong."""
        try:
            response = self._send("GET", join_path(self.base_url, BALANCE_PATH))
        except (MeshyError, TransportError):
            return False
        with response:
            return response.status_code == 404

    def _balance_if_possible(self):
        try:
            response = self._send("GET", join_path(self.base_url, BALANCE_PATH))
        except (MeshyError, TransportError):
            return None
        with response:
            try:
                return int(response.json()["balance"]) if response.ok else None
            except (ValueError, KeyError, TypeError):
                return None

    @staticmethod
    def _created_id(response):
        try:
            result = response.json().get("result")
        except (ValueError, AttributeError):
            return None
        return result if isinstance(result, str) and result else None

    # --- finding the task an uncertain POST created ----------------------------------------------

    def _find_created(self, fam, payload, started_ms, reason, pauses, cancel, answer=None):
        """The id of the task our uncertain POST created, or None when it certainly created none.

        answer: the ServerError the POST was answered with, or None when no answer arrived; it
        decides whether a failed lookup is told as "could not reach" or "answered HTTP n".
        """
        if fam.list_path is None:
            raise self._unconfirmed(answer, reason, f"{fam.label} tasks cannot be listed to check")
        for pause in pauses:
            try:
                retry.wait(pause, cancel)
                listed = self.list(fam.kind, page_size=50, cancel=cancel)
            except Cancelled:
                raise Cancelled("Creating the task", maybe_created=True) from None
            except MeshyError as exc:
                raise self._unconfirmed(answer, reason, "the task list could not be checked "
                                        f"({_briefly(exc)})") from exc
            match = self._match_created(fam, payload, listed, started_ms)
            if match:
                log.warning("create %s: %s, but the task had been created: %s", fam.kind,
                            reason, match)
                _claim(match)
                return match
        return None

    def find_created(self, kind, payload, since, exclude=(), window=60.0, fields=None,
                     cancel=None):
        """The task an earlier process's create made, when that process was killed after the POST
        but before it could record the id: the one task of `kind` created from `since`
        (time.time() of the POST, this machine's clock) to `window` seconds later that matches
        the payload's echoed fields (and `fields`, e.g. the prompt a refine's task object repeats
        from its preview) and is not in `exclude` (ids already accounted for).
        None when there is none, or more than one (then only a new task is certain to be right),
        or when the family cannot be listed."""
        fam = tasks.family(kind)
        if fam.list_path is None:
            return None
        listed = self.list(kind, page_size=50, cancel=cancel)
        offset = self._clock_offset_ms or 0
        tolerance = _CLOCK_TOLERANCE_KNOWN_MS if self._clock_offset_ms is not None \
            else _CLOCK_TOLERANCE_UNKNOWN_MS
        low = since * 1000 + offset - tolerance
        high = (since + window) * 1000 + offset + tolerance
        excluded = set(exclude)
        candidates = [task for task in listed
                      if isinstance(task.get("id"), str) and task["id"] not in excluded
                      and not _is_claimed(task["id"])
                      and isinstance(task.get("created_at"), (int, float))
                      and low <= task["created_at"] <= high
                      and (not task.get("type") or task.get("type") == fam.task_type)
                      and not any(payload.get(name) is not None
                                  and task.get(name) not in (None, "")
                                  and task.get(name) != payload.get(name)
                                  for name in fam.echoes)
                      and all(task.get(name) == value for name, value in (fields or {}).items())]
        if len(candidates) != 1:
            return None
        _claim(candidates[0]["id"])
        return candidates[0]["id"]

    def _unconfirmed(self, answer, reason, detail):
        """The error for a create that may have made a task, when we could not find out."""
        if answer is None:
            return ConnectionFailed(self.host, f"{reason}, and {detail}", maybe_created=True)
        return ServerError(answer.status, answer.message, maybe_created=True, advice=(
            f"The request reached Meshy, but {detail}, so it may already have created a task "
            "(and used credits); it was not sent again. Check your task list before retrying."))

    def _match_created(self, fam, payload, listed, started_ms):
        known = self._clock_offset_ms is not None
        tolerance = _CLOCK_TOLERANCE_KNOWN_MS if known else _CLOCK_TOLERANCE_UNKNOWN_MS
        low, high = started_ms - tolerance, self._server_now_ms() + tolerance
        candidates = []
        for task in listed:
            task_id = task.get("id")
            created = task.get("created_at")
            if not isinstance(task_id, str) or _is_claimed(task_id):
                continue
            if not isinstance(created, (int, float)) or not low <= created <= high:
                continue
            if task.get("type") and task.get("type") != fam.task_type:
                continue
            if any(payload.get(name) is not None and task.get(name) not in (None, "")
                   and task.get(name) != payload.get(name) for name in fam.echoes):
                continue
            candidates.append(task)
        if not candidates:
            return None
        # Two identical creates racing in one window is the only way to get several; the oldest
        # is the one that started first.
        return min(candidates, key=lambda t: t["created_at"])["id"]

    def _note_server_time(self, response):
        date = response.headers.get("Date")
        if not date or date == self._last_date:
            return
        try:
            server = email.utils.parsedate_to_datetime(date).timestamp() * 1000
        except (TypeError, ValueError, IndexError):
            return
        with self._clock_lock:
            self._last_date = date
            # The Date header is truncated to the second: the server is on average 0.5 s later.
            self._clock_offset_ms = server + 500 - time.time() * 1000

    def _server_now_ms(self):
        return time.time() * 1000 + (self._clock_offset_ms or 0)


def _briefly(error):
    """A few words for an error inside another error's message."""
    if isinstance(error, RequestError):
        return f"the server answered HTTP {error.status}"
    if isinstance(error, ConnectionFailed):
        return error.reason
    return str(error)


__all__ = ["MeshyClient", "RetryPolicy", "DEFAULT_BASE_URL"]
