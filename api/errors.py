# SPDX-License-Identifier: GPL-3.0-or-later
"""Every failure the Meshy client reports, as one exception family.

Each exception carries `user_message`: a sentence a person can act on, and `str(e)` is that same
sentence, so the Blender side can show any `MeshyError` as is. Messages are built from what the
server said and what we know locally; they never contain a key (every message, and the server's
own text kept beside it, is redacted against every known secret when the exception is made; see
`secret`) and never contain signed asset URLs.
"""

from .secret import redact

# Task error types the errors page says are worth retrying ("often transient", "retry the
# request"); `invalid_input` needs a changed input instead.
RETRYABLE_TASK_ERROR_TYPES = frozenset({"timeout", "service_unavailable", "server_error"})
# Codes whose documented resolution starts with "Retry the request".
RETRYABLE_TASK_ERROR_CODES = frozenset({"timeout", "format_conversion_failed"})

# The documented per-code resolutions, shortened to one sentence each.
_CODE_ADVICE = {
    "image_too_complex": "Use a single, simpler subject (one object, no dense patterns or scenes).",
    "model_missing_uv": "Add UVs to the model, or turn off 'keep original UVs' so Meshy unwraps it.",
    "model_insufficient_uv": "Unwrap the model's UVs again, or turn off 'keep original UVs'.",
    "moderation_blocked": "Rephrase the prompt or change the reference images.",
    "timeout": "Try again; if it keeps failing, simplify the input.",
    "format_conversion_failed": "Try again, or choose another output format.",
}
_TYPE_ADVICE = {
    "invalid_input": "Change the input and try again.",
    "timeout": "Try again; if it keeps failing, simplify the input.",
    "service_unavailable": "Wait a moment and try again.",
    "server_error": "Try again; if it keeps failing, contact Meshy support with the task id.",
}


class MeshyError(Exception):
    """Base of everything the client raises on purpose."""

    def __init__(self, user_message):
        user_message = redact(user_message)
        super().__init__(user_message)
        self.user_message = user_message

    def __str__(self):
        return self.user_message


class ValidationError(MeshyError):
    """A payload breaks a documented limit; nothing was sent."""

    def __init__(self, field, reason, label=None):
        self.field = field
        self.reason = reason
        self.label = label
        sentence = f"{field} {reason}."
        super().__init__(f"{label}: {sentence}" if label else sentence)


class InputError(MeshyError):
    """An image or model given to us cannot be read, is of an unsupported type, or is too big."""


class InvalidKey(MeshyError, ValueError):
    """A key that cannot be sent (control characters, spaces...); the message never quotes it."""


class InsecureURL(MeshyError):
    """A URL the gate will not send to: not https (plain http is only allowed to this computer),
    carrying credentials, or reached from another host and leading into this computer or a
    private network. `reason` replaces the default explanation."""

    def __init__(self, scheme, host, purpose, reason=None):
        self.scheme = scheme
        self.host = host
        reason = reason or ("only https is allowed, and plain http only for this computer "
                            "(localhost, 127.0.0.1)")
        super().__init__(f"Refusing to use {scheme or 'a non-web'}:// for {purpose} on "
                         f"{host or 'an unknown host'}: {reason}.")


class OnlineAccessDisabled(MeshyError):
    """Blender's online access is off and the request was for another computer: nothing was sent."""

    def __init__(self, host):
        self.host = host
        super().__init__(f"Online access is disabled, so nothing was sent to {host}. Allow it in "
                         "Preferences > System > Network (\"Allow Online Access\"), then try again.")


class Cancelled(MeshyError):
    """The caller's cancel event was set; the call stopped and cleaned up.

    `maybe_created` is True when a create was cancelled while we were still finding out whether
    its request had created a task: check the task list before sending it again.
    """

    def __init__(self, what="The request", maybe_created=False):
        self.maybe_created = maybe_created
        message = f"{what} was cancelled."
        if maybe_created:
            message += " A task may already have been created; check your task list."
        super().__init__(message)


class ConnectionFailed(MeshyError):
    """The server could not be reached or stopped answering (DNS, refused, reset, timeout).

    `maybe_created` is True when a create request may have reached the server and could not be
    confirmed either way: the caller must not send it again blindly.
    """

    def __init__(self, host, reason, maybe_created=False, service="Meshy"):
        self.host = host
        self.reason = reason
        self.maybe_created = maybe_created
        message = f"Could not reach {service} at {host}: {reason}."
        if maybe_created:
            message += (" The request may already have created a task (and used credits); it was "
                        "not sent again. Check your task list before retrying.")
        else:
            message += " Check your internet connection, proxy or firewall, then try again."
        super().__init__(message)


class FollowTimeout(MeshyError):
    """follow() gave up waiting; the task itself keeps running on Meshy and can be followed again."""

    def __init__(self, task_id, seconds):
        self.task_id = task_id
        super().__init__(f"Stopped waiting for task {task_id} after {seconds:g} s; it may still "
                         "be running on Meshy and can be checked again later.")


class DownloadError(MeshyError):
    """A result file could not be fetched, or what arrived was incomplete or corrupt."""


class RequestError(MeshyError):
    """The server rejected a request: `status` is the HTTP status, `message` the server's text."""

    default_advice = "Check the request and try again."

    def __init__(self, status, message, advice=None, service="Meshy"):
        self.status = status
        self.message = redact(message or "")
        detail = f": {self.message}" if self.message else ""
        who = service[:1].upper() + service[1:]
        super().__init__(f"{who} answered HTTP {status}{detail}. {advice or self.default_advice}")


