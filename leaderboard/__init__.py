"""The leaderboard: a Streamlit app judges and competitors open through the hub.

Run by the hub as a managed service behind ``jhsingle-native-proxy --forward-user-info``
(hub OAuth login); Streamlit itself listens on 127.0.0.1 only. The app reads the
platform database read-only; what it records (judges' reviews, private-board views, final
selections, organisers' publish/close/export) it sends to the scoring API for its viewer
(``leaderboard.scoring_api``). Pages (``leaderboard.views.PAGES``), per challenge (default: the one
the viewer last submitted to or joined): Challenges, Overview, Data (cards), Leaderboard (paged,
searchable, rank shifts, CSV for judges), Plots (``leaderboard.charts``), My submissions (final
selection) and Team (competitors), Judges' console (judges, organisers, admins; what is judged,
rubric scores, blinded review) and Organiser (organisers, admins: bundle upload, publish, close, export). Its read-only queries live in ``leaderboard.queries``
(one SQL query per answer); the whole-board CSV uses ``scoring.leaderboard``.
Importing this package does not import Streamlit.

The hub launches it as (``{port}`` is filled in by the proxy with ``--destport``)::

    jhsingle-native-proxy --port <leaderboard_port> --ip 127.0.0.1 --destport <streamlit_port>
        --authtype oauth --forward-user-info -- <streamlit_command("{port}")>
"""

from __future__ import annotations

import sys
from pathlib import Path

from leaderboard.errors import BoardNotAllowed, ChallengeNotFound, LeaderboardError, NotAllowed, PageNotAllowed
from leaderboard.identity import USER_HEADER, hub_user_from_headers

__all__ = [
    "USER_HEADER",
    "BoardNotAllowed",
    "ChallengeNotFound",
    "LeaderboardError",
    "NotAllowed",
    "PageNotAllowed",
    "app_path",
    "hub_user_from_headers",
    "streamlit_command",
]


def app_path() -> Path:
    """Absolute path of the Streamlit script to launch (``streamlit run <app_path()>``)."""
    return Path(__file__).resolve().parent / "app.py"


def streamlit_command(port: int | str, python: str = sys.executable) -> list[str]:
    """The command that serves the app on 127.0.0.1:``port`` (headless, no usage statistics).

    Args:
        port: The port, or the proxy's ``"{port}"`` placeholder.
        python: Interpreter of the platform's environment.
    """
    return [
        python, "-m", "streamlit", "run", str(app_path()),
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
