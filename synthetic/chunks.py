"""Running independent, seeded chunks in order: in this process, in worker processes, or on Dask.

A chunk's output depends only on its arguments, so every scheduler yields the same results in the
same order (chunk 0, 1, 2…); the caller streams them to disk. The Dask scheduler keeps at most a
few chunks per worker in flight, so a cluster can generate far more rows than fit in memory.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Literal

from synthetic.errors import InputDataError, SyntheticError

__all__ = ["SCHEDULERS", "Scheduler", "run_chunks"]

Scheduler = Literal["local", "dask"]
SCHEDULERS: tuple[str, ...] = ("local", "dask")
_IN_FLIGHT_PER_WORKER = 2


def run_chunks(
    function: Callable[..., Any],
    shared: Any,
    jobs: Sequence[tuple[Any, ...]],
    *,
    workers: int = 1,
    scheduler: Scheduler = "local",
    address: str | None = None,
    connect_timeout: float = 30.0,
) -> Iterator[Any]:
    """Yield ``function(shared, *job)`` for every job, in job order.

    Args:
        function: A module-level (picklable) function.
        shared: The first argument of every call (sent once per worker with Dask).
        jobs: The remaining arguments of each call.
        workers: Processes (``local``) or, with ``dask`` and no ``address``, LocalCluster workers.
        scheduler: ``local`` (this process, or a process pool when ``workers`` > 1) or ``dask``.
        address: Dask scheduler address (``tcp://host:8786``); None starts a LocalCluster.
        connect_timeout: Seconds to wait for the Dask scheduler.

    Raises:
        InputDataError: Unknown scheduler, or an address without the Dask scheduler.
        SyntheticError: The Dask cluster cannot be reached.
    """
    if scheduler not in SCHEDULERS:
        raise InputDataError(f"scheduler must be one of {', '.join(SCHEDULERS)} (got {scheduler!r})")
    if address is not None and scheduler != "dask":
        raise InputDataError(f"a cluster address ({address}) needs scheduler='dask'")
    if scheduler == "dask":
        yield from _on_dask(function, shared, jobs, workers, address, connect_timeout)
    elif workers == 1 or len(jobs) <= 1:
        yield from (function(shared, *job) for job in jobs)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield from pool.map(function, [shared] * len(jobs), *zip(*jobs, strict=True))


def _on_dask(
    function: Callable[..., Any],
    shared: Any,
    jobs: Sequence[tuple[Any, ...]],
    workers: int,
    address: str | None,
    connect_timeout: float,
) -> Iterator[Any]:
    from distributed import Client, LocalCluster  # optional dependency: imported only when used

    cluster = None
    try:
        if address is None:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster if cluster is not None else address, timeout=connect_timeout)
    except (OSError, TimeoutError) as error:
        if cluster is not None:
            cluster.close()
        raise SyntheticError(
            f"cannot reach the Dask scheduler at {address or 'a new LocalCluster'}: {error}"
        ) from error
    try:
        total_workers = max(1, len(client.scheduler_info()["workers"]))
        shared_future = client.scatter(shared, broadcast=True)
        pending: deque[Any] = deque()
        queue = iter(jobs)
        for job in queue:
            pending.append(client.submit(function, shared_future, *job, pure=False))
            if len(pending) >= total_workers * _IN_FLIGHT_PER_WORKER:
                break
        while pending:
            future = pending.popleft()
            result = future.result()
            future.release()
            next_job = next(queue, None)
            if next_job is not None:
                pending.append(client.submit(function, shared_future, *next_job, pure=False))
            yield result
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
