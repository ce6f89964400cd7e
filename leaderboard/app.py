"""Streamlit entry point of the leaderboard: ``streamlit run leaderboard/app.py``.

Streamlit puts this file's folder, not the project root, on ``sys.path``; the
project root is added so the ``leaderboard`` package imports the same way whether
or not it is installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

_PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)
if _PROJECT_ROOT not in sys.path:
    sys.path.insert(0, _PROJECT_ROOT)

from leaderboard.main import run

run()
