"""Blinded review: stable pseudonyms in place of team names.

A pseudonym is derived from the challenge's answers digest (never shown in the
app) and the team id, so it stays the same for a team across visits and judges
but cannot be worked back from team ids alone, and differs between challenges.
"""

from __future__ import annotations

import hashlib

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.models import Challenge
from leaderboard.catalog import ChallengeInfo

__all__ = ["BLINDED_COLUMNS", "blind", "pseudonym", "review_salt"]

BLINDED_COLUMNS = ("user", "filename", "description")  # may name the team


def review_salt(session: Session, challenge: ChallengeInfo) -> str:
    """The secret that seeds ``challenge``'s pseudonyms (its answers digest)."""
    return str(session.scalar(select(Challenge.answers_digest).where(Challenge.slug == challenge.slug)) or "")


def pseudonym(salt: str, team_id: int) -> str:
    """The stable pseudonym of team ``team_id`` under ``salt``, e.g. ``Team 3FA2C1``."""
    digest = hashlib.sha256(f"{salt}:{team_id}".encode()).hexdigest()
    return f"Team {digest[:6].upper()}"


def blind(frame: pd.DataFrame, salt: str) -> pd.DataFrame:
    """``frame`` (with ``team_id`` and ``team``) with pseudonyms for team names and identifying columns hidden."""
    blinded = frame.drop(columns=[column for column in BLINDED_COLUMNS if column in frame.columns])
    blinded["team"] = [pseudonym(salt, int(team_id)) for team_id in frame["team_id"]]
    return blinded
