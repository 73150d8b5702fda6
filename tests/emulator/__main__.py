"""python -m tests.emulator [--host 127.0.0.1] [--port 0] [--task-seconds 3] [--credits 1000]
[--rps 20] [--queue-limit 10] [--key msy_emulator_paid_key] [--model-file PATH]
[--asset-url URL]"""

import argparse
import sys

from .emulator import PAID_KEY, Emulator


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.emulator",
                                     description="Serve the Meshy API emulator until stopped.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--task-seconds", type=float, default=3.0,
                        help="whole PENDING -> SUCCEEDED duration of every task")
    parser.add_argument("--credits", type=int, default=1000, help="starting balance of the paid key")
    parser.add_argument("--rps", type=int, default=20, help="requests per second per key")
    parser.add_argument("--queue-limit", type=int, default=10,
                        help="tasks per key that may be PENDING/IN_PROGRESS at once")
    parser.add_argument("--key", default=PAID_KEY, help="the paid (charged) key's value")
    parser.add_argument("--model-file", default=None,
                        help="a GLB served, as it is, as every task's model.glb")
    parser.add_argument("--asset-url", default=None,
                        help="where answers say result files are (default: this server)")
    args = parser.parse_args(argv)
    emulator = Emulator(host=args.host, port=args.port, task_seconds=args.task_seconds,
                        credits=args.credits, rps=args.rps, queue_limit=args.queue_limit,
                        paid_key=args.key, model_file=args.model_file, asset_url=args.asset_url)
    emulator.start()
    print(f"Meshy emulator listening on {emulator.url}", flush=True)
    try:
        emulator._thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
