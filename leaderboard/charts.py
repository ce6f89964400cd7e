"""The plots' charts (Altair), built so that they read right from the first entry.

- best score so far per team: a step line (the best only changes at a submission) with a point at
  each submission (one submission is one visible point), carried to the latest submission time;
- submissions per day: bars over UTC days;
- score distribution: a histogram with "nice" bins (0.05, 0.1, … wide), labelled by their range.

The score axis is fitted to the data with a margin (never cut at a round number below the best
score, never squeezed to a zero-height range when every score is equal); every axis is titled with
its unit.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

__all__ = ["best_so_far_chart", "score_domain", "score_histogram", "score_histogram_chart", "submissions_per_day_chart"]

MAX_BINS = 20
_NICE_STEPS = (1, 2, 2.5, 5)


def score_domain(values: pd.Series) -> tuple[float, float]:
    """An axis range holding every value with a margin (a span of at least 0.02 around equal values)."""
    low, high = float(values.min()), float(values.max())
    margin = max((high - low) * 0.1, 0.01, abs(high) * 0.02 if low == high else 0.0)
    return low - margin, high + margin


def _extend_to_latest(frame: pd.DataFrame) -> pd.DataFrame:
    """Each team's best carried to the latest submission time (a step line ends where the data ends)."""
    latest = frame["created_at"].max()
    tails = frame.sort_values("created_at").groupby("team", as_index=False).last()
    tails = tails[tails["created_at"] < latest].assign(created_at=latest, submission=False)
    return pd.concat([frame.assign(submission=True), tails], ignore_index=True)


def best_so_far_chart(frame: pd.DataFrame, metric: str) -> alt.Chart:
    """Step lines of the best ``metric`` so far per team (rows ``team``, ``created_at``, ``best``)."""
    data = _extend_to_latest(frame)
    data["created_at"] = pd.to_datetime(data["created_at"], utc=True)
    low, high = score_domain(data["best"])
    x = alt.X("created_at:T", title="submitted at (UTC)")
    y = alt.Y("best:Q", title=f"best {metric} so far (score)", scale=alt.Scale(domain=[low, high], nice=False))
    color = alt.Color("team:N", title="team")
    base = alt.Chart(data)
    lines = base.mark_line(interpolate="step-after").encode(x=x, y=y, color=color)
    points = (
        base.transform_filter(alt.datum.submission)
        .mark_point(filled=True, size=60)
        .encode(x=x, y=y, color=color, tooltip=["team:N", alt.Tooltip("created_at:T", title="submitted at"), "best:Q"])
    )
    return alt.layer(lines, points)


def submissions_per_day_chart(days: pd.DataFrame) -> alt.Chart:
    """Bars of the submissions received per UTC day (rows ``day`` as YYYY-MM-DD, ``submissions``)."""
    data = days.assign(day=pd.to_datetime(days["day"]))
    top = max(int(data["submissions"].max()), 1) if not data.empty else 1
    return (
        alt.Chart(data)
        .mark_bar(width={"band": 0.8})
        .encode(
            x=alt.X("yearmonthdate(day):T", title="day (UTC)", axis=alt.Axis(format="%b %d", tickCount="day")),
            y=alt.Y("submissions:Q", title="submissions (count)", scale=alt.Scale(domain=[0, top + 1])),
            tooltip=[alt.Tooltip("day:T", title="day"), "submissions:Q"],
        )
    )


def _nice_step(span: float, max_bins: int) -> float:
    """The smallest step of 1, 2, 2.5 or 5 × 10^k that cuts ``span`` into at most ``max_bins`` bins."""
    raw = span / max_bins if span > 0 else 0.01
    power = 10 ** math.floor(math.log10(raw))
    return next(
        (s * power for s in _NICE_STEPS if s * power >= raw - 1e-12),
        10 * power,
    )


def _label(value: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) + (1 if round(step / 10 ** math.floor(math.log10(step)), 6) == 2.5 else 0)
    return f"{value:.{decimals}f}"


def score_histogram(values: pd.Series, max_bins: int = MAX_BINS) -> pd.DataFrame:
    """Counts of ``values`` in equal bins on round edges (``0.50–0.55``), at most ``max_bins`` of them.

    Returns:
        Columns ``bin`` (the range as text), ``start``, ``end`` and ``submissions``; empty for no values.
    """
    if values.empty:
        return pd.DataFrame(columns=["bin", "start", "end", "submissions"])
    low, high = float(values.min()), float(values.max())
    step = _nice_step(high - low, max_bins)
    first = math.floor(low / step + 1e-9) * step
    count = max(1, math.floor((high - first) / step + 1e-9) + 1)
    edges = first + step * np.arange(count + 1)
    counts, _ = np.histogram(values.to_numpy(dtype=float), bins=edges)
    return pd.DataFrame(
        {
            "bin": [f"{_label(a, step)}–{_label(b, step)}" for a, b in zip(edges[:-1], edges[1:], strict=True)],
            "start": edges[:-1],
            "end": edges[1:],
            "submissions": counts,
        }
    )


def score_histogram_chart(values: pd.Series, label: str) -> alt.Chart:
    """Histogram bars of the scores ``values`` (``label``: what is scored, e.g. ``public accuracy``)."""
    bins = score_histogram(values)
    return (
        alt.Chart(bins)
        .mark_bar()
        .encode(
            x=alt.X("bin:O", title=f"{label} (score range)", sort=None, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("submissions:Q", title="submissions (count)"),
            tooltip=[alt.Tooltip("bin:O", title="score range"), "submissions:Q"],
        )
    )
