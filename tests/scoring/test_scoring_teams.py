"""Teams: create, join within limits.team_size, one team per user per challenge, leave."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from arena.accounts import create_user
from arena.db import Database
from arena.errors import NotFoundError
from arena.models import Team, TeamMember
from arena.settings import Settings
from scoring import TeamError, accept_submission, create_app, create_team, join_team, leave_team


@pytest.fixture
def crowd(db: Database, publish, users) -> None:
    """churn with team_size 2 and a third competitor, carol."""
    publish(limits={"per_day": 5, "total": 10, "final_selection": 2, "team_size": 2})
    with db.session() as session:
        create_user(session, "carol", "competitor", None)


def _members(db: Database) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(
            select(Team.name, TeamMember.id).outerjoin(TeamMember, TeamMember.team_id == Team.id)
        ).all()
    counts: dict[str, int] = {}
    for name, member in rows:
        counts[name] = counts.get(name, 0) + (member is not None)
    return counts


def test_join_is_capped_by_team_size(db: Database, crowd) -> None:
    create_team(db, "churn", "alice", "ants")
    join_team(db, "churn", "bob", "ants")
    with pytest.raises(TeamError, match="team 'ants' is full: limits.team_size is 2"):
        join_team(db, "churn", "carol", "ants")
    assert _members(db) == {"ants": 2}


def test_one_team_per_user_per_challenge(db: Database, crowd) -> None:
    create_team(db, "churn", "alice", "ants")
    create_team(db, "churn", "bob", "bees")
    with pytest.raises(TeamError, match="already in team 'ants'"):
        join_team(db, "churn", "alice", "bees")
    with pytest.raises(TeamError, match="already in team 'ants'"):
        create_team(db, "churn", "alice", "wasps")
    with pytest.raises(TeamError, match="'bees' is already taken"):
        create_team(db, "churn", "carol", "bees")
    with pytest.raises(NotFoundError, match="team 'moths' does not exist"):
        join_team(db, "churn", "carol", "moths")
    assert _members(db) == {"ants": 1, "bees": 1}


def test_solo_submitter_is_a_team_of_one_and_must_leave_to_join(
    db: Database, db_settings: Settings, crowd, predictions, publish
) -> None:
    answers = publish(slug="other")["answers"]
    create_team(db, "churn", "bob", "bees")
    path = predictions(answers)
    with path.open("rb") as stream:
        accept_submission(db, db_settings, "churn", "alice", stream, path.name)
    with pytest.raises(TeamError, match="already in team 'alice'"):
        join_team(db, "churn", "alice", "bees")
    assert leave_team(db, "churn", "alice") == "alice"
    join_team(db, "churn", "alice", "bees")
    assert _members(db) == {"bees": 2, "alice": 0}  # kept: its submission stays on the boards


def test_leaving_empties_and_deletes_an_unused_team(db: Database, crowd) -> None:
    create_team(db, "churn", "alice", "ants")
    join_team(db, "churn", "bob", "ants")
    leave_team(db, "churn", "alice")
    assert _members(db) == {"ants": 1}
    leave_team(db, "churn", "bob")
    assert _members(db) == {}
    with pytest.raises(TeamError, match="you are not in a team of 'churn'"):
        leave_team(db, "churn", "bob")


def test_team_endpoints(db: Database, db_settings: Settings, crowd) -> None:
    quiet = db_settings.model_copy(update={"embedded_worker": False})
    base = "/services/scoring/api/challenges/churn/team"
    tokens = {f"tok-{name}": name for name in ("alice", "bob", "carol")}
    with TestClient(create_app(quiet, authenticate=tokens.get, db=db)) as client:

        def call(who: str, path: str, body: dict | None = None):
            return client.post(base + path, json=body, headers={"Authorization": f"token tok-{who}"})

        created = call("alice", "", {"name": "ants"})
        joined = call("bob", "/join", {"name": "ants"})
        full = call("carol", "/join", {"name": "ants"})
        left = call("bob", "/leave")
        again = call("bob", "/leave")
    assert created.status_code == 201 and created.json() == {"team": "ants"}
    assert joined.status_code == 200 and joined.json() == {"team": "ants"}
    assert full.status_code == 400 and "limits.team_size is 2" in full.json()["detail"]
    assert left.json() == {"left": "ants"} and again.status_code == 400
