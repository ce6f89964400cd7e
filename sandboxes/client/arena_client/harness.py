"""The harness that runs a competitor's ``predict`` (in the enclave, and in the sandbox's smoke test).

Run as::

    python -m arena_client.harness --code DIR --features FILE.parquet --out FILE.csv \\
        --id-column ID --target-column TARGET [--status FILE.json] [--smoke-test]

It imports nothing of the platform (standard library, pandas and pyarrow only) and:

1. checks that the network is down: no interface but ``lo``, and a TCP connection to a routable
   address fails at once (skipped with ``--smoke-test``: the competitor's own sandbox has a network);
2. reads the features, imports ``main.predict`` from the code folder (first on ``sys.path``, and
   the current directory), calls it once on the whole frame;
3. checks the result (a DataFrame with the id and target columns, exactly the input's ids, each
   once, no missing target) and writes ``id,target`` as CSV to ``--out``.

The exit code is the only thing the enclave's launcher reads back (besides the CSV): see
:data:`EXIT_CODES`. Everything printed goes to a log that, for a run on real data, only the
organisers read; the ``--status`` file is for a human running the smoke test.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import json
import os
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any

__all__ = [
    "CODE_STARTS",
    "EXIT_CODES",
    "EXIT_ERROR",
    "EXIT_INVALID_OUTPUT",
    "EXIT_NO_OUTPUT",
    "EXIT_OK",
    "EXIT_PLATFORM_ERROR",
    "HarnessFailure",
    "check_network_down",
    "check_predictions",
    "main",
    "run",
]

EXIT_OK = 0
EXIT_ERROR = 10
EXIT_NO_OUTPUT = 11
EXIT_INVALID_OUTPUT = 12
EXIT_PLATFORM_ERROR = 13

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "ok",
    EXIT_ERROR: "error",
    EXIT_NO_OUTPUT: "no_output",
    EXIT_INVALID_OUTPUT: "invalid_output",
    EXIT_PLATFORM_ERROR: "platform_error",
}
"""Exit code → outcome (the names of the launcher's fixed outcome list)."""

CODE_STARTS = "arena harness: importing main.py"
"""The line printed just before the competitor's code is imported. The launcher reads it in the log:
once it is there, an exit the harness did not choose (or a forged 13, ``os._exit(13)``) is the
code's error, not the platform's; the code can add such a line but never take it back."""

_PROBE_ADDRESS = ("192.0.2.1", 9)
"""TEST-NET-1: routable in form, never answers. With a network, connecting waits (or is refused by a
firewall after a while); without one the kernel says 'network unreachable' at once."""
_PROBE_SECONDS = 1.0


class HarnessFailure(Exception):
    """The run ends with ``outcome`` (an :data:`EXIT_CODES` value); ``rule`` says which check failed."""

    def __init__(self, code: int, rule: str) -> None:
        super().__init__(rule)
        self.code, self.rule = code, rule


def check_network_down() -> None:
    """Raise :class:`HarnessFailure` (platform error) unless this process has no network at all.

    Raises:
        HarnessFailure: an interface other than ``lo`` exists, or a routable address did not fail at once.
    """
    interfaces = sorted(name for _, name in socket.if_nameindex() if name != "lo")
    if interfaces:
        raise HarnessFailure(EXIT_PLATFORM_ERROR, f"network is up: interfaces {', '.join(interfaces)} besides lo")
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.settimeout(_PROBE_SECONDS)
    try:
        probe.connect(_PROBE_ADDRESS)
    except OSError as error:
        if error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL):
            return
        raise HarnessFailure(EXIT_PLATFORM_ERROR, f"network is up: connecting to {_PROBE_ADDRESS[0]} gave {error!r}")
    finally:
        probe.close()
    raise HarnessFailure(EXIT_PLATFORM_ERROR, f"network is up: connected to {_PROBE_ADDRESS[0]}")


def _load_predict(code_dir: Path) -> Any:
    sys.path.insert(0, str(code_dir))
    if not (code_dir / "main.py").is_file():
        raise HarnessFailure(EXIT_ERROR, "main.py is missing from the code folder")
    try:
        module = importlib.import_module("main")
    except BaseException:  # noqa: BLE001 - whatever the code raises (SystemExit included) is its error
        traceback.print_exc()
        raise HarnessFailure(EXIT_ERROR, "importing main.py raised an exception") from None
    predict = getattr(module, "predict", None)
    if not callable(predict):
        raise HarnessFailure(EXIT_ERROR, "main.py defines no function predict(features)")
    return predict


