"""Reference chunks on a Dask cluster: same bytes as in this process, clear errors otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from distributed import LocalCluster

from synthetic import InputDataError, SyntheticError, generate_reference
from synthetic.chunks import run_chunks


def _bytes(paths: dict[str, Path]) -> dict[str, bytes]:
    return {name: path.read_bytes() for name, path in paths.items()}


def test_dask_output_is_byte_identical_to_local_output(tmp_path, capsys):
    local = generate_reference(2400, 9, tmp_path / "local", chunk_size=500)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_cluster = generate_reference(
            2400,
            9,
            tmp_path / "dask",
            chunk_size=500,
            scheduler="dask",
            address=cluster.scheduler_address,
            progress=True,
        )
        workers = len(cluster.scheduler_info["workers"])

    assert workers == 2
    assert _bytes(on_cluster) == _bytes(local)
    assert "2.40k/2.40k" in capsys.readouterr().err  # the progress bar counted every person


def test_unknown_scheduler_and_unreachable_cluster_are_clear_errors(tmp_path):
    with pytest.raises(InputDataError, match="scheduler must be one of local, dask"):
        generate_reference(100, 1, tmp_path, scheduler="spark")  # type: ignore[arg-type]
    with pytest.raises(InputDataError, match="needs scheduler='dask'"):
        generate_reference(100, 1, tmp_path, address="tcp://127.0.0.1:1")
    with pytest.raises(SyntheticError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:1"):
        list(run_chunks(divmod, 7, [(2,)], scheduler="dask", address="tcp://127.0.0.1:1", connect_timeout=1))
