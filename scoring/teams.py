"""Teams of a challenge: create, join, leave.

A user belongs to at most one team per challenge (enforced by the database too). A user
who submits without a team gets a team of one named after them (see
:func:`scoring.accept_submission`). ``limits.team_size`` caps members per team. A team
left empty is deleted unless it has submissions (they stay on the boards under its name).
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arena.db import Database, audit
from arena.errors import NotFoundError
from arena.models import Challenge, Submission, Team, TeamMember, User
from scoring.errors import TeamError
from scoring.locking import begin_write
from scoring.store import find_challenge, find_user

__all__ = ["create_team", "join_team", "leave_team", "team_of"]

_NAME_MAX = 64


def team_of(session: Session, challenge: Challenge, user: User) -> Team | None:
    """The user's team in the challenge, or None."""
    return session.scalar(
        select(Team)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == user.id, TeamMember.challenge_id == challenge.id)
    )


def _start(db: Database, session: Session, slug: str, user_name: str) -> tuple[Challenge, User, Team | None]:
    """Take the write lock (SQLite) and read the challenge, the user and the user's team."""
    begin_write(db, session)
    challenge = find_challenge(session, slug)
    user = find_user(session, user_name)
    return challenge, user, team_of(session, challenge, user)


def _refuse_second_team(current: Team | None, slug: str) -> None:
    if current is not None:
        raise TeamError(
            f"you are already in team {current.name!r} of {slug!r}; leave it first (one team per challenge)"
        )


def create_team(db: Database, slug: str, user_name: str, name: str) -> Team:
    """Create a team in a challenge with the user as its first member.

    Raises:
        NotFoundError: unknown challenge or user.
        TeamError: the user already has a team here, or the name is empty, too long or taken.
    """
    name = name.strip()
    if not name or len(name) > _NAME_MAX:
        raise TeamError(f"team name must be 1 to {_NAME_MAX} characters, got {len(name)}")
    try:
        with db.session() as session:
            challenge, user, current = _start(db, session, slug, user_name)
            _refuse_second_team(current, slug)
            team = Team(challenge_id=challenge.id, name=name)
            session.add(team)
            session.flush()
            session.add(TeamMember(team_id=team.id, user_id=user.id, challenge_id=challenge.id))
            audit(session, user_name, "team.create", f"team:{team.id}", challenge=slug, name=name)
            return team
    except IntegrityError:
        raise TeamError(f"team name {name!r} is already taken in {slug!r}") from None


def join_team(db: Database, slug: str, user_name: str, name: str) -> Team:
    """Join an existing team, within ``limits.team_size``.

    Raises:
        NotFoundError: unknown challenge, user or team.
        TeamError: the user already has a team here, or the team is full.
    """
    with db.session() as session:
        challenge, user, current = _start(db, session, slug, user_name)
        _refuse_second_team(current, slug)
        lookup = select(Team).where(Team.challenge_id == challenge.id, Team.name == name)
        team = session.scalar(lookup if db.is_sqlite else lookup.with_for_update())
        if team is None:
            raise NotFoundError(f"team {name!r} does not exist in {slug!r}")
        size = (challenge.spec.get("limits") or {}).get("team_size")
        members = session.scalar(select(func.count(TeamMember.id)).where(TeamMember.team_id == team.id))
        if size is not None and members >= size:
            raise TeamError(f"team {name!r} is full: limits.team_size is {size} members in {slug!r}")
        session.add(TeamMember(team_id=team.id, user_id=user.id, challenge_id=challenge.id))
        audit(session, user_name, "team.join", f"team:{team.id}", challenge=slug)
        return team


def leave_team(db: Database, slug: str, user_name: str) -> str:
    """Leave the user's team; a team left empty without submissions is deleted.

    Returns:
        The name of the team left.

    Raises:
        NotFoundError: unknown challenge or user.
        TeamError: the user is not in a team of this challenge.
    """
    with db.session() as session:
        _challenge, user, team = _start(db, session, slug, user_name)
        if team is None:
            raise TeamError(f"you are not in a team of {slug!r}")
        session.execute(delete(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id == user.id))
        remaining = session.scalar(select(func.count(TeamMember.id)).where(TeamMember.team_id == team.id))
        used = session.scalar(select(Submission.id).where(Submission.team_id == team.id).limit(1))
        deleted = remaining == 0 and used is None
        if deleted:
            session.delete(team)
        audit(session, user_name, "team.leave", f"team:{team.id}", challenge=slug, deleted=deleted)
        return team.name
