"""Accounts, balances and tasks, and the clock that moves tasks through their lifecycle.

A task's status is a pure function of the clock: PENDING for the first fifth of `task_seconds`,
IN_PROGRESS (progress rising 1..99) for the rest, then SUCCEEDED or, when its plan carries a
failure, FAILED. Nothing runs in the background; refunds are settled whenever a task or a balance
is looked at, which keeps the emulator deterministic and cheap under load.
"""

import threading
import time
from dataclasses import dataclass, field

RETENTION_SECONDS = 3 * 24 * 3600   # 06-asset-retention.md: results are kept for three days
PENDING_SHARE = 0.2
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELED")


@dataclass
class Plan:
    """What a create request decided: everything needed to show and finish the task."""
    kind: str                              # the task object's `type`
    price: int
    fields: dict = field(default_factory=dict)       # request echoes shown on the task object
    unfinished: dict = field(default_factory=dict)   # result fields before SUCCEEDED
    result: object = None                  # callable(url) -> result fields once SUCCEEDED
    files: dict = field(default_factory=dict)        # asset name -> callable() -> bytes
    failure: dict = None                   # task_error revealed when the task finishes
    extra: dict = field(default_factory=dict)        # facts later tasks may need (ai_model, ...)


@dataclass
class Task:
    id: str
    account: "Account"
    family: object
    plan: Plan
    created: float
    duration: float
    charged: int
    canceled_at: float = None
    refunded: bool = False
    _cache: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def kind(self):
        return self.plan.kind

    def state(self, now):
        """(status, progress, started, finished) with started/finished in clock seconds or None."""
        pending_until = self.created + self.duration * PENDING_SHARE
        finish = self.created + self.duration
        if self.canceled_at is not None and now >= self.canceled_at:
            started = pending_until if self.canceled_at >= pending_until else None
            return "CANCELED", self._progress(self.canceled_at), started, self.canceled_at
        if now < pending_until:
            return "PENDING", 0, None, None
        if now < finish:
            return "IN_PROGRESS", self._progress(now), pending_until, None
        if self.plan.failure:
            return "FAILED", self._progress(finish - 1e-6), pending_until, finish
        return "SUCCEEDED", 100, pending_until, finish

    def _progress(self, moment):
        pending_until = self.created + self.duration * PENDING_SHARE
        if moment < pending_until:
            return 0
        share = (moment - pending_until) / max(self.duration * (1 - PENDING_SHARE), 1e-9)
        return max(1, min(99, 1 + int(share * 98)))

    def status(self, now):
        return self.state(now)[0]

    def expires_at(self, now):
        finished = self.state(now)[3]
        return None if finished is None else finished + RETENTION_SECONDS

    def file(self, name):
        """An output file's bytes, built on first use and kept (outputs are deterministic)."""
        with self._lock:
            if name not in self._cache:
                self._cache[name] = self.plan.files[name]()
            return self._cache[name]


@dataclass
class Account:
    key: str
    balance: int
    charged: bool          # False for the test-mode key: it never consumes credits
    tasks: dict = field(default_factory=dict)   # id -> Task, in creation order
    created_count: int = 0


class Store:
    def __init__(self, accounts, task_seconds):
        self.lock = threading.RLock()
        self.task_seconds = task_seconds
        self.clock_offset = 0.0
        self.accounts = {}
        self.tasks = {}
        self.blobs = {}          # id -> {name: bytes}: images of the OpenAI-compatible endpoint
        self.initial_accounts = accounts
        self.reset()

    def reset(self):
        with self.lock:
            self.accounts = {key: Account(key, balance, charged)
                             for key, (balance, charged) in self.initial_accounts.items()}
            self.tasks = {}
            self.blobs = {}
            self.clock_offset = 0.0

    def now(self):
        return time.time() + self.clock_offset

    def advance(self, seconds):
        with self.lock:
            self.clock_offset += seconds

    def settle(self, task, now):
        """Refund a task that ended FAILED (once)."""
        if not task.refunded and task.status(now) == "FAILED":
            task.account.balance += task.charged
            task.refunded = True

    def settle_account(self, account, now):
        for task in account.tasks.values():
            self.settle(task, now)

    def active(self, account, now):
        return [t for t in account.tasks.values() if t.status(now) not in TERMINAL]

    def create(self, account, family, plan, task_id):
        with self.lock:
            now = self.now()
            charged = plan.price if account.charged else 0
            account.balance -= charged
            task = Task(task_id, account, family, plan, now, self.task_seconds, charged)
            account.tasks[task_id] = task
            account.created_count += 1
            self.tasks[task_id] = task
            return task

    def delete(self, task):
        with self.lock:
            task.account.tasks.pop(task.id, None)
            self.tasks.pop(task.id, None)

    def cancel(self, task, now):
        """Creative Lab cancel: PENDING tasks are refunded, IN_PROGRESS ones are not."""
        with self.lock:
            if task.status(now) == "PENDING":
                task.account.balance += task.charged
                task.refunded = True
            task.canceled_at = now

