"""Reviews and board-view audit over HTTP: judges directly, or the leaderboard service acting for its viewer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from arena.db import Database
from arena.models import AuditEvent, ReviewScore, User
from arena.settings import Settings
from scoring import create_app
from scoring.auth import ACTING_USER_HEADER, LEADERBOARD_SERVICE, HubCaller

BASE = "/services/scoring/api/challenges/churn"
TOKENS = {
    "tok-alice": "alice",
    "tok-judy": "judy",
    "tok-board": HubCaller(LEADERBOARD_SERVICE, "service"),
    "tok-ops": HubCaller("arena-ops", "service"),
}


def _headers(token: str, acting: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"token tok-{token}"}
    return headers | ({ACTING_USER_HEADER: acting} if acting is not None else {})


@pytest.fixture
def client(db: Database, db_settings: Settings, publish, users) -> Iterator[TestClient]:
    publish()
    publish(slug="other")
    quiet = db_settings.model_copy(update={"embedded_worker": False, "review_comment_max_chars": 20})
    with db.session() as session:
        session.add(User(name="olga", role="organiser"))
    with TestClient(create_app(quiet, authenticate=TOKENS.get, db=db)) as test_client:
        yield test_client


@pytest.fixture
def owls(add_submission, client: TestClient) -> int:
    """A scored submission of team Owls in churn (the first challenge)."""
    return add_submission("Owls", 0, (0.5, 0.5))


def _rows(db: Database) -> list[tuple[str, str, float, str]]:
    with db.session() as session:
        query = select(User.name, ReviewScore.rubric, ReviewScore.score, ReviewScore.comment).join(
            User, User.id == ReviewScore.judge_id
        )
        return [tuple(row) for row in session.execute(query)]


def _audits(db: Database, action: str) -> list[tuple[str, str, dict]]:
    with db.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        return [(event.actor, event.object, event.detail) for event in events]


def test_a_judge_saves_reads_and_exports_reviews(client: TestClient, db: Database, owls: int) -> None:
    saved = client.put(f"{BASE}/submissions/{owls}/reviews/overall", json={"score": 8, "comment": "solid"},
                       headers=_headers("judy"))  # fmt: skip
    again = client.put(f"{BASE}/submissions/{owls}/reviews/overall", json={"score": 9}, headers=_headers("judy"))
    listed = client.get(f"{BASE}/submissions/{owls}/reviews", headers=_headers("judy"))
    exported = client.get(f"{BASE}/reviews", headers=_headers("judy"))

    assert saved.status_code == 200 and saved.json()["score"] == 8 and saved.json()["comment"] == "solid"
    assert again.status_code == 200 and again.json()["comment"] == ""
    assert [(r["judge"], r["team"], r["rubric"], r["score"]) for r in listed.json()] == [("judy", "Owls", "overall", 9)]
    assert exported.json() == listed.json()
    assert _rows(db) == [("judy", "overall", 9.0, "")]


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/submissions/{id}/reviews/overall"), ("GET", "/submissions/{id}/reviews"), ("GET", "/reviews")],
)
def test_competitors_may_not_touch_reviews(client: TestClient, db: Database, owls: int, method: str, path: str) -> None:
    response = client.request(method, BASE + path.format(id=owls), json={"score": 5}, headers=_headers("alice"))

    assert response.status_code == 403
    assert "reviews are for admin, judge, organiser only; 'alice' has role 'competitor'" in response.json()["detail"]
    assert _rows(db) == []


def test_the_leaderboard_service_saves_for_the_judge_it_names(client: TestClient, db: Database, owls: int) -> None:
    response = client.put(
        f"{BASE}/submissions/{owls}/reviews/overall", json={"score": 6.5}, headers=_headers("board", "olga")
    )

    assert response.status_code == 200 and response.json()["judge"] == "olga"
    assert _rows(db) == [("olga", "overall", 6.5, "")]
    assert [(actor, obj) for actor, obj, _ in _audits(db, "review.score")] == [("olga", f"submission:{owls}")]


@pytest.mark.parametrize(
    ("token", "acting", "status", "detail"),
    [
        ("board", None, 400, f"the leaderboard service must name the viewer it acts for in {ACTING_USER_HEADER}"),
        ("board", " ", 400, "must name the viewer"),
        ("board", "alice", 403, "'alice' has role 'competitor'"),
        ("board", "ghost", 403, "hub user 'ghost' has no arena account"),
        ("judy", "olga", 403, f"{ACTING_USER_HEADER} is honoured from the leaderboard service's token only"),
        ("alice", "judy", 403, "honoured from the leaderboard service's token only"),
        ("ops", "judy", 403, "honoured from the leaderboard service's token only"),
        ("ops", None, 403, "hub service 'arena-ops' acts for no one here"),
    ],
)
def test_the_acting_user_header_is_honoured_from_the_leaderboard_service_only(
    client: TestClient, db: Database, owls: int, token: str, acting: str | None, status: int, detail: str
) -> None:
    response = client.put(
        f"{BASE}/submissions/{owls}/reviews/overall", json={"score": 5}, headers=_headers(token, acting)
    )

    assert response.status_code == status and detail in response.json()["detail"]
    assert _rows(db) == []


def test_the_acting_user_header_is_never_read_on_other_routes(client: TestClient, owls: int) -> None:
    own = client.get(f"{BASE}/submissions", headers=_headers("alice", "judy"))  # alice's own list, not judy's
    service = client.get(f"{BASE}/submissions", headers=_headers("board", "judy"))

    assert own.status_code == 200
    assert service.status_code == 403 and "hub service 'leaderboard' acts for no one here" in service.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body", "status", "detail"),
    [
        ("/submissions/{id}/reviews/style", {"score": 5}, 400, "criterion 'style' is not in the rubric of 'churn'"),
        ("/submissions/{id}/reviews/overall", {"score": 11}, 400, "score 11.0 for 'overall' is outside its range"),
        ("/submissions/{id}/reviews/overall", {"score": 1, "comment": "x" * 21}, 400, "limit is 20"),
        ("/submissions/{id}/reviews/overall", {"comment": "no score"}, 422, "body.score"),
        ("/submissions/999999/reviews/overall", {"score": 5}, 404, "submission 999999 of 'churn' does not exist"),
        ("/submissions/99999999999/reviews/overall", {"score": 5}, 404, "does not exist"),
    ],
)
def test_bad_reviews_are_refused_naming_the_problem(
    client: TestClient, db: Database, owls: int, path: str, body: dict, status: int, detail: str
) -> None:
    response = client.put(BASE + path.format(id=owls), json=body, headers=_headers("judy"))

    assert response.status_code == status and detail in response.json()["detail"]
    assert _rows(db) == []


def test_a_submission_is_reviewed_under_its_own_challenge_only(client: TestClient, owls: int) -> None:
    response = client.put(
        f"/services/scoring/api/challenges/other/submissions/{owls}/reviews/overall",
        json={"score": 5},
        headers=_headers("judy"),
    )

    assert response.status_code == 404 and f"submission {owls} of 'other' does not exist" in response.json()["detail"]


def test_board_views_are_audited_for_the_viewer_the_service_names(client: TestClient, db: Database) -> None:
    judge = client.post(f"{BASE}/board-views", headers=_headers("board", "judy"))
    competitor = client.post(f"{BASE}/board-views", headers=_headers("board", "alice"))
    unnamed = client.post(f"{BASE}/board-views", headers=_headers("board"))
    direct = client.post(f"{BASE}/board-views", headers=_headers("judy"))

    assert judge.status_code == 201 and judge.json() == {"recorded": True, "viewer": "judy", "board": "private"}
    assert competitor.status_code == 403 and "hidden until the challenge closes" in competitor.json()["detail"]
    assert unnamed.status_code == 400
    assert direct.status_code == 403 and "recorded by the leaderboard service only" in direct.json()["detail"]
    assert _audits(db, "leaderboard.private.view") == [("judy", "challenge:churn", {"via": "leaderboard"})]


def test_a_service_token_is_never_taken_for_the_account_of_the_same_name(client: TestClient, db: Database) -> None:
    with db.session() as session:
        session.add(User(name=LEADERBOARD_SERVICE, role="admin"))  # an account that happens to share the name

    response = client.get(f"{BASE}/submissions", headers=_headers("board"))

    assert response.status_code == 403
    assert response.json()["detail"].startswith("hub service 'leaderboard' acts for no one here")
