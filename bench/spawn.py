"""Spawn benchmark: hub log-in → server ready → first cell executed, on the real hub and sandboxes.

Two phases on one fresh platform (needs root, like the end-to-end tests):

- sequential: ``--users`` competitors one after the other (each server stopped after it answered);
- concurrent: ``--concurrent`` competitors all logging in and spawning at the same moment.

Prints, per phase, the p50/p95 of "ready" (log-in form → server ready) and "first cell"
(log-in form → output of a first cell in a fresh kernel), the failures, and the ratio
p50 / target (3 s by default). Uses the end-to-end harness of ``tests/hub/harness.py``.

    .venv/bin/python bench/spawn.py [--users 20] [--concurrent 30] [--target 3] [--services]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "hub"))

import harness

__all__ = ["Run", "main", "measure", "percentile", "summary_row"]

PASSWORD = "bench-password-123"
FIRST_CELL = "print(6 * 7)"
NETWORK_PREFIX = "10.217"  # apart from the end-to-end tests, which may run at the same time


@dataclass
class Run:
    """One user's timings (seconds since the log-in started), or the error that stopped it."""

    user: str
    ready: float | None = None
    first_cell: float | None = None
    error: str | None = None


def measure(hub: harness.HubProcess, user: str, timeout: float) -> Run:
    """Log ``user`` in through the form, start the server, run a first cell; time each step."""
    run = Run(user)
    started = time.monotonic()
    try:
        token = harness.create_token(harness.login(hub, user, PASSWORD), user)
        harness.start_server(hub, user, token, timeout=timeout)
        run.ready = time.monotonic() - started
        if harness.run_code(hub, user, token, FIRST_CELL, timeout=timeout).strip() != "42":
            raise AssertionError("first cell printed the wrong answer")
        run.first_cell = time.monotonic() - started
    except Exception as error:  # noqa: BLE001 - a benchmark counts failures, whatever they are
        run.error = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    return run


def stop_server(hub: harness.HubProcess, user: str, timeout: float = 60) -> None:
    """Stop ``user``'s server and wait until the hub has no server for them."""
    hub.api("DELETE", f"/users/{user}/server")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and hub.api("GET", f"/users/{user}").json().get("servers"):
        time.sleep(0.2)


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` percentile of ``values`` (linear interpolation); NaN when empty."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def summary_row(phase: str, runs: list[Run], wall: float) -> str:
    """Table row of one phase: users, failures, p50/p95 of ready and first cell, wall time."""
    ready = [run.ready for run in runs if run.ready is not None and run.error is None]
    cell = [run.first_cell for run in runs if run.first_cell is not None]
    failed = sum(run.error is not None for run in runs)
    cells = [phase, len(runs), failed, *(percentile(v, f) for v in (ready, cell) for f in (0.5, 0.95)), wall]
    return "{:<11} {:>5} {:>6} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>8.1f}".format(*cells)


def main(argv: list[str] | None = None) -> int:
    """Run both phases and print the table; exit 1 if any spawn failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20, help="users spawned one after the other")
    parser.add_argument("--concurrent", type=int, default=30, help="users spawning at the same moment")
    parser.add_argument("--target", type=float, default=3.0, help="target p50 of log-in → first cell (s)")
    parser.add_argument("--timeout", type=float, default=120, help="per-user time limit (s)")
    parser.add_argument("--services", action="store_true", help="also run the scoring and leaderboard services")
    parser.add_argument("--root", type=Path, default=Path("/srv"), help="where the data dir is made (not /tmp)")
    args = parser.parse_args(argv)
    if (missing := harness.e2e_missing()) is not None:
        parser.error(f"cannot run sandboxes here: {missing}")

    sequential_users = [f"seq{i}" for i in range(args.users)]
    concurrent_users = [f"con{i}" for i in range(args.concurrent)]
    users = dict.fromkeys(sequential_users + concurrent_users, PASSWORD)
    data_dir = args.root / f"arena-bench-{uuid.uuid4().hex[:8]}"
    overrides = {"spawn_timeout_seconds": int(args.timeout), "sandbox_network_prefix": NETWORK_PREFIX}
    with harness.running_platform(data_dir, users, managed_services=args.services, **overrides) as hub:
        started = time.monotonic()
        sequential = []
        for user in sequential_users:
            sequential.append(measure(hub, user, args.timeout))
            stop_server(hub, user)
        sequential_wall = time.monotonic() - started

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=max(1, args.concurrent)) as pool:
            concurrent = list(pool.map(lambda user: measure(hub, user, args.timeout), concurrent_users))
        concurrent_wall = time.monotonic() - started

    print(
        f"{'phase':<11} {'users':>5} {'failed':>6} {'p50 ready':>9} {'p95 ready':>9} "
        f"{'p50 cell':>9} {'p95 cell':>9} {'wall s':>8}"
    )
    print(summary_row("sequential", sequential, sequential_wall))
    print(summary_row("concurrent", concurrent, concurrent_wall))
    p50 = percentile([run.first_cell for run in sequential if run.first_cell is not None], 0.5)
    print(f"sequential p50 log-in → first cell / target {args.target:g} s: {p50 / args.target:.2f}")
    for run in sequential + concurrent:
        if run.error:
            print(f"failed: {run.user}: {run.error}")
    return 1 if any(run.error for run in sequential + concurrent) else 0


if __name__ == "__main__":
    sys.exit(main())
