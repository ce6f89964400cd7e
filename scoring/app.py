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

Reviews (:mod:`scoring.reviews`, judges, organisers and admins only): ``PUT
…/submissions/{id}/reviews/{rubric}`` ``{"score", "comment"}`` stores the caller's score on one
rubric criterion, ``GET …/submissions/{id}/reviews`` and ``GET …/reviews`` (the whole challenge,
for export) list them. The leaderboard service calls these for its signed-in viewer with its own
token and ``X-Arena-Acting-User: <hub user>``; that header is honoured from the leaderboard
service's token only (any other caller sending it is refused), and the viewer's own role applies.
``POST …/board-views`` (leaderboard service only) audits a private board the app showed.
"""

import logging
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
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from arena.accounts import disabled_message
from arena.db import Database, audit
from arena.errors import ArenaError, NotFoundError
from arena.health import schema_revision
from arena.models import (
    Challenge,
    ChallengeState,
    Role,
    Score,
    Submission,
    SubmissionKind,
    SubmissionState,
    TeamMember,
    User,
)
from arena.settings import Settings
from challenges import AccessDeniedError
from scoring.auth import ACTING_USER_HEADER, Authenticate, HubCaller, as_caller, hub_authenticator
from scoring.code_upload import code_upload_limit, is_code_challenge
from scoring.errors import (
    HubUnavailableError,
    QuotaExceededError,
    ReviewNotAllowedError,
    SubmissionTooLargeError,
)
from scoring.leaderboard import leaderboard
from scoring.monitoring import CONTENT_TYPE, queue_snapshot, render_metrics
from scoring.organiser_routes import add_organiser_routes
from scoring.reviews import ensure_reviewer, list_reviews, record_review
from scoring.selection import choose_final_submissions
from scoring.store import check_can_submit, find_challenge, queue_submission
from scoring.sweep import sweep_store
from scoring.teams import create_team, join_team, leave_team
from scoring.upload import receive_upload
from scoring.worker import Worker

__all__ = ["DATABASE_RETRY_AFTER_SECONDS", "DEFAULT_PREFIX", "MAX_ID", "create_app"]

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "/services/scoring/"
DATABASE_RETRY_AFTER_SECONDS = 5
"""``Retry-After`` of the 503 answered while the database is unreachable."""
_STAFF = {Role.judge, Role.organiser, Role.admin}
MAX_ID = 2**31 - 1
"""Largest row id the database holds (PostgreSQL INTEGER); larger ids cannot exist."""
_STATUS = {
    NotFoundError: 404,
    QuotaExceededError: 429,
    SubmissionTooLargeError: 413,
    HubUnavailableError: 503,
    ReviewNotAllowedError: 403,
    AccessDeniedError: 403,
}


class FinalSelection(BaseModel):
    """Body of ``POST …/final-selection``: ids of the team's scored submissions (empty: clear)."""

    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]]


class TeamName(BaseModel):
    """Body of ``POST …/team`` and ``…/team/join``."""

    name: str


