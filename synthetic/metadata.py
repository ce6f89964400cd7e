"""Detect, review, write and read the metadata of the tables a replica is made from.

SDV detects sdtypes and keys; a review pass then fixes what SDV gets wrong for this data: text
columns with few distinct values are categorical (SDV flags e.g. ``province`` as a PII
administrative unit), integer columns are numerical (SDV calls small-range integers such as
ages, household sizes or months categorical, losing their order; a ``*_code`` stays
categorical), while identifiers (keys, CCCD numbers, phones, tax codes, person names,
e-mails) are flagged PII and say how they are regenerated (``pii_kind``). The result is written
as YAML for an organiser to review and read back before fitting.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Literal

import pandas as pd
import yaml
from pydantic import BaseModel, Field, ValidationError
from sdv.metadata import Metadata

from synthetic.errors import InputDataError
from synthetic.vietnam import FAMILY_NAMES, RARE_FAMILY_NAMES

__all__ = [
    "IDENTIFYING_KINDS",
    "ColumnSpec",
    "MetadataSpec",
    "PiiKind",
    "Relationship",
    "TableSpec",
    "detect_metadata",
    "parents_first",
    "read_metadata_yaml",
    "write_metadata_yaml",
]

PiiKind = Literal["id", "name", "company", "cccd", "phone", "tax_code", "email", "text"]
#: PII kinds whose exact values identify someone (gated: no value may appear in source and replica).
IDENTIFYING_KINDS: frozenset[str] = frozenset({"id", "cccd", "phone", "tax_code", "email"})
_FEW_DISTINCT = 50  # a text column with ≤ this many values (or ≤ 20 % of rows, or a *_code) is categorical
_FAMILY = {f[0] for f in FAMILY_NAMES} | {f[1] for f in FAMILY_NAMES} | set(RARE_FAMILY_NAMES)


class ColumnSpec(BaseModel):
    """One column: its SDV sdtype, whether it is PII (never learned) and how PII is regenerated.

    ``bounds``, ``bins`` and ``categories`` are the public domain a differentially private
    replica (``--synthesizer mst``) needs, written by the organiser in the review (never taken from
    the data): the bounds and bin count of a numerical or datetime column, the list of values of a
    categorical one (optional: without it the values present in the data are used, and the card
    says so).
    """

    sdtype: str
    pii: bool = False
    pii_kind: PiiKind | None = None
    key: Literal["primary", "foreign"] | None = None
    bounds: tuple[float, float] | tuple[str, str] | None = None
    bins: int | None = Field(None, ge=2, le=1000)
    categories: list[str] | None = None


class TableSpec(BaseModel):
    """One table: its primary key and columns (in order)."""

    primary_key: str | None = None
    columns: dict[str, ColumnSpec]

    @property
    def pii_columns(self) -> list[str]:
        """Names of the PII columns."""
        return [name for name, col in self.columns.items() if col.pii]

    def sdmetrics_dict(self, *, include_pii: bool = False) -> dict[str, object]:
        """Single-table metadata dict as SDV/SDMetrics take it (PII columns left out by default)."""
        columns = {name: {"sdtype": col.sdtype} for name, col in self.columns.items() if include_pii or not col.pii}
        result: dict[str, object] = {"columns": columns}
        if self.primary_key and self.primary_key in columns:
            result["primary_key"] = self.primary_key
        return result


class Relationship(BaseModel):
    """A foreign key: ``child_table.child_foreign_key`` → ``parent_table.parent_primary_key``."""

    parent_table: str
    parent_primary_key: str
    child_table: str
    child_foreign_key: str


class MetadataSpec(BaseModel):
    """Reviewed metadata of one or more related tables."""

    tables: dict[str, TableSpec]
    relationships: list[Relationship] = Field(default_factory=list)

    def to_sdv(self, table: str) -> Metadata:
        """SDV metadata of ``table`` without its PII columns (what a synthesizer may learn)."""
        spec = self.tables[table]
        return Metadata.load_from_dict({"tables": {table: spec.sdmetrics_dict()}, "relationships": []})


def parents_first(relationships: list[Relationship], tables: list[str]) -> list[str]:
    """``tables`` ordered so that every parent comes before its children (along ``relationships``).

    Raises:
        InputDataError: The relationships between the tables form a cycle.
    """
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [
            t
            for t in tables
            if t not in ordered
            and all(r.parent_table in ordered for r in relationships if r.child_table == t and r.parent_table in tables)
        ]
        if not ready:
            cycle = sorted(set(tables) - set(ordered))
            raise InputDataError(f"the relationships between tables {cycle} form a cycle")
        ordered += ready
    return ordered


def _looks_like(values: pd.Series, pattern: str) -> bool:
    text = values.dropna().astype(str)
    return len(text) > 0 and bool(text.str.fullmatch(pattern).mean() > 0.95)


def _looks_like_person_name(values: pd.Series) -> bool:
    text = values.dropna().astype(str)
    if text.empty:
        return False
    first = text.str.split().str[0]
    return bool((first.isin(_FAMILY) & (text.str.count(" ") >= 1)).mean() > 0.8)


def _pii_kind(name: str, values: pd.Series) -> PiiKind | None:
    lowered = name.lower()
    if _looks_like(values, r"\d{12}") or "cccd" in lowered or "cmnd" in lowered:
        return "cccd"
    if _looks_like(values, r"\d{10}(-\d{3})?") and ("tax" in lowered or "mst" in lowered):
        return "tax_code"
    if _looks_like(values, r"0\d{9}") or "phone" in lowered or "mobile" in lowered:
        return "phone"
    if _looks_like(values, r"[^@\s]+@[^@\s]+") or "email" in lowered:
        return "email"
    if _looks_like_person_name(values):
        return "name"
    if values.dropna().astype(str).str.startswith("Công ty").mean() > 0.8:
        return "company"
    return None


def _is_integer(values: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _review_column(name: str, values: pd.Series, detected: dict[str, object], primary_key: str | None) -> ColumnSpec:
    sdtype = str(detected.get("sdtype", "categorical"))
    if name == primary_key:
        return ColumnSpec(sdtype="id", pii=True, pii_kind="id", key="primary")
    if sdtype == "id":
        return ColumnSpec(sdtype="id", pii=True, pii_kind="id", key="foreign" if name.endswith("_id") else None)
    if sdtype in ("numerical", "datetime", "boolean"):
        return ColumnSpec(sdtype=sdtype)
    kind = _pii_kind(name, values)
    if kind is not None:
        return ColumnSpec(sdtype="id" if kind in IDENTIFYING_KINDS else "categorical", pii=True, pii_kind=kind)
    if _is_integer(values) and not name.lower().endswith("_code"):
        return ColumnSpec(sdtype="numerical")
    distinct = values.nunique(dropna=True)
    if name.lower().endswith("_code") or distinct <= max(_FEW_DISTINCT, int(0.2 * len(values))):
        return ColumnSpec(sdtype="categorical")
    return ColumnSpec(sdtype="categorical", pii=True, pii_kind="text")


def detect_metadata(tables: dict[str, pd.DataFrame]) -> MetadataSpec:
    """Detect the metadata of one or more tables with SDV, then review it.

    Args:
        tables: Table name → DataFrame (related tables are linked by matching key names).

    Returns:
        The reviewed :class:`MetadataSpec`.

    Raises:
        InputDataError: No table, or an empty table.
    """
    if not tables:
        raise InputDataError("no table given to detect metadata from")
    for name, frame in tables.items():
        if frame.empty:
            raise InputDataError(f"table {name!r} has no rows")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        detected = Metadata.detect_from_dataframes(dict(tables)).to_dict()
    specs: dict[str, TableSpec] = {}
    for table, frame in tables.items():
        info = detected["tables"][table]
        primary_key = info.get("primary_key")
        columns = {
            str(col): _review_column(str(col), frame[col], info["columns"].get(str(col), {}), primary_key)
            for col in frame.columns
        }
        specs[table] = TableSpec(primary_key=primary_key if isinstance(primary_key, str) else None, columns=columns)
    relationships = [
        Relationship(
            parent_table=r["parent_table_name"],
            parent_primary_key=r["parent_primary_key"],
            child_table=r["child_table_name"],
            child_foreign_key=r["child_foreign_key"],
        )
        for r in detected.get("relationships", [])
    ]
    for rel in relationships:
        specs[rel.child_table].columns[rel.child_foreign_key].key = "foreign"
    return MetadataSpec(tables=specs, relationships=relationships)


_HEADER = (
    "# Reviewed metadata of a synthetic replica. Check every column before fitting:\n"
    "#   sdtype: categorical | numerical | datetime | boolean | id\n"
    "#   pii: true  -> never learned; regenerated after sampling as pii_kind\n"
    "#   pii_kind: id | name | company | cccd | phone | tax_code | email | text\n"
    "#   bounds: [low, high], bins: N  -> public domain of a numerical/datetime column (needed by\n"
    "#     --synthesizer mst); categories: [...] -> public values of a categorical column (optional)\n"
)


def write_metadata_yaml(metadata: MetadataSpec, path: Path) -> Path:
    """Write ``metadata`` as a reviewable YAML file and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump(metadata.model_dump(mode="json", exclude_none=True), allow_unicode=True, sort_keys=False)
    path.write_text(_HEADER + body, encoding="utf-8")
    return path


def read_metadata_yaml(path: Path) -> MetadataSpec:
    """Read a (reviewed) metadata YAML file.

    Raises:
        InputDataError: The file is missing, not YAML, or not valid metadata (the message says where).
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputDataError(f"cannot read metadata file {path}: {error.strerror or error}") from error
    except yaml.YAMLError as error:
        raise InputDataError(f"metadata file {path} is not valid YAML: {error}") from error
    try:
        return MetadataSpec.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputDataError(f"metadata file {path}: {where}: {first['msg']}") from error
