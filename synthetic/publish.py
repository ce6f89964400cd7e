"""Publishing a gated replica into the datasets store as ``name@version`` (never overwritten).

Layout (read-only mounted at ``/datasets`` in sandboxes)::

    <datasets_dir>/index.json                     every published version
    <datasets_dir>/<name>/<version>/<table>.parquet, card.json, card.md
    <datasets_dir>/<name>/latest                  newest version number
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, select

from arena.db import Database, audit
from arena.models import Dataset, utcnow
from arena.settings import Settings
from synthetic.card import DECLARED_PUBLIC, is_synthetic_replica, write_card
from synthetic.errors import GateFailedError, InputDataError, NotAReplicaError

__all__ = ["checksum_tables", "publish_dataset"]

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_DIR_MODE = 0o755
_FILE_MODE = 0o644


def _check_name(kind: str, name: str) -> None:
    if not _NAME.fullmatch(name):
        raise InputDataError(
            f"{kind} name {name!r} is invalid: use 1–64 of a-z, 0-9, '_' and '-', starting alphanumeric"
        )


def checksum_tables(paths: list[Path]) -> str:
    """sha256 over the table files (sorted by name; each file's name and bytes)."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _next_version(db: Database, store: Path, name: str) -> int:
    with db.session() as session:
        in_db = session.scalar(select(func.max(Dataset.version)).where(Dataset.name == name)) or 0
    on_disk = max((int(p.name) for p in store.glob("*") if p.name.isdigit()), default=0) if store.is_dir() else 0
    return max(in_db, on_disk) + 1


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, _FILE_MODE)
    os.replace(tmp, path)


def _update_index(datasets_dir: Path, entry: dict[str, Any]) -> None:
    index_path = datasets_dir / "index.json"
    index = json.loads(index_path.read_text(encoding="utf-8")) if index_path.is_file() else {"datasets": []}
    index["datasets"].append(entry)
    index["datasets"].sort(key=lambda d: (d["name"], d["version"]))
    _write_atomic(index_path, json.dumps(index, indent=2, ensure_ascii=False) + "\n")


def _check_replica_or_public(name: str, card: dict[str, Any], public_reason: str | None) -> dict[str, Any]:
    """The card to store: a gated synthetic replica's as is, anything else only with a public declaration."""
    if public_reason is not None:
        return {**card, "kind": DECLARED_PUBLIC, "source_kind": card.get("kind"), "public_reason": public_reason}
    if not is_synthetic_replica(card):
        raise NotAReplicaError(
            f"dataset {name!r}: its card is of kind {card.get('kind') or 'unknown'!r}, not a gated synthetic replica; "
            "the datasets store (mounted in every sandbox) takes only synthetic replicas. Publish a replica "
            "(`arena synth replicate`), or, if these rows are truly public, declare it with a reason "
            "(--public-reason, audited and shown on the card)"
        )
    return card


def _failing_gates(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    gates = card.get("gates")
    if not isinstance(gates, dict) or not gates:
        raise InputDataError("the card has no gates: evaluate the replica (evaluate_replica) before publishing")
    return {name: gate for name, gate in gates.items() if not gate.get("passed")}


def _write_version(folder: Path, tables: dict[str, pd.DataFrame], card: dict[str, Any], title: str) -> list[Path]:
    paths = []
    for table, frame in tables.items():
        path = folder / f"{table}.parquet"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, compression="zstd")
        paths.append(path)
    write_card(card, folder, title=title)
    os.chmod(folder, _DIR_MODE)
    for path in folder.iterdir():
        os.chmod(path, _FILE_MODE)
    return paths


def publish_dataset(
    db: Database,
    settings: Settings,
    name: str,
    tables: dict[str, pd.DataFrame],
    card: dict[str, Any],
    *,
    override_reason: str | None = None,
    public_reason: str | None = None,
    actor: str = "cli",
) -> str:
    """Publish a replica as the next version of dataset ``name``.

    The datasets store is mounted in every sandbox, so it takes gated synthetic replicas only
    (card ``kind`` ``synthetic_replica``, see :func:`synthetic.card.is_synthetic_replica`).
    Anything else needs ``public_reason``: the organiser declares the rows public; the card
    records the reason (kind ``declared_public``) and the declaration is audited.

    Args:
        db: The platform database (migrated).
        settings: Settings naming ``datasets_dir``.
        name: Dataset name (lower-case letters, digits, ``_``, ``-``).
        tables: Table name → replica DataFrame (usually one table named like the dataset).
        card: The replica's card from :func:`synthetic.evaluate_replica` (must hold ``gates``).
        override_reason: Publish despite failing gates; the reason is stored and audited.
        public_reason: Declare the rows public (not a synthetic replica); stored on the card and audited.
        actor: Who publishes (for the audit trail).

    Returns:
        ``"name@version"``.

    Raises:
        GateFailedError: A gate failed and no override reason was given (names gates and values).
        NotAReplicaError: The card is not a synthetic replica's and no public reason was given.
        InputDataError: Bad name, no tables, an empty table, or a card without gates.
    """
    _check_name("dataset", name)
    if not tables:
        raise InputDataError(f"dataset {name!r}: no table to publish")
    for table, frame in tables.items():
        _check_name("table", table)
        if frame.empty:
            raise InputDataError(f"dataset {name!r}: table {table!r} has no rows")
    public_reason = (public_reason or "").strip() or None
    failing = {} if public_reason is not None and not card.get("gates") else _failing_gates(card)
    card = _check_replica_or_public(name, card, public_reason)
    override_reason = (override_reason or "").strip() or None
    if failing and override_reason is None:
        raise GateFailedError(failing)

    datasets_dir = settings.datasets_dir
    store = datasets_dir / name
    store.mkdir(parents=True, exist_ok=True)
    for folder in (datasets_dir, store):
        os.chmod(folder, _DIR_MODE)
    version = _next_version(db, store, name)
    ref = f"{name}@{version}"
    published_at = utcnow()
    card = {**card, "dataset": ref, "published_at": published_at.isoformat(), "override_reason": override_reason}
    folder = store / str(version)
    folder.mkdir()  # raises if it exists: a version is never overwritten
    try:
        paths = _write_version(folder, tables, card, title=f"Dataset {ref}")
        checksum = checksum_tables(paths)
        rows = {table: len(frame) for table, frame in tables.items()}
        with db.session() as session:
            session.add(
                Dataset(
                    name=name,
                    version=version,
                    checksum=checksum,
                    rows=sum(rows.values()),
                    card=card,
                    gates=card.get("gates", {}),
                    override_reason=override_reason,
                    published_at=published_at,
                )
            )
            audit(session, actor, "dataset.publish", ref, checksum=checksum, passed=not failing, kind=card.get("kind"))
            if public_reason is not None:
                audit(session, actor, "dataset.declare_public", ref, reason=public_reason)
            if failing:
                audit(
                    session,
                    actor,
                    "dataset.gate_override",
                    ref,
                    reason=override_reason,
                    failing={gate: failing[gate]["value"] for gate in failing},
                )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _update_index(
        datasets_dir,
        {
            "name": name,
            "version": version,
            "tables": sorted(tables),
            "rows": rows,
            "checksum": checksum,
            "published_at": published_at.isoformat(),
        },
    )
    _write_atomic(store / "latest", f"{version}\n")
    return ref
