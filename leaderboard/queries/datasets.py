"""Published datasets: the list, and one version with its card."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.models import Dataset
from leaderboard.queries.common import frame_of

__all__ = ["dataset_card", "list_datasets"]


def list_datasets(session: Session) -> pd.DataFrame:
    """Every published dataset version (newest first): name, version, rows, checksum, published_at, override_reason."""
    query = select(
        Dataset.name, Dataset.version, Dataset.rows, Dataset.checksum, Dataset.published_at, Dataset.override_reason
    ).order_by(Dataset.name, Dataset.version.desc())
    return frame_of(session, query)


def dataset_card(session: Session, name: str, version: int) -> dict[str, Any] | None:
    """The card and gates of ``name@version`` (``{"card", "gates"}``), or None when not published."""
    row = session.execute(
        select(Dataset.card, Dataset.gates).where(Dataset.name == name, Dataset.version == version)
    ).first()
    return None if row is None else {"card": row.card or {}, "gates": row.gates or {}}
