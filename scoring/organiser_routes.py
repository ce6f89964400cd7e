"""Organisers' actions over HTTP (what ``arena challenge validate|publish|close|export`` do), for the leaderboard app.

The app stays read-only on the database: an organiser's click becomes a call of these routes
(with the leaderboard service's token acting for the viewer, or an organiser's own token), and
the routes call the very library functions the CLI calls, under the same rules
(:func:`challenges.require_organiser`, publishing's republish rule, closing once, exporting the
private board only once closed). Publishing, closing and exporting are audited by those functions.

- ``POST /api/organiser/bundles/validate`` — body: a bundle ``.zip``; the validation result (400 naming the problem);
- ``POST /api/organiser/bundles/publish?republish=false`` — body: the same ``.zip``; publishes it;
- ``POST /api/challenges/{slug}/close`` — closes the challenge;
- ``GET /api/challenges/{slug}/ranking?board=private`` — the ranking as CSV.
"""

import tempfile  # no `from __future__ import annotations`: FastAPI resolves the routes' local Annotated types
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from arena.db import Database
from arena.models import User
from arena.settings import Settings
from challenges import (
    MAX_BUNDLE_BYTES,
    BundleError,
    close_challenge,
    export_ranking,
    load_bundle,
    publish_challenge,
    ranking_csv,
    require_organiser,
    validate_against_store,
)
from scoring.leaderboard import leaderboard

__all__ = ["add_organiser_routes", "bundle_summary"]

_CHUNK = 1024 * 1024


async def _spool(stream: AsyncIterator[bytes], target: Path, max_bytes: int) -> None:
    """Write the request body to ``target``, refusing it once it passes ``max_bytes``."""
    size = 0
    with target.open("wb") as handle:
        async for chunk in stream:
            size += len(chunk)
            if size > max_bytes:
                raise BundleError(f"the bundle is larger than {max_bytes // 1024**2} MiB; make it smaller")
            handle.write(chunk)
    if size == 0:
        raise BundleError("no bundle received: send the .zip as the request body")


def bundle_summary(db: Database, path: Path) -> dict[str, Any]:
    """Load and validate the bundle ``path`` against the store; what an organiser checks before publishing.

    Raises:
        BundleError: anything wrong (the message names the file, key or dataset).
    """
    bundle = load_bundle(path)
    datasets = validate_against_store(bundle, db)
    spec = bundle.spec
    return {
        "valid": True,
        "slug": spec.slug,
        "title": spec.title,
        "task": spec.task,
        "metric": spec.metric.primary,
        "submission": getattr(spec, "submission", "predictions"),
        "datasets": datasets,
        "answer_rows": len(bundle.read_answers()),
        "starter": "generated from the spec" if spec.starter_notebook is None else spec.starter_notebook,
        "phases": [{"name": p.name, "start": str(p.start), "end": str(p.end)} for p in spec.phases],
    }


def add_organiser_routes(router: APIRouter, db: Database, settings: Settings, actor: Callable[..., User]) -> None:
    """Add the organiser routes to ``router``; ``actor`` is the dependency naming the acting user."""
    Organiser = Annotated[User, Depends(actor)]

    async def _with_bundle(request: Request, use: Callable[[Path], Any]) -> Any:
        with tempfile.TemporaryDirectory(prefix="arena-upload-") as scratch:
            path = Path(scratch) / "bundle.zip"
            await _spool(request.stream(), path, MAX_BUNDLE_BYTES)
            return await run_in_threadpool(use, path)

    @router.post("/api/organiser/bundles/validate")
    async def validate_bundle(request: Request, user: Organiser) -> dict[str, Any]:
        await run_in_threadpool(require_organiser, db, user.name, "validate")
        return await _with_bundle(request, lambda path: bundle_summary(db, path))

    @router.post("/api/organiser/bundles/publish", status_code=201)
    async def publish_bundle(request: Request, user: Organiser, republish: bool = False) -> dict[str, Any]:
        await run_in_threadpool(require_organiser, db, user.name, "publish")

        def publish(path: Path) -> dict[str, Any]:
            summary = bundle_summary(db, path)
            slug = publish_challenge(db, settings, load_bundle(path), user.name, republish=republish)
            return {**summary, "published": slug}

        return await _with_bundle(request, publish)

    @router.post("/api/challenges/{slug}/close")
    def close(slug: str, user: Organiser) -> dict[str, Any]:
        require_organiser(db, user.name, "close")
        row = close_challenge(db, slug, user.name)
        return {"slug": row.slug, "state": row.state.value, "closed_at": row.closed_at.isoformat()}

    @router.get("/api/challenges/{slug}/ranking", response_class=PlainTextResponse)
    def ranking(slug: str, user: Organiser, board: str = "private") -> PlainTextResponse:
        require_organiser(db, user.name, "export")
        text = ranking_csv(export_ranking(db, slug, board, leaderboard, user.name))
        disposition = f'attachment; filename="{slug}-{board}-ranking.csv"'
        return PlainTextResponse(text, media_type="text/csv", headers={"Content-Disposition": disposition})
