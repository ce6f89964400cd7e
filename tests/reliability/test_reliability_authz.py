"""Authorisation matrix of the scoring API: every endpoint × every kind of caller, in one table."""

from __future__ import annotations

import pytest
from reliability_kit import LEADERBOARD_TOKEN, SERVICE, SLUG, Service, auth, corpus
from sqlalchemy import func, select

from arena.models import AuditEvent, ReviewScore, SubmissionState
from scoring.auth import ACTING_USER_HEADER

CALLERS = [
    "none",
    "malformed",
    "unknown",
    "expired",
    "noscope",
    "hubdown",
    "stranger",
    "other",
    "lan",
    "hoa",
    "minh",
    "root",
    "board",
    "board-as-hoa",
    "board-as-lan",
    "board-as-minh",
    "lan-as-hoa",
]
"""none: no header; malformed: 'Basic …'; unknown/expired/noscope: the hub refuses the token (HubAuth
gives None); hubdown: HubAuth raises tornado HTTPError; stranger: a hub user with no arena account;
other: competitor of another team; lan: the competitor owning submission ``{own}``; hoa judge;
minh organiser; root admin; board: the leaderboard service's own token, naming no acting user;
board-as-X: that token with ``X-Arena-Acting-User: X``; lan-as-hoa: lan's user token sending
``X-Arena-Acting-User: hoa`` (never honoured: lan stays lan)."""

# Endpoints in the order they are called for each caller (later calls see earlier changes).
ENDPOINTS = [
    ("health", "GET", "/health", None),
    ("metrics", "GET", "/metrics", None),
    ("challenges", "GET", "/api/challenges", None),
    ("list", "GET", f"/api/challenges/{SLUG}/submissions", None),
    ("get own", "GET", f"/api/challenges/{SLUG}/submissions/{{own}}", None),
    ("board public", "GET", f"/api/challenges/{SLUG}/leaderboard?board=public", None),
    ("board private", "GET", f"/api/challenges/{SLUG}/leaderboard?board=private", None),
    ("final selection", "POST", f"/api/challenges/{SLUG}/final-selection", {"ids": []}),
    ("team leave", "POST", f"/api/challenges/{SLUG}/team/leave", None),
    ("team create", "POST", f"/api/challenges/{SLUG}/team", {"name": "fresh-{caller}"}),
    ("team join", "POST", f"/api/challenges/{SLUG}/team/join", {"name": "other"}),
    ("submit", "POST", f"/api/challenges/{SLUG}/submissions", "file"),
    ("unknown challenge", "GET", "/api/challenges/nope/submissions", None),
    ("review put", "PUT", f"/api/challenges/{SLUG}/submissions/{{own}}/reviews/overall", {"score": 7}),
    ("reviews", "GET", f"/api/challenges/{SLUG}/submissions/{{own}}/reviews", None),
    ("reviews export", "GET", f"/api/challenges/{SLUG}/reviews", None),
    ("board view", "POST", f"/api/challenges/{SLUG}/board-views", None),
    ("bundle validate", "POST", "/api/organiser/bundles/validate", "zip"),
    ("bundle publish", "POST", "/api/organiser/bundles/publish", "zip"),
    ("ranking", "GET", f"/api/challenges/{SLUG}/ranking?board=public", None),
    ("close", "POST", f"/api/challenges/{SLUG}/close", None),
]

_OPEN = [200, 200]
_REFUSED = {
    "none": 401,
    "malformed": 401,
    "unknown": 401,
    "expired": 401,
    "noscope": 401,
    "hubdown": 503,
    "stranger": 403,
}
#                 chall list  get  pub  priv  final leave create join submit unknown  review reviews export view
_COMPETITOR = [200, 200, 200, 200, 403, 200, 200, 201, 400, 202, 404, 403, 403, 403, 403]
_STAFF = [200, 200, 404, 200, 200, 400, 400, 201, 400, 202, 404, 200, 200, 200, 403]


def _service_alone(final: int) -> list[int]:
    """A service's token is never taken for an arena account; on the final selection the leaderboard acts for its viewer."""
    return [403] * 5 + [final] + [403] * 5


#                 validate publish ranking close  (the bundle sent is not a zip: an organiser gets the 400 naming it)
_ORGANISER = [400, 400, 200, 200]
_NOT_ORGANISER = [403] * 4
MATRIX: dict[str, list[int]] = {
    **{caller: _OPEN + [code] * (len(ENDPOINTS) - 2) for caller, code in _REFUSED.items()},
    "other": [*_OPEN, 200, 200, 404, *_COMPETITOR[3:], *_NOT_ORGANISER],
    "lan": [*_OPEN, *_COMPETITOR, *_NOT_ORGANISER],
    "hoa": [*_OPEN, *_STAFF, *_NOT_ORGANISER],
    "minh": [*_OPEN, *_STAFF, *_ORGANISER],
    "root": [*_OPEN, *_STAFF, *_ORGANISER],
    "board": [*_OPEN, *_service_alone(400), 400, 400, 400, 400, *[400] * 4],
    "board-as-hoa": [*_OPEN, *_service_alone(400), 200, 200, 200, 201, *_NOT_ORGANISER],
    "board-as-lan": [*_OPEN, *_service_alone(200), 403, 403, 403, 403, *_NOT_ORGANISER],
    "board-as-minh": [*_OPEN, *_service_alone(400), 200, 200, 200, 201, *_ORGANISER],
    # a user token naming someone else: refused
    "lan-as-hoa": [*_OPEN, *_COMPETITOR[:5], 403, *_COMPETITOR[6:], *_NOT_ORGANISER],
}
"""Expected status of each endpoint (ENDPOINTS order) for each caller. Staff may read private boards
at any time but see only their own team's submissions (none); like any hub user with an arena
account they may form a team and submit (no role check on submission: see the report). The
leaderboard service acts for a viewer on the review, board-view, final-selection and organiser routes only; its acting-user
header is ignored on every other route and refused from any other token."""