class BadRequest(RequestError):
    default_advice = "Check the settings for this generation; Meshy did not accept them."


class AuthError(RequestError):
    default_advice = "Check the API key in the add-on preferences (a Meshy key starts with msy_)."


class InsufficientCredits(RequestError):
    """402. `balance` and `needed` are filled in when the client could find them out."""

    def __init__(self, status, message, balance=None, needed=None, service="Meshy", advice=None):
        self.balance = balance
        self.needed = needed
        parts = ["Not enough Meshy credits for this task"]
        if needed is not None and balance is not None:
            parts.append(f" (it costs {needed}, your balance is {balance})")
        elif balance is not None:
            parts.append(f" (your balance is {balance})")
        elif needed is not None:
            parts.append(f" (it costs {needed})")
        advice = advice or ("".join(parts) + ". Buy credits at https://www.meshy.ai/settings/api, "
                            "then try again.")
        super().__init__(status, message, advice, service)


class Forbidden(RequestError):
    default_advice = "This key may not use that resource (it may belong to another account)."


class NotFound(RequestError):
    default_advice = ("Meshy has no such task; it may have been deleted, or expired "
                      "(results are kept for 3 days).")


class NotMeshyAPI(RequestError):
    """404 from an address every Meshy API has (create, list, balance): the base URL is wrong.
    Deliberately not a NotFound: nothing says a task is gone."""

    default_advice = ("The API Base URL does not lead to the Meshy API (it has no such address); "
                      "check the API Base URL in the preferences (normally https://api.meshy.ai).")


class Unprocessable(RequestError):
    default_advice = ("Meshy could not process this input; rigging needs a textured humanoid "
                      "character facing +Z.")


class RateLimited(RequestError):
    """429. `limit` is "requests" (too many per second) or "queue" (too many tasks running)."""

    def __init__(self, status, message, limit="requests", retry_after=None, service="Meshy"):
        self.limit = limit
        self.retry_after = retry_after
        if limit == "queue":
            advice = ("Too many tasks are already running for this account (the plan's queue limit); "
                      "wait for one to finish, then try again.")
        else:
            advice = "Too many requests per second; wait a moment and try again."
        if retry_after:
            advice += f" The server asked to wait {retry_after:g} s."
        super().__init__(status, message, advice, service)


class ServerError(RequestError):
    """5xx, or an answer we could not use. `maybe_created` is True when it answered a create
    whose outcome could not be confirmed: the caller must not send it again blindly."""

    default_advice = ("The server had a problem; try again in a few minutes "
                      "(status page: https://status.meshy.ai).")

    def __init__(self, status, message, advice=None, service="Meshy", maybe_created=False):
        self.maybe_created = maybe_created
        super().__init__(status, message, advice, service)


_BY_STATUS = {400: BadRequest, 401: AuthError, 403: Forbidden, 404: NotFound, 422: Unprocessable}


def rate_limit_kind(message):
    """Which of the two documented 429s this is: "queue" for NoMoreConcurrentTasks, else "requests"."""
    text = (message or "").lower()
    if "nomoreconcurrenttasks" in text or "concurrent" in text or "queue" in text:
        return "queue"
    return "requests"


def request_error(status, message, *, retry_after=None, balance=None, needed=None,
                  service="Meshy", advice=None):
    """The RequestError subclass for an HTTP status (`advice` replaces the default sentence)."""
    if status == 402:
        return InsufficientCredits(status, message, balance=balance, needed=needed,
                                   service=service, advice=advice)
    if status == 429:
        return RateLimited(status, message, rate_limit_kind(message), retry_after, service=service)
    if status >= 500:
        return ServerError(status, message, advice, service=service)
    cls = _BY_STATUS.get(status, RequestError)
    return cls(status, message, advice, service=service)


class TaskFailed(MeshyError):
    """A task ended FAILED. Fields mirror the task's `task_error`; `retryable` follows the errors page."""

    def __init__(self, task_id, type=None, code=None, message=None, doc_url=None):
        self.task_id = task_id
        self.type = type or ""
        self.code = code or ""
        self.message = redact(message or "")
        self.doc_url = doc_url or ""
        self.retryable = (self.type in RETRYABLE_TASK_ERROR_TYPES
                          or self.code in RETRYABLE_TASK_ERROR_CODES)
        advice = _CODE_ADVICE.get(self.code) or _TYPE_ADVICE.get(self.type) or (
            "Try again." if self.retryable else "Change the input and try again.")
        what = self.message or "no reason given"
        super().__init__(f"Meshy could not finish task {task_id}: {what}. {advice}")

    @classmethod
    def from_task(cls, task):
        error = task.get("task_error") or {}
        if not isinstance(error, dict):
            error = {"message": str(error)}
        return cls(task.get("id", ""), error.get("type"), error.get("code"),
                   error.get("message"), error.get("doc_url"))


class TaskCanceled(TaskFailed):
    """A task ended CANCELED (deleted or cancelled on the server side)."""

    def __init__(self, task_id):
        super().__init__(task_id, "canceled", None, "the task was cancelled on Meshy")
        self.retryable = False
        self.user_message = (f"Meshy task {task_id} was cancelled on the server; "
                             "start it again if you still want the result.")
        self.args = (self.user_message,)
