# SPDX-License-Identifier: GPL-3.0-or-later
"""When and how long to wait before trying again.

Exponential backoff with jitter (so many clients recovering from the same outage do not retry in
lock step), a cap, and the server's `Retry-After` honoured when it is sane. Waiting goes through
the caller's cancel event so a cancel is seen at once.
"""

import email.utils
import random
import time
from dataclasses import dataclass

from .errors import Cancelled


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` tries in all (1 = no retry); waits grow from `base` doubling up to `cap` seconds.

    A Retry-After longer than `max_retry_after` is not waited out: the error goes to the caller,
    which can reschedule the job instead of holding a worker for minutes.
    """

    attempts: int = 5
    base: float = 0.5
    cap: float = 20.0
    max_retry_after: float = 60.0

    def delay(self, attempt, retry_after=None):
        """Seconds to wait after failed try number `attempt` (0-based)."""
        backoff = min(self.cap, self.base * (2 ** attempt))
        # "Equal jitter": at least half the backoff, so waits still grow; at most all of it.
        wait = random.uniform(backoff / 2, backoff)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait


def as_policy(retries):
    if isinstance(retries, RetryPolicy):
        return retries
    if retries is None:
        return RetryPolicy()
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError("retries must be a RetryPolicy or a number of retries >= 0")
    return RetryPolicy(attempts=retries + 1)


def parse_retry_after(value):
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - time.time()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def wait(seconds, cancel=None, what="The request"):
    """Sleep, but raise Cancelled as soon as `cancel` is set."""
    if seconds <= 0:
        if cancel is not None and cancel.is_set():
            raise Cancelled(what)
        return
    if cancel is None:
        time.sleep(seconds)
    elif cancel.wait(seconds):
        raise Cancelled(what)
