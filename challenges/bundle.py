"""Load a challenge bundle (folder or .zip) and check every file, key and row it names."""

from __future__ import annotations

import hashlib
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError
from sqlalchemy import func, select

import synthetic
from arena.db import Database
from arena.models import Dataset
from arena.parquet import read_parquet
from challenges.errors import BundleError
from challenges.spec import ChallengeSpec

__all__ = [
    "MAX_BUNDLE_BYTES",
    "MAX_COMPRESSION_RATIO",
    "SPEC_FILE",
    "Bundle",
    "load_bundle",
    "parse_dataset_ref",
    "validate_against_store",
]

SPEC_FILE = "challenge.yaml"
MAX_BUNDLE_BYTES = 512 * 1024**2
"""Largest total uncompressed size of a zipped bundle."""
MAX_COMPRESSION_RATIO = 200
"""Largest uncompressed/compressed ratio of a zip entry bigger than :data:`_RATIO_FLOOR_BYTES`."""
_RATIO_FLOOR_BYTES = 1024**2
_CHUNK = 1024**2


@dataclass(frozen=True)
class Bundle:
    """A validated challenge bundle: its spec and the folder holding its files."""

    spec: ChallengeSpec
    folder: Path
    _keepalive: Any = field(default=None, repr=False, compare=False)

    def file(self, name: str) -> Path:
        """Path of a bundle file named by the spec, checked to stay inside the folder.

        Raises:
            BundleError: the file escapes the bundle folder or does not exist.
        """
        root = self.folder.resolve()
        path = (root / name).resolve()
        if not path.is_relative_to(root):
            raise BundleError(f"{name}: path escapes the bundle folder {self.folder}")
        if not path.is_file():
            raise BundleError(f"{name}: file named by {SPEC_FILE} is missing from the bundle")
        return path

    @property
    def answers_file(self) -> Path:
        """The hidden answers file."""
        return self.file(self.spec.answers)

    def answers_digest(self) -> str:
        """SHA-256 hex digest of the answers file's bytes."""
        digest = hashlib.sha256()
        with self.answers_file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                digest.update(chunk)
        return digest.hexdigest()

    def read_answers(self) -> pd.DataFrame:
        """Read and check the answers (Parquet or CSV): id and target columns, unique non-null ids.

        Returns:
            The answers with exactly the id and target columns.

        Raises:
            BundleError: the file is unreadable, a column is missing, or an id is null or repeated.
        """
        spec, path = self.spec, self.answers_file
        frame = _read_table(path, spec.answers)
        for role, column in (("id_column", spec.id_column), ("target_column", spec.target_column)):
            if column not in frame.columns:
                raise BundleError(
                    f"{spec.answers}: {role} {column!r} is missing (columns: {', '.join(map(str, frame.columns))})"
                )
        frame = frame[[spec.id_column, spec.target_column]].reset_index(drop=True)
        if frame.empty:
            raise BundleError(f"{spec.answers}: no rows")
        for column in (spec.id_column, spec.target_column):
            nulls = frame.index[frame[column].isna()]
            if len(nulls):
                raise BundleError(f"{spec.answers}: row {int(nulls[0]) + 1}: {column!r} is empty")
        repeated = frame.index[frame[spec.id_column].duplicated()]
        if len(repeated):
            row = int(repeated[0])
            raise BundleError(
                f"{spec.answers}: row {row + 1}: duplicate id {str(frame.at[row, spec.id_column])!r} "
                f"in {spec.id_column!r} ({len(repeated)} duplicate(s))"
            )
        return frame

    def read_test_features(self, answers: pd.DataFrame | None = None) -> pd.DataFrame:
        """Read and check the REAL held-out features of a code challenge (scoring side only).

        They hold the id column and the feature columns, not the target (the enclave never sees
        the answers), and exactly the ids of the answers, each once.

        Args:
            answers: The answers (read from the bundle when not given).

        Returns:
            The features, ids as in the file.

        Raises:
            BundleError: not a code bundle, unreadable, the target present, or ids that differ
                from the answers' (names the column and an example count, never a value).
        """
        spec = self.spec
        if spec.test_features is None:
            raise BundleError(f"{SPEC_FILE}: test_features: missing (needed by submission: code)")
        frame = _read_table(self.file(spec.test_features), spec.test_features, "test features")
        if spec.id_column not in frame.columns:
            raise BundleError(
                f"{spec.test_features}: id_column {spec.id_column!r} is missing "
                f"(columns: {', '.join(map(str, frame.columns))})"
            )
        if spec.target_column in frame.columns:
            raise BundleError(
                f"{spec.test_features}: holds the target column {spec.target_column!r}; the test features must "
                "not carry the answers (the code that predicts them would see them)"
            )
        if len(frame.columns) < 2:
            raise BundleError(f"{spec.test_features}: no feature column besides {spec.id_column!r}")
        if frame[spec.id_column].isna().any():
            raise BundleError(f"{spec.test_features}: {int(frame[spec.id_column].isna().sum())} empty id(s)")
        ids = frame[spec.id_column].astype(str)
        if ids.duplicated().any():
            raise BundleError(f"{spec.test_features}: {int(ids.duplicated().sum())} repeated id(s)")
        expected = set((self.read_answers() if answers is None else answers)[spec.id_column].astype(str))
        missing, extra = len(expected - set(ids)), len(set(ids) - expected)
        if missing or extra:
            raise BundleError(
                f"{spec.test_features}: ids differ from {spec.answers}: {missing} answer id(s) have no features "
                f"row, {extra} features id(s) have no answer"
            )
        return frame


