"""The scoring service: a FastAPI app the hub runs as managed service ``scoring``.

Routes live under the service prefix (default ``/services/scoring``). Every ``/api`` call
needs ``Authorization: token <hub token>``; the caller's role comes from the arena ``User`` row.
``/health`` (database reachable, schema revision) and ``/metrics`` (Prometheus text: queue depth per
state, oldest queued age, scoring latency, totals) are open: they carry counts and durations only.
Competitors see only their own team's submissions, and private scores and the private board
only once the challenge is closed; judges, organisers and admins see private boards at any time
(each view audited). Shown scores are rounded to ``settings.score_display_digits``.

Team endpoints (``POST …/team`` ``{"name"}``, ``…/team/join`` ``{"name"}``, ``…/team/leave``) and
``POST …/final-selection`` ``{"ids": [...]}`` call :mod:`scoring.teams` and :mod:`scoring.selection`;
refusals are JSON 400s naming the rule (``limits.team_size``, ``limits.final_selection``…).
"""

import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from arena.db import Database, audit
from arena.errors import ArenaError, NotFoundError
from arena.health import schema_revision
from arena.models import Challenge, ChallengeState, Role, Score, Submission, SubmissionState, TeamMember, User
from arena.settings import Settings
from scoring.auth import Authenticate, hub_authenticator
from scoring.errors import HubUnavailableError, QuotaExceededError, SubmissionTooLargeError
from scoring.leaderboard import leaderboard
from scoring.monitoring import CONTENT_TYPE, queue_snapshot, render_metrics
from scoring.selection import choose_final_submissions
from scoring.store import check_can_submit, find_challenge, queue_submission
from scoring.teams import create_team, join_team, leave_team
from scoring.upload import receive_upload
from scoring.worker import Worker

__all__ = ["DEFAULT_PREFIX", "MAX_ID", "create_app"]

DEFAULT_PREFIX = "/services/scoring/"
_STAFF = {Role.judge, Role.organiser, Role.admin}
MAX_ID = 2**31 - 1
"""Largest row id the database holds (PostgreSQL INTEGER); larger ids cannot exist."""
_STATUS = {NotFoundError: 404, QuotaExceededError: 429, SubmissionTooLargeError: 413, HubUnavailableError: 503}


class FinalSelection(BaseModel):
    """Body of ``POST …/final-selection``: ids of the team's scored submissions (empty: clear)."""

    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]]


class TeamName(BaseModel):
    """Body of ``POST …/team`` and ``…/team/join``."""

    name: str


def _service_prefix() -> str:
    # The hub hands a managed service its URL prefix in this variable (HubAuth reads its
    # siblings the same way); it is not platform configuration, so it is not in Settings.
    return os.environ.get("JUPYTERHUB_SERVICE_PREFIX", DEFAULT_PREFIX)


def _round(scores: dict[str, dict[str, float]], digits: int) -> dict[str, dict[str, float]]:
    return {split: {m: round(v, digits) for m, v in values.items()} for split, values in scores.items()}


