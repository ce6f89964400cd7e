"""Page tests render the app with AppTest on SQLite only.

Rendering does not depend on the database dialect, and every query behind these
pages runs on SQLite and PostgreSQL in the query tests one folder up; keeping the
(slower) AppTest runs to one database keeps the folder's tests quick.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A SQLite file database (overrides the SQLite/PostgreSQL parametrisation for page tests)."""
    return f"sqlite:///{tmp_path / 'arena-pages.db'}"


def _chart_values(app: AppTest) -> list[float]:
    values: list[float] = []
    for chart in app.get("vega_lite_chart"):
        for arrow in [chart.proto.data, *(dataset.data for dataset in chart.proto.datasets)]:
            if arrow.data:
                table = pa.ipc.open_stream(io.BytesIO(arrow.data)).read_all()
                values += [v for column in table.columns for v in column.to_pylist() if isinstance(v, float)]
    return values


@pytest.fixture
def chart_values() -> Callable[[AppTest], list[float]]:
    """Every number the charts an app drew carry (their Arrow datasets)."""
    return _chart_values