def _read_table(path: Path, name: str, what: str = "answers") -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return read_parquet(path)
        if suffix == ".csv":
            return pd.read_csv(path)
    except Exception as error:  # pyarrow / pandas raise many types on corrupt input
        raise BundleError(f"{name}: cannot read {what} as {suffix[1:]}: {error}") from error
    raise BundleError(f"{name}: {what} must be a .parquet or .csv file")


def _format_validation(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        if item["type"] == "missing":
            problems.append(f"{where}: missing required key")
        elif item["type"] == "extra_forbidden":
            problems.append(f"{where}: unknown key")
        else:
            problems.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
    return f"{SPEC_FILE}: " + "; ".join(problems)


def _read_spec(folder: Path) -> ChallengeSpec:
    path = folder / SPEC_FILE
    if not path.is_file():
        raise BundleError(f"{SPEC_FILE}: missing from bundle {folder}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise BundleError(f"{SPEC_FILE}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise BundleError(f"{SPEC_FILE}: must be a mapping of keys, got {type(data).__name__}")
    try:
        return ChallengeSpec.model_validate(data)
    except ValidationError as error:
        raise BundleError(_format_validation(error)) from None


def _check_entry(info: zipfile.ZipInfo) -> PurePosixPath:
    name = info.filename
    path = PurePosixPath(name)
    if name.startswith(("/", "\\")) or (path.parts and ":" in path.parts[0]):
        raise BundleError(f"zip entry {name!r}: absolute path escapes the bundle folder")
    if ".." in path.parts or "\\" in name:
        raise BundleError(f"zip entry {name!r}: path escapes the bundle folder")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise BundleError(f"zip entry {name!r}: symbolic links are not allowed in a bundle")
    if info.file_size > _RATIO_FLOOR_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        raise BundleError(
            f"zip entry {name!r}: compression ratio {info.file_size // max(info.compress_size, 1)} "
            f"exceeds {MAX_COMPRESSION_RATIO} (zip bomb?)"
        )
    return path


def _extract_zip(archive: Path, target: Path, max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(archive) as zipped:
            infos = zipped.infolist()
            declared = sum(info.file_size for info in infos)
            if declared > max_bytes:
                raise BundleError(f"{archive.name}: uncompressed size {declared} bytes exceeds the limit {max_bytes}")
            written = 0
            for info in infos:
                relative = _check_entry(info)
                destination = target.joinpath(*relative.parts)
                if info.is_dir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(info) as source, destination.open("wb") as sink:
                    for chunk in iter(lambda: source.read(_CHUNK), b""):
                        written += len(chunk)
                        if written > max_bytes:
                            raise BundleError(
                                f"{archive.name}: uncompressed size exceeds the limit {max_bytes} bytes "
                                f"(while extracting {info.filename!r})"
                            )
                        sink.write(chunk)
    except zipfile.BadZipFile as error:
        raise BundleError(f"{archive.name}: not a valid zip file: {error}") from error


def _check_folder_size(folder: Path, max_bytes: int) -> None:
    total = 0
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            total += path.stat().st_size
            if total > max_bytes:
                raise BundleError(
                    f"{folder}: bundle files exceed the size limit {max_bytes} bytes (reached at {path.relative_to(folder)})"
                )


def _bundle_root(folder: Path) -> Path:
    """The folder holding challenge.yaml: the zip root or its single top-level folder."""
    if (folder / SPEC_FILE).is_file():
        return folder
    children = [child for child in folder.iterdir() if not child.name.startswith(("__MACOSX", "."))]
    if len(children) == 1 and (children[0] / SPEC_FILE).is_file():
        return children[0]
    return folder


def load_bundle(path: str | Path, *, max_bytes: int = MAX_BUNDLE_BYTES) -> Bundle:
    """Load and validate a challenge bundle from a folder or a ``.zip``.

    Checks the spec (keys, dates, metrics, slug, paths), that every file it names exists inside
    the bundle, and the answers (readable, id and target columns present, ids unique). Dataset
    references are checked against the store separately by :func:`validate_against_store`.

    Args:
        path: A bundle folder or a zip of one.
        max_bytes: Largest total size of the bundle's files (uncompressed, for a zip).

    Returns:
        The validated bundle (a zip is extracted to a temporary folder living as long as the bundle).

    Raises:
        BundleError: anything wrong, naming the file, key or row.
    """
    source = Path(path)
    keepalive = None
    if source.is_file() and source.suffix.lower() == ".zip":
        keepalive = tempfile.TemporaryDirectory(prefix="arena-bundle-")
        folder = Path(keepalive.name)
        try:
            _extract_zip(source, folder, max_bytes)
        except BaseException:
            keepalive.cleanup()
            raise
        folder = _bundle_root(folder)
    elif source.is_dir():
        _check_folder_size(source, max_bytes)
        folder = source
    else:
        raise BundleError(f"{source}: not a bundle folder or .zip file")
    bundle = Bundle(spec=_read_spec(folder), folder=folder, _keepalive=keepalive)
    for name in (bundle.spec.description, bundle.spec.starter_notebook):
        if name is not None:  # no starter notebook: the platform generates one when publishing
            bundle.file(name)
    answers = bundle.read_answers()
    if bundle.spec.is_code:
        bundle.read_test_features(answers)
    return bundle


def parse_dataset_ref(ref: str) -> tuple[str, int | None]:
    """Split ``name@version`` into name and version (None for the bare name = latest)."""
    name, _, version = ref.partition("@")
    return name, int(version) if version else None


def validate_against_store(bundle: Bundle, db: Database) -> dict[str, int]:
    """Check that every dataset the spec references is published, and is a synthetic replica or declared public.

    Args:
        bundle: A loaded bundle.
        db: The platform database (its ``datasets`` table).

    Returns:
        Each reference resolved to its version (``name`` alone = newest version).

    Raises:
        BundleError: a reference names a dataset or version that is not published, or one whose
            card is neither a synthetic replica's nor declared public (real rows published before
            code mode: `arena challenge migrate-test-sets` moves them to the scoring side).
    """
    resolved: dict[str, int] = {}
    with db.session() as session:
        for ref in bundle.spec.datasets:
            name, version = parse_dataset_ref(ref)
            newest = session.scalar(select(func.max(Dataset.version)).where(Dataset.name == name))
            if newest is None:
                raise BundleError(f"{SPEC_FILE}: datasets: {ref!r} is not published (no dataset named {name!r})")
            if version is not None and session.scalar(
                select(Dataset.id).where(Dataset.name == name, Dataset.version == version)
            ) is None:
                raise BundleError(
                    f"{SPEC_FILE}: datasets: {ref!r} is not published (newest version of {name!r} is {newest})"
                )
            resolved[ref] = version if version is not None else newest
            card = session.scalar(select(Dataset.card).where(Dataset.name == name, Dataset.version == resolved[ref]))
            if not synthetic.is_synthetic_replica(card or {}) and not synthetic.is_declared_public(card or {}):
                raise BundleError(
                    f"{SPEC_FILE}: datasets: {name}@{resolved[ref]} is not a gated synthetic replica nor declared "
                    f"public (card kind {(card or {}).get('kind') or 'unknown'!r}): sandboxes must not see real rows. "
                    "Run `arena challenge migrate-test-sets` to move real test sets to the scoring side, or make "
                    "it a code challenge (submission: code, test_features, test_replica)"
                )
    return resolved