class _Api:
    """Route handlers bound to one database, settings and authenticator."""

    def __init__(self, db: Database, settings: Settings, authenticate: Authenticate) -> None:
        self.db, self.settings, self.authenticate = db, settings, authenticate

    def user(self, authorization: Annotated[str | None, Header()] = None) -> User:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() not in ("token", "bearer") or not token.strip():
            raise HTTPException(401, "missing 'Authorization: token <hub token>' header")
        name = self.authenticate(token.strip())
        if name is None:
            raise HTTPException(401, "the hub does not accept this token for the scoring service")
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.name == name))
        if user is None:
            raise HTTPException(403, f"hub user {name!r} has no arena account; ask an organiser to add it")
        return user

    def submission_view(self, submission: Submission, shown: list[Score], closed: bool, staff: bool) -> dict[str, Any]:
        scores: dict[str, dict[str, float]] = {}
        for score in shown:
            if score.split == "public" or closed or staff:
                scores.setdefault(score.split, {})[score.metric] = score.value
        return {
            "id": submission.id,
            "state": submission.state.value,
            "error": submission.error,
            "filename": submission.filename,
            "description": submission.description,
            "phase": submission.phase,
            "selected": submission.selected,
            "created_at": submission.created_at.isoformat(),
            "scored_at": submission.scored_at.isoformat() if submission.scored_at else None,
            "scores": _round(scores, self.settings.score_display_digits),
        }

    def own_submissions(self, slug: str, user: User, submission_id: int | None = None) -> list[dict[str, Any]]:
        with self.db.session() as session:
            challenge = find_challenge(session, slug)
            team_id = select(TeamMember.team_id).where(
                TeamMember.user_id == user.id, TeamMember.challenge_id == challenge.id
            )
            query = select(Submission).where(Submission.challenge_id == challenge.id, Submission.team_id.in_(team_id))
            if submission_id is not None:
                query = query.where(Submission.id == submission_id)
            query = query.options(selectinload(Submission.scores))
            rows = session.scalars(query.order_by(Submission.created_at.desc(), Submission.id.desc())).all()
            closed = challenge.state == ChallengeState.closed
            return [self.submission_view(row, row.scores, closed, user.role in _STAFF) for row in rows]

    def board(self, slug: str, board: str, user: User) -> list[dict[str, Any]]:
        digits = self.settings.score_display_digits
        with self.db.session() as session:
            challenge = find_challenge(session, slug)
            if board == "private":
                if user.role not in _STAFF and challenge.state != ChallengeState.closed:
                    raise HTTPException(403, f"the private board of {slug!r} is hidden until the challenge closes")
                audit(session, user.name, "leaderboard.private.view", f"challenge:{slug}")
            rows = leaderboard(session, slug, board)  # type: ignore[arg-type]
        return [
            {
                "rank": row.rank,
                "team": row.team,
                "metric": row.metric,
                "score": round(row.score, digits),
                "secondary": {m: None if v is None else round(v, digits) for m, v in row.secondary.items()},
                "entries": row.entries,
                "last_submission_at": row.last_submission_at.isoformat() if row.last_submission_at else None,
            }
            for row in rows
        ]


