"""Load benchmark: many submissions from concurrent clients through the HTTP API, until every one is scored.

Starts the real scoring service (uvicorn on 127.0.0.1, a free port, loopback only) with its
embedded worker plus ``--workers - 1`` extra worker threads, and an ``authenticate=`` function
mapping test tokens to users. ``--clients`` threads each upload ``submissions / clients`` small
CSV files over HTTP, then every submission is polled until ``scored``. Bounded in count and in
time (``--timeout``). Prints lost (accepted but never seen again), stuck (not scored in time)
and the p50/p95/max of submit → scored (``scored_at - created_at`` as recorded).

Run: ``.venv/bin/python bench/submit_load.py [--submissions 500] [--clients 50] [--workers 2] [--postgres]``
"""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import uvicorn
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arena.accounts import create_user
from arena.models import Submission, SubmissionState
from arena.settings import Settings
from bench._common import bench_database, options, publish_challenge, spec_for
from scoring import Worker, create_app

ROWS = 200


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _client(base: str, token: str, payloads: list[bytes], accepted: list[int], errors: list[str]) -> None:
    with httpx.Client(base_url=base, headers={"Authorization": f"token {token}"}, timeout=60) as client:
        for number, payload in enumerate(payloads):
            response = client.post(
                "/api/challenges/load/submissions", files={"file": (f"s{number}.csv", payload, "text/csv")}
            )
            if response.status_code == 202:
                accepted.append(response.json()["id"])
            else:
                errors.append(f"{response.status_code} {response.text[:200]}")


def _wait_scored(db, ids: list[int], deadline: float) -> dict[int, SubmissionState]:
    while True:
        with db.session() as session:
            states = dict(session.execute(select(Submission.id, Submission.state).where(Submission.id.in_(ids))).all())
        done = all(s in (SubmissionState.scored, SubmissionState.failed) for s in states.values())
        if (done and len(states) == len(ids)) or time.monotonic() > deadline:
            return states
        time.sleep(0.2)


def run(args: Any, folder: Path) -> None:
    """Serve, load, wait, report."""
    kind = "postgresql" if args.postgres else "sqlite"
    with bench_database(kind, folder) as db:
        settings = Settings(
            data_dir=folder / "var", database_url=db.url, worker_poll_seconds=0.05, embedded_worker=True, _env_file=None
        )
        spec = spec_for("load", "classification", "accuracy", ["f1_macro"], {"per_day": 10**6, "total": 10**6})
        ids = [f"p{i:04d}" for i in range(ROWS)]
        answers = publish_challenge(db, settings, spec, pd.DataFrame({"id": ids, "target": np.arange(ROWS) % 2}))
        tokens = {f"tok-{c}": f"user{c:03d}" for c in range(args.clients)}
        with db.session() as session:
            for name in tokens.values():
                create_user(session, name, "competitor", None)
        rng = np.random.default_rng(0)
        per_client = args.submissions // args.clients
        payloads = [
            pd.DataFrame(
                {"id": ids, "target": np.where(rng.random(ROWS) < 0.8, answers["target"], 1 - answers["target"])}
            )
            .to_csv(index=False)
            .encode()
            for _ in range(per_client * args.clients)
        ]
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings, authenticate=tokens.get, db=db), host="127.0.0.1", port=port, log_level="warning"
            )
        )
        serving = threading.Thread(target=server.run, daemon=True)
        serving.start()
        while not server.started:
            time.sleep(0.05)
        stop = threading.Event()
        extra = [
            threading.Thread(target=Worker(db, settings, f"extra-{n}").run_forever, args=(stop,), daemon=True)
            for n in range(args.workers - 1)
        ]
        for thread in extra:
            thread.start()
        accepted: list[int] = []
        errors: list[str] = []
        base = f"http://127.0.0.1:{port}/services/scoring"
        start = time.monotonic()
        with ThreadPoolExecutor(args.clients) as pool:
            for c, token in enumerate(tokens):
                pool.submit(_client, base, token, payloads[c * per_client : (c + 1) * per_client], accepted, errors)
        submitted = time.monotonic() - start
        states = _wait_scored(db, accepted, start + args.timeout)
        total = time.monotonic() - start
        stop.set()
        server.should_exit = True
        serving.join(timeout=10)
        for thread in extra:
            thread.join(timeout=10)
        with db.session() as session:
            rows = session.execute(
                select(Submission.created_at, Submission.scored_at).where(Submission.state == SubmissionState.scored)
            ).all()
        latency = np.array([(scored - created).total_seconds() for created, scored in rows])
        sent = per_client * args.clients
        stuck = sum(s not in (SubmissionState.scored, SubmissionState.failed) for s in states.values())
        print(
            f"database {kind}; {args.clients} concurrent clients x {per_client} uploads = {sent} submissions; "
            f"{args.workers} worker threads (1 embedded)"
        )
        print(
            f"accepted {len(accepted)} (HTTP errors {len(errors)}{': ' + errors[0] if errors else ''}); "
            f"lost {sent - len(errors) - len(states)}; stuck {stuck}; failed "
            f"{sum(s == SubmissionState.failed for s in states.values())}; scored {len(latency)}"
        )
        if len(latency):
            print(
                f"all uploads answered in {submitted:.1f} s; all scored after {total:.1f} s "
                f"({len(latency) / total:.1f} submissions/s)"
            )
            print(
                f"submit -> scored: p50 {np.percentile(latency, 50):.2f} s, p95 {np.percentile(latency, 95):.2f} s, "
                f"max {latency.max():.2f} s"
            )


def main() -> None:
    """Parse the arguments and run the load test in a temporary folder."""
    args = options(
        __doc__, {"--submissions": 500, "--clients": 50, "--workers": 2, "--timeout": 600.0, "--postgres": False}
    )
    with tempfile.TemporaryDirectory() as folder:
        run(args, Path(folder))


if __name__ == "__main__":
    main()