def check_predictions(result: Any, features: Any, id_column: str, target_column: str) -> Any:
    """The ``id,target`` frame to write, or :class:`HarnessFailure` naming the rule ``result`` breaks.

    Args:
        result: What ``predict`` returned.
        features: The frame ``predict`` was given (its id column at least, as it was before the call).
        id_column: Name of the id column.
        target_column: Name of the target column.

    Returns:
        ``result[[id_column, target_column]]`` in the order ``predict`` returned it.

    Raises:
        HarnessFailure: no DataFrame (no output), or missing columns, extra/missing/duplicate ids,
            missing target values (invalid output). The rule names columns and counts, never a value.
    """
    import pandas as pd

    if not isinstance(result, pd.DataFrame):
        raise HarnessFailure(EXIT_NO_OUTPUT, f"predict returned {type(result).__name__}, not a pandas DataFrame")
    missing = [name for name in (id_column, target_column) if name not in result.columns]
    if missing:
        raise HarnessFailure(EXIT_INVALID_OUTPUT, f"the returned frame has no column {', '.join(missing)}")
    if result.columns.duplicated().any():
        raise HarnessFailure(EXIT_INVALID_OUTPUT, "the returned frame has duplicate column names")
    out = result[[id_column, target_column]]
    ids = out[id_column]
    if ids.isna().any():
        raise HarnessFailure(EXIT_INVALID_OUTPUT, f"{int(ids.isna().sum())} rows have no {id_column}")
    duplicates = int(ids.duplicated().sum())
    if duplicates:
        raise HarnessFailure(EXIT_INVALID_OUTPUT, f"{duplicates} {id_column} values appear more than once")
    expected = pd.Index(features[id_column])
    got = pd.Index(ids)
    if got.dtype != expected.dtype:
        got = pd.Index(ids.astype(str))
        expected = pd.Index(features[id_column].astype(str))
    absent, extra = len(expected.difference(got)), len(got.difference(expected))
    if absent or extra:
        raise HarnessFailure(
            EXIT_INVALID_OUTPUT,
            f"{absent} {id_column} values of the features are missing and {extra} are not in the features "
            f"({len(out)} rows returned for {len(features)})",
        )
    empty = int(out[target_column].isna().sum())
    if empty:
        raise HarnessFailure(EXIT_INVALID_OUTPUT, f"{empty} rows have no {target_column}")
    return out


def run(code_dir: Path, features_path: Path, out: Path, id_column: str, target_column: str, *, smoke_test: bool) -> int:
    """Run the whole harness (see the module docstring) and return its exit code.

    Raises:
        HarnessFailure: a check failed (its ``code`` is the exit code).
    """
    if smoke_test:
        print("arena harness: smoke test, the network check is skipped", flush=True)
    else:
        check_network_down()
    import pandas as pd

    try:
        features = pd.read_parquet(features_path)
    except Exception as error:  # noqa: BLE001 - any reader failure is the platform's
        raise HarnessFailure(EXIT_PLATFORM_ERROR, f"cannot read the features: {type(error).__name__}") from None
    if id_column not in features.columns:
        raise HarnessFailure(EXIT_PLATFORM_ERROR, f"the features have no id column {id_column}")
    print(CODE_STARTS, flush=True)  # from here on, whatever ends the run is the code's doing
    predict = _load_predict(code_dir)
    given = features[[id_column]].copy()  # the ids to check against, whatever predict does to its frame
    try:
        result = predict(features)
    except BaseException:  # noqa: BLE001 - SystemExit and KeyboardInterrupt from the code are its errors too
        traceback.print_exc()
        raise HarnessFailure(EXIT_ERROR, "predict raised an exception") from None
    try:
        predictions = check_predictions(result, given, id_column, target_column)
    except HarnessFailure:
        raise
    except Exception:  # noqa: BLE001 - a frame whose ids cannot even be compared (lists, odd objects)
        traceback.print_exc()
        raise HarnessFailure(EXIT_INVALID_OUTPUT, "the returned frame cannot be checked") from None
    try:
        predictions.to_csv(out, index=False)
    except OSError as error:
        raise HarnessFailure(EXIT_INVALID_OUTPUT, f"cannot write the predictions: {error.strerror}") from None
    return len(predictions)


def _write_status(path: Path | None, outcome: str, rule: str, rows: int, seconds: float) -> None:
    if path is not None:
        status = {"outcome": outcome, "rule": rule, "rows": rows, "seconds": round(seconds, 3)}
        path.write_text(json.dumps(status) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run, print the outcome and return the exit code (see :data:`EXIT_CODES`)."""
    parser = argparse.ArgumentParser(prog="python -m arena_client.harness", description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, required=True, help="folder holding main.py")
    parser.add_argument("--features", type=Path, required=True, help="features as parquet")
    parser.add_argument("--out", type=Path, required=True, help="where to write the id,target CSV")
    parser.add_argument("--id-column", required=True)
    parser.add_argument("--target-column", required=True)
    parser.add_argument("--status", type=Path, help="write a JSON summary here (for a human)")
    parser.add_argument("--smoke-test", action="store_true", help="skip the network check (competitor's sandbox)")
    args = parser.parse_args(argv)
    started, rows, code, rule = time.monotonic(), 0, EXIT_OK, ""
    try:
        rows = run(args.code, args.features, args.out, args.id_column, args.target_column, smoke_test=args.smoke_test)
    except HarnessFailure as failure:
        code, rule = failure.code, failure.rule
    outcome = EXIT_CODES[code]
    seconds = time.monotonic() - started
    detail = f": {rule}" if rule else f", {rows} rows"
    print(f"arena harness: {outcome}{detail} in {seconds:.1f} s", flush=True)
    _write_status(args.status, outcome, rule, rows, seconds)
    return code


def _exit_now(code: int) -> None:
    """Flush the output and end the process with ``code`` without the interpreter's teardown.

    pyarrow's reader threads can abort the process while the interpreter tears down ("terminate
    called without an active exception", SIGABRT; apache/arrow#34314, seen here once in a
    ``make test`` run of a harness that had read the features and exited at once). The exit code is
    all the launcher reads back, so it must be the one the harness chose: nothing is left to clean up
    once the outcome is printed and the CSV and status files are closed.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit_now(main())