def _router(api: _Api) -> APIRouter:
    router = APIRouter()
    CurrentUser = Annotated[User, Depends(api.user)]

    @router.get("/health")
    def health() -> JSONResponse:
        try:
            revision = schema_revision(api.db)
            with api.db.session() as session:
                queued = session.scalar(
                    select(func.count(Submission.id)).where(Submission.state == SubmissionState.queued)
                )
        except SQLAlchemyError as error:  # the driver's error: the database is not reachable as configured
            database = {"reachable": False, "error": type(error).__name__}
            return JSONResponse({"status": "unavailable", "database": database}, status_code=503)
        database: dict[str, Any] = {"reachable": True, "revision": revision.current, "head": revision.head}
        database["migrated"] = revision.migrated
        status = "ok" if revision.migrated else "degraded"
        return JSONResponse({"status": status, "database": database, "queued": queued})

    @router.get("/metrics")
    def metrics() -> PlainTextResponse:
        with api.db.session() as session:
            snapshot = queue_snapshot(session, api.settings.metrics_latency_window)
        return PlainTextResponse(render_metrics(snapshot), media_type=CONTENT_TYPE)

    @router.get("/api/challenges")
    def challenges(user: CurrentUser) -> list[dict[str, Any]]:
        with api.db.session() as session:
            rows = session.scalars(select(Challenge).order_by(Challenge.published_at)).all()
        keys = ("task", "metric", "datasets", "phases")
        return [
            {"slug": c.slug, "title": c.title, **{k: c.spec.get(k) for k in keys}, "state": c.state.value} for c in rows
        ]

    # The body is parsed as it streams in (no spooling by the framework): the file goes straight
    # to the store and an oversize one is refused mid-stream with the JSON 413 naming the limit.
    @router.post("/api/challenges/{slug}/submissions", status_code=202)
    async def submit(slug: str, request: Request, user: CurrentUser) -> dict[str, Any]:
        await run_in_threadpool(check_can_submit, api.db, slug, user.name)
        upload = await receive_upload(request.headers.get("content-type"), request.stream(), api.settings)
        submission = await run_in_threadpool(
            queue_submission,
            api.db,
            api.settings,
            slug,
            user.name,
            (upload.digest, upload.size),
            upload.filename,
            upload.description,
        )
        return api.submission_view(submission, [], closed=False, staff=False)

    @router.post("/api/challenges/{slug}/final-selection")
    def final_selection(slug: str, choice: FinalSelection, user: CurrentUser) -> dict[str, Any]:
        return {"selected": choose_final_submissions(api.db, slug, user.name, choice.ids)}

    @router.post("/api/challenges/{slug}/team", status_code=201)
    def team_create(slug: str, body: TeamName, user: CurrentUser) -> dict[str, Any]:
        return {"team": create_team(api.db, slug, user.name, body.name).name}

    @router.post("/api/challenges/{slug}/team/join")
    def team_join(slug: str, body: TeamName, user: CurrentUser) -> dict[str, Any]:
        return {"team": join_team(api.db, slug, user.name, body.name).name}

    @router.post("/api/challenges/{slug}/team/leave")
    def team_leave(slug: str, user: CurrentUser) -> dict[str, Any]:
        return {"left": leave_team(api.db, slug, user.name)}

    @router.get("/api/challenges/{slug}/submissions")
    def submissions(slug: str, user: CurrentUser) -> list[dict[str, Any]]:
        return api.own_submissions(slug, user)

    @router.get("/api/challenges/{slug}/submissions/{submission_id}")
    def submission(slug: str, submission_id: int, user: CurrentUser) -> dict[str, Any]:
        found = api.own_submissions(slug, user, submission_id) if 1 <= submission_id <= MAX_ID else []
        if not found:
            raise HTTPException(404, f"submission {submission_id} of your team in {slug!r} does not exist")
        return found[0]

    @router.get("/api/challenges/{slug}/leaderboard")
    def board(slug: str, user: CurrentUser, board: str = "public") -> list[dict[str, Any]]:
        return api.board(slug, board, user)

    return router


def create_app(
    settings: Settings,
    *,
    authenticate: Authenticate | None = None,
    prefix: str | None = None,
    db: Database | None = None,
) -> FastAPI:
    """Build the scoring service.

    Args:
        settings: Platform settings (database, stores, limits, ``embedded_worker``).
        authenticate: Token → hub user name; default: the hub's HubAuth (managed-service env).
        prefix: URL prefix of every route; default ``$JUPYTERHUB_SERVICE_PREFIX`` or ``/services/scoring/``.
        db: Database to use; default: the one named by ``settings`` (migrated on startup).

    Returns:
        The FastAPI app. With ``settings.embedded_worker`` its lifespan runs one daemon
        :class:`Worker` thread, stopped (and joined) on shutdown.
    """
    database = db or Database.from_settings(settings)
    api = _Api(database, settings, authenticate or hub_authenticator())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if db is None:
            database.migrate()
        stop = threading.Event()
        thread = None
        if settings.embedded_worker:
            worker = Worker(database, settings, f"embedded-{os.getpid()}")
            thread = threading.Thread(target=worker.run_forever, args=(stop,), name="scoring-worker", daemon=True)
            thread.start()
        try:
            yield
        finally:
            stop.set()
            if thread is not None:
                thread.join(timeout=10)

    app = FastAPI(title="data-arena scoring", lifespan=lifespan)

    @app.exception_handler(ArenaError)
    async def arena_error(_request: Request, error: ArenaError) -> JSONResponse:
        status = next((code for kind, code in _STATUS.items() if isinstance(error, kind)), 400)
        return JSONResponse({"detail": str(error)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}" for problem in error.errors()
        )
        return JSONResponse({"detail": f"invalid request: {problems}"}, status_code=422)

    app.include_router(_router(api), prefix=(prefix if prefix is not None else _service_prefix()).rstrip("/"))
    return app
