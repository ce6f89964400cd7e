"""Reference chunks on a Dask cluster: same bytes as the process path, clear errors otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from distributed import LocalCluster
from typer.testing import CliRunner

from cli.synth import app
from synthetic import InputDataError, SyntheticError, generate_reference
from synthetic.chunks import run_chunks

PEOPLE, SEED, CHUNK = 2400, 9, 500


def _bytes(paths: dict[str, Path] | Path) -> dict[str, bytes]:
    files = paths.values() if isinstance(paths, dict) else sorted(Path(paths).glob("*.parquet"))
    return {path.name: path.read_bytes() for path in files}


@pytest.fixture(scope="module")
def process_path(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The reference files made by two worker processes (the default path on one machine)."""
    out = tmp_path_factory.mktemp("process")
    return _bytes(generate_reference(PEOPLE, SEED, out, chunk_size=CHUNK, workers=2))


def test_an_operators_cluster_address_gives_the_process_paths_bytes(tmp_path, process_path):
    """The documented use: a cluster already runs, its scheduler address is passed on the command line."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        address = cluster.scheduler_address  # tcp://127.0.0.1:<port>, as a remote scheduler's would be
        result = CliRunner().invoke(
            app,
            ["reference", "--people", str(PEOPLE), "--seed", str(SEED), "--chunk-size", str(CHUNK),
             "--out", str(tmp_path / "dask"), "--scheduler", "dask", "--address", address],
        )  # fmt: skip
        workers = len(cluster.scheduler_info["workers"])

    assert result.exit_code == 0, result.output
    assert address.startswith("tcp://") and workers == 2
    assert _bytes(tmp_path / "dask") == process_path
    assert "2.40k/2.40k" in result.output  # the progress bar counted every person


def test_dask_without_an_address_starts_its_own_cluster_with_the_same_bytes(tmp_path, process_path):
    paths = generate_reference(PEOPLE, SEED, tmp_path / "own", chunk_size=CHUNK, workers=2, scheduler="dask")

    assert _bytes(paths) == process_path
    assert _bytes(generate_reference(PEOPLE, SEED, tmp_path / "here", chunk_size=CHUNK)) == process_path


def test_unknown_scheduler_and_unreachable_cluster_are_clear_errors(tmp_path):
    with pytest.raises(InputDataError, match="scheduler must be one of local, dask"):
        generate_reference(100, 1, tmp_path, scheduler="spark")  # type: ignore[arg-type]
    with pytest.raises(InputDataError, match="needs scheduler='dask'"):
        generate_reference(100, 1, tmp_path, address="tcp://127.0.0.1:1")
    with pytest.raises(SyntheticError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:1"):
        list(run_chunks(divmod, 7, [(2,)], scheduler="dask", address="tcp://127.0.0.1:1", connect_timeout=1))
