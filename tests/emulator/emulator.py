"""The Emulator: a real HTTP server on a socket, run in a background thread, plus the Python handles
tests use to steer and inspect it (faults, balances, tasks, the request log, the clock)."""

import threading

from .faults import Faults
from .families import task_object
from .server import EmulatorServer, RateLimiter
from .store import Store
from .validation import new_task_id

TEST_KEY = "msy_dummy_api_key_for_test_mode_12345678"   # 01-quick-start.md: free test mode
PAID_KEY = "msy_emulator_paid_key"


class Emulator:
    def __init__(self, host="127.0.0.1", port=0, task_seconds=3.0, credits=1000, rps=20,
                 queue_limit=10, paid_key=PAID_KEY, test_credits=1000, model_file=None,
                 asset_url=None):
        self.host = host
        self.port = port
        # Where result files are said to be (task objects, image answers, the catalogue): this
        # server by default; e.g. "https://assets.example.invalid" plays a remote CDN that a
        # client must never reach while Blender's online access is off.
        self.asset_url = asset_url
        self._default_asset_url = asset_url
        self.rps = rps
        self.queue_limit = queue_limit
        self.test_key = TEST_KEY
        self.paid_key = paid_key
        # The test key is never charged, but still reports (and is checked against) a balance.
        self.store = Store({TEST_KEY: (test_credits, False), paid_key: (credits, True)},
                           task_seconds)
        self.fault_rules = Faults()
        self.limiter = RateLimiter()
        self.request_log = []
        self._log_lock = threading.Lock()
        self.server = None
        self._thread = None
        self.stopping = False
        # A GLB on disk served (streamed, as it is) as every task's model.glb: benchmarks use it
        # for results of a realistic size, which the generated meshes are not.
        self.model_file = model_file

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self):
        self.server = EmulatorServer((self.host, self.port), self)
        self.port = self.server.server_address[1]
        self.stopping = False
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="meshy-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.stopping = True
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self._thread.join(timeout=5)
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    # --- tuning and inspection ------------------------------------------------------------------

    @property
    def task_seconds(self):
        return self.store.task_seconds

    @task_seconds.setter
    def task_seconds(self, value):
        self.store.task_seconds = value

    @property
    def sse_interval(self):
        """How often a stream looks for progress: small enough to see every step of a short task."""
        return min(0.2, max(0.01, self.task_seconds / 60))

    def reset(self):
        """Forget tasks, faults, counters, the request log and the clock; restore balances and
        the asset URL."""
        self.asset_url = self._default_asset_url
        self.store.reset()
        self.fault_rules.clear()
        self.limiter.clear()
        with self._log_lock:
            self.request_log.clear()

    def faults(self, **spec):
        """Inject faults; the same spec as POST /_emulator/faults (see README.md)."""
        self.fault_rules.add(spec)

    def set_balance(self, key, credits):
        with self.store.lock:
            self.store.accounts[key].balance = credits

    def balance(self, key):
        with self.store.lock:
            account = self.store.accounts[key]
            self.store.settle_account(account, self.store.now())
            return account.balance

    def advance_clock(self, seconds):
        """Move the emulator's clock forward (tasks finish, links expire) without waiting."""
        self.store.advance(seconds)

    def task(self, task_id):
        """The task object as GET would show it to its owner."""
        with self.store.lock:
            task = self.store.tasks[task_id]
            now = self.store.now()
            self.store.settle(task, now)
            return task_object(task, now, self.asset_url or self.url)

    @property
    def tasks_created(self):
        """Create calls that produced a task, over all keys (deleted tasks still count)."""
        with self.store.lock:
            return sum(account.created_count for account in self.store.accounts.values())

    def tasks_created_by(self, key):
        with self.store.lock:
            return self.store.accounts[key].created_count

    def log_request(self, method, path):
        with self._log_lock:
            self.request_log.append((method, path))

    def new_task_id(self, now):
        return new_task_id(now)

    def state(self):
        with self.store.lock:
            now = self.store.now()
            return {
                "url": self.url,
                "task_seconds": self.task_seconds,
                "rps": self.rps,
                "queue_limit": self.queue_limit,
                "balances": {key: account.balance for key, account in self.store.accounts.items()},
                "tasks_created": self.tasks_created,
                "tasks": [{"id": task.id, "type": task.kind, "status": task.status(now),
                           "key": task.account.key} for task in self.store.tasks.values()],
                "faults": self.fault_rules.describe(),
                "requests": len(self.request_log),
            }
