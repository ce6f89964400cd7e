"""Final selection: which submissions of a team count on the private board.

A team chooses up to ``limits.final_selection`` of its own scored submissions; choosing
again replaces the previous choice and choosing none clears it. A team that chose none is
ranked on its best ``limits.final_selection`` submissions by public score (see
:mod:`scoring.leaderboard`). Choices are accepted while the challenge is published.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update

from arena.db import Database, audit
from arena.models import ChallengeState, Submission, SubmissionState, Team
from scoring.errors import SelectionError
from scoring.locking import begin_write
from scoring.store import find_challenge, find_user
from scoring.teams import team_of

__all__ = ["choose_final_submissions"]


def choose_final_submissions(db: Database, slug: str, user_name: str, submission_ids: Sequence[int]) -> list[int]:
    """Record the user's team's final selection for the private board.

    Args:
        db: The platform database.
        slug: Challenge slug.
        user_name: A member of the team choosing.
        submission_ids: Ids of the team's scored submissions (empty: clear the choice, fall back
            to the best public ones).

    Returns:
        The selected ids, sorted.

    Raises:
        NotFoundError: unknown challenge or user.
        SelectionError: over the cap (the message names ``limits.final_selection``), the user has
            no team, an id is not the team's or not scored, or the challenge is closed.
    """
    chosen = sorted(set(submission_ids))
    with db.session() as session:
        begin_write(db, session)
        challenge = find_challenge(session, slug)
        cap = (challenge.spec.get("limits") or {}).get("final_selection")
        if cap is not None and len(chosen) > cap:
            raise SelectionError(f"{len(chosen)} submissions chosen but limits.final_selection is {cap} in {slug!r}")
        if challenge.state != ChallengeState.published:
            raise SelectionError(f"challenge {slug!r} is closed; the final selection can no longer change")
        team = team_of(session, challenge, find_user(session, user_name))
        if team is None:
            raise SelectionError(f"you have no team and no submissions in {slug!r}")
        if not db.is_sqlite:
            session.execute(select(Team.id).where(Team.id == team.id).with_for_update())
        rows = session.execute(
            select(Submission.id, Submission.state).where(
                Submission.id.in_(chosen), Submission.challenge_id == challenge.id, Submission.team_id == team.id
            )
        ).all()
        states = dict(rows)
        for submission_id in chosen:
            if submission_id not in states:
                raise SelectionError(f"submission {submission_id} is not one of your team's submissions in {slug!r}")
            if states[submission_id] != SubmissionState.scored:
                raise SelectionError(
                    f"submission {submission_id} is {states[submission_id].value}; only scored submissions can be chosen"
                )
        session.execute(
            update(Submission)
            .where(Submission.challenge_id == challenge.id, Submission.team_id == team.id)
            .values(selected=Submission.id.in_(chosen) if chosen else False)
        )
        audit(session, user_name, "submission.final_selection", f"team:{team.id}", challenge=slug, ids=chosen)
    return chosen
