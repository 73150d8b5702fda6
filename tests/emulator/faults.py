"""Injected faults: what the next N requests (optionally only those whose path contains a substring)
should suffer. The same spec is accepted by `Emulator.faults(**spec)` and `POST /_emulator/faults`.

Each kind takes either a count (`{"http_500": 2}`) or an object with `count` and the kind's own
parameters (`{"rate_limit": {"count": 3, "retry_after": 2, "path": "/text-to-3d"}}`). Without a
count a rule applies until reset, except `fail_tasks`, `rig_pose_failure`, `content_flagged`,
`no_candidate` and `hostile_ids`, which default to one.
"""

import threading

ERROR_MESSAGES = {
    "image_too_complex": "The uploaded image is too complex for 3D generation.",
    "model_missing_uv": "The uploaded model has no UV coordinates, but enable_original_uv is true.",
    "model_insufficient_uv": "The uploaded model's UV coverage is too small for quality texturing.",
    "invalid_input": "The input failed validation.",
    "moderation_blocked": "The prompt or reference images were rejected by AI safety filters.",
    "timeout": "Task processing exceeded the time limit.",
    "format_conversion_failed": "The generated model could not be converted to the requested format.",
}
CODE_TYPES = {"timeout": "timeout", "format_conversion_failed": "server_error"}
TYPE_MESSAGES = {
    "invalid_input": "The input failed validation.",
    "timeout": "Task processing exceeded the time limit. Please retry.",
    "service_unavailable": "The service is temporarily unavailable. Please retry.",
    "server_error": "An internal error occurred. Please retry.",
}
ERROR_TYPES = tuple(TYPE_MESSAGES)

# kind -> (parameters with defaults, default count when none is given)
KINDS = {
    "http_500": ({}, None),
    "rate_limit": ({"retry_after": 1}, None),
    "drop_sse": ({"after_events": 1}, None),
    "drop_after_create": ({}, None),
    "truncate_downloads": ({"mode": "cut"}, None),
    "corrupt_downloads": ({}, None),
    "delay": ({"seconds": 1.0}, None),
    "fail_tasks": ({"type": None, "code": None, "message": None}, 1),
    "rig_pose_failure": ({}, 1),
    # Creative Lab (pages 24-27): a prototype create refused by moderation (400, no task), and a
    # prototype that succeeds without a candidate image (its build is then refused with 400).
    "content_flagged": ({}, 1),
    "no_candidate": ({}, 1),
    "hostile_ids": ({"prefix": "../../"}, 1),
    "echo_key": ({}, None),
}


def task_error(error_type=None, code=None, message=None):
    """A `task_error` object as 03-errors.md describes it: doc_url only when a code is present."""
    if code is not None and error_type is None:
        error_type = CODE_TYPES.get(code, "invalid_input")
    error_type = error_type or "server_error"
    if error_type not in ERROR_TYPES:
        raise ValueError(f"unknown task_error type {error_type!r}; one of {', '.join(ERROR_TYPES)}")
    error = {"type": error_type}
    if code is not None:
        error["code"] = code
    error["message"] = message or ERROR_MESSAGES.get(code) or TYPE_MESSAGES[error_type]
    if code is not None:
        error["doc_url"] = "https://docs.meshy.ai/en/api/errors#" + code.replace("_", "-")
    return error


class Rule:
    def __init__(self, kind, spec):
        defaults, default_count = KINDS[kind]
        if isinstance(spec, bool) or not isinstance(spec, (int, dict)):
            raise ValueError(f"fault {kind!r} takes a count or an object")
        spec = {"count": spec} if isinstance(spec, int) else dict(spec)
        unknown = set(spec) - set(defaults) - {"count", "path"}
        if unknown:
            raise ValueError(f"fault {kind!r} has no parameter(s) {', '.join(sorted(unknown))}")
        self.kind = kind
        self.remaining = spec.get("count", default_count)
        self.path = spec.get("path") or ""
        self.params = {**defaults, **{k: v for k, v in spec.items() if k in defaults}}
        if kind == "hostile_ids" and not isinstance(self.params["prefix"], str):
            raise ValueError("fault 'hostile_ids' takes a string prefix")
        if kind == "fail_tasks":
            task_error(self.params["type"], self.params["code"], self.params["message"])

    def describe(self):
        return {"kind": self.kind, "remaining": self.remaining, "path": self.path, **self.params}


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []

    def add(self, spec):
        unknown = set(spec) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kind(s): {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(KINDS)}")
        rules = [Rule(kind, value) for kind, value in spec.items()]
        with self._lock:
            self._rules.extend(rules)

    def clear(self):
        with self._lock:
            self._rules.clear()

    def take(self, kind, path):
        """Consume one use of the first matching rule; its parameters, or None."""
        with self._lock:
            for rule in self._rules:
                if rule.kind == kind and rule.path in path and rule.remaining != 0:
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return dict(rule.params)
        return None

    def describe(self):
        with self._lock:
            return [rule.describe() for rule in self._rules if rule.remaining != 0]