class ReviewBody(BaseModel):
    """Body of ``PUT …/reviews/{rubric}``: the score (within the criterion's range) and a comment."""

    score: Annotated[float, Field(allow_inf_nan=False)]
    comment: str = ""


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

    def caller(self, authorization: str | None) -> HubCaller:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() not in ("token", "bearer") or not token.strip():
            raise HTTPException(401, "missing 'Authorization: token <hub token>' header")
        caller = as_caller(self.authenticate(token.strip()))
        if caller is None:
            raise HTTPException(401, "the hub does not accept this token for the scoring service")
        return caller

    def account(self, name: str) -> User:
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.name == name))
        if user is None:
            raise HTTPException(403, f"hub user {name!r} has no arena account; ask an organiser to add it")
        if user.disabled_at is not None:
            raise HTTPException(403, disabled_message(user))
        return user

    def user(self, authorization: Annotated[str | None, Header()] = None) -> User:
        """The calling hub user (a service's token acts for no one here: the acting-user header is not read)."""
        return self.own_account(self.caller(authorization))

    def own_account(self, caller: HubCaller) -> User:
        """The arena account of a user's token; a service's token is never taken for an account of its name."""
        if caller.kind != "user":
            raise HTTPException(403, f"hub {caller.kind} {caller.name!r} acts for no one here; send a user's token")
        return self.account(caller.name)

    def actor(
        self,
        authorization: Annotated[str | None, Header()] = None,
        acting: Annotated[str | None, Header(alias=ACTING_USER_HEADER)] = None,
    ) -> User:
        """The calling user, or the viewer the leaderboard service acts for (that service's token only)."""
        caller = self.caller(authorization)
        if caller.is_leaderboard_service:
            return self.acting_user(caller, acting)
        if acting is not None:
            raise HTTPException(403, f"{ACTING_USER_HEADER} is honoured from the leaderboard service's token only")
        return self.own_account(caller)

    def reviewer(
        self,
        authorization: Annotated[str | None, Header()] = None,
        acting: Annotated[str | None, Header(alias=ACTING_USER_HEADER)] = None,
    ) -> User:
        """The calling user, or the viewer the leaderboard service acts for; must be allowed to review."""
        user = self.actor(authorization, acting)
        ensure_reviewer(user)  # ReviewNotAllowedError: 403
        return user

    def board_viewer(
        self,
        authorization: Annotated[str | None, Header()] = None,
        acting: Annotated[str | None, Header(alias=ACTING_USER_HEADER)] = None,
    ) -> User:
        """The viewer the leaderboard service says it showed a board to (that service's token only)."""
        caller = self.caller(authorization)
        if not caller.is_leaderboard_service:
            raise HTTPException(403, "board views are recorded by the leaderboard service only")
        return self.acting_user(caller, acting)

    def acting_user(self, caller: HubCaller, acting: str | None) -> User:
        if not acting or not acting.strip():
            raise HTTPException(
                400, f"the {caller.name} service must name the viewer it acts for in {ACTING_USER_HEADER}"
            )
        return self.account(acting.strip())

    def challenge_submission(self, session: Session, slug: str, submission_id: int) -> Submission:
        challenge = find_challenge(session, slug)
        found = None
        if 1 <= submission_id <= MAX_ID:
            found = session.scalar(
                select(Submission).where(Submission.id == submission_id, Submission.challenge_id == challenge.id)
            )
        if found is None:
            raise NotFoundError(f"submission {submission_id} of {slug!r} does not exist")
        return found

    def upload_limit(self, slug: str) -> tuple[int, str] | None:
        """The size cap of an upload to ``slug``: a code challenge's ``code.max_upload_mb``, else the default."""
        with self.db.session() as session:
            spec = find_challenge(session, slug).spec
        return code_upload_limit(spec) if is_code_challenge(spec) else None

    def submission_view(self, submission: Submission, shown: list[Score], closed: bool, staff: bool) -> dict[str, Any]:
        scores: dict[str, dict[str, float]] = {}
        for score in shown:
            if score.split == "public" or closed or staff:
                scores.setdefault(score.split, {})[score.metric] = score.value
        code_run = {}
        if submission.kind == SubmissionKind.code:
            # Only what the platform fixes: the outcome, its fixed text (stored as ``error``), the time bucket.
            code_run = {"outcome": submission.outcome, "run_time": submission.run_bucket}
        return {
            "id": submission.id,
            "kind": (submission.kind or SubmissionKind.predictions).value,
            **code_run,
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

    @staticmethod
    def audit_private_view(session: Session, challenge: Challenge, user: User, via: str) -> None:
        """Audit that ``user`` sees the private board of ``challenge`` (refused: 403 when they may not)."""
        if user.role not in _STAFF and challenge.state != ChallengeState.closed:
            raise HTTPException(403, f"the private board of {challenge.slug!r} is hidden until the challenge closes")
        audit(session, user.name, "leaderboard.private.view", f"challenge:{challenge.slug}", via=via)

    def board(self, slug: str, board: str, user: User) -> list[dict[str, Any]]:
        digits = self.settings.score_display_digits
        with self.db.session() as session:
            challenge = find_challenge(session, slug)
            if board == "private":
                self.audit_private_view(session, challenge, user, via="scoring-api")
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
    Reviewer = Annotated[User, Depends(api.reviewer)]
    Actor = Annotated[User, Depends(api.actor)]  # a user's own token, or the leaderboard acting for its viewer

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
        keys = ("task", "metric", "datasets", "phases", "test_replica")
        return [
            {
                "slug": c.slug,
                "title": c.title,
                **{k: c.spec.get(k) for k in keys},
                "submission": c.spec.get("submission", "predictions"),
                "state": c.state.value,
            }
            for c in rows
        ]

    # The body is parsed as it streams in (no spooling by the framework): the file goes straight
    # to the store and an oversize one is refused mid-stream with the JSON 413 naming the limit.
    @router.post("/api/challenges/{slug}/submissions", status_code=202)
    async def submit(slug: str, request: Request, user: CurrentUser) -> dict[str, Any]:
        await run_in_threadpool(check_can_submit, api.db, slug, user.name)
        limit = await run_in_threadpool(api.upload_limit, slug)
        upload = await receive_upload(request.headers.get("content-type"), request.stream(), api.settings, limit)
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
    def final_selection(slug: str, choice: FinalSelection, user: Actor) -> dict[str, Any]:
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

    @router.post("/api/challenges/{slug}/board-views", status_code=201)
    def board_view(slug: str, viewer: Annotated[User, Depends(api.board_viewer)]) -> dict[str, Any]:
        with api.db.session() as session:
            api.audit_private_view(session, find_challenge(session, slug), viewer, via="leaderboard")
        return {"recorded": True, "viewer": viewer.name, "board": "private"}

    @router.put("/api/challenges/{slug}/submissions/{submission_id}/reviews/{rubric}")
    def review_put(slug: str, submission_id: int, rubric: str, body: ReviewBody, judge: Reviewer) -> dict[str, Any]:
        with api.db.session() as session:
            submission = api.challenge_submission(session, slug, submission_id)
            review = record_review(
                session, submission, judge, rubric, body.score, body.comment,
                max_comment_chars=api.settings.review_comment_max_chars,
            )  # fmt: skip
        return review.as_dict()

    @router.get("/api/challenges/{slug}/submissions/{submission_id}/reviews")
    def reviews_of_submission(slug: str, submission_id: int, judge: Reviewer) -> list[dict[str, Any]]:
        with api.db.session() as session:
            submission = api.challenge_submission(session, slug, submission_id)
            return [review.as_dict() for review in list_reviews(session, slug, submission.id)]

    @router.get("/api/challenges/{slug}/reviews")
    def reviews_of_challenge(slug: str, judge: Reviewer) -> list[dict[str, Any]]:
        with api.db.session() as session:
            find_challenge(session, slug)  # NotFoundError: 404
            return [review.as_dict() for review in list_reviews(session, slug)]

    add_organiser_routes(router, api.db, api.settings, api.actor)
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
    api = _Api(database, settings, authenticate or hub_authenticator(cache_seconds=settings.hub_token_cache_seconds))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if db is None:
            database.migrate()
        await run_in_threadpool(sweep_store, database, settings)
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

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def database_unavailable(_request: Request, error: DBAPIError) -> JSONResponse:
        # The database is down, restarting or locked: nothing was stored, the caller may retry.
        log.warning("database unavailable: %s", str(error.orig).strip().splitlines()[0] if error.orig else error)
        return JSONResponse(
            {"detail": "the scoring database is unavailable right now; nothing was stored, try again shortly"},
            status_code=503,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}" for problem in error.errors()
        )
        return JSONResponse({"detail": f"invalid request: {problems}"}, status_code=422)

    app.include_router(_router(api), prefix=(prefix if prefix is not None else _service_prefix()).rstrip("/"))
    return app