def _headers(caller: str) -> dict[str, str]:
    if caller == "none":
        return {}
    if caller == "malformed":
        return {"Authorization": "Basic bGFuOnB3"}
    token, _, acting = caller.partition("-as-")
    headers = {"Authorization": f"token {LEADERBOARD_TOKEN}"} if token == "board" else auth(token)
    return headers | ({ACTING_USER_HEADER: acting} if acting else {})


def _scored(service: Service, user: str) -> int:
    assert service.submit(user, corpus.good_frame().to_csv(index=False).encode()).status_code == 202
    done = service.work()
    assert done.state == SubmissionState.scored
    return done.id


def test_matrix_covers_every_route(service: Service) -> None:
    paths = service.client.app.openapi()["paths"]
    routes = {(method.upper(), path.removeprefix(SERVICE)) for path, item in paths.items() for method in item}
    called = {
        (m, p.split("?")[0].replace("{own}", "{submission_id}").replace(SLUG, "{slug}").replace("overall", "{rubric}"))
        for _, m, p, _ in ENDPOINTS
    }
    assert routes <= called, f"endpoints missing from the matrix: {routes - called}"
    assert set(MATRIX) == set(CALLERS) and all(len(row) == len(ENDPOINTS) for row in MATRIX.values())


@pytest.mark.parametrize("caller", CALLERS)
def test_authorisation_matrix(caller: str, service: Service) -> None:
    own = _scored(service, "lan")
    _scored(service, "other")
    seen = []
    for (name, method, path, body), expected in zip(ENDPOINTS, MATRIX[caller], strict=True):
        url = SERVICE + path.format(own=own)
        if body == "file":
            request = {"files": {"file": ("s.csv", corpus.good_frame().to_csv(index=False).encode())}}
        elif body == "zip":
            request = {"content": b"PK not really a zip", "headers": {"Content-Type": "application/zip"}}
        elif body is not None:
            request = {"json": {k: v.format(caller=caller) if isinstance(v, str) else v for k, v in body.items()}}
        else:
            request = {}
        headers = _headers(caller) | request.pop("headers", {})
        response = service.client.request(method, url, headers=headers, **request)
        if response.status_code >= 400:
            assert response.json()["detail"], f"{name}: no detail"
        seen.append(response.status_code)
    assert dict(zip([e[0] for e in ENDPOINTS], seen)) == dict(zip([e[0] for e in ENDPOINTS], MATRIX[caller]))
    assert 500 not in seen


def test_only_the_leaderboard_service_acts_for_someone_else(service: Service) -> None:
    own = _scored(service, "lan")
    url = f"{SERVICE}/api/challenges/{SLUG}/submissions/{own}/reviews/overall"
    for caller in ("lan-as-hoa", "other-as-root", "board-as-lan", "board", "board-as-hoa"):
        service.client.put(url, json={"score": 3}, headers=_headers(caller))
        service.client.post(f"{SERVICE}/api/challenges/{SLUG}/board-views", headers=_headers(caller))

    with service.db.session() as session:
        reviews = session.scalar(select(func.count(ReviewScore.id)))
        actions = ["review.score", "leaderboard.private.view"]
        query = select(AuditEvent.action, AuditEvent.actor).where(AuditEvent.action.in_(actions))
        actors = session.execute(query).all()
    assert reviews == 1
    assert sorted(actors) == [("leaderboard.private.view", "hoa"), ("review.score", "hoa")]


def test_competitor_never_sees_another_teams_submission_or_private_scores(service: Service) -> None:
    own = _scored(service, "lan")
    theirs = _scored(service, "other")
    mine = service.client.get(f"{SERVICE}/api/challenges/{SLUG}/submissions", headers=auth("lan")).json()
    assert [row["id"] for row in mine] == [own] and set(mine[0]["scores"]) == {"public"}
    peek = service.client.get(f"{SERVICE}/api/challenges/{SLUG}/submissions/{theirs}", headers=auth("lan"))
    assert peek.status_code == 404


def test_team_hopping_does_not_reset_the_quota(service: Service) -> None:
    good = corpus.good_frame().to_csv(index=False).encode()
    for _ in range(4):
        assert service.submit("lan", good).status_code == 202
    assert service.submit("lan", good).status_code == 429
    client = service.client
    assert client.post(f"{SERVICE}/api/challenges/{SLUG}/team/leave", headers=auth("lan")).status_code == 200
    created = client.post(f"{SERVICE}/api/challenges/{SLUG}/team", json={"name": "hop"}, headers=auth("lan"))
    assert created.status_code == 201
    assert service.submit("lan", good).status_code == 429
